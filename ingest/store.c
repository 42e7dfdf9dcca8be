/*
 * store.c - the database half of ingest: one document in one write
 * transaction (all or nothing), and `agora verify`, which re-extracts
 * every stored original and checks every proposal slice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

enum ingest_stmt {
	ST_ELECTION_ID,
	ST_CANDIDATE_FIND,
	ST_CANDIDATE_INSERT,
	ST_DOCUMENT_SAME,
	ST_DOCUMENT_NEXT_VERSION,
	ST_DOCUMENT_INSERT,
	ST_PROPOSAL_INSERT,
	ST_FTS_INSERT,
	ST_PROPOSAL_THEME_INSERT,
	ST_THEME_ID,
	ST_DOCUMENT_ALL,
	ST_DOCUMENT_PROPOSALS,
	ST_FTS_CHECK,
	ST_FTS_ROWS,
	ST_DOCUMENT_PENDING_SAME,
	ST_CANDIDATE_BY_SLUGS,
	ST_DOCUMENT_INFO,
	ST_DOCUMENT_QUEUE,
	ST_DOCUMENT_VERSIONS,
	ST_DOCUMENT_STATUS_SET,
	ST_DECISION_INSERT,
	ST_PROPOSAL_LIST,
	INGEST_STMT__MAX
};

static const char *const ingest_sql[INGEST_STMT__MAX] = {
	[ST_ELECTION_ID] = "SELECT id FROM election WHERE slug = ?1",
	[ST_CANDIDATE_FIND] = "SELECT id FROM candidate"
			      " WHERE election_id = ?1 AND slug = ?2",
	[ST_CANDIDATE_INSERT] =
		"INSERT INTO candidate(election_id, slug, given_name,"
		" family_name, party, sort_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_DOCUMENT_SAME] =
		/* the same bytes as the current version: nothing to do (an
		 * older version sent again becomes the newest) */
		"SELECT d.id, d.version, (SELECT count(*) FROM proposal p"
		" WHERE p.document_id = d.id) FROM current_document d"
		" WHERE d.candidate_id = ?1 AND d.kind = 'programme'"
		" AND d.title = ?2 AND d.sha256 = ?3",
	[ST_DOCUMENT_NEXT_VERSION] =
		"SELECT coalesce(max(version), 0) + 1 FROM document"
		" WHERE candidate_id = ?1 AND kind = 'programme' AND title = ?2",
	[ST_DOCUMENT_INSERT] =
		"INSERT INTO document(candidate_id, kind, version, title,"
		" media_type, format, source_url, sha256, original, extracted,"
		" extractor_version, status, submitted_by)"
		" VALUES (?1, 'programme', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12)",
	[ST_PROPOSAL_INSERT] =
		"INSERT INTO proposal(document_id, ordinal, start, end, kind,"
		" heading_path, label, page, text)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_FTS_INSERT] = "INSERT INTO proposal_fts(rowid, text) VALUES (?1, ?2)",
	[ST_FTS_CHECK] = "INSERT INTO proposal_fts(proposal_fts)"
			 " VALUES ('integrity-check')",
	/* rows of the index (its docsize table) against current proposals */
	[ST_FTS_ROWS] =
		"SELECT (SELECT count(*) FROM proposal_searchable s"
		"  WHERE NOT EXISTS (SELECT 1 FROM proposal_fts_docsize z"
		"  WHERE z.id = s.id)),"
		" (SELECT count(*) FROM proposal_fts_docsize z"
		"  WHERE NOT EXISTS (SELECT 1 FROM proposal_searchable s"
		"  WHERE s.id = z.id))",
	[ST_PROPOSAL_THEME_INSERT] =
		"INSERT INTO proposal_theme(proposal_id, theme_id, origin,"
		" confidence) VALUES (?1, ?2, ?3, ?4)",
	[ST_THEME_ID] = "SELECT id FROM theme WHERE slug = ?1",
	[ST_CANDIDATE_BY_SLUGS] = "SELECT c.id FROM candidate c JOIN election e"
				  " ON e.id = c.election_id"
				  " WHERE e.slug = ?1 AND c.slug = ?2",
	/* the same bytes already waiting for moderation */
	[ST_DOCUMENT_PENDING_SAME] =
		"SELECT d.id, d.version, (SELECT count(*) FROM proposal p"
		" WHERE p.document_id = d.id) FROM document d"
		" WHERE d.candidate_id = ?1 AND d.kind = 'programme'"
		" AND d.title = ?2 AND d.sha256 = ?3 AND d.status = 'pending'",
