/*
 * export.c - an election as open data: JSON (the election, candidates,
 * documents, proposals with offsets, hashes and themes, the taxonomy)
 * and CSV (proposals.csv, one row per proposal), streamed through a
 * write callback so that memory stays bounded by one row, whatever the
 * election's size. Read-only; its own statement table (DB_MOD_EXPORT).
 *
 * The JSON is written by hand rather than with jansson: compare/ depends
 * on core/ only, the escaping below is the whole of what JSON needs for
 * strings that are checked to be UTF-8, and a document of 10^5
 * proposals never exists as a tree in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

enum export_stmt {
	EXP_ELECTION,
	EXP_CANDIDATES,
	EXP_DOCUMENTS,
	EXP_PROPOSALS,
	EXP_PROPOSAL_THEMES,
	EXP_THEMES,
	EXP_MATERIAL,
	EXP_STMT__MAX
};

/*
 * Candidates in the neutral order (the rule candidate_list() follows),
 * then documents by id, then proposals in their original order: the
 * same order in both formats and on every run.
 */
/* clang-format off: SQL reads better cut at its own clauses */
static const char *const export_sql[EXP_STMT__MAX] = {
	[EXP_ELECTION] =
		"SELECT id, slug, title, kind, date, language, candidate_order"
		" FROM election WHERE slug = ?1",
	/*
	 * With the last published profile (the one voters read, as
	 * material_profile_current() picks it): a pending or rejected
	 * proposal is never exported; names and party are the candidate
	 * row's, which publishing a profile sets.
	 */
	[EXP_CANDIDATES] =
		"SELECT c.slug, c.given_name, c.family_name, c.party,"
		" coalesce(p.bio, ''), coalesce(p.links, ''), p.decided_at"
		" FROM candidate c LEFT JOIN candidate_profile p"
		" ON p.id = (SELECT q.id FROM candidate_profile q"
		"  WHERE q.candidate_id = c.id AND q.status = 'published'"
		"  ORDER BY q.decided_at DESC, q.id DESC LIMIT 1)"
		" WHERE c.election_id = ?1 ORDER BY c.sort_key, c.id",
	/* pending and rejected documents are not public: published only */
	[EXP_DOCUMENTS] =
		"SELECT d.id, c.slug, d.kind, d.title, d.version, d.format,"
		" d.media_type, d.source_url, d.sha256, d.submitted_at,"
		" d.status,"
		" EXISTS (SELECT 1 FROM current_document cd WHERE cd.id = d.id)"
		" FROM candidate c JOIN document d ON d.candidate_id = c.id"
		" WHERE c.election_id = ?1 AND d.status = 'published'"
		" ORDER BY c.sort_key, c.id, d.id",
	/* 0..8 the proposal, 9.. what a CSV row repeats of its owners */
	[EXP_PROPOSALS] =
		"SELECT p.id, p.document_id, c.slug, p.ordinal, p.start, p.end,"
		" p.kind, p.heading_path, p.text,"
		" c.given_name, c.family_name, c.party, d.title, d.version,"
		" d.sha256, d.source_url,"
		" (SELECT group_concat(slug, ' ') FROM (SELECT t.slug"
		"  FROM proposal_theme pt JOIN theme t ON t.id = pt.theme_id"
		"  WHERE pt.proposal_id = p.id AND pt.status <> 'rejected'"
		"  ORDER BY t.position))"
		" FROM candidate c JOIN current_document d"
		" ON d.candidate_id = c.id"
		" JOIN proposal p ON p.document_id = d.id"
		" WHERE c.election_id = ?1"
		" ORDER BY c.sort_key, c.id, d.id, p.ordinal",
	/* every decision, rejected ones too: the status says which */
	[EXP_PROPOSAL_THEMES] =
		"SELECT t.slug, pt.origin, pt.confidence, pt.status"
		" FROM proposal_theme pt JOIN theme t ON t.id = pt.theme_id"
		" WHERE pt.proposal_id = ?1 ORDER BY t.position",
	[EXP_THEMES] =
		"SELECT t.slug, g.slug, t.is_group, t.label_fr, t.label_en"
		" FROM theme t LEFT JOIN theme g ON g.id = t.parent_id"
		" ORDER BY t.position",
	/*
	 * Published material only, not withdrawn: pending, rejected and
	 * withdrawn items are not public. A file's url is the path that
	 * serves it on the site (/m/ID), a video's the candidate's link.
	 * 0..11 the JSON fields, 12.. what a CSV row repeats.
	 */
	[EXP_MATERIAL] =
		"SELECT m.id, c.slug, m.kind, m.caption,"
		" nullif(m.media_type, ''),"
		" CASE WHEN m.kind = 'video' THEN NULL ELSE m.size END,"
		" CASE WHEN m.kind = 'photo' THEN m.width END,"
		" CASE WHEN m.kind = 'photo' THEN m.height END,"
		" nullif(m.sha256, ''),"
		" CASE WHEN m.kind = 'video' THEN m.url"
		"  ELSE '/m/' || m.id END,"
		" m.submitted_at, m.decided_at,"
		" c.given_name, c.family_name"
		" FROM candidate c JOIN material m ON m.candidate_id = c.id"
		" WHERE c.election_id = ?1 AND m.status = 'published'"
		" AND m.withdrawn_at IS NULL"
		" ORDER BY c.sort_key, c.id, m.id",
};
/* clang-format on */

