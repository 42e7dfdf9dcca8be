/*
 * editor.c - theme decisions, context notes and their audit entries.
 * Writers run inside the caller's BEGIN IMMEDIATE transaction; each
 * change and its audit entry commit together or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "editor.h"

enum editor_stmt {
	ED_REVIEW,
	ED_ITEM,
	ED_THEMES,
	ED_PROPOSAL_ELECTION,
	ED_THEME_ID,
	ED_PT_GET,
	ED_PT_SET,
	ED_PT_INSERT,
	ED_NOTE_INSERT,
	ED_NOTE_VERSION_INSERT,
	ED_NOTE_CURRENT,
	ED_NOTES,
	ED_NOTE_HISTORY,
	ED_NOTE_ELECTION,
	ED_AUDIT,
	ED_STMT__MAX
};

/* The proposals an election's voters see: its current programmes */
#define ITEM_COLUMNS                                                           \
	"SELECT p.id, c.slug, c.given_name, c.family_name, p.heading_path,"    \
	" p.text FROM proposal p"                                              \
	" JOIN current_document d ON d.id = p.document_id"                     \
	" JOIN candidate c ON c.id = d.candidate_id"

/* The current version of a note (n: the note table) */
#define NOTE_COLUMNS                                                           \
	"SELECT n.id, n.proposal_id, v.editor_id, v.version, v.body,"          \
	" v.sources, coalesce(u.display_name, ''), v.at, n.created_at"

static const char *const editor_sql[ED_STMT__MAX] = {
	[ED_REVIEW] = ITEM_COLUMNS
	" WHERE c.election_id = ?1"
	" AND (?2 IS NULL OR c.slug = ?2)"
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM proposal_theme pt"
	"  JOIN theme t ON t.id = pt.theme_id"
	"  WHERE pt.proposal_id = p.id AND t.slug = ?3))"
	" AND (?4 = 0 OR EXISTS (SELECT 1 FROM proposal_theme pt"
	"  WHERE pt.proposal_id = p.id AND pt.status = 'suggested')"
	"  OR NOT EXISTS (SELECT 1 FROM proposal_theme pt"
	"  WHERE pt.proposal_id = p.id))"
	" ORDER BY c.sort_key, c.id, d.id, p.ordinal"
	" LIMIT ?5 OFFSET ?6",
	[ED_ITEM] = ITEM_COLUMNS " WHERE c.election_id = ?1 AND p.id = ?2",
	[ED_THEMES] = "SELECT t.slug, t.label_fr, t.label_en, pt.origin,"
		      " pt.confidence, pt.status FROM proposal_theme pt"
		      " JOIN theme t ON t.id = pt.theme_id"
		      " WHERE pt.proposal_id = ?1 ORDER BY t.position",
	/* any version of the election's documents: notes stay attached */
	[ED_PROPOSAL_ELECTION] =
		"SELECT c.election_id FROM proposal p"
		" JOIN document d ON d.id = p.document_id"
		" JOIN candidate c ON c.id = d.candidate_id WHERE p.id = ?1",
	[ED_THEME_ID] = "SELECT id FROM theme WHERE slug = ?1 AND is_group = 0",
	[ED_PT_GET] = "SELECT status FROM proposal_theme"
		      " WHERE proposal_id = ?1 AND theme_id = ?2",
	[ED_PT_SET] = "UPDATE proposal_theme SET status = ?3, editor_id = ?4,"
		      " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		      " WHERE proposal_id = ?1 AND theme_id = ?2",
	[ED_PT_INSERT] =
		"INSERT INTO proposal_theme(proposal_id, theme_id, origin,"
		" confidence, status, editor_id, decided_at)"
		" VALUES (?1, ?2, 'editor', 1, 'confirmed', ?3,"
		" strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
	[ED_NOTE_INSERT] = "INSERT INTO note(proposal_id) VALUES (?1)",
	[ED_NOTE_VERSION_INSERT] =
		"INSERT INTO note_version(note_id, version, editor_id, body,"
		" sources) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ED_NOTE_CURRENT] =
		"SELECT v.version, v.body, v.sources FROM note_version v"
		" WHERE v.note_id = ?1 ORDER BY v.version DESC LIMIT 1",
	[ED_NOTES] = NOTE_COLUMNS
	" FROM note n JOIN note_version v ON v.note_id = n.id"
	" AND v.version = (SELECT max(version) FROM note_version"
	"  WHERE note_id = n.id)"
	" LEFT JOIN user u ON u.id = v.editor_id"
	" WHERE n.proposal_id = ?1 ORDER BY n.id",
	[ED_NOTE_HISTORY] = NOTE_COLUMNS
	" FROM note n JOIN note_version v ON v.note_id = n.id"
	" LEFT JOIN user u ON u.id = v.editor_id"
	" WHERE n.id = ?1 ORDER BY v.version DESC",
	[ED_NOTE_ELECTION] =
		"SELECT c.election_id FROM note n"
		" JOIN proposal p ON p.id = n.proposal_id"
		" JOIN document d ON d.id = p.document_id"
		" JOIN candidate c ON c.id = d.candidate_id WHERE n.id = ?1",
	/*
	 * Every editor entry names its proposal ("proposal:12"); the
	 * log is read whole (it is small next to the proposals).
	 */
	[ED_AUDIT] =
		"SELECT a.seq, a.at, coalesce(a.actor, 0),"
		" coalesce(u.display_name, ''), a.action, a.object, a.detail"
		" FROM audit a LEFT JOIN user u ON u.id = a.actor"
		" WHERE (a.action LIKE 'theme.%' OR a.action LIKE 'note.%')"
		" AND a.object LIKE 'proposal:%'"
		" AND CAST(substr(a.object, 10) AS INTEGER) IN ("
		"  SELECT p.id FROM proposal p"
		"  JOIN document d ON d.id = p.document_id"
		"  JOIN candidate c ON c.id = d.candidate_id"
		"  WHERE c.election_id = ?1)"
		" ORDER BY a.seq DESC LIMIT ?2",
};