/* the columns of struct ingest_doc_info, in its order */
#define DOC_INFO_COLS \
	"d.id, d.candidate_id, c.election_id, d.version, d.title, d.format," \
	" d.status, coalesce(d.source_url, ''), d.submitted_at, e.slug," \
	" c.slug, trim(c.given_name || ' ' || c.family_name)," \
	" coalesce(x.reason, '')," \
	" coalesce((SELECT o.id FROM document o" \
	"  WHERE o.candidate_id = d.candidate_id AND o.kind = d.kind" \
	"  AND o.title = d.title AND o.status = 'published'" \
	"  AND o.version < d.version ORDER BY o.version DESC LIMIT 1), 0)," \
	" (SELECT count(*) FROM proposal p WHERE p.document_id = d.id)," \
	" coalesce(d.submitted_by, 0)" \
	" FROM document d JOIN candidate c ON c.id = d.candidate_id" \
	" JOIN election e ON e.id = c.election_id" \
	" LEFT JOIN document_decision x ON x.document_id = d.id"
	[ST_DOCUMENT_INFO] = "SELECT " DOC_INFO_COLS " WHERE d.id = ?1",
	[ST_DOCUMENT_QUEUE] = "SELECT " DOC_INFO_COLS
			      " WHERE d.status = 'pending'"
			      " AND d.kind = 'programme'"
			      " AND (?1 = 0 OR c.election_id = ?1)"
			      " ORDER BY d.id",
	[ST_DOCUMENT_VERSIONS] = "SELECT " DOC_INFO_COLS
				 " WHERE d.candidate_id = ?1"
				 " AND d.kind = 'programme'"
				 " ORDER BY d.title, d.version DESC",
	[ST_DOCUMENT_STATUS_SET] = "UPDATE document SET status = ?2"
				   " WHERE id = ?1 AND status = 'pending'",
	[ST_DECISION_INSERT] = "INSERT INTO document_decision(document_id,"
			       " decision, reason, decided_by)"
			       " VALUES (?1, ?2, ?3, nullif(?4, 0))",
	[ST_PROPOSAL_LIST] = "SELECT id, heading_path, text, coalesce(page, 0)"
			     " FROM proposal WHERE document_id = ?1"
			     " ORDER BY ordinal",
	[ST_DOCUMENT_ALL] = "SELECT id, format, sha256, original, extracted,"
			    " extractor_version, title FROM document ORDER BY id",
	[ST_DOCUMENT_PROPOSALS] = "SELECT id, start, end, text FROM proposal"
				  " WHERE document_id = ?1 ORDER BY ordinal",
};

int ingest_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_INGEST, ingest_sql,
				 INGEST_STMT__MAX, err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum ingest_stmt id)
{
	return db_stmt(db, DB_MOD_INGEST, id);
}

/*
 * Resets every statement of the module: a SELECT left on a row keeps
 * its read snapshot open after the transaction, and on a connection
 * that writes again later (the web's) the next BEGIN IMMEDIATE then
 * fails with SQLITE_BUSY_SNAPSHOT ("database is locked").
 */
static void reset_all(struct agora_db *db)
{
	int i;

	for (i = 0; i < INGEST_STMT__MAX; i++)
		sqlite3_reset(stmt(db, (enum ingest_stmt)i));
}

/*
 * Splits "Claire Mercier" into given "Claire" and family "Mercier": the
 * last word is the family name unless the caller said otherwise. Names
 * with particles ("de Villepin") should pass --family-name.
 */
static int split_name(const struct ingest_request *req, struct sb *given,
		      struct sb *family)
{
	const char *name = req->candidate, *sp;

	if (req->family_name && *req->family_name) {
		size_t nl = strlen(name), fl = strlen(req->family_name);

		sb_puts(family, req->family_name);
		if (req->given_name)
			sb_puts(given, req->given_name);
		else if (nl > fl + 1 && name[nl - fl - 1] == ' ' &&
			 !strcmp(name + nl - fl, req->family_name))
			/* "Jean de La Fontaine" with family "de La Fontaine" */
			sb_append(given, name, nl - fl - 1);
	} else {
		sp = strrchr(name, ' ');
		if (sp) {
			sb_append(given, name, (size_t)(sp - name));
			sb_puts(family, sp + 1);
		} else {
			sb_puts(family, name);
		}
	}
	return sb_error(given) ? sb_error(given) : sb_error(family);
}

/*
 * Finds or creates the candidate; returns its id in *id. The slug is
 * made from the name unless want_slug gives it; *created (may be NULL)
 * says whether the row is new.
 */
static int candidate_ensure(struct agora_db *db, int64_t election_id,
			    const struct ingest_request *req,
			    const char *want_slug, int64_t *id, int *created,
			    struct agora_error *err)
{
	struct sb slug, given, family, key;
	sqlite3_stmt *st;
	int rc;

