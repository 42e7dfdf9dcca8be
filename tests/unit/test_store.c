/*
 * test_store.c - ingest into a real database: all or nothing, versions,
 * duplicates, `verify` catching tampering, the grid's explicit empty
 * columns, and the real corpus end to end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "compare.h"
#include "core.h"
#include "ingest.h"

struct fixture {
	char path[64];
	struct agora_db *db;
	struct theme_rules *rules;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agora_error err = {0};
	int fd;

	strcpy(f->path, "/tmp/agora-store-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    ingest_db_prepare(f->db, &err) || compare_db_prepare(f->db, &err) ||
	    theme_rules_load(&f->rules, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	if (election_add(f->db, "ville-2026", "Municipales 2026", "2026-03-15",
			 "fr", &err))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];

	db_close(f->db);
	theme_rules_free(f->rules);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

static int count(struct agora_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Everything a failed ingest must leave as it was */
static void snapshot(struct agora_db *db, int out[6])
{
	out[0] = count(db, "SELECT count(*) FROM election");
	out[1] = count(db, "SELECT count(*) FROM candidate");
	out[2] = count(db, "SELECT count(*) FROM document");
	out[3] = count(db, "SELECT count(*) FROM proposal");
	out[4] = count(db, "SELECT count(*) FROM proposal_theme");
	out[5] = count(db, "SELECT count(*) FROM proposal_fts");
}

static const char programme_md[] =
	"# Programme de Jeanne Martin\n\n"
	"## Sécurité\n\n"
	"- Recruter vingt policiers municipaux supplémentaires d'ici 2027.\n"
	"- Installer un éclairage public plus sûr dans les quartiers.\n\n"
	"## Logement\n\n"
	"- Construire 500 logements sociaux près des gares.\n"
	"- Encadrer les loyers des logements étudiants.\n";

static int ingest(struct fixture *f, const char *cand, const char *title,
		  const char *p, size_t n, struct ingest_result *res,
		  struct agora_error *err)
{
	struct ingest_request req = {0};

	req.election = "ville-2026";
	req.candidate = cand;
	req.title = title;
	ingest_limits_default(&req.limits);
	return ingest_document(f->db, f->rules, &req, p, n, res, err);
}

