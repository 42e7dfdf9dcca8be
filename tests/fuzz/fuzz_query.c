/*
 * fuzz_query.c - libFuzzer target for search queries: any bytes must
 * build into an empty or valid FTS5 query (at most 1 KiB) and run
 * without error against a small database built once. The same bytes are
 * also indexed as a proposal, inside a transaction rolled back after, so
 * the agora_fr tokenizer and snippet() see hostile documents too.
 *
 * Everything costly is made once per process (LLVMFuzzerInitialize):
 * the database and its fixture, the prepared statements, and the
 * stemmer the query builder uses (its caches are 1.1 MB: allocating
 * them for every input cost more than the search itself). Each input
 * still starts from the same state: its rows are rolled back, and the
 * search cache, which sees the connection's change count move, reloads
 * (the stemmer's caches only remember pure functions of a word).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "core.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixture_sql[] =
	"INSERT INTO election(id, slug, title) VALUES (1, 'e', 'E');"
	"INSERT INTO candidate(id, election_id, slug, family_name, sort_key)"
	" VALUES (1, 1, 'a', 'A', 'a'), (2, 1, 'b', 'B', 'b');"
	"INSERT INTO document(id, candidate_id, version, title, media_type,"
	" format, sha256, original, extracted, extractor_version) VALUES"
	" (1, 1, 1, 'P', 'text/plain', 'text', printf('%064d', 1), x'00',"
	"  '', 1),"
	" (2, 2, 1, 'P', 'text/plain', 'text', printf('%064d', 2), x'00',"
	"  '', 1);"
	"INSERT INTO proposal(id, document_id, ordinal, start, end, text)"
	" VALUES"
	" (1, 1, 1, 0, 1, 'Renforcer la sécurité dans les transports.'),"
	" (2, 1, 2, 0, 1, 'Une proposition pour l’école publique.'),"
	" (3, 2, 1, 0, 1, 'Nous voulons proposer un référendum.'),"
	" (4, 2, 2, 0, 1, 'LA SECURITE ROUTIÈRE, ŒUVRE D''IMPÔTS.');"
	"INSERT INTO proposal_theme(proposal_id, theme_id, origin,"
	" confidence) VALUES"
	" (1, (SELECT id FROM theme WHERE slug = 'security'), 'rule', 1);"
	"INSERT INTO proposal_fts(proposal_fts) VALUES ('rebuild');";

static struct agora_db *db;
static struct fr_stemmer *stemmer;
static sqlite3_stmt *insert_st, *index_st;

static void fail(const char *what, const struct agora_error *err)
{
	fprintf(stderr, "fuzz_query: %s: %s\n", what, err ? err->msg : "");
	abort();
}

static sqlite3_stmt *prepare(const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(db_handle(db), sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "%s\n", sqlite3_errmsg(db_handle(db)));
		fail("prepare", NULL);
	}
	return st;
}

static void init(void)
{
	struct agora_error err = {0};

	if (db_open(&db, ":memory:", DB_OPEN_CREATE, &err))
		fail("open", &err);
	if (db_exec(db, fixture_sql, &err))
		fail("fixture", &err);
	if (!(stemmer = fr_stemmer_new()))
		fail("stemmer", NULL);
	insert_st = prepare("INSERT INTO proposal(document_id, ordinal,"
			    " start, end, text) VALUES (2, 99, 0, 1, ?1)");
	/* as ingest does: index the row */
	index_st = prepare("INSERT INTO proposal_fts(rowid, text)"
			   " VALUES (last_insert_rowid(), ?1)");
}

/* Called once by libFuzzer; under replay.c the first input calls init() */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!db)
		init();
	return 0;
}

/* Steps one of the statements above with the input's bytes */
static void step(sqlite3_stmt *st, const uint8_t *data, size_t size,
		 const char *what)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, (const char *)data, (int)size, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "%s\n", sqlite3_errmsg(db_handle(db)));
		fail(what, NULL);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * The built query: "word" terms and ("pre"* OR "pr" ...) groups joined by
 * AND, capped; at most 16 terms of at most 4 quoted strings each
 */
static void check_query(const char *q, size_t n)
{
	struct sb sb;
	size_t i, quotes = 0;

	sb_init(&sb, 0);
	if (search_query_build_st(q, n, stemmer, &sb))
		fail("build", NULL);
	if (sb.len > 1024)
		fail("query over 1 KiB", NULL);
	for (i = 0; i < sb.len; i++) {
		quotes += sb.buf[i] == '"';
		if ((unsigned char)sb.buf[i] < 0x20)
			fail("control byte in query", NULL);
	}
	if (quotes % 2 || quotes > 2 * 4 * 16)
		fail("bad quotes", NULL);
	if (!utf8_valid(sb.buf, sb.len, NULL))
		fail("query is not UTF-8", NULL);
	sb_fini(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const themes[] = {NULL, "security",
					     "security_justice", "nope"};
	struct agora_error err = {0};
	struct search_opts o = {0};
	struct search_result r;
	char *q;
	uint8_t sel = size ? data[0] : 0;

	if (!db)
		init();
	q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	check_query(q, size);

	o.election = (sel & 1) ? "e" : NULL;
	o.candidate = (sel & 2) ? "b" : NULL;
	o.theme = themes[(sel >> 2) & 3];
	o.limit = (sel >> 4) & 7;
	o.offset = (sel >> 7) & 1;

	if (db_begin_write(db, &err))
		fail("begin", &err);
	step(insert_st, data, size, "insert");
	step(index_st, data, size, "index");
	/* and tell search caches to reload, as ingest does */
	if (db_exec(db,
		    "UPDATE meta SET value = value + 1"
		    " WHERE key = 'search_generation'",
		    &err))
		fail("generation", &err);
	if (compare_search(db, q, &o, &r, &err))
		fail("search", &err);
	if (r.n > r.total || r.n > 100)
		fail("result counts", NULL);
	search_result_fini(&r);
	db_rollback(db);
	free(q);
	return 0;
}