	sb_init(&slug, 256);
	sb_init(&given, 1024);
	sb_init(&family, 1024);
	sb_init(&key, 4096);
	if (created)
		*created = 0;
	if ((want_slug ? sb_puts(&slug, want_slug)
		       : slugify(&slug, req->candidate)) ||
	    split_name(req, &given, &family)) {
		rc = agora_errorf(err, AGORA_EINVAL, "candidate name '%s' is "
				  "too long", req->candidate);
		goto out;
	}
	if (!slug.len) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "candidate name '%s' has no letter or digit",
				  req->candidate);
		goto out;
	}
	st = stmt(db, ST_CANDIDATE_FIND);
	sqlite3_bind_int64(st, 1, election_id);
	sqlite3_bind_text(st, 2, slug.buf, (int)slug.len, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		*id = sqlite3_column_int64(st, 0);
		/*
		 * reset now: a statement left on its row keeps its read
		 * transaction open after the caller's COMMIT, and that
		 * connection's next write fails at once with "database is
		 * locked" (a stale snapshot) once another process wrote
		 */
		sqlite3_reset(st);
		rc = 0;
		goto out;
	}
	/* the alphabetical rule: folded family name, then given name */
	text_fold(&key, family.buf, family.len, 0);
	sb_putc(&key, '\x1f');
	text_fold(&key, given.buf, given.len, 0);
	st = stmt(db, ST_CANDIDATE_INSERT);
	sqlite3_bind_int64(st, 1, election_id);
	sqlite3_bind_text(st, 2, slug.buf, (int)slug.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, given.buf, (int)given.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, family.buf, (int)family.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, req->party ? req->party : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 6, key.buf, (int)key.len, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		goto out;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	if (created)
		*created = 1;
	rc = 0;
out:
	sb_fini(&slug);
	sb_fini(&given);
	sb_fini(&family);
	sb_fini(&key);
	return rc;
}

static void count_theme(struct ingest_result *res, const char *theme)
{
	size_t i;

	/*
	 * theme_suggest names themes by the taxonomy's own strings: the
	 * pointers meet first, strcmp only for a name from elsewhere (a
	 * strcmp for every other theme counted was 0.3% of HTML ingest)
	 */
	for (i = 0; i < res->nthemes; i++)
		if (res->themes[i].theme == theme) {
			res->themes[i].n++;
			return;
		}
	for (i = 0; i < res->nthemes; i++)
		if (!strcmp(res->themes[i].theme, theme)) {
			res->themes[i].n++;
			return;
		}
	if (res->nthemes < sizeof(res->themes) / sizeof(res->themes[0])) {
		res->themes[res->nthemes].theme = theme;
		res->themes[res->nthemes].n = 1;
		res->nthemes++;
	}
}

static int theme_id(struct agora_db *db, const char *key, int64_t *id,
		    struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ST_THEME_ID);
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return agora_errorf(err, AGORA_EINVAL,
				    "theme rules name unknown theme '%s'", key);
	*id = sqlite3_column_int64(st, 0);
	return 0;
}

/* The theme ids of the taxonomy's keys, looked up once per document */
struct theme_ids {
	const struct theme_def *tax;
	size_t n;
	int64_t id[64];
};

static int theme_ids_load(struct agora_db *db, struct theme_ids *t,
			  struct agora_error *err)
{
	size_t i;
	int rc;

	t->tax = theme_taxonomy(&t->n);
	if (!t->tax || t->n > 64)
		return agora_errorf(err, AGORA_EINVAL,
				    "the built-in theme taxonomy is malformed");
	for (i = 0; i < t->n; i++)
		if ((rc = theme_id(db, t->tax[i].key, &t->id[i], err)))
			return rc;
	return 0;
}

static int64_t theme_ids_find(const struct theme_ids *t, const char *key)
{
	size_t i;

	/*
	 * theme_suggest names themes by the taxonomy's own strings: the
	 * pointers meet first (strcmp here was 1% of HTML ingest)
	 */
	for (i = 0; i < t->n; i++)
		if (t->tax[i].key == key)
			return t->id[i];
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->tax[i].key, key))
			return t->id[i];
	return -1;
}

/*
 * Merges heading suggestions (computed once per heading path: siblings
 * share it) with a proposal's own, one entry per theme, the more
 * confident origin winning, best first; returns the count (<= max).
 */
static size_t merge_suggestions(const struct theme_suggestion *a, size_t na,
				const struct theme_suggestion *b, size_t nb,
				struct theme_suggestion *out, size_t max)
{
	struct theme_suggestion all[16], t;
	size_t n = 0, i, k;