int editor_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_EDITOR, editor_sql, ED_STMT__MAX,
				 err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum editor_stmt id)
{
	return db_stmt(db, DB_MOD_EDITOR, id);
}

static int nomem(struct agora_error *err)
{
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* Steps a statement that returns no row, then resets it */
static int exec_stmt(struct agora_db *db, sqlite3_stmt *st,
		     struct agora_error *err)
{
	int rc = db_step(db, st, err);

	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------- review */

static void item_fini(struct editor_item *it)
{
	size_t i;

	for (i = 0; i < it->nt; i++) {
		free(it->t[i].key);
		free(it->t[i].label_fr);
		free(it->t[i].label_en);
		free(it->t[i].origin);
		free(it->t[i].status);
	}
	free(it->t);
	free(it->candidate);
	free(it->given_name);
	free(it->family_name);
	free(it->heading_path);
	free(it->text);
}

void editor_review_fini(struct editor_review *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		item_fini(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int item_themes(struct agora_db *db, struct editor_item *it,
		       struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_THEMES);
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(st, 1, it->id);
	while ((rc = db_step(db, st, err)) > 0) {
		struct editor_theme *t;

		if (it->nt == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			void *p = realloc(it->t, ncap * sizeof(*it->t));

			if (!p) {
				rc = nomem(err);
				break;
			}
			it->t = p;
			cap = ncap;
		}
		t = &it->t[it->nt++];
		memset(t, 0, sizeof(*t));
		t->key = db_col_dup(st, 0);
		t->label_fr = db_col_dup(st, 1);
		t->label_en = db_col_dup(st, 2);
		t->origin = db_col_dup(st, 3);
		t->confidence = sqlite3_column_double(st, 4);
		t->status = db_col_dup(st, 5);
		if (!t->key || !t->label_fr || !t->label_en || !t->origin ||
		    !t->status) {
			rc = nomem(err);
			break;
		}
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

/* Reads the rows of st (ITEM_COLUMNS) into out, at most max */
static int read_items(struct agora_db *db, sqlite3_stmt *st, size_t max,
		      struct editor_review *out, struct agora_error *err)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(out->v = calloc(max, sizeof(*out->v))))
		return nomem(err);
	while ((rc = db_step(db, st, err)) > 0) {
		struct editor_item *it;

		if (out->n == max) {
			out->more = 1;
			break;
		}
		it = &out->v[out->n++];
		it->id = sqlite3_column_int64(st, 0);
		it->candidate = db_col_dup(st, 1);
		it->given_name = db_col_dup(st, 2);
		it->family_name = db_col_dup(st, 3);
		it->heading_path = db_col_dup(st, 4);
		it->text = db_col_dup(st, 5);
		if (!it->candidate || !it->given_name || !it->family_name ||
		    !it->heading_path || !it->text) {
			rc = nomem(err);
			break;
		}
	}
	sqlite3_reset(st);
	for (i = 0; rc >= 0 && i < out->n; i++)
		rc = item_themes(db, &out->v[i], err);
	if (rc < 0) {
		editor_review_fini(out);
		return rc;
	}
	return 0;
}

int editor_review_list(struct agora_db *db, int64_t election_id,
		       const struct editor_filter *f, struct editor_review *out,
		       struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_REVIEW);

	sqlite3_bind_int64(st, 1, election_id);
	if (f->candidate)
		sqlite3_bind_text(st, 2, f->candidate, -1, SQLITE_STATIC);
	if (f->theme)
		sqlite3_bind_text(st, 3, f->theme, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, f->unreviewed != 0);
	/* one more than a page: whether another page follows */
	sqlite3_bind_int(st, 5, EDITOR_PAGE_MAX + 1);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)f->page * EDITOR_PAGE_MAX);
	return read_items(db, st, EDITOR_PAGE_MAX, out, err);
}