static void test_ingest_versions_and_duplicates(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	char v2[sizeof(programme_md) + 100];

	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	assert_int_equal(res.format, INGEST_MARKDOWN);
	assert_int_equal(res.version, 1);
	assert_int_equal(res.proposals, 4);
	assert_false(res.duplicate);
	/* the same bytes again: nothing new */
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	assert_true(res.duplicate);
	assert_int_equal(count(f->db, "SELECT count(*) FROM document"), 1);
	/* a corrected programme is a new version; the old one stays */
	snprintf(v2, sizeof(v2), "%s- Rénover 300 logements anciens.\n",
		 programme_md);
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md", v2,
				strlen(v2), &res, &err),
			 0);
	assert_int_equal(res.version, 2);
	assert_int_equal(res.proposals, 5);
	assert_int_equal(count(f->db, "SELECT count(*) FROM document"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM current_document"),
			 1);
	assert_int_equal(count(f->db, "SELECT version FROM current_document"),
			 2);
	/* search sees the current version only, and the index is sound */
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'logement'"),
			 3); /* not 5: version 1's two are out of the index */
	assert_int_equal(sqlite3_exec(db_handle(f->db),
				      "INSERT INTO proposal_fts(proposal_fts)"
				      " VALUES ('integrity-check')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	/* sending version 1 again makes it the newest: version 3 */
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	assert_false(res.duplicate);
	assert_int_equal(res.version, 3);
	assert_int_equal(count(f->db, "SELECT version FROM current_document"),
			 3);
	/* the stored original is the bytes, unchanged */
	{
		char h[65];

		sha256_hex(programme_md, strlen(programme_md), h);
		assert_string_equal(res.sha256, h);
		assert_int_equal(count(f->db, "SELECT length(original) FROM"
					      " document WHERE version = 2"),
				 (int)strlen(v2));
	}
}

/* A submission: pending, for an existing candidate, by a user */
static int submit(struct fixture *f, const char *p, size_t n,
		  struct ingest_result *res, struct agora_error *err)
{
	struct ingest_request req = {0};

	req.election = "ville-2026";
	req.candidate_slug = "jeanne-martin";
	req.title = "programme.md";
	req.pending = 1;
	ingest_limits_default(&req.limits);
	return ingest_document(f->db, f->rules, &req, p, n, res, err);
}

static int moderate(struct fixture *f, int64_t id, int publish,
		    const char *reason, struct agora_error *err)
{
	int rc;

	assert_int_equal(db_begin_write(f->db, err), 0);
	rc = ingest_moderate(f->db, id, publish, reason, 0, err);
	if (rc)
		db_rollback(f->db);
	else
		assert_int_equal(db_commit(f->db, err), 0);
	return rc;
}

static int fts_sound(struct fixture *f)
{
	return sqlite3_exec(db_handle(f->db),
			    "INSERT INTO proposal_fts(proposal_fts)"
			    " VALUES ('integrity-check')",
			    NULL, NULL, NULL) == SQLITE_OK &&
	       count(f->db, "SELECT (SELECT count(*) FROM proposal_searchable)"
			    " = (SELECT count(*) FROM proposal_fts_docsize)") == 1;
}

/*
 * Moderation moves documents in and out of the index: pending and
 * rejected are never searchable, a published version replaces the
 * current one, and one published out of order (an older submission
 * after a newer one) does not displace the newer.
 */
static void test_moderation_and_the_index(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	struct verify_report vr = {0};
	char v2[sizeof(programme_md) + 100], v3[sizeof(programme_md) + 100];
	int64_t d1, d2, d3, gen;

	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	d1 = res.document_id;
	/* an unknown candidate is refused, and writes nothing */
	{
		struct ingest_request req = {0};
		int before = count(f->db, "SELECT count(*) FROM document");

		req.election = "ville-2026";
		req.candidate_slug = "personne";
		req.pending = 1;
		ingest_limits_default(&req.limits);
		assert_int_equal(ingest_document(f->db, f->rules, &req, v2, 0,
						 &res, &err) != 0,
				 1);
		assert_int_equal(count(f->db, "SELECT count(*) FROM document"),
				 before);
	}
	snprintf(v2, sizeof(v2), "%s- Ouvrir une ligne de tramway.\n",
		 programme_md);
	snprintf(v3, sizeof(v3), "%s- Planter mille arbres en ville.\n",
		 programme_md);
	assert_int_equal(submit(f, v2, strlen(v2), &res, &err), 0);
	d2 = res.document_id;
	assert_int_equal(res.version, 2);
	assert_int_equal(submit(f, v3, strlen(v3), &res, &err), 0);
	d3 = res.document_id;
	assert_int_equal(res.version, 3);
	/* pending: not current, not searchable */
	assert_int_equal(count(f->db, "SELECT id FROM current_document"),
			 (int)d1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'tramway'"),
			 0);
	assert_true(fts_sound(f));
	/* a rejection needs a reason; only a pending one is decided */
	assert_int_equal(moderate(f, d2, 0, "", &err), AGORA_EINVAL);
	assert_int_equal(moderate(f, d1, 1, NULL, &err), AGORA_EINVAL);
	gen = count(f->db, "SELECT value FROM meta"
			   " WHERE key = 'search_generation'");
	/* version 3 published first: it replaces version 1 */
	assert_int_equal(moderate(f, d3, 1, NULL, &err), 0);
	assert_true(count(f->db, "SELECT value FROM meta"
				 " WHERE key = 'search_generation'") > gen);
	assert_int_equal(count(f->db, "SELECT id FROM current_document"),
			 (int)d3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'arbres'"),
			 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'logement'"),
			 2); /* version 1's are out */
	assert_true(fts_sound(f));
	/* version 2 published late: stored, not current, not searchable */
	assert_int_equal(moderate(f, d2, 1, NULL, &err), 0);
	assert_int_equal(count(f->db, "SELECT id FROM current_document"),
			 (int)d3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'tramway'"),
			 0);
	assert_true(fts_sound(f));
	/* a rejected one stays out, with its reason */
	{
		static const char one[] = "- Une seule mesure, bien écrite.\n";

		assert_int_equal(submit(f, one, strlen(one), &res, &err), 0);
	}
	assert_int_equal(moderate(f, res.document_id, 0, "adresse fausse",
				  &err),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM document_decision"
				      " WHERE reason = 'adresse fausse'"),
			 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts"
				      " WHERE proposal_fts MATCH 'mesure'"),
			 0);
	/* the schema refuses every other move */
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "UPDATE document SET status ="
					  " 'pending' WHERE status = 'rejected'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "UPDATE document SET status ="
					  " 'rejected' WHERE status = "
					  "'published'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "UPDATE document SET version = 9",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_true(fts_sound(f));
	assert_int_equal(ingest_verify(f->db, &vr, &err), 0);
	assert_int_equal(vr.documents, 4);
}