	for (i = 0; i < na + nb && n < 16; i++) {
		const struct theme_suggestion *s = i < na ? &a[i] : &b[i - na];

		for (k = 0; k < n; k++) /* pointers first, as count_theme */
			if (all[k].theme == s->theme)
				break;
		if (k == n)
			for (k = 0; k < n; k++)
				if (!strcmp(all[k].theme, s->theme))
					break;
		if (k == n)
			all[n++] = *s;
		else if (s->confidence > all[k].confidence)
			all[k] = *s;
	}
	for (i = 1; i < n; i++) /* insertion sort, best first */
		for (k = i; k > 0 && all[k].confidence > all[k - 1].confidence;
		     k--) {
			t = all[k];
			all[k] = all[k - 1];
			all[k - 1] = t;
		}
	for (i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return i;
}

/* Writes the proposals and their suggested themes of one document */
static int store_proposals(struct agora_db *db,
			   const struct theme_rules *rules,
			   const struct ingest_doc *doc,
			   const struct ingest_segments *seg, int64_t doc_id,
			   int searchable, struct ingest_result *res,
			   struct agora_error *err)
{
	struct theme_suggestion own[4], head[4], sugg[4];
	struct theme_ids ids;
	struct fr_stemmer *stemmer;
	const char *last_path = NULL;
	sqlite3_stmt *st;
	int64_t pid, tid;
	size_t i, k, ns, nhead = 0, nown;
	int rc = 0;

	if ((rc = theme_ids_load(db, &ids, err)))
		return rc;
	/*
	 * The connection's stemmer, kept from one document to the next and
	 * shared with the FTS5 tokenizer: its word cache is what makes
	 * tokenizing cheap. A new stemmer per document started cold (and
	 * cost a 0.7 MB calloc; 81 small Markdown files paid it 81 times):
	 * HTML 7.1 -> 8.2 MB/s, Markdown 4.4 -> 5.2 (same run).
	 */
	stemmer = db_stemmer(db);
	if (!stemmer)
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot create the French stemmer");
	for (i = 0; i < seg->n; i++) {
		const struct ingest_proposal *p = &seg->v[i];
		const char *path = p->heading_path ? p->heading_path : "";

		/*
		 * Themes before the inserts: theme_suggest reads the text
		 * last (fr_tokenize_keep) and the stemmer keeps its tokens,
		 * which the FTS5 tokenizer then replays for the index instead
		 * of finding and looking up every word again.
		 */
		ns = 0;
		if (rules) {
			if (!last_path || strcmp(last_path, path)) {
				nhead = theme_suggest(rules, stemmer, path,
						      NULL, NULL, 0, head, 4);
				last_path = path;
			}
			nown = theme_suggest(rules, stemmer, NULL, p->label,
					     doc->text.buf + p->start,
					     p->end - p->start, own, 4);
			ns = merge_suggestions(head, nhead, own, nown, sugg,
					       4);
		}
		st = stmt(db, ST_PROPOSAL_INSERT);
		sqlite3_bind_int64(st, 1, doc_id);
		sqlite3_bind_int64(st, 2, (int64_t)i + 1);
		sqlite3_bind_int64(st, 3, (int64_t)p->start);
		sqlite3_bind_int64(st, 4, (int64_t)p->end);
		sqlite3_bind_text(st, 5, p->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, path, -1, SQLITE_STATIC);
		if (p->label)
			sqlite3_bind_text(st, 7, p->label, -1, SQLITE_STATIC);
		if (p->page > 0)
			sqlite3_bind_int(st, 8, p->page);
		sqlite3_bind_text(st, 9, doc->text.buf + p->start,
				  (int)(p->end - p->start), SQLITE_STATIC);
		if ((rc = db_step(db, st, err)) < 0)
			goto out;
		pid = sqlite3_last_insert_rowid(db_handle(db));
		/*
		 * The new version is the current one: search sees it. A
		 * pending one enters the index when it is published (the
		 * schema's document_publish trigger).
		 */
		if (searchable) {
			st = stmt(db, ST_FTS_INSERT);
			sqlite3_bind_int64(st, 1, pid);
			sqlite3_bind_text(st, 2, doc->text.buf + p->start,
					  (int)(p->end - p->start),
					  SQLITE_STATIC);
			if ((rc = db_step(db, st, err)) < 0)
				goto out;
		}
		for (k = 0; k < ns; k++) {
			if ((tid = theme_ids_find(&ids, sugg[k].theme)) < 0) {
				rc = agora_errorf(err, AGORA_EINVAL,
						  "theme rules name unknown "
						  "theme '%s'",
						  sugg[k].theme);
				goto out;
			}
			st = stmt(db, ST_PROPOSAL_THEME_INSERT);
			sqlite3_bind_int64(st, 1, pid);
			sqlite3_bind_int64(st, 2, tid);
			sqlite3_bind_text(st, 3,
					  theme_origin_name(sugg[k].origin), -1,
					  SQLITE_STATIC);
			sqlite3_bind_double(st, 4, sugg[k].confidence);
			if ((rc = db_step(db, st, err)) < 0)
				goto out;
			count_theme(res, sugg[k].theme);
		}
	}
	rc = 0;
out:
	return rc;
}

/*
 * Names, titles and URLs are shown on every page and in every export:
 * valid UTF-8, no control characters, a sane length, and for the URL a
 * web address. NULL and "" are allowed (the caller checks required ones).
 */
static int check_field(const char *what, const char *v, size_t max,
		       struct agora_error *err)
{
	return v ? text_check(what, v, 0, max, 0, err) : 0;
}

static int check_request(const struct ingest_request *req,
			 struct agora_error *err)
{
	int rc;