int editor_review_item(struct agora_db *db, int64_t election_id,
		       int64_t proposal_id, struct editor_review *out,
		       struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_ITEM);
	int rc;

	sqlite3_bind_int64(st, 1, election_id);
	sqlite3_bind_int64(st, 2, proposal_id);
	if ((rc = read_items(db, st, 1, out, err)))
		return rc;
	if (!out->n) {
		editor_review_fini(out);
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no proposal %lld in this election",
				    (long long)proposal_id);
	}
	return 0;
}

/* ------------------------------------------------------ decisions */

/* AGORA_ENOTFOUND unless the proposal belongs to election_id */
static int proposal_in(struct agora_db *db, int64_t election_id,
		       int64_t proposal_id, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_PROPOSAL_ELECTION);
	int64_t e = 0;
	int rc;

	sqlite3_bind_int64(st, 1, proposal_id);
	if ((rc = db_step(db, st, err)) > 0)
		e = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (e != election_id || !e)
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no proposal %lld in this election",
				    (long long)proposal_id);
	return 0;
}

static int audit(struct agora_db *db, int64_t actor, const char *action,
		 int64_t proposal_id, const char *detail,
		 struct agora_error *err)
{
	char object[40];

	snprintf(object, sizeof(object), "proposal:%lld",
		 (long long)proposal_id);
	return auth_audit(db, actor, action, object, detail, err);
}

int editor_theme_decide(struct agora_db *db, int64_t election_id,
			int64_t editor, int64_t proposal_id, const char *theme,
			enum editor_decision d, int *changed,
			struct agora_error *err)
{
	static const char *const actions[] = {"theme.confirm", "theme.reject",
					      "theme.add"};
	const char *after = d == EDITOR_REJECT ? "rejected" : "confirmed";
	char before[16] = "", detail[200];
	sqlite3_stmt *st;
	int64_t theme_id = 0;
	int rc;