int compare_export_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_EXPORT, export_sql, EXP_STMT__MAX,
				 err);
}

/* Output is handed to the callback in pieces of about this size */
#define EXPORT_CHUNK ((size_t)64 << 10)

/* The licence, said in full in the JSON export */
static const char licence_texts[] =
	"The programmes' texts are the candidates' own, reproduced verbatim "
	"from the documents they published (see each document's source_url "
	"and sha256); their rights stay with their authors.";
static const char licence_texts_fr[] =
	"Les textes des programmes sont ceux des candidats, reproduits à "
	"l'identique depuis les documents qu'ils ont publiés ; ils restent "
	"leur œuvre. Les métadonnées d'agora (découpage en propositions, "
	"positions, empreintes, thèmes) sont sous " EXPORT_LICENCE ".";

/* The CSV's columns, in order: documented in README.md and doc/api.md */
static const char *const csv_columns[] = {
	"election",	   "candidate",	  "given_name",	    "family_name",
	"party",	   "document_id", "document_title", "document_version",
	"document_sha256", "source_url",  "proposal_id",    "ordinal",
	"start",	   "end",	  "kind",	    "heading_path",
	"themes",	   "text",	  "text_sha256",    "licence",
};

static const char *const csv_candidate_columns[] = {
	"election", "candidate", "given_name", "family_name",
	"party",    "biography", "links",      "profile_published_at",
	"licence",
};

static const char *const csv_material_columns[] = {
	"election",    "candidate",    "given_name",   "family_name",
	"material_id", "kind",	       "caption",      "media_type",
	"size",	       "width",	       "height",       "sha256",
	"url",	       "submitted_at", "published_at", "licence",
};

struct exp {
	struct agora_db *db;
	export_write_fn emit;
	void *ctx;
	struct sb out; /* pending output, handed over past EXPORT_CHUNK */
	int emit_rc;   /* the callback's error, sticky */
	int bad_utf8;  /* a value was not UTF-8: sticky */
	struct agora_error *err;
};

/* Hands the pending output to the callback (all of it with force) */
static int x_flush(struct exp *x, int force)
{
	int rc;

	if (sb_error(&x->out))
		return agora_errorf(x->err, sb_error(&x->out),
				    "out of memory in the export");
	if (x->bad_utf8)
		return agora_errorf(x->err, AGORA_ECHECK,
				    "the database holds text that is not "
				    "valid UTF-8 (run 'agora verify')");
	if (!x->out.len || (!force && x->out.len < EXPORT_CHUNK))
		return 0;
	rc = x->emit(x->ctx, x->out.buf, x->out.len);
	sb_reset(&x->out);
	if (rc) {
		x->emit_rc = rc < 0 ? rc : AGORA_EIO;
		return agora_errorf(x->err, x->emit_rc,
				    x->emit_rc == AGORA_ETOOBIG
					    ? "the export is over the size "
					      "limit"
					    : "cannot write the export");
	}
	return 0;
}

static void x_raw(struct exp *x, const char *s)
{
	sb_puts(&x->out, s);
}

static void x_int(struct exp *x, long long v)
{
	sb_printf(&x->out, "%lld", v);
}

/*
 * The shortest of %.15g and %.17g that reads back as the same double:
 * confidences like 0.9 stay "0.9", and nothing is lost. They are
 * between 0 and 1 (the schema checks it), never NaN or infinite.
 */