	if (!req->candidate_slug && (!req->candidate || !*req->candidate))
		return agora_errorf(err, AGORA_EINVAL,
				    "a candidate name is required");
	if ((rc = check_field("the candidate name", req->candidate, 200, err)) ||
	    (rc = check_field("the given name", req->given_name, 200, err)) ||
	    (rc = check_field("the family name", req->family_name, 200, err)) ||
	    (rc = check_field("the party", req->party, 200, err)) ||
	    (rc = check_field("the title", req->title, 500, err)) ||
	    (rc = check_field("the source URL", req->source_url, 2000, err)))
		return rc;
	if (req->source_url && *req->source_url &&
	    strncmp(req->source_url, "https://", 8) &&
	    strncmp(req->source_url, "http://", 7))
		return agora_errorf(err, AGORA_EINVAL,
				    "the source URL '%s' is not an http(s) "
				    "address",
				    req->source_url);
	return 0;
}

/*
 * Debian builds SQLite with SECURE_DELETE, and every connection keeps
 * it (set_pragmas): deleted rows and freed pages are zeroed, so a
 * signed-out session, a withdrawn support or a replaced password hash
 * leaves no trace in the file. An ingest transaction deletes none of
 * those: what it frees is FTS5's segments of public programme text,
 * merged into new ones at the commit (and the index entries of a
 * superseded version, public too). Zeroing them is 1.3% of ingest's
 * instructions on the real corpus (bench/README.md, "FTS5 merge
 * settings"), so ingest's own transaction runs without it; the setting
 * is per connection, and put back whatever way the transaction ends.
 */
static void secure_delete(struct agora_db *db, int on)
{
	(void)sqlite3_exec(db_handle(db),
			   on ? "PRAGMA secure_delete=ON"
			      : "PRAGMA secure_delete=OFF",
			   NULL, NULL, NULL);
}

int ingest_document(struct agora_db *db, const struct theme_rules *rules,
		    const struct ingest_request *req, const char *p, size_t n,
		    struct ingest_result *res, struct agora_error *err)
{
	struct ingest_doc doc;
	struct ingest_segments seg = {0};
	enum ingest_format fmt = req->format;
	const char *title;
	sqlite3_stmt *st;
	int64_t election_id;
	int rc;

	memset(res, 0, sizeof(*res));
	ingest_doc_init(&doc);
	if ((rc = check_request(req, err)))
		goto out;
	if (fmt == INGEST_AUTO)
		fmt = ingest_detect(p, n, req->title);
	res->format = fmt;
	res->bytes = n;
	/* the pure stages first: bad input is refused before any write */
	if ((rc = ingest_extract(fmt, p, n, &req->limits, &doc, err)))
		goto out;
	if ((rc = ingest_segment(&doc, &req->limits, &seg, err)))
		goto out;
	sha256_hex(p, n, res->sha256);
	title = req->title && *req->title ? req->title
		: doc.title && *doc.title ? doc.title
					  : "programme";

	if ((rc = db_begin_write(db, err)))
		goto out;
	secure_delete(db, 0);
	st = stmt(db, ST_ELECTION_ID);
	sqlite3_bind_text(st, 1, req->election, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		goto rollback;
	if (rc == 0) {
		rc = agora_errorf(err, AGORA_ENOTFOUND,
				  "no election '%s' (create it with 'agora "
				  "election add')",
				  req->election);
		goto rollback;
	}
	election_id = sqlite3_column_int64(st, 0);
	if (req->candidate_slug) {
		st = stmt(db, ST_CANDIDATE_FIND);
		sqlite3_bind_int64(st, 1, election_id);
		sqlite3_bind_text(st, 2, req->candidate_slug, -1,
				  SQLITE_STATIC);
		if ((rc = db_step(db, st, err)) < 0)
			goto rollback;
		if (rc == 0) {
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "no candidate '%s' in election '%s'",
					  req->candidate_slug, req->election);
			goto rollback;
		}
		res->candidate_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	} else if ((rc = candidate_ensure(db, election_id, req, NULL,
					  &res->candidate_id, NULL, err))) {
		goto rollback;
	}

	/* the same bytes again: nothing to do, say so */
	st = stmt(db, req->pending ? ST_DOCUMENT_PENDING_SAME
				   : ST_DOCUMENT_SAME);
	sqlite3_bind_int64(st, 1, res->candidate_id);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, res->sha256, 64, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		goto rollback;
	if (rc == 1) {
		res->duplicate = 1;
		res->document_id = sqlite3_column_int64(st, 0);
		res->version = sqlite3_column_int(st, 1);
		res->proposals = (size_t)sqlite3_column_int64(st, 2);
		rc = 0;
		goto rollback;
	}