	if (changed)
		*changed = 0;
	if ((rc = proposal_in(db, election_id, proposal_id, err)))
		return rc;
	st = stmt(db, ED_THEME_ID);
	sqlite3_bind_text(st, 1, theme, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) > 0)
		theme_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (!theme_id)
		return agora_errorf(err, AGORA_ENOTFOUND, "no theme '%s'",
				    theme);
	st = stmt(db, ED_PT_GET);
	sqlite3_bind_int64(st, 1, proposal_id);
	sqlite3_bind_int64(st, 2, theme_id);
	if ((rc = db_step(db, st, err)) > 0)
		snprintf(before, sizeof(before), "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (!*before && d != EDITOR_ADD)
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "theme '%s' is not suggested for proposal "
				    "%lld",
				    theme, (long long)proposal_id);
	if (!strcmp(before, after))
		return 0;
	if (*before) {
		st = stmt(db, ED_PT_SET);
		sqlite3_bind_int64(st, 1, proposal_id);
		sqlite3_bind_int64(st, 2, theme_id);
		sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, editor);
	} else {
		st = stmt(db, ED_PT_INSERT);
		sqlite3_bind_int64(st, 1, proposal_id);
		sqlite3_bind_int64(st, 2, theme_id);
		sqlite3_bind_int64(st, 3, editor);
	}
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	/* theme keys are [a-z_]: nothing to escape in this JSON */
	snprintf(detail, sizeof(detail),
		 "{\"theme\":\"%s\",\"before\":%s%s%s,\"after\":\"%s\"}", theme,
		 *before ? "\"" : "", *before ? before : "null",
		 *before ? "\"" : "", after);
	if ((rc = audit(db, editor, actions[d], proposal_id, detail, err)))
		return rc;
	if (changed)
		*changed = 1;
	return 0;
}

/* ----------------------------------------------------------- notes */

static int url_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' &&
	       c != '\\' && c != '`' && c != '^' && c != '{' && c != '}' &&
	       c != '|';
}

/* 0 when s[0, n) is an absolute http(s) URL with a host */
static int url_ok(const char *s, size_t n)
{
	size_t i, p, host;

	if (n > 7 && !strncmp(s, "http://", 7))
		p = 7;
	else if (n > 8 && !strncmp(s, "https://", 8))
		p = 8;
	else
		return -1;
	if (n > EDITOR_URL_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!url_char_ok((unsigned char)s[i]))
			return -1;
	/* a host of letters, digits, dots and hyphens, or [an IPv6] */
	host = p;
	if (s[p] == '[') {
		while (p < n && s[p] != ']')
			p++;
		if (p == n)
			return -1;
		p++;
	} else {
		while (p < n && ((s[p] >= 'a' && s[p] <= 'z') ||
				 (s[p] >= 'A' && s[p] <= 'Z') ||
				 (s[p] >= '0' && s[p] <= '9') || s[p] == '.' ||
				 s[p] == '-'))
			p++;
		if (p == host || s[host] == '.' || s[host] == '-')
			return -1;
	}
	if (p < n && s[p] == ':') {
		size_t port = ++p;

		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == port || p - port > 5)
			return -1;
	}
	return p == n || s[p] == '/' || s[p] == '?' || s[p] == '#' ? 0 : -1;
}

int editor_sources_check(const char *text, char **out, struct agora_error *err)
{
	struct sb b;
	const char *s = text ? text : "", *e;
	int line = 0, links = 0, rc = 0;

	*out = NULL;
	sb_init(&b, (size_t)EDITOR_SOURCES_MAX * (EDITOR_URL_MAX + 1));
	for (; *s; s = *e ? e + 1 : e) {
		const char *a = s, *z;

		line++;
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		z = e;
		while (a < z && (*a == ' ' || *a == '\t' || *a == '\r'))
			a++;
		while (z > a &&
		       (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
			z--;
		if (a == z)
			continue;
		if (url_ok(a, (size_t)(z - a))) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "source line %d is not an http or "
					  "https link",
					  line);
			goto out;
		}
		if (++links > EDITOR_SOURCES_MAX) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "a note has at most %d sources",
					  EDITOR_SOURCES_MAX);
			goto out;
		}
		if (links > 1)
			sb_putc(&b, '\n');
		sb_append(&b, a, (size_t)(z - a));
	}
	if (!links) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "a note needs at least one source link");
		goto out;
	}
	if (sb_error(&b)) {
		rc = nomem(err);
		goto out;
	}
	*out = sb_detach(&b, NULL);
	if (!*out)
		rc = nomem(err);
out:
	sb_fini(&b);
	return rc;
}

/* The trimmed body, checked; *out borrowed from body */
static int body_check(const char *body, const char **out, size_t *n,
		      struct agora_error *err)
{
	const char *a = body ? body : "", *z;
	size_t bad;