static void x_real(struct exp *x, double v)
{
	char b[32];

	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	sb_puts(&x->out, b);
}

/* p[0..n) as a JSON string; text that is not UTF-8 marks the export bad */
static void x_jstr(struct exp *x, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0, bad;

	if (!utf8_valid(p, n, &bad)) {
		x->bad_utf8 = 1;
		return;
	}
	sb_putc(&x->out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[7] = {'\\', 'u', '0', '0', 0, 0, 0};

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_append(&x->out, p + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
		case '\\':
			e[1] = (char)c;
			sb_append(&x->out, e, 2);
			break;
		case '\n':
			sb_append(&x->out, "\\n", 2);
			break;
		case '\r':
			sb_append(&x->out, "\\r", 2);
			break;
		case '\t':
			sb_append(&x->out, "\\t", 2);
			break;
		default:
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			sb_append(&x->out, e, 6);
		}
	}
	sb_append(&x->out, p + run, n - run);
	sb_putc(&x->out, '"');
}

/* Column col of st as a JSON string, null when SQL NULL and nullable */
static void x_jcol(struct exp *x, sqlite3_stmt *st, int col, int nullable)
{
	const char *p = (const char *)sqlite3_column_text(st, col);

	if (!p && nullable) {
		x_raw(x, "null");
		return;
	}
	x_jstr(x, p ? p : "", p ? (size_t)sqlite3_column_bytes(st, col) : 0);
}

/* p[0..n) as an RFC 4180 field: always quoted, quotes doubled */
static void x_cstr(struct exp *x, const char *p, size_t n)
{
	size_t i, run = 0, bad;

	if (!utf8_valid(p, n, &bad)) {
		x->bad_utf8 = 1;
		return;
	}
	sb_putc(&x->out, '"');
	for (i = 0; i < n; i++) {
		if (p[i] != '"')
			continue;
		sb_append(&x->out, p + run, i + 1 - run);
		run = i; /* the quote again, doubled */
	}
	sb_append(&x->out, p + run, n - run);
	sb_putc(&x->out, '"');
}

static void x_ccol(struct exp *x, sqlite3_stmt *st, int col)
{
	const char *p = (const char *)sqlite3_column_text(st, col);

	x_cstr(x, p ? p : "", p ? (size_t)sqlite3_column_bytes(st, col) : 0);
}

static void x_cint(struct exp *x, long long v)
{
	sb_printf(&x->out, "\"%lld\"", v);
}

/* ------------------------------------------------------------- JSON */

/* What one column of a row becomes in a JSON object */
enum jtype { J_TEXT, J_NULLABLE, J_INT, J_NULLINT, J_BOOL };
struct jfield {
	const char *key;
	int col;
	enum jtype type;
};

/* Writes "{"key":value,..." for the row's fields, the object left open */
static void x_jfields(struct exp *x, sqlite3_stmt *st, const struct jfield *f,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sb_printf(&x->out, "%s\"%s\":", i ? "," : "{", f[i].key);
		switch (f[i].type) {
		case J_TEXT:
		case J_NULLABLE:
			x_jcol(x, st, f[i].col, f[i].type == J_NULLABLE);
			break;
		case J_NULLINT:
			if (sqlite3_column_type(st, f[i].col) == SQLITE_NULL) {
				x_raw(x, "null");
				break;
			}
			/* fall through */
		case J_INT:
			x_int(x, sqlite3_column_int64(st, f[i].col));
			break;
		case J_BOOL:
			x_raw(x, sqlite3_column_int(st, f[i].col) ? "true"
								  : "false");
			break;
		}
	}
}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* The SHA-256 of proposal text (column 8), a JSON member or CSV field */
static void x_text_sha(struct exp *x, sqlite3_stmt *st, int csv)
{
	char hex[65];

	sha256_hex(sqlite3_column_blob(st, 8),
		   (size_t)sqlite3_column_bytes(st, 8), hex);
	sb_printf(&x->out, csv ? "\"%s\"" : ",\"sha256\":\"%s\"", hex);
}