	st = stmt(db, ST_DOCUMENT_NEXT_VERSION);
	sqlite3_bind_int64(st, 1, res->candidate_id);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto rollback;
	res->version = sqlite3_column_int(st, 0);

	st = stmt(db, ST_DOCUMENT_INSERT);
	sqlite3_bind_int64(st, 1, res->candidate_id);
	sqlite3_bind_int(st, 2, res->version);
	sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ingest_format_media_type(fmt), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ingest_format_name(fmt), -1, SQLITE_STATIC);
	if (req->source_url && *req->source_url)
		sqlite3_bind_text(st, 6, req->source_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, res->sha256, 64, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 8, p, n, SQLITE_STATIC);
	sqlite3_bind_text64(st, 9, doc.text.buf, doc.text.len, SQLITE_STATIC,
			    SQLITE_UTF8);
	sqlite3_bind_int(st, 10, INGEST_EXTRACTOR_VERSION);
	sqlite3_bind_text(st, 11, req->pending ? "pending" : "published", -1,
			  SQLITE_STATIC);
	if (req->submitted_by > 0)
		sqlite3_bind_int64(st, 12, req->submitted_by);
	if ((rc = db_step(db, st, err)) < 0)
		goto rollback;
	res->document_id = sqlite3_last_insert_rowid(db_handle(db));

	if ((rc = store_proposals(db, rules, &doc, &seg, res->document_id,
				  !req->pending, res, err)))
		goto rollback;
	res->proposals = seg.n;
	reset_all(db); /* before COMMIT: see still_running(), core/db.c */
	if ((rc = db_commit(db, err)))
		goto rollback;
	goto out;
rollback:
	reset_all(db);
	db_rollback(db);
out:
	reset_all(db);
	secure_delete(db, 1);
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
	return rc;
}

/* ------------------------------------------------------------ moderation */

void ingest_doc_info_fini(struct ingest_doc_info *d)
{
	free(d->title);
	free(d->format);
	free(d->status);
	free(d->source_url);
	free(d->submitted_at);
	free(d->election);
	free(d->candidate);
	free(d->candidate_name);
	free(d->reason);
	memset(d, 0, sizeof(*d));
}

static int dup_col(sqlite3_stmt *st, int i, char **out)
{
	const char *s = db_col_text(st, i);

	*out = strdup(s ? s : "");
	return *out ? 0 : AGORA_ENOMEM;
}

/* Reads DOC_INFO_COLS from the statement's current row */
static int doc_info_row(sqlite3_stmt *st, struct ingest_doc_info *d,
			struct agora_error *err)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(st, 0);
	d->candidate_id = sqlite3_column_int64(st, 1);
	d->election_id = sqlite3_column_int64(st, 2);
	d->version = sqlite3_column_int(st, 3);
	d->previous_id = sqlite3_column_int64(st, 13);
	d->proposals = (size_t)sqlite3_column_int64(st, 14);
	d->submitted_by = sqlite3_column_int64(st, 15);
	if (dup_col(st, 4, &d->title) || dup_col(st, 5, &d->format) ||
	    dup_col(st, 6, &d->status) || dup_col(st, 7, &d->source_url) ||
	    dup_col(st, 8, &d->submitted_at) || dup_col(st, 9, &d->election) ||
	    dup_col(st, 10, &d->candidate) ||
	    dup_col(st, 11, &d->candidate_name) ||
	    dup_col(st, 12, &d->reason)) {
		ingest_doc_info_fini(d);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

int ingest_candidate_ensure(struct agora_db *db, const char *election,
			    const char *slug, const char *name, int64_t *id,
			    int *created, struct agora_error *err)
{
	struct ingest_request req = {.election = election, .candidate = name};
	sqlite3_stmt *st = stmt(db, ST_ELECTION_ID);
	int64_t eid;
	int rc;

	sqlite3_bind_text(st, 1, election, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	eid = rc > 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (!rc)
		return agora_errorf(err, AGORA_ENOTFOUND, "no election '%s'",
				    election);
	return candidate_ensure(db, eid, &req, slug, id, created, err);
}

int ingest_candidate_id(struct agora_db *db, const char *election,
			const char *candidate, int64_t *id,
			struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ST_CANDIDATE_BY_SLUGS);
	int rc;

	sqlite3_bind_text(st, 1, election, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, candidate, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc == 1) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = agora_errorf(err, AGORA_ENOTFOUND,
				  "no candidate '%s' in election '%s'",
				  candidate, election);
	}
	sqlite3_reset(st);
	return rc;
}