	while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
		a++;
	z = a + strlen(a);
	while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r' ||
			 z[-1] == '\n'))
		z--;
	if (a == z)
		return agora_errorf(err, AGORA_EINVAL,
				    "a note cannot be empty");
	if ((size_t)(z - a) > EDITOR_NOTE_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "a note has at most %d bytes",
				    EDITOR_NOTE_MAX);
	if (!utf8_valid(a, (size_t)(z - a), &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "a note must be valid UTF-8");
	*out = a;
	*n = (size_t)(z - a);
	return 0;
}

/* {"note":N,"version":V,"body":"...","sources":"..."}, JSON-escaped */
static void json_str(struct sb *b, const char *s, size_t n)
{
	size_t i;

	sb_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c < 0x20) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_putc(b, (char)c);
		}
	}
	sb_putc(b, '"');
}

static int note_write(struct agora_db *db, int64_t editor, int64_t note_id,
		      int64_t proposal_id, int version, const char *body,
		      size_t nbody, const char *sources, const char *old_body,
		      const char *old_sources, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_NOTE_VERSION_INSERT);
	struct sb d;
	int rc;

	sqlite3_bind_int64(st, 1, note_id);
	sqlite3_bind_int(st, 2, version);
	sqlite3_bind_int64(st, 3, editor);
	sqlite3_bind_text(st, 4, body, (int)nbody, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, sources, -1, SQLITE_STATIC);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	/* before and after, whole: the log alone tells what changed */
	sb_init(&d, 4 * (EDITOR_NOTE_MAX +
			 EDITOR_SOURCES_MAX * (EDITOR_URL_MAX + 1)) +
			    256);
	sb_printf(&d, "{\"note\":%lld,\"version\":%d,\"before\":",
		  (long long)note_id, version);
	if (old_body) {
		sb_puts(&d, "{\"body\":");
		json_str(&d, old_body, strlen(old_body));
		sb_puts(&d, ",\"sources\":");
		json_str(&d, old_sources, strlen(old_sources));
		sb_puts(&d, "}");
	} else {
		sb_puts(&d, "null");
	}
	sb_puts(&d, ",\"after\":{\"body\":");
	json_str(&d, body, nbody);
	sb_puts(&d, ",\"sources\":");
	json_str(&d, sources, strlen(sources));
	sb_puts(&d, "}}");
	if (sb_error(&d))
		rc = nomem(err);
	else
		rc = audit(db, editor, old_body ? "note.edit" : "note.add",
			   proposal_id, d.buf, err);
	sb_fini(&d);
	return rc;
}

int editor_note_add(struct agora_db *db, int64_t election_id, int64_t editor,
		    int64_t proposal_id, const char *body, const char *sources,
		    int64_t *note_id, struct agora_error *err)
{
	const char *b;
	char *src = NULL;
	size_t nb;
	int64_t id;
	int rc;

	if ((rc = body_check(body, &b, &nb, err)) ||
	    (rc = editor_sources_check(sources, &src, err)) ||
	    (rc = proposal_in(db, election_id, proposal_id, err)))
		goto out;
	{
		sqlite3_stmt *st = stmt(db, ED_NOTE_INSERT);

		sqlite3_bind_int64(st, 1, proposal_id);
		if ((rc = exec_stmt(db, st, err)))
			goto out;
	}
	id = sqlite3_last_insert_rowid(db_handle(db));
	rc = note_write(db, editor, id, proposal_id, 1, b, nb, src, NULL, NULL,
			err);
	if (!rc && note_id)
		*note_id = id;
out:
	free(src);
	return rc;
}