static void test_bad_input_changes_nothing(void **state)
{
	static const char *const bad[] = {
		"",
		"   \n\n  \t\n",
		"caf\xc3 au lait, une proposition",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]>\n<programme "
		"xmlns=\"urn:agora:programme:1\"><section title=\"a\">"
		"<proposal>&x;</proposal></section></programme>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol "
		"\"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		"<programme xmlns=\"urn:agora:programme:1\"><section "
		"title=\"a\"><proposal>&lol3;</proposal></section>"
		"</programme>",
		"\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00",
	};
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err;
	int before[6], after[6];
	size_t i;

	snapshot(f->db, before);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		agora_error_clear(&err);
		assert_int_equal(ingest(f, "Paul Hostile", "bad", bad[i],
					strlen(bad[i]), &res, &err),
				 AGORA_EINVAL);
		assert_true(strlen(err.msg) > 0);
	}
	/* the bad UTF-8 says where */
	agora_error_clear(&err);
	ingest(f, "Paul Hostile", "bad", bad[2], strlen(bad[2]), &res, &err);
	assert_non_null(strstr(err.msg, "byte 3"));
	snapshot(f->db, after);
	assert_memory_equal(before, after, sizeof(before));
	/* oversize: refused before anything is written */
	{
		struct ingest_request req = {0};

		req.election = "ville-2026";
		req.candidate = "Paul Hostile";
		ingest_limits_default(&req.limits);
		req.limits.max_bytes = 16;
		assert_int_equal(ingest_document(f->db, f->rules, &req,
						 programme_md,
						 strlen(programme_md), &res,
						 &err),
				 AGORA_ETOOBIG);
	}
	/* an unknown election */
	{
		struct ingest_request req = {0};

		req.election = "nope";
		req.candidate = "Paul Hostile";
		ingest_limits_default(&req.limits);
		assert_int_equal(ingest_document(f->db, f->rules, &req,
						 programme_md,
						 strlen(programme_md), &res,
						 &err),
				 AGORA_ENOTFOUND);
	}
	snapshot(f->db, after);
	assert_memory_equal(before, after, sizeof(before));
}

struct failures {
	int n;
	char last[1024];
};

static void on_failure(void *ctx, const char *line)
{
	struct failures *fl = ctx;

	fl->n++;
	snprintf(fl->last, sizeof(fl->last), "%s", line);
}