int ingest_document_info(struct agora_db *db, int64_t id,
			 struct ingest_doc_info *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ST_DOCUMENT_INFO);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, err);
	if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND, "no document %lld",
				  (long long)id);
	else if (rc == 1)
		rc = doc_info_row(st, out, err);
	sqlite3_reset(st);
	return rc;
}

int ingest_document_list(struct agora_db *db, int64_t election_id,
			 int64_t candidate_id,
			 int (*fn)(void *ctx, const struct ingest_doc_info *d),
			 void *ctx, struct agora_error *err)
{
	struct ingest_doc_info d;
	sqlite3_stmt *st;
	int rc;

	st = stmt(db, candidate_id ? ST_DOCUMENT_VERSIONS : ST_DOCUMENT_QUEUE);
	sqlite3_bind_int64(st, 1, candidate_id ? candidate_id : election_id);
	while ((rc = db_step(db, st, err)) == 1) {
		if ((rc = doc_info_row(st, &d, err)))
			break;
		rc = fn(ctx, &d);
		ingest_doc_info_fini(&d);
		if (rc)
			break;
	}
	sqlite3_reset(st);
	return rc;
}

int ingest_document_proposals(struct agora_db *db, int64_t document_id,
			      int (*fn)(void *ctx, int64_t id,
					const char *heading_path,
					const char *text, int page),
			      void *ctx, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ST_PROPOSAL_LIST);
	int rc;

	sqlite3_bind_int64(st, 1, document_id);
	while ((rc = db_step(db, st, err)) == 1)
		if ((rc = fn(ctx, sqlite3_column_int64(st, 0),
			     db_col_text(st, 1), db_col_text(st, 2),
			     sqlite3_column_int(st, 3))))
			break;
	sqlite3_reset(st);
	return rc;
}

int ingest_moderate(struct agora_db *db, int64_t document_id, int publish,
		    const char *reason, int64_t user_id,
		    struct agora_error *err)
{
	const char *decision = publish ? "published" : "rejected";
	sqlite3_stmt *st;
	int rc;

	if (!reason)
		reason = "";
	if (!publish && !*reason)
		return agora_errorf(err, AGORA_EINVAL,
				    "a rejection needs a reason, which the "
				    "candidate reads");
	if ((rc = check_field("the reason", reason, 2000, err)))
		return rc;
	st = stmt(db, ST_DOCUMENT_STATUS_SET);
	sqlite3_bind_int64(st, 1, document_id);
	sqlite3_bind_text(st, 2, decision, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	sqlite3_reset(st);
	if (sqlite3_changes(db_handle(db)) != 1)
		return agora_errorf(err, AGORA_EINVAL,
				    "document %lld is not waiting for "
				    "moderation",
				    (long long)document_id);
	st = stmt(db, ST_DECISION_INSERT);
	sqlite3_bind_int64(st, 1, document_id);
	sqlite3_bind_text(st, 2, decision, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, user_id);
	rc = db_step(db, st, err);
	reset_all(db);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- verify */

/* One line of the report to cb, when the caller set one */
static void report_line(const struct verify_report *r,
			void (*cb)(void *ctx, const char *line),
			const char *fmt, va_list ap)
{
	char line[1024];

	if (!cb)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	cb(r->ctx, line);
}

static void failure(struct verify_report *r, const char *fmt, ...)
	AGORA_PRINTF(2, 3);
static void note(struct verify_report *r, const char *fmt, ...)
	AGORA_PRINTF(2, 3);

static void failure(struct verify_report *r, const char *fmt, ...)
{
	va_list ap;

	r->failures++;
	va_start(ap, fmt);
	report_line(r, r->on_failure, fmt, ap);
	va_end(ap);
}

static void note(struct verify_report *r, const char *fmt, ...)
{
	va_list ap;

	r->other_extractor++;
	va_start(ap, fmt);
	report_line(r, r->on_note, fmt, ap);
	va_end(ap);
}

/* Checks the proposals of one document against its stored extraction */
static int verify_proposals(struct agora_db *db, int64_t doc_id,
			    const char *extracted, size_t xlen,
			    struct verify_report *r, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, ST_DOCUMENT_PROPOSALS);
	int rc;

	sqlite3_bind_int64(st, 1, doc_id);
	while ((rc = db_step(db, st, err)) == 1) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t start = sqlite3_column_int64(st, 1);
		int64_t end = sqlite3_column_int64(st, 2);
		const char *text = db_col_text(st, 3);
		size_t tlen = (size_t)sqlite3_column_bytes(st, 3);

		r->proposals++;
		if (start < 0 || end <= start || (size_t)end > xlen) {
			failure(r,
				"proposal %lld of document %lld: slice "
				"[%lld, %lld) is outside the extracted text "
				"(%zu bytes)",
				(long long)id, (long long)doc_id,
				(long long)start, (long long)end, xlen);
			continue;
		}
		if ((size_t)(end - start) != tlen ||
		    memcmp(extracted + start, text, tlen) != 0)
			failure(r,
				"proposal %lld of document %lld: text differs "
				"from extracted[%lld:%lld]",
				(long long)id, (long long)doc_id,
				(long long)start, (long long)end);
	}
	return rc < 0 ? rc : 0;
}