/* A proposal's text hash and themes, after its fields: 0 or an error */
static int x_proposal_extra(struct exp *x, sqlite3_stmt *st)
{
	sqlite3_stmt *t = db_stmt(x->db, DB_MOD_EXPORT, EXP_PROPOSAL_THEMES);
	size_t k = 0;
	int rc;

	x_text_sha(x, st, 0);
	sqlite3_bind_int64(t, 1, sqlite3_column_int64(st, 0));
	x_raw(x, ",\"themes\":[");
	while ((rc = db_step(x->db, t, x->err)) == 1) {
		x_raw(x, k++ ? ",{\"key\":" : "{\"key\":");
		x_jcol(x, t, 0, 0);
		x_raw(x, ",\"origin\":");
		x_jcol(x, t, 1, 0);
		x_raw(x, ",\"confidence\":");
		x_real(x, sqlite3_column_double(t, 2));
		x_raw(x, ",\"status\":");
		x_jcol(x, t, 3, 0);
		x_raw(x, "}");
	}
	if (rc < 0)
		return rc;
	x_raw(x, "]");
	return 0;
}

/*
 * A candidate's published profile after its names: the biography, the
 * links (stored one a line) as an array, when it was published (null:
 * never)
 */
static int x_candidate_extra(struct exp *x, sqlite3_stmt *st)
{
	const char *s = (const char *)sqlite3_column_text(st, 5), *e;
	size_t k = 0;

	x_raw(x, ",\"biography\":");
	x_jcol(x, st, 4, 0);
	x_raw(x, ",\"links\":[");
	for (s = s ? s : ""; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		if (e == s)
			continue;
		x_raw(x, k++ ? "," : "");
		x_jstr(x, s, (size_t)(e - s));
	}
	x_raw(x, "],\"profile_published_at\":");
	x_jcol(x, st, 6, 1);
	return 0;
}

/*
 * Writes `"name":[` then one object per row of st, one per line, then
 * `]`; extra (may be NULL) adds members after the row's fields. Flushes
 * as it goes.
 */
static int x_jarray(struct exp *x, const char *name, sqlite3_stmt *st,
		    const struct jfield *f, size_t nf,
		    int (*extra)(struct exp *, sqlite3_stmt *))
{
	size_t nrow = 0;
	int rc;

	sb_printf(&x->out, ",\n\"%s\":[", name);
	while ((rc = db_step(x->db, st, x->err)) == 1) {
		x_raw(x, nrow++ ? ",\n" : "\n");
		x_jfields(x, st, f, nf);
		if (extra && (rc = extra(x, st)) < 0)
			break;
		x_raw(x, "}");
		if ((rc = x_flush(x, 0)))
			break;
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	x_raw(x, nrow ? "\n]" : "]");
	return x_flush(x, 0);
}

static int export_json(struct exp *x, sqlite3_stmt *e)
{
	static const struct jfield election[] = {
		{"slug", 1, J_TEXT},	 {"title", 2, J_TEXT},
		{"kind", 3, J_TEXT},	 {"date", 4, J_NULLABLE},
		{"language", 5, J_TEXT}, {"candidate_order", 6, J_TEXT},
	};
	static const struct jfield candidate[] = {
		{"slug", 0, J_TEXT},
		{"given_name", 1, J_TEXT},
		{"family_name", 2, J_TEXT},
		{"party", 3, J_TEXT},
	};
	static const struct jfield document[] = {
		{"id", 0, J_INT},	   {"candidate", 1, J_TEXT},
		{"kind", 2, J_TEXT},	   {"title", 3, J_TEXT},
		{"version", 4, J_INT},	   {"format", 5, J_TEXT},
		{"media_type", 6, J_TEXT}, {"source_url", 7, J_NULLABLE},
		{"sha256", 8, J_TEXT},	   {"submitted_at", 9, J_TEXT},
		{"status", 10, J_TEXT},	   {"current", 11, J_BOOL},
	};
	static const struct jfield proposal[] = {
		{"id", 0, J_INT},	  {"document_id", 1, J_INT},
		{"candidate", 2, J_TEXT}, {"ordinal", 3, J_INT},
		{"start", 4, J_INT},	  {"end", 5, J_INT},
		{"kind", 6, J_TEXT},	  {"heading_path", 7, J_TEXT},
		{"text", 8, J_TEXT},
	};
	static const struct jfield material[] = {
		{"id", 0, J_INT},
		{"candidate", 1, J_TEXT},
		{"kind", 2, J_TEXT},
		{"caption", 3, J_TEXT},
		{"media_type", 4, J_NULLABLE},
		{"size", 5, J_NULLINT},
		{"width", 6, J_NULLINT},
		{"height", 7, J_NULLINT},
		{"sha256", 8, J_NULLABLE},
		{"url", 9, J_TEXT},
		{"submitted_at", 10, J_TEXT},
		{"published_at", 11, J_NULLABLE},
	};
	static const struct jfield theme[] = {
		{"key", 0, J_TEXT},	 {"group", 1, J_NULLABLE},
		{"is_group", 2, J_BOOL}, {"label_fr", 3, J_TEXT},
		{"label_en", 4, J_TEXT},
	};
	int64_t id = sqlite3_column_int64(e, 0);
	sqlite3_stmt *st;
	int rc;

	x_raw(x, "{\"format\":\"agora-export\",\"format_version\":1,"
		 "\"generator\":\"agora " AGORA_VERSION "\",\n"
		 "\"licence\":{\"metadata\":{\"name\":\"" EXPORT_LICENCE
		 "\",\"spdx\":\"" EXPORT_LICENCE_SPDX
		 "\",\"url\":\"" EXPORT_LICENCE_URL "\"},\"texts\":");
	x_jstr(x, licence_texts, strlen(licence_texts));
	x_raw(x, ",\"notice_fr\":");
	x_jstr(x, licence_texts_fr, strlen(licence_texts_fr));
	x_raw(x, "},\n\"election\":");
	x_jfields(x, e, election, NFIELDS(election));
	x_raw(x, "}");
	sqlite3_reset(e);

	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_CANDIDATES);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = x_jarray(x, "candidates", st, candidate, NFIELDS(candidate),
			   x_candidate_extra)))
		return rc;
	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_DOCUMENTS);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = x_jarray(x, "documents", st, document, NFIELDS(document),
			   NULL)))
		return rc;
	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_PROPOSALS);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = x_jarray(x, "proposals", st, proposal, NFIELDS(proposal),
			   x_proposal_extra)))
		return rc;
	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_MATERIAL);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = x_jarray(x, "material", st, material, NFIELDS(material),
			   NULL)))
		return rc;
	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_THEMES);
	if ((rc = x_jarray(x, "themes", st, theme, NFIELDS(theme), NULL)))
		return rc;
	x_raw(x, "}\n");
	return 0;
}