static void test_verify_catches_tampering(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	struct failures fl = {0};
	struct verify_report rep = {0};

	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	rep.on_failure = on_failure;
	rep.ctx = &fl;
	assert_int_equal(ingest_verify(f->db, &rep, &err), 0);
	assert_int_equal(rep.documents, 1);
	assert_int_equal(rep.proposals, 4);
	/* the search index loses a proposal: verify says so */
	assert_int_equal(
		sqlite3_exec(db_handle(f->db),
			     "INSERT INTO proposal_fts(proposal_fts, rowid, text)"
			     " SELECT 'delete', id, text FROM proposal LIMIT 1",
			     NULL, NULL, NULL),
		SQLITE_OK);
	memset(&rep, 0, sizeof(rep));
	rep.on_failure = on_failure;
	rep.ctx = &fl;
	assert_int_equal(ingest_verify(f->db, &rep, &err), AGORA_ECHECK);
	assert_int_equal(rep.failures, 1);
	assert_non_null(strstr(fl.last, "full-text index"));
	assert_int_equal(sqlite3_exec(db_handle(f->db),
				      "INSERT INTO proposal_fts(proposal_fts)"
				      " VALUES ('rebuild')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	/* someone edits the stored extraction behind agora's back */
	assert_int_equal(
		sqlite3_exec(db_handle(f->db),
			     "UPDATE document SET extracted ="
			     " replace(extracted, 'vingt', 'trente')",
			     NULL, NULL, NULL),
		SQLITE_OK);
	memset(&rep, 0, sizeof(rep));
	rep.on_failure = on_failure;
	rep.ctx = &fl;
	assert_int_equal(ingest_verify(f->db, &rep, &err), AGORA_ECHECK);
	assert_true(rep.failures >= 2); /* the text, and the slice */
	/* the schema refuses to change an original... */
	assert_int_not_equal(
		sqlite3_exec(db_handle(f->db),
			     "UPDATE document SET original = x'00'", NULL,
			     NULL, NULL),
		SQLITE_OK);
	/* ...so someone with the file drops the guard first */
	assert_int_equal(
		sqlite3_exec(db_handle(f->db),
			     "DROP TRIGGER document_original;"
			     "UPDATE document SET original = x'00'",
			     NULL, NULL, NULL),
		SQLITE_OK);
	memset(&rep, 0, sizeof(rep));
	rep.on_failure = on_failure;
	rep.ctx = &fl;
	assert_int_equal(ingest_verify(f->db, &rep, &err), AGORA_ECHECK);
	assert_non_null(strstr(fl.last, "document 1"));
}

/* How many candidates of ville-2026 speak to theme key (the page's count) */
static int coverage_of(struct fixture *f, const char *key)
{
	struct theme_coverage_list l;
	struct agora_error err = {0};
	size_t i;
	int n = -1;

	assert_int_equal(compare_theme_coverage(f->db, "ville-2026", &l, &err),
			 0);
	for (i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].key, key))
			n = (int)l.v[i].candidates;
	theme_coverage_list_fini(&l);
	return n;
}

/* Sets the status of every housing tag, as an editor's decisions do */
static void housing_status(struct fixture *f, const char *status)
{
	struct agora_error err = {0};
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "UPDATE proposal_theme SET status = '%s' WHERE theme_id ="
		 " (SELECT id FROM theme WHERE slug = 'housing')",
		 status);
	assert_int_equal(db_exec(f->db, sql, &err), 0);
}

static void test_grid_says_nothing_plainly(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	struct theme_grid g;
	static const char other[] =
		"# Programme\n\n## Culture\n\n"
		"- Ouvrir la médiathèque le dimanche toute l'année.\n"
		"- Créer un festival de musique gratuit chaque été.\n";
	const char *two[] = {"jeanne-martin", "bernard-aubry"};
	const char *typo[] = {"jeanne-martin", "nobody"};

	assert_int_equal(ingest(f, "Jeanne Martin", "p.md", programme_md,
				strlen(programme_md), &res, &err),
			 0);
	/* the counts per theme, kept per connection, follow every change */
	assert_int_equal(coverage_of(f, "culture_media_sport"), 0);
	assert_int_equal(coverage_of(f, "housing"), 1);
	assert_int_equal(coverage_of(f, "culture_media_sport"), 0); /* kept, the same */
	assert_int_equal(
		ingest(f, "Bernard Aubry", "p.md", other, strlen(other), &res,
		       &err),
		0);
	assert_int_equal(coverage_of(f, "culture_media_sport"), 1);
	assert_int_equal(coverage_of(f, "housing"), 1);
	/* an editor rejecting the tags bumps the generation: counted at once */
	housing_status(f, "rejected");
	assert_int_equal(coverage_of(f, "housing"), 0);
	housing_status(f, "suggested");
	assert_int_equal(coverage_of(f, "housing"), 1);
	/* order: alphabetical by family name, whatever the request says */
	assert_int_equal(compare_theme_grid(f->db, "ville-2026", "housing", two,
					    2, &g, &err),
			 0);
	assert_int_equal(g.ncol, 2);
	assert_string_equal(g.col[0].cand.slug, "bernard-aubry");
	assert_int_equal(g.col[0].n, 0); /* present, with nothing */
	assert_string_equal(g.col[1].cand.slug, "jeanne-martin");
	assert_true(g.col[1].n >= 2);
	assert_non_null(strstr(g.col[1].v[0].text, "logements"));
	theme_grid_fini(&g);
	assert_int_equal(compare_theme_grid(f->db, "ville-2026", "housing",
					    typo, 2, &g, &err),
			 AGORA_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nobody"));
	assert_int_equal(compare_theme_grid(f->db, "ville-2026", "nope", NULL,
					    0, &g, &err),
			 AGORA_ENOTFOUND);
}

/* ---------------------------------------------------- real programmes */

static const char *shared_corpus(void)
{
	const char *d = getenv("AGORA_SHARED_CORPUS");

	if (!d || !*d || access(d, R_OK)) {
		printf("skipped: the real programmes are absent (set "
		       "AGORA_SHARED_CORPUS to ../shared/corpus)\n");
		return NULL;
	}
	return d;
}

/* Non-blank lines of a text: a title alone is not a programme */
static int content_lines(const char *p)
{
	int n = 0, blank = 1;

	for (; *p; p++) {
		if (*p == '\n') {
			n += !blank;
			blank = 1;
		} else if (*p != ' ' && *p != '\t' && *p != '\r') {
			blank = 0;
		}
	}
	return n + !blank;
}

/*
 * Ingests one file; a file with nothing but a title (the programme's
 * "Annexes" chapter page) must be refused with "no proposal found", and
 * counts in *empty instead.
 */
static int ingest_path(struct fixture *f, const char *cand, const char *path,
		       const char *title, size_t *empty)
{
	struct ingest_result res;
	struct agora_error err = {0};
	struct sb data;
	int rc;

	sb_init(&data, 0);
	rc = file_read(path, 20u << 20, &data, &err);
	if (!rc)
		rc = ingest(f, cand, title, data.buf, data.len, &res, &err);
	if (rc && rc == AGORA_EINVAL && content_lines(data.buf) < 2 &&
	    strstr(err.msg, "no proposal")) {
		printf("refused, as it should be: %s (%s)\n", path, err.msg);
		(*empty)++;
		rc = 0;
	} else if (rc) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
	}
	sb_fini(&data);
	return rc;
}