/*
 * FTS5's integrity-check is written as an INSERT: it needs the write
 * lock, so it runs in its own short IMMEDIATE transaction (in the read
 * transaction of the document pass, a commit by anyone else would make
 * it fail with a "locked" that is not damage). Only corruption is a
 * verification failure; a busy or broken database is an error.
 */
static int verify_index(struct agora_db *db, struct verify_report *r,
			struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = db_begin_write(db, err)))
		return rc;
	rc = sqlite3_step(stmt(db, ST_FTS_CHECK));
	if (rc != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(db_handle(db)) & 0xff) !=
		    SQLITE_CORRUPT) {
			rc = db_error(db, err,
				      "cannot check the full-text index");
			goto out;
		}
		failure(r,
			"the full-text index is damaged (%s): rebuild it "
			"(INSERT INTO proposal_fts(proposal_fts) VALUES "
			"('rebuild'))",
			sqlite3_errmsg(db_handle(db)));
	}
	sqlite3_reset(stmt(db, ST_FTS_CHECK));
	st = stmt(db, ST_FTS_ROWS);
	if ((rc = db_step(db, st, err)) < 0)
		goto out;
	if (sqlite3_column_int64(st, 0) || sqlite3_column_int64(st, 1))
		failure(r,
			"the full-text index misses %lld current proposals "
			"and holds %lld others: rebuild it (INSERT INTO "
			"proposal_fts(proposal_fts) VALUES ('rebuild'))",
			(long long)sqlite3_column_int64(st, 0),
			(long long)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	rc = 0;
out:
	db_rollback(db);
	return rc;
}

int ingest_verify(struct agora_db *db, struct verify_report *r,
		  struct agora_error *err)
{
	struct ingest_limits lim;
	sqlite3_stmt *st;
	int rc;

	ingest_limits_default(&lim);
	if ((rc = db_begin(db, err)))
		return rc;
	st = stmt(db, ST_DOCUMENT_ALL);
	while ((rc = db_step(db, st, err)) == 1) {
		struct ingest_doc doc;
		struct agora_error xerr = {0};
		enum ingest_format fmt;
		int64_t id = sqlite3_column_int64(st, 0);
		const char *fname = db_col_text(st, 1);
		const char *sha = db_col_text(st, 2);
		const char *orig = sqlite3_column_blob(st, 3);
		size_t olen = (size_t)sqlite3_column_bytes(st, 3);
		const char *xtext = db_col_text(st, 4);
		size_t xlen = (size_t)sqlite3_column_bytes(st, 4);
		int xver = sqlite3_column_int(st, 5);
		char hash[65];
		int same;

		r->documents++;
		sha256_hex(orig ? orig : "", olen, hash);
		if (strcmp(hash, sha))
			failure(r,
				"document %lld: the stored original's SHA-256 "
				"is %s, recorded %s",
				(long long)id, hash, sha);
		if (ingest_format_parse(fname, &fmt) || fmt == INGEST_AUTO) {
			failure(r, "document %lld: unknown format '%s'",
				(long long)id, fname);
			continue;
		}
		/* the original was accepted once: do not refuse it on size */
		if (lim.max_bytes < olen)
			lim.max_bytes = olen;
		ingest_doc_init(&doc);
		if (ingest_extract(fmt, orig ? orig : "", olen, &lim, &doc,
				   &xerr))
			same = -1;
		else
			same = doc.text.len == xlen &&
			       !memcmp(doc.text.buf, xtext, xlen);
		if (same != 1 && xver != INGEST_EXTRACTOR_VERSION)
			note(r,
			     "document %lld was extracted by extractor "
			     "version %d, which this build (version %d) does "
			     "not reproduce; its proposals are checked against "
			     "the stored text (ingest the file again to "
			     "extract it anew)",
			     (long long)id, xver, INGEST_EXTRACTOR_VERSION);
		else if (same < 0)
			failure(r, "document %lld: re-extraction failed: %s",
				(long long)id, xerr.msg);
		else if (!same)
			failure(r,
				"document %lld: re-extracting the original "
				"gives a different text (%zu bytes, stored %zu)",
				(long long)id, doc.text.len, xlen);
		ingest_doc_fini(&doc);
		if ((rc = verify_proposals(db, id, xtext, xlen, r, err)) < 0)
			break;
	}
	db_rollback(db);
	/* the full-text index is sound and holds the current proposals */
	if (rc >= 0)
		rc = verify_index(db, r, err);
	if (rc < 0)
		return rc;
	return r->failures ? AGORA_ECHECK : 0;
}