int64_t editor_note_election(struct agora_db *db, int64_t note_id)
{
	sqlite3_stmt *st = stmt(db, ED_NOTE_ELECTION);
	int64_t e = 0;

	sqlite3_bind_int64(st, 1, note_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		e = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return e;
}

int editor_note_edit(struct agora_db *db, int64_t election_id, int64_t editor,
		     int64_t note_id, const char *body, const char *sources,
		     struct agora_error *err)
{
	struct editor_note_list h = {0};
	const char *b;
	char *src = NULL;
	size_t nb;
	int rc;

	if ((rc = body_check(body, &b, &nb, err)) ||
	    (rc = editor_sources_check(sources, &src, err)))
		goto out;
	if (!election_id || editor_note_election(db, note_id) != election_id) {
		rc = agora_errorf(err, AGORA_ENOTFOUND,
				  "no note %lld in this election",
				  (long long)note_id);
		goto out;
	}
	if ((rc = editor_note_history(db, note_id, &h, err)))
		goto out;
	/* the same words and links again: nothing to record */
	if (strlen(h.v[0].body) == nb && !memcmp(h.v[0].body, b, nb) &&
	    !strcmp(h.v[0].sources, src))
		goto out;
	rc = note_write(db, editor, note_id, h.v[0].proposal_id,
			h.v[0].version + 1, b, nb, src, h.v[0].body,
			h.v[0].sources, err);
out:
	editor_note_list_fini(&h);
	free(src);
	return rc;
}

void editor_note_list_fini(struct editor_note_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].body);
		free(l->v[i].sources);
		free(l->v[i].editor_name);
		free(l->v[i].at);
		free(l->v[i].created_at);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int read_notes(struct agora_db *db, sqlite3_stmt *st,
		      struct editor_note_list *out, struct agora_error *err)
{
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = db_step(db, st, err)) > 0) {
		struct editor_note *n;

		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 2;
			void *p = realloc(out->v, ncap * sizeof(*out->v));

			if (!p) {
				rc = nomem(err);
				break;
			}
			out->v = p;
			cap = ncap;
		}
		n = &out->v[out->n++];
		memset(n, 0, sizeof(*n));
		n->id = sqlite3_column_int64(st, 0);
		n->proposal_id = sqlite3_column_int64(st, 1);
		n->editor_id = sqlite3_column_int64(st, 2);
		n->version = sqlite3_column_int(st, 3);
		n->body = db_col_dup(st, 4);
		n->sources = db_col_dup(st, 5);
		n->editor_name = db_col_dup(st, 6);
		n->at = db_col_dup(st, 7);
		n->created_at = db_col_dup(st, 8);
		if (!n->body || !n->sources || !n->editor_name || !n->at ||
		    !n->created_at) {
			rc = nomem(err);
			break;
		}
	}
	sqlite3_reset(st);
	if (rc < 0) {
		editor_note_list_fini(out);
		return rc;
	}
	return 0;
}

int editor_notes(struct agora_db *db, int64_t proposal_id,
		 struct editor_note_list *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_NOTES);

	sqlite3_bind_int64(st, 1, proposal_id);
	return read_notes(db, st, out, err);
}

int editor_note_history(struct agora_db *db, int64_t note_id,
			struct editor_note_list *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_NOTE_HISTORY);
	int rc;

	sqlite3_bind_int64(st, 1, note_id);
	if ((rc = read_notes(db, st, out, err)))
		return rc;
	if (!out->n)
		return agora_errorf(err, AGORA_ENOTFOUND, "no note %lld",
				    (long long)note_id);
	return 0;
}

/* ----------------------------------------------------------- audit */

void editor_audit_list_fini(struct editor_audit_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].at);
		free(l->v[i].actor_name);
		free(l->v[i].action);
		free(l->v[i].object);
		free(l->v[i].detail);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int editor_audit(struct agora_db *db, int64_t election_id, size_t limit,
		 struct editor_audit_list *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ED_AUDIT);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!limit || !(out->v = calloc(limit, sizeof(*out->v))))
		return limit ? nomem(err) : 0;
	sqlite3_bind_int64(st, 1, election_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((rc = db_step(db, st, err)) > 0 && out->n < limit) {
		struct editor_audit_entry *a = &out->v[out->n++];

		a->seq = sqlite3_column_int64(st, 0);
		a->at = db_col_dup(st, 1);
		a->actor = sqlite3_column_int64(st, 2);
		a->actor_name = db_col_dup(st, 3);
		a->action = db_col_dup(st, 4);
		a->object = db_col_dup(st, 5);
		a->detail = db_col_dup(st, 6);
		if (!a->at || !a->actor_name || !a->action || !a->object ||
		    !a->detail) {
			rc = nomem(err);
			break;
		}
	}
	sqlite3_reset(st);
	if (rc < 0) {
		editor_audit_list_fini(out);
		return rc;
	}
	return 0;
}