/* Ingests every file under dir, recursively, as one candidate */
static int ingest_tree(struct fixture *f, const char *cand, const char *dir,
		       size_t *docs, size_t *empty)
{
	struct dirent **names;
	char path[4096];
	int i, n, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && !rc) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			if (names[i]->d_type == DT_DIR) {
				rc = ingest_tree(f, cand, path, docs, empty);
			} else if (strcmp(names[i]->d_name, "README.md")) {
				rc = ingest_path(f, cand, path, path, empty);
				(*docs)++;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static void test_real_corpus(void **state)
{
	static const char *const sets[][2] = {
		{"fr-2017-sites", "Candidats 2017"},
		{"fr-avenir-en-commun", "L'Avenir en commun"},
		{"uk-2010-html", "UK 2010"},
	};
	struct fixture *f = *state;
	struct verify_report rep = {0};
	struct agora_error err = {0};
	const char *root = shared_corpus();
	char dir[4096];
	size_t i, docs = 0, empty = 0;
	int measures;

	if (!root)
		skip();
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, sets[i][0]);
		assert_int_equal(ingest_tree(f, sets[i][1], dir, &docs, &empty),
				 0);
	}
	assert_int_equal(ingest_verify(f->db, &rep, &err), 0);
	assert_int_equal(rep.failures, 0);
	assert_true(empty <= 1);
	assert_int_equal(rep.documents, docs - empty);
	measures = count(f->db,
			 "SELECT count(*) FROM proposal p JOIN document d ON"
			 " d.id = p.document_id WHERE d.format = 'markdown'"
			 " AND p.kind IN ('measure', 'key_measure')");
	printf("real corpus: %zu documents, %zu proposals, %d Markdown "
	       "measures\n",
	       rep.documents, rep.proposals, measures);
	assert_true(measures >= 253);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal p JOIN"
				      " document d ON d.id = p.document_id"
				      " WHERE d.title LIKE '%emmanuel_macron.csv'"),
			 598);
}

/*
 * A failure half-way through a document (after the document row and two
 * proposals are written) rolls everything back: nothing is half-stored,
 * the search index included.
 */
