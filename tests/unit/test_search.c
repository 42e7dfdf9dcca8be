/*
 * test_search.c - French search as a voter meets it: every spelling of a
 * word finds the same proposals, prefixes, AND, filters, counts, pages,
 * snippets with the verbatim word marked, and hostile query strings that
 * never fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compare.h"
#include "compare_int.h"
#include "core.h"

struct fixture {
	char path[64];
	struct agora_db *db;
};

/*
 * Proposals are inserted directly; the index is then rebuilt from the
 * content table, which is right with or without the schema's triggers.
 */
static const char fixture_sql[] =
	"INSERT INTO election(id, slug, title) VALUES"
	" (1, 'pres-2027', 'Présidentielle 2027'),"
	" (2, 'ville-2026', 'Municipales 2026');"
	"INSERT INTO candidate(id, election_id, slug, given_name, family_name,"
	" party, sort_key) VALUES"
	" (1, 1, 'alice-dupont', 'Alice', 'Dupont', 'Parti A',"
	"  'dupont alice'),"
	" (2, 1, 'bob-martin', 'Bob', 'Martin', 'Parti B', 'martin bob'),"
	" (3, 2, 'carol-zola', 'Carol', 'Zola', '', 'zola carol');"
	"INSERT INTO document(id, candidate_id, version, title, media_type,"
	" format, sha256, original, extracted, extractor_version, status)"
	" VALUES"
	" (1, 1, 1, 'Programme', 'text/plain', 'text', printf('%064d', 1),"
	"  x'00', '', 1, 'published'),"
	" (2, 1, 2, 'Programme', 'text/plain', 'text', printf('%064d', 2),"
	"  x'00', '', 1, 'published'),"
	" (3, 2, 1, 'Programme', 'text/plain', 'text', printf('%064d', 3),"
	"  x'00', '', 1, 'published'),"
	" (4, 2, 2, 'Programme', 'text/plain', 'text', printf('%064d', 4),"
	"  x'00', '', 1, 'pending'),"
	" (5, 3, 1, 'Programme', 'text/plain', 'text', printf('%064d', 5),"
	"  x'00', '', 1, 'published');"
	"INSERT INTO proposal(id, document_id, ordinal, start, end, text)"
	" VALUES"
	/* superseded version: never found */
	" (1, 1, 1, 0, 1, 'La sécurité, ancienne version.'),"
	" (11, 2, 1, 0, 1, 'Renforcer la sécurité dans les transports.'),"
	" (12, 2, 2, 0, 1, 'Une proposition pour les sécurités sociales.'),"
	" (13, 2, 3, 0, 1, 'Nous voulons proposer un référendum.'),"
	" (14, 2, 4, 0, 1, 'LA SECURITE ROUTIÈRE EST UNE PRIORITÉ.'),"
	" (21, 3, 1, 0, 1, 'Baisser les impôts sur le revenu.'),"
	" (22, 3, 2, 0, 1, 'L’école publique et la securite des élèves.'),"
	" (23, 3, 3, 0, 1, 'Taxe carbone aux frontières de l''Europe.'),"
	/* pending version: never found */
	" (31, 4, 1, 0, 1, 'Sécurité en attente de publication.'),"
	" (41, 5, 1, 0, 1, 'La sécurité pour tous les quartiers.');"
	"INSERT INTO proposal_theme(proposal_id, theme_id, origin, confidence,"
	" status) VALUES"
	" (11, (SELECT id FROM theme WHERE slug = 'security'), 'rule', 0.9,"
	"  'suggested'),"
	" (22, (SELECT id FROM theme WHERE slug = 'education'), 'rule', 0.9,"
	"  'confirmed'),"
	" (22, (SELECT id FROM theme WHERE slug = 'security'), 'rule', 0.5,"
	"  'rejected'),"
	" (14, (SELECT id FROM theme WHERE slug = 'justice'), 'editor', 1,"
	"  'confirmed');"
	"INSERT INTO proposal_fts(proposal_fts) VALUES ('rebuild');";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agora_error err = {0};
	int fd;

	if (!f)
		return -1;
	strcpy(f->path, "/tmp/agora-search-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(f->path);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    search_db_prepare(f->db, &err) ||
	    db_exec(f->db, fixture_sql, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

static int search(struct fixture *f, const char *q, const struct search_opts *o,
		  struct search_result *r)
{
	struct agora_error err = {0};
	int rc = compare_search(f->db, q, o, r, &err);

	if (rc)
		fprintf(stderr, "search '%s': %s\n", q, err.msg);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The hit ids, sorted, as "11,12,14" */
static void ids(const struct search_result *r, char *buf, size_t n)
{
	int64_t v[128];
	size_t i, len = 0;

	assert_true(r->n <= 128);
	for (i = 0; i < r->n; i++)
		v[i] = r->v[i].proposal_id;
	qsort(v, r->n, sizeof(v[0]), cmp_id);
	buf[0] = '\0';
	for (i = 0; i < r->n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%lld",
					i ? "," : "", (long long)v[i]);
}

static void assert_finds(struct fixture *f, const char *q,
			 const struct search_opts *o, const char *want)
{
	struct search_result r;
	char got[512];

	assert_int_equal(search(f, q, o, &r), 0);
	ids(&r, got, sizeof(got));
	if (strcmp(got, want))
		fprintf(stderr, "query '%s': got %s, want %s\n", q, got, want);
	assert_string_equal(got, want);
	assert_int_equal(r.total, r.n);
	search_result_fini(&r);
}

static void test_accents_and_stems(void **state)
{
	struct fixture *f = *state;
	static const char *const spellings[] = {
		"sécurité", "securite",	 "sécurités", "SECURITE",
		"SÉCURITÉ", "Securites", "sécurite",  "la sécurité",
	};
	size_t i;

	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		assert_finds(f, spellings[i], NULL, "11,12,14,22,41");
	assert_finds(f, "impot", NULL, "21");
	assert_finds(f, "IMPÔTS", NULL, "21");
	assert_finds(f, "écoles", NULL, "22");
	assert_finds(f, "l'école", NULL, "22");
	assert_finds(f, "d’europe", NULL, "23");
	assert_finds(f, "frontiere", NULL, "23");
	assert_finds(f, "priorités routières", NULL, "14");
	/* decomposed accents (NFD) search like composed ones */
	assert_finds(f, "se\xcc\x81" "curite\xcc\x81", NULL,
		     "11,12,14,22,41");
}

static void test_prefix_and_and(void **state)
{
	struct fixture *f = *state;

	assert_finds(f, "propos*", NULL, "12,13");
	assert_finds(f, "PROPOS*", NULL, "12,13");
	assert_finds(f, "référ*", NULL, "13");
	assert_finds(f, "refer*", NULL, "13");
	/* AND: both words must be there */
	assert_finds(f, "sécurité transports", NULL, "11");
	assert_finds(f, "sécurité impôts", NULL, "");
	assert_finds(f, "taxe carbone", NULL, "23");
	assert_finds(f, "carbone pingouin", NULL, "");
	/* stop words are dropped beside real words, kept alone */
	assert_finds(f, "de la taxe", NULL, "23");
	assert_finds(f, "pour", NULL, "12,41");
}

static void test_filters_and_counts(void **state)
{
	struct fixture *f = *state;
	struct search_opts o = {0};
	struct search_result r;

	o.election = "pres-2027";
	assert_finds(f, "sécurité", &o, "11,12,14,22");
	o.candidate = "bob-martin";
	assert_finds(f, "sécurité", &o, "22");
	o.candidate = "nobody";
	assert_finds(f, "sécurité", &o, "");
	o.candidate = NULL;
	o.election = "no-such-election";
	assert_finds(f, "sécurité", &o, "");
	o.election = NULL;
	/* a rejected tag does not count; a group covers its themes */
	o.theme = "security";
	assert_finds(f, "sécurité", &o, "11");
	o.theme = "security_justice";
	assert_finds(f, "sécurité", &o, "11,14");
	o.theme = "education";
	assert_finds(f, "sécurité", &o, "22");
	o.theme = "no-such-theme";
	assert_finds(f, "sécurité", &o, "");

	/* counts per candidate in the neutral order */
	assert_int_equal(search(f, "sécurité", NULL, &r), 0);
	assert_int_equal(r.total, 5);
	assert_false(r.total_capped);
	assert_int_equal(r.ncand, 3);
	assert_string_equal(r.per_candidate[0].candidate_slug, "alice-dupont");
	assert_string_equal(r.per_candidate[0].candidate_name, "Alice Dupont");
	assert_int_equal(r.per_candidate[0].n, 3);
	assert_string_equal(r.per_candidate[1].candidate_slug, "bob-martin");
	assert_int_equal(r.per_candidate[1].n, 1);
	assert_string_equal(r.per_candidate[2].candidate_slug, "carol-zola");
	assert_int_equal(r.per_candidate[2].n, 1);
	/* ranks come in order, and every hit says whose it is */
	assert_int_equal(r.n, 5);
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.v[i - 1].rank <= r.v[i].rank);
	for (size_t i = 0; i < r.n; i++) {
		assert_non_null(r.v[i].candidate_slug);
		assert_non_null(r.v[i].election);
		if (r.v[i].proposal_id == 41) {
			assert_string_equal(r.v[i].election, "ville-2026");
			assert_string_equal(r.v[i].candidate_name,
					    "Carol Zola");
		}
	}
	search_result_fini(&r);
}

static void test_pages(void **state)
{
	struct fixture *f = *state;
	struct search_opts o = {.limit = 2};
	struct search_result r;
	int64_t seen[8];
	size_t nseen = 0, i, j;

	for (o.offset = 0; o.offset < 6; o.offset += 2) {
		assert_int_equal(search(f, "sécurité", &o, &r), 0);
		assert_int_equal(r.total, 5);
		assert_int_equal(r.n, o.offset < 4 ? 2 : 1);
		for (i = 0; i < r.n; i++)
			seen[nseen++] = r.v[i].proposal_id;
		search_result_fini(&r);
	}
	assert_int_equal(nseen, 5);
	for (i = 0; i < nseen; i++)
		for (j = i + 1; j < nseen; j++)
			assert_true(seen[i] != seen[j]);
	o.offset = 100;
	assert_int_equal(search(f, "sécurité", &o, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.total, 5);
	search_result_fini(&r);
}

static void test_snippets(void **state)
{
	struct fixture *f = *state;
	struct search_result r;
	size_t i;
	int found = 0;

	assert_int_equal(search(f, "securite transport", NULL, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].text,
			    "Renforcer la sécurité dans les transports.");
	assert_non_null(strstr(r.v[0].snippet, "\x02sécurité\x03"));
	assert_non_null(strstr(r.v[0].snippet, "\x02transports\x03"));
	assert_null(strstr(r.v[0].snippet, "\x02la"));
	search_result_fini(&r);

	assert_int_equal(search(f, "SÉCURITÉ", NULL, &r), 0);
	for (i = 0; i < r.n; i++) {
		if (r.v[i].proposal_id == 14) {
			assert_non_null(
				strstr(r.v[i].snippet, "\x02SECURITE\x03"));
			found++;
		}
		if (r.v[i].proposal_id == 12) {
			assert_non_null(
				strstr(r.v[i].snippet, "\x02sécurités\x03"));
			found++;
		}
	}
	assert_int_equal(found, 2);
	search_result_fini(&r);

	assert_int_equal(search(f, "propos*", NULL, &r), 0);
	for (i = 0; i < r.n; i++)
		assert_true(strstr(r.v[i].snippet, "\x02proposition\x03") ||
			    strstr(r.v[i].snippet, "\x02proposer\x03"));
	search_result_fini(&r);
}

static void assert_builds(const char *q, const char *want)
{
	struct sb sb;

	sb_init(&sb, 0);
	assert_int_equal(search_query_build(q, strlen(q), &sb), 0);
	if (strcmp(sb.buf, want))
		fprintf(stderr, "build '%s': got '%s'\n", q, sb.buf);
	assert_string_equal(sb.buf, want);
	sb_fini(&sb);
}

static void test_query_build(void **state)
{
	struct sb sb;
	char big[4096];
	size_t i;

	(void)state;
	assert_builds("", "");
	assert_builds("\"", "");
	assert_builds("(((", "");
	assert_builds("sécurité", "\"sécurité\"");
	assert_builds("taxe carbone", "\"taxe\" AND \"carbone\"");
	/* a prefix also matches the stems that are shorter prefixes of it */
	assert_builds("propos*",
		      "(\"propos\"* OR \"propo\" OR \"prop\" OR \"pro\")");
	assert_builds("logem*", "(\"logem\"* OR \"loge\" OR \"log\")");
	assert_builds("écol*", "(\"écol\"* OR \"éco\")");
	assert_builds("ab* x", "\"ab\" AND \"x\""); /* too short for a prefix */
	assert_builds("NEAR(a b)", "\"NEAR\" AND \"b\"");
	assert_builds("text:foo", "\"text\" AND \"foo\"");
	assert_builds("\"taxe\" OR -carbone ^x +zz",
		      "\"taxe\" AND \"OR\" AND \"carbone\" AND \"x\" AND \"zz\"");
	assert_builds("l'école d’impôts", "\"école\" AND \"impôts\"");
	assert_builds("la sécurité de la France", "\"sécurité\" AND \"France\"");
	assert_builds("de la", "\"de\" AND \"la\"");
	assert_builds("taxe TAXE taxes", "\"taxe\"");
	assert_builds("a\x01"
		      "b\xff"
		      "c",
		      "\"b\" AND \"c\"");

	/* 16 terms at most, 1 KiB at most */
	sb_init(&sb, 0);
	for (i = 0; i + 8 < sizeof(big); i += 8)
		snprintf(big + i, 9, "mot%04zu ", i / 8);
	assert_int_equal(search_query_build(big, strlen(big), &sb), 0);
	assert_true(sb.len <= 1024);
	assert_non_null(strstr(sb.buf, "\"mot0015\""));
	assert_null(strstr(sb.buf, "\"mot0016\""));
	sb_fini(&sb);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_builds(big, "");
}

static void test_hostile(void **state)
{
	struct fixture *f = *state;
	static const char *const q[] = {
		"\"",
		"\"\"",
		"(((",
		")))",
		"NEAR(",
		"NEAR(a b, 3)",
		"text:foo",
		"text:sécurité",
		"*",
		"**",
		"-",
		"AND",
		"a OR",
		"OR",
		"NOT",
		"^",
		"^sécurité",
		"+",
		"sécurité*",
		"sécu*",
		"\"sécurité",
		"{text}: x",
		"x:y:z",
		"\x01\x02\x03",
		"\xff\xfe",
		"s\xc3"
		"curit\xc3\xa9",
		"\xed\xa0\x80",
		"sécurité\"\" OR \"x",
		"'",
		"’",
		"l'",
		"qu’",
		"a*b*c",
		"\\",
		"%",
		"_",
		"'; DROP "
		"TABLE proposal; --",
	};
	struct search_result r;
	char *garbage;
	size_t i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		assert_int_equal(search(f, q[i], NULL, &r), 0);
		assert_true(r.n <= r.total);
		search_result_fini(&r);
	}
	garbage = malloc(10241);
	assert_non_null(garbage);
	srand(42);
	for (i = 0; i < 10240; i++)
		garbage[i] = (char)(1 + rand() % 255);
	garbage[10240] = '\0';
	assert_int_equal(search(f, garbage, NULL, &r), 0);
	search_result_fini(&r);
	memset(garbage, '(', 10240);
	assert_int_equal(search(f, garbage, NULL, &r), 0);
	assert_int_equal(r.n, 0);
	search_result_fini(&r);
	free(garbage);
	assert_finds(f, "sécurité\"\" OR \"pingouin", NULL, "");
	assert_finds(f, "text:sécurité", NULL, "");
	assert_finds(f, "\"sécurité", NULL, "11,12,14,22,41");
}

/*
 * The per-connection cache (candidates, lengths) follows writes: a new
 * programme and a new version are seen by the next search on the same
 * connection, and by a search on another connection.
 */
static void test_cache_follows_writes(void **state)
{
	struct fixture *f = *state;
	struct search_result r = {0};
	struct agora_error err = {0};
	struct agora_db *other;
	char buf[256];

	assert_int_equal(search(f, "frontières", NULL, &r), 0);
	ids(&r, buf, sizeof(buf));
	assert_string_equal(buf, "23");
	search_result_fini(&r);
	/* Bob publishes version 3, which no longer speaks of frontières */
	assert_int_equal(
		db_exec(f->db,
			"INSERT INTO document(id, candidate_id, version, title,"
			" media_type, format, sha256, original, extracted,"
			" extractor_version, status) VALUES (6, 2, 3,"
			" 'Programme', 'text/plain', 'text',"
			" printf('%064d', 6), x'00', '', 1, 'published');"
			"INSERT INTO proposal(id, document_id, ordinal, start,"
			" end, text) VALUES (51, 6, 1, 0, 1,"
			" 'Des frontaliers mieux accompagnés.'),"
			" (52, 6, 2, 0, 1, 'Baisser les impôts locaux.');"
			"INSERT INTO proposal_fts(rowid, text) SELECT id,"
			" text FROM proposal WHERE document_id = 6;",
			&err),
		0);
	assert_int_equal(search(f, "frontières", NULL, &r), 0);
	assert_int_equal(r.n, 0);
	search_result_fini(&r);
	assert_int_equal(search(f, "impôts", NULL, &r), 0);
	ids(&r, buf, sizeof(buf));
	assert_string_equal(buf, "52");
	assert_int_equal(r.ncand, 1);
	assert_string_equal(r.per_candidate[0].candidate_slug, "bob-martin");
	search_result_fini(&r);
	/* a second connection sees the same */
	assert_int_equal(db_open(&other, f->path, 0, &err), 0);
	assert_int_equal(search_db_prepare(other, &err), 0);
	assert_int_equal(compare_search(other, "impôts", NULL, &r, &err), 0);
	ids(&r, buf, sizeof(buf));
	assert_string_equal(buf, "52");
	search_result_fini(&r);
	db_close(other);
}

/* Ranking is bm25: more occurrences in a shorter text rank first */
static void test_rank_order(void **state)
{
	struct fixture *f = *state;
	struct search_result r = {0};
	struct agora_error err = {0};

	assert_int_equal(
		db_exec(f->db,
			"INSERT INTO document(id, candidate_id, version, title,"
			" media_type, format, sha256, original, extracted,"
			" extractor_version, status) VALUES (7, 3, 1,"
			" 'Annexe', 'text/plain', 'text', printf('%064d', 7),"
			" x'00', '', 1, 'published');"
			"INSERT INTO proposal(id, document_id, ordinal, start,"
			" end, text) VALUES (61, 7, 1, 0, 1, 'Vélo : des"
			" pistes de vélo partout, le vélo pour tous.'),"
			" (62, 7, 2, 0, 1, 'Un long texte qui parle de"
			" beaucoup de choses, de la ville, des rues, des"
			" places, des parcs, des écoles et une fois du vélo"
			" en passant, sans insister davantage sur ce point.'),"
			" (63, 7, 3, 0, 1, 'Le vélo en ville.');"
			"INSERT INTO proposal_fts(rowid, text) SELECT id,"
			" text FROM proposal WHERE document_id = 7;",
			&err),
		0);
	assert_int_equal(search(f, "vélo", NULL, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].proposal_id, 61);
	assert_int_equal(r.v[2].proposal_id, 62);
	assert_true(r.v[0].rank < r.v[1].rank);
	assert_true(r.v[1].rank < r.v[2].rank);
	/* every occurrence is marked in the snippet */
	assert_non_null(strstr(r.v[0].snippet, "\x02Vélo\x03 : des pistes de "
					       "\x02vélo\x03"));
	search_result_fini(&r);
}

/*
 * A broad query ranks a capped number of matches, shared fairly: the
 * candidate ingested first is not crowded out by the one ingested last,
 * and the counts per candidate are exact.
 */
static void test_broad_query_is_neutral(void **state)
{
	struct fixture *f = *state;
	struct search_result r = {0};
	struct search_opts o = {0};
	struct agora_error err = {0};
	size_t i, alice = 0, bob = 0;

	assert_int_equal(
		db_exec(f->db,
			"INSERT INTO document(id, candidate_id, version, title,"
			" media_type, format, sha256, original, extracted,"
			" extractor_version, status) VALUES"
			" (8, 1, 1, 'Logement', 'text/plain', 'text',"
			" printf('%064d', 8), x'00', '', 1, 'published'),"
			" (9, 2, 1, 'Logement', 'text/plain', 'text',"
			" printf('%064d', 9), x'00', '', 1, 'published');"
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
			" SELECT i + 1 FROM n WHERE i < 1500)"
			" INSERT INTO proposal(id, document_id, ordinal, start,"
			" end, text) SELECT 1000 + i, 8, i, 0, 1,"
			" 'Construire des logements, tranche ' || i FROM n;"
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
			" SELECT i + 1 FROM n WHERE i < 1500)"
			" INSERT INTO proposal(id, document_id, ordinal, start,"
			" end, text) SELECT 5000 + i, 9, i, 0, 1,"
			" 'Rénover des logements, tranche ' || i FROM n;"
			"INSERT INTO proposal_fts(proposal_fts) VALUES"
			" ('rebuild');",
			&err),
		0);
	o.limit = 100;
	assert_int_equal(search(f, "logements", &o, &r), 0);
	assert_int_equal(r.total, 3000);
	assert_int_equal(r.ncand, 2);
	assert_int_equal(r.per_candidate[0].n, 1500);
	assert_int_equal(r.per_candidate[1].n, 1500);
	for (i = 0; i < r.n; i++) {
		alice += !strcmp(r.v[i].candidate_slug, "alice-dupont");
		bob += !strcmp(r.v[i].candidate_slug, "bob-martin");
	}
	assert_true(alice >= 30);
	assert_true(bob >= 30);
	search_result_fini(&r);
}

/* A candidate slug found in two elections is not guessed at */
static void test_homonyms(void **state)
{
	struct fixture *f = *state;
	struct search_result r = {0};
	struct search_opts o = {0};
	struct agora_error err = {0};

	assert_int_equal(
		db_exec(f->db,
			"INSERT INTO candidate(id, election_id, slug,"
			" given_name, family_name, sort_key) VALUES (4, 2,"
			" 'alice-dupont', 'Alice', 'Dupont', 'dupont alice')",
			&err),
		0);
	o.candidate = "alice-dupont";
	assert_int_equal(compare_search(f->db, "sécurité", &o, &r, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "several elections"));
	o.election = "pres-2027";
	assert_finds(f, "sécurité", &o, "11,12,14");
}

/* A short proposal's snippet is the whole text, marked, never cut */
static void test_short_snippet_is_whole(void **state)
{
	struct fixture *f = *state;
	struct search_result r = {0};

	assert_int_equal(search(f, "europe", NULL, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].snippet,
			    "Taxe carbone aux frontières de l'\x02"
			    "Europe\x03.");
	search_result_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_build),
		cmocka_unit_test_setup_teardown(test_accents_and_stems, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prefix_and_and, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snippets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_follows_writes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rank_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_broad_query_is_neutral,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_homonyms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_short_snippet_is_whole,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