/* ------------------------------------------------------------- CSV */

static int export_csv(struct exp *x, sqlite3_stmt *e, const char *election)
{
	/* proposal columns 9.. after election and candidate, in csv order */
	static const int owner_cols[] = {9, 10, 11, 1, 12, 13, 14, 15};
	int64_t id = sqlite3_column_int64(e, 0);
	sqlite3_stmt *st;
	size_t i;
	int rc;

	sqlite3_reset(e);
	for (i = 0; i < NFIELDS(csv_columns); i++)
		sb_printf(&x->out, "%s\"%s\"", i ? "," : "", csv_columns[i]);
	x_raw(x, "\r\n");
	st = db_stmt(x->db, DB_MOD_EXPORT, EXP_PROPOSALS);
	sqlite3_bind_int64(st, 1, id);
	while ((rc = db_step(x->db, st, x->err)) == 1) {
		x_cstr(x, election, strlen(election));
		x_raw(x, ",");
		x_ccol(x, st, 2);
		for (i = 0; i < NFIELDS(owner_cols); i++) {
			x_raw(x, ",");
			if (owner_cols[i] == 1 || owner_cols[i] == 13)
				x_cint(x,
				       sqlite3_column_int64(st, owner_cols[i]));
			else
				x_ccol(x, st, owner_cols[i]);
		}
		x_raw(x, ",");
		x_cint(x, sqlite3_column_int64(st, 0));
		for (i = 3; i <= 5; i++) { /* ordinal, start, end */
			x_raw(x, ",");
			x_cint(x, sqlite3_column_int64(st, (int)i));
		}
		x_raw(x, ",");
		x_ccol(x, st, 6);
		x_raw(x, ",");
		x_ccol(x, st, 7);
		x_raw(x, ",");
		x_ccol(x, st, 16);
		x_raw(x, ",");
		x_ccol(x, st, 8);
		x_raw(x, ",");
		x_text_sha(x, st, 1);
		x_raw(x, ",\"" EXPORT_LICENCE_CSV "\"\r\n");
		if ((rc = x_flush(x, 0)))
			break;
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

/* The header row of a CSV export */
static void x_cheader(struct exp *x, const char *const *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(&x->out, "%s\"%s\"", i ? "," : "", cols[i]);
	x_raw(x, "\r\n");
}

/* Column col as a CSV field: "" when NULL, integers as digits */
static void x_ccell(struct exp *x, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_INTEGER)
		x_cint(x, sqlite3_column_int64(st, col));
	else
		x_ccol(x, st, col);
}

/*
 * candidates.csv: one row per candidate, in the neutral order, with the
 * published profile; links one a line in the database, separated by
 * spaces here (a link holds no space: material_url_check())
 */
static int export_csv_candidates(struct exp *x, int64_t id,
				 const char *election)
{
	sqlite3_stmt *st = db_stmt(x->db, DB_MOD_EXPORT, EXP_CANDIDATES);
	const char *l;
	struct sb links;
	int i, rc;

	sb_init(&links, 1 << 20);
	x_cheader(x, csv_candidate_columns, NFIELDS(csv_candidate_columns));
	sqlite3_bind_int64(st, 1, id);
	while ((rc = db_step(x->db, st, x->err)) == 1) {
		x_cstr(x, election, strlen(election));
		for (i = 0; i <= 4; i++) { /* slug, names, party, bio */
			x_raw(x, ",");
			x_ccol(x, st, i);
		}
		sb_reset(&links);
		l = (const char *)sqlite3_column_text(st, 5);
		for (l = l ? l : ""; *l; l++)
			sb_putc(&links, *l == '\n' ? ' ' : *l);
		x_raw(x, ",");
		x_cstr(x, links.buf ? links.buf : "", links.len);
		x_raw(x, ",");
		x_ccol(x, st, 6);
		x_raw(x, ",\"" EXPORT_LICENCE_CSV "\"\r\n");
		if (sb_error(&links))
			x->out.err = sb_error(&links);
		if ((rc = x_flush(x, 0)))
			break;
	}
	sqlite3_reset(st);
	sb_fini(&links);
	return rc < 0 ? rc : 0;
}

/* material.csv: one row per published item, as in the JSON's material */
static int export_csv_material(struct exp *x, int64_t id, const char *election)
{
	static const int cols[] = {12, 13, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	sqlite3_stmt *st = db_stmt(x->db, DB_MOD_EXPORT, EXP_MATERIAL);
	size_t i;
	int rc;

	x_cheader(x, csv_material_columns, NFIELDS(csv_material_columns));
	sqlite3_bind_int64(st, 1, id);
	while ((rc = db_step(x->db, st, x->err)) == 1) {
		x_cstr(x, election, strlen(election));
		x_raw(x, ",");
		x_ccol(x, st, 1);
		for (i = 0; i < NFIELDS(cols); i++) {
			x_raw(x, ",");
			x_ccell(x, st, cols[i]);
		}
		x_raw(x, ",\"" EXPORT_LICENCE_CSV "\"\r\n");
		if ((rc = x_flush(x, 0)))
			break;
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ entry */

/*
 * One read transaction makes the export a snapshot: an ingest that
 * commits meanwhile is either wholly in it or wholly out. The web
 * already reads each request in one; the CLI gets its own here.
 */
int compare_export(struct agora_db *db, const char *election,
		   enum export_format fmt, export_write_fn emit, void *ctx,
		   struct agora_error *err)
{
	struct exp x = {.db = db, .emit = emit, .ctx = ctx, .err = err};
	int own = sqlite3_get_autocommit(db_handle(db));
	sqlite3_stmt *e;
	int rc;

	if (own && (rc = db_begin(db, err)))
		return rc;
	sb_init(&x.out, 0);
	e = db_stmt(db, DB_MOD_EXPORT, EXP_ELECTION);
	sqlite3_bind_text(e, 1, election, -1, SQLITE_STATIC);
	rc = db_step(db, e, err);
	if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND, "no election '%s'",
				  election);
	if (rc < 0)
		goto out;
	switch (fmt) {
	case EXPORT_CSV:
		rc = export_csv(&x, e, election);
		break;
	case EXPORT_CSV_CANDIDATES:
		rc = export_csv_candidates(&x, sqlite3_column_int64(e, 0),
					   election);
		break;
	case EXPORT_CSV_MATERIAL:
		rc = export_csv_material(&x, sqlite3_column_int64(e, 0),
					 election);
		break;
	default:
		rc = export_json(&x, e);
	}
	if (!rc)
		rc = x_flush(&x, 1);
out:
	sqlite3_reset(e);
	sb_fini(&x.out);
	if (own)
		db_rollback(db); /* read only: nothing to commit */
	return rc;
}