static void test_failure_midway_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	int before[6], after[6], idx_before, idx_after;

	snapshot(f->db, before);
	idx_before = count(f->db, "SELECT count(*) FROM proposal_fts_docsize");
	assert_int_equal(
		sqlite3_exec(db_handle(f->db),
			     "CREATE TEMP TRIGGER fail_third BEFORE INSERT ON"
			     " main.proposal WHEN new.ordinal = 3 BEGIN"
			     " SELECT RAISE(ABORT, 'injected failure'); END",
			     NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_not_equal(ingest(f, "Jeanne Martin", "programme.md",
				    programme_md, strlen(programme_md), &res,
				    &err),
			     0);
	assert_non_null(strstr(err.msg, "injected failure"));
	snapshot(f->db, after);
	idx_after = count(f->db, "SELECT count(*) FROM proposal_fts_docsize");
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(idx_before, idx_after);
	/* and once the fault is gone, the same file goes in whole */
	assert_int_equal(sqlite3_exec(db_handle(f->db),
				      "DROP TRIGGER fail_third", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	assert_int_equal(res.proposals, 4);
	assert_int_equal(count(f->db, "SELECT count(*) FROM proposal_fts_docsize"),
			 idx_before + 4);
}

/*
 * One document, one FTS5 segment: the index's pending terms are flushed
 * once, at the commit. A statement with a statement journal (any trigger
 * on INSERT into proposal_theme did it) makes SQLite open a savepoint on
 * FTS5, which then flushes a segment per proposal and merges them again
 * and again: ingest ran 2.3x the instructions (bench/README.md).
 */
static void test_one_segment_per_document(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	char doc[8192];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "# Programme\n\n");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n,
				      "- Construire %d logements sociaux et "
				      "%d places en crèche.\n",
				      100 + i, 10 + i);
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md", doc, n,
				&res, &err),
			 0);
	assert_int_equal(res.proposals, 40);
	assert_true(count(f->db, "SELECT count(*) FROM proposal_theme") >= 40);
	assert_int_equal(count(f->db, "SELECT count(DISTINCT segid)"
				      " FROM proposal_fts_idx"),
			 1);
}

/*
 * Ingest runs its own transaction without secure_delete (what it frees
 * is public index data), and gives the connection back with it on
 * however the transaction ended: the web's worker connections go on to
 * delete sessions and supports, which must be zeroed in the file.
 */
static void test_secure_delete_restored(void **state)
{
	struct fixture *f = *state;
	struct ingest_request req = {0};
	struct ingest_result res;
	struct agora_error err = {0};

	assert_int_equal(count(f->db, "PRAGMA secure_delete"), 1);
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	assert_int_equal(count(f->db, "PRAGMA secure_delete"), 1);
	/* refused after its transaction began: no such election */
	req.election = "nowhere";
	req.candidate = "Paul Absent";
	req.title = "programme.md";
	ingest_limits_default(&req.limits);
	assert_int_equal(ingest_document(f->db, f->rules, &req, programme_md,
					 strlen(programme_md), &res, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(count(f->db, "PRAGMA secure_delete"), 1);
}

/*
 * A committed ingest lets SQLite checkpoint its pages into the database
 * file. A lookup left on its row kept the read transaction open past
 * COMMIT, so every checkpoint failed and the WAL grew by everything one
 * `agora ingest` wrote (7 MB for the four UK manifestos) until the
 * connection closed. With a checkpoint after every commit, the file
 * must hold every page once the ingest returns.
 */
static void test_ingest_lets_checkpoint(void **state)
{
	struct fixture *f = *state;
	struct ingest_result res;
	struct agora_error err = {0};
	struct stat sb;
	int pages, size;

	assert_int_equal(db_exec(f->db, "PRAGMA wal_autocheckpoint=1", &err),
			 0);
	assert_int_equal(ingest(f, "Jeanne Martin", "programme.md",
				programme_md, strlen(programme_md), &res, &err),
			 0);
	pages = count(f->db, "PRAGMA page_count");
	size = count(f->db, "PRAGMA page_size");
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(pages > 10);
	assert_int_equal((long long)sb.st_size, (long long)pages * size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_ingest_versions_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moderation_and_the_index,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_segment_per_document,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_midway_rolls_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_catches_tampering,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_grid_says_nothing_plainly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_corpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ingest_lets_checkpoint,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure_delete_restored,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
