/*
 * search_bench.c - search latency and index size over large sets of
 * real proposals, and the same rows and queries for PostgreSQL.
 *
 * usage:
 *   search_bench build -n N -d DB [-C CORPUS] [-f]
 *   search_bench query -d DB [-i ITERATIONS]
 *   search_bench one -d DB -q QUERY [-i ITERATIONS]
 *   search_bench export -d DB -o FILE.tsv
 *   search_bench pgscripts -o DIR
 *
 * build: ingests the French corpora of ../shared/corpus (the 2017
 * campaign sites' CSV and the Markdown programme) again and again under
 * distinct candidates (12 per election) until the database holds at
 * least N proposals; the database is built under a temporary name and
 * renamed when complete, so an existing DB is a finished one and is
 * reused unless -f. The English HTML corpus is left out: the queries
 * are French, and English rows would only make French terms rarer.
 *
 * query: runs the fixed mix of French queries below through
 * compare_search() (limit 10, with snippets, counts per candidate), once
 * to warm up, then ITERATIONS times each, interleaved; prints p50/p99
 * per query and over the whole mix, and the FTS5 index size (dbstat)
 * against the size of the proposal text.
 *
 * one: times one query string alone (for profiling).
 *
 * export: writes the proposals as PostgreSQL COPY text (id, text).
 * pgscripts: writes pgbench scripts for each query of the mix, the same
 * queries in PostgreSQL's French full-text search (two variants, see
 * cmd_pgscripts).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define CANDIDATES_PER_ELECTION 12
#define SEARCH_LIMIT 10

/*
 * The mix: common, medium, rare, multi-word, prefix, a phrase with
 * function words, and a word that is in no proposal. Document
 * frequencies in one copy of the French corpus (2,355 proposals) are in
 * the comments. pg is the same query for to_tsquery('fr_unaccent', ..).
 */
static const struct bench_query {
	const char *kind, *q, *pg;
} queries[] = {
	{"common", "santé", "santé"},	      /* 108 */
	{"common", "sécurité", "sécurité"},   /* 77 */
	{"common", "numérique", "numérique"}, /* 64 */
	{"medium", "emploi", "emploi"},	      /* 50 */
	{"medium", "impôt", "impôt"},	      /* 39 */
	{"medium", "retraite", "retraite"},   /* 29 */
	{"medium", "école", "école"},	      /* 26 */
	{"medium", "hôpital", "hôpital"},     /* 12 */
	{"multi", "service public", "service & public"},
	{"multi", "logement social", "logement & social"},
	{"multi", "transition énergétique", "transition & énergétique"},
	{"multi", "la retraite à 60 ans", "retraite & 60 & ans"},
	{"prefix", "propos*", "propos:*"},
	{"prefix", "agri*", "agri:*"},
	{"rare", "glyphosate", "glyphosate"},	/* 3 */
	{"rare", "abeilles", "abeilles"},	/* 1 */
	{"rare", "sabbatique", "sabbatique"},	/* 1 */
	{"none", "hydrolienne", "hydrolienne"}, /* 0 */
};

#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

static void usage(void)
{
	fputs("usage: search_bench build -n N -d DB [-C CORPUS] [-f]\n"
	      "       search_bench query -d DB [-i ITERATIONS]\n"
	      "       search_bench one -d DB -q QUERY [-i ITERATIONS]\n"
	      "       search_bench export -d DB -o FILE\n"
	      "       search_bench pgscripts -o DIR\n",
	      stderr);
}

/* ------------------------------------------------------------- build */

static int write_meta(const char *db, size_t n, double secs, size_t bytes)
{
	char path[4200], date[32];
	time_t now = time(NULL);
	FILE *f;

	snprintf(path, sizeof(path), "%s.meta", db);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	f = fopen(path, "w");
	if (!f)
		return AGORA_EIO;
	fprintf(f,
		"proposals=%zu\ninput_bytes=%zu\nbuild_seconds=%.1f\n"
		"built=%s\n",
		n, bytes, secs, date);
	return fclose(f) ? AGORA_EIO : 0;
}

static int cmd_build(const char *path, size_t want, const char *corpus,
		     int force)
{
	struct agora_error err = {0};
	struct theme_rules *rules = NULL;
	struct agora_db *db = NULL;
	struct bench_set sets[2] = {{0}};
	struct ingest_limits lim;
	struct stat stt;
	char tmp[4200], cand[64], elec[64];
	size_t have = 0, bytes = 0, c, k, i;
	double t0, last;
	int rc;

	if (!force && !stat(path, &stt)) {
		printf("%s: already built (delete it or use -f to rebuild)\n",
		       path);
		return 0;
	}
	ingest_limits_default(&lim);
	sets[0].name = "csv";
	sets[0].format = INGEST_CSV;
	sets[1].name = "markdown";
	sets[1].format = INGEST_MARKDOWN;
	corpus = bench_corpus_root(corpus);
	if ((rc = bench_set_load(&sets[0], corpus, "fr-2017-sites", ".csv")) ||
	    (rc = bench_set_load(&sets[1], corpus, "fr-avenir-en-commun",
				 ".md")))
		goto out;
	bench_set_prune(&sets[0], &lim);
	bench_set_prune(&sets[1], &lim);
	if ((rc = theme_rules_load(&rules, &err)))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	bench_db_unlink(tmp);
	if ((rc = bench_db_open(&db, tmp, DB_OPEN_CREATE, &err)))
		goto out;
	t0 = last = bench_now();
	for (c = 0; have < want; c++) {
		snprintf(elec, sizeof(elec), "bench-%03zu",
			 c / CANDIDATES_PER_ELECTION + 1);
		snprintf(cand, sizeof(cand), "Bench %05zu", c + 1);
		if (c % CANDIDATES_PER_ELECTION == 0 &&
		    (rc = election_add(db, elec, "Benchmark", "2024-01-01",
				       "fr", &err)))
			goto out;
		for (k = 0; k < 2 && have < want; k++) {
			for (i = 0; i < sets[k].n && have < want; i++) {
				struct ingest_request req = {0};
				struct ingest_result res;

				req.election = elec;
				req.candidate = cand;
				req.title = sets[k].v[i].rel;
				req.format = sets[k].format;
				req.limits = lim;
				rc = ingest_document(
					db, rules, &req, sets[k].v[i].data,
					sets[k].v[i].len, &res, &err);
				if (rc) {
					agora_error_prefix(&err,
							   "cannot ingest '%s'",
							   sets[k].v[i].rel);
					goto out;
				}
				have += res.proposals;
				bytes += res.bytes;
			}
		}
		if (bench_now() - last > 10) {
			last = bench_now();
			fprintf(stderr, "  %zu proposals, %.0f s\n", have,
				last - t0);
		}
	}
	last = bench_now() - t0;
	/* the last connection's close checkpoints and removes the WAL */
	db_close(db);
	db = NULL;
	if (rename(tmp, path)) {
		rc = agora_errorf(&err, AGORA_EIO, "cannot rename '%s': %s",
				  tmp, strerror(errno));
		goto out;
	}
	bench_db_unlink(tmp);
	printf("%s: %zu proposals from %zu candidates, %.1f MB of input, "
	       "built in %.1f s (%.2f MB/s)\n",
	       path, have, c, (double)bytes / 1e6, last,
	       (double)bytes / 1e6 / last);
	printf("RESULT build n=%zu seconds=%.1f mbps=%.2f\n", have, last,
	       (double)bytes / 1e6 / last);
	rc = write_meta(path, have, last, bytes);
out:
	if (rc && err.msg[0])
		fprintf(stderr, "search_bench: %s\n", err.msg);
	db_close(db);
	theme_rules_free(rules);
	bench_set_fini(&sets[0]);
	bench_set_fini(&sets[1]);
	return rc;
}

/* ------------------------------------------------------------- query */

static int64_t scalar(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * The FTS5 index is its four shadow tables (the content is the proposal
 * table itself: external content). dbstat counts whole pages, free
 * space included; without dbstat, the stored bytes of the segments.
 */
static void print_sizes(struct agora_db *db)
{
	static const char *const tables[] = {
		"proposal_fts_data",
		"proposal_fts_idx",
		"proposal_fts_docsize",
		"proposal_fts_config",
	};
	sqlite3 *h = db_handle(db);
	int64_t text, props, idx = 0, v;
	char sql[256];
	const char *how = "dbstat pages";
	size_t i;

	props = scalar(h, "SELECT count(*) FROM proposal");
	text = scalar(h, "SELECT sum(length(CAST(text AS BLOB)))"
			 " FROM proposal");
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT sum(pgsize) FROM dbstat WHERE name = '%s'",
			 tables[i]);
		v = scalar(h, sql);
		if (v < 0) {
			how = "payload bytes (no dbstat)";
			v = scalar(h, i == 0   ? "SELECT sum(length(block))"
						 " FROM proposal_fts_data"
				      : i == 2 ? "SELECT sum(length(sz))"
						 " FROM proposal_fts_docsize"
					       : "SELECT 0");
		}
		printf("  %-22s %12lld bytes\n", tables[i], (long long)v);
		idx += v > 0 ? v : 0;
	}
	printf("  index %lld bytes (%s) for %lld bytes of text in %lld "
	       "proposals: %.2fx the text\n",
	       (long long)idx, how, (long long)text, (long long)props,
	       text > 0 ? (double)idx / (double)text : 0);
	printf("RESULT size n=%lld text_bytes=%lld index_bytes=%lld "
	       "ratio=%.3f\n",
	       (long long)props, (long long)text, (long long)idx,
	       text > 0 ? (double)idx / (double)text : 0);
}

/* printf's width for s to fill w characters (it counts bytes) */
static int pad(const char *s, int w)
{
	int extra = 0;

	for (; *s; s++)
		extra += ((unsigned char)*s & 0xc0) == 0x80;
	return w + extra;
}

static int run_one(struct agora_db *db, const char *q,
		   struct search_result *res, double *ms)
{
	struct search_opts o = {0};
	struct agora_error err = {0};
	double t0;
	int rc;

	o.limit = SEARCH_LIMIT;
	t0 = bench_now();
	rc = compare_search(db, q, &o, res, &err);
	*ms = (bench_now() - t0) * 1e3;
	if (rc)
		fprintf(stderr, "search_bench: '%s': %s\n", q, err.msg);
	return rc;
}

static int cmd_query(const char *path, size_t iters)
{
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	struct search_result res;
	size_t total[NQUERIES], hits[NQUERIES], i, q;
	int capped[NQUERIES], rc;
	double *lat = NULL, *all = NULL, ms, sum = 0, p50, p99;

	if ((rc = bench_db_open(&db, path, DB_OPEN_READONLY, &err))) {
		fprintf(stderr, "search_bench: %s\n", err.msg);
		return rc;
	}
	printf("%s:\n", path);
	print_sizes(db);
	lat = calloc(NQUERIES * iters, sizeof(*lat));
	all = calloc(NQUERIES * iters, sizeof(*all));
	if (!lat || !all) {
		rc = AGORA_ENOMEM;
		goto out;
	}
	/* warm-up: the pages in cache, the statements prepared */
	for (q = 0; q < NQUERIES; q++) {
		if ((rc = run_one(db, queries[q].q, &res, &ms)))
			goto out;
		total[q] = res.total;
		capped[q] = res.total_capped;
		hits[q] = res.n;
		for (i = 0; i < res.n; i++)
			if (!res.v[i].snippet || !*res.v[i].snippet) {
				fprintf(stderr,
					"search_bench: '%s': hit "
					"without a snippet\n",
					queries[q].q);
				rc = AGORA_ECHECK;
			}
		search_result_fini(&res);
		if (rc)
			goto out;
	}
	for (i = 0; i < iters; i++) {
		for (q = 0; q < NQUERIES; q++) {
			if ((rc = run_one(db, queries[q].q, &res, &ms)))
				goto out;
			search_result_fini(&res);
			lat[q * iters + i] = ms;
			all[i * NQUERIES + q] = ms;
			sum += ms;
		}
	}
	printf("  %-8s %-26s %9s %5s %9s %9s\n", "kind", "query", "matches",
	       "hits", "p50 ms", "p99 ms");
	for (q = 0; q < NQUERIES; q++) {
		p50 = bench_pct(&lat[q * iters], iters, 50);
		p99 = bench_pct(&lat[q * iters], iters, 99);
		printf("  %-8s %-*s %8zu%s %5zu %9.3f %9.3f\n", queries[q].kind,
		       pad(queries[q].q, 26), queries[q].q, total[q],
		       capped[q] ? "+" : " ", hits[q], p50, p99);
	}
	p50 = bench_pct(all, NQUERIES * iters, 50);
	p99 = bench_pct(all, NQUERIES * iters, 99);
	printf("  whole mix: %zu searches, p50 %.3f ms, p99 %.3f ms, "
	       "mean %.3f ms, max %.3f ms\n",
	       NQUERIES * iters, p50, p99, sum / (double)(NQUERIES * iters),
	       all[NQUERIES * iters - 1]);
	printf("RESULT search n=%lld searches=%zu p50_ms=%.3f p99_ms=%.3f "
	       "mean_ms=%.3f\n",
	       (long long)scalar(db_handle(db),
				 "SELECT count(*) FROM proposal"),
	       NQUERIES * iters, p50, p99, sum / (double)(NQUERIES * iters));
out:
	free(lat);
	free(all);
	db_close(db);
	return rc;
}

/* One query string, for profiling: perf record search_bench one ... */
static int cmd_one(const char *path, const char *q, size_t iters)
{
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	struct search_result res;
	double *lat, ms;
	size_t i, total = 0;
	int rc;

	lat = calloc(iters, sizeof(*lat));
	if (!lat)
		return AGORA_ENOMEM;
	if ((rc = bench_db_open(&db, path, DB_OPEN_READONLY, &err))) {
		fprintf(stderr, "search_bench: %s\n", err.msg);
		goto out;
	}
	for (i = 0; i <= iters; i++) {
		if ((rc = run_one(db, q, &res, &ms)))
			goto out;
		total = res.total;
		search_result_fini(&res);
		if (i) /* the first call warms up */
			lat[i - 1] = ms;
	}
	printf("'%s': %zu matches, p50 %.3f ms, p99 %.3f ms over %zu calls\n",
	       q, total, bench_pct(lat, iters, 50), bench_pct(lat, iters, 99),
	       iters);
out:
	free(lat);
	db_close(db);
	return rc;
}

/* ------------------------------------------------------ PostgreSQL */

/* COPY text format: backslash, tab, newline and CR escaped */
static void copy_escape(FILE *f, const unsigned char *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			putc(s[i], f);
		}
	}
}

static int cmd_export(const char *path, const char *out)
{
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	sqlite3_stmt *st = NULL;
	char tmp[4200];
	size_t n = 0;
	FILE *f = NULL;
	int rc;

	if ((rc = bench_db_open(&db, path, DB_OPEN_READONLY, &err))) {
		fprintf(stderr, "search_bench: %s\n", err.msg);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f ||
	    sqlite3_prepare_v2(db_handle(db),
			       "SELECT id, text FROM proposal ORDER BY id", -1,
			       &st, NULL) != SQLITE_OK) {
		rc = AGORA_EIO;
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(f, "%lld\t", (long long)sqlite3_column_int64(st, 0));
		copy_escape(f, sqlite3_column_text(st, 1),
			    sqlite3_column_bytes(st, 1));
		putc('\n', f);
		n++;
	}
	if (fclose(f) || rename(tmp, out))
		rc = AGORA_EIO;
	f = NULL;
	if (!rc)
		printf("%s: %zu proposals\n", out, n);
out:
	if (rc)
		fprintf(stderr, "search_bench: cannot export to '%s'\n", out);
	if (f)
		fclose(f);
	sqlite3_finalize(st);
	db_close(db);
	return rc;
}

/* SQL string literal: quotes doubled (the queries are ours anyway) */
static void sql_literal(FILE *f, const char *s)
{
	putc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			putc('\'', f);
		putc(*s, f);
	}
	putc('\'', f);
}

/*
 * The peer's equivalent of one search, in two variants. qNN.sql: the ten
 * best of all matches by ts_rank, then ts_headline (24 words at most,
 * like agora's snippet) on those ten only. cNN.sql: the same over the
 * newest 1000 matches only, which is what agora ranks (SEARCH_RANK_CAP
 * in compare/search.c). agora also counts matches per candidate; these
 * do not.
 */
static int write_script(const char *path, const char *tsq, int capped)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return AGORA_EIO;
	fputs("SELECT t.id, ts_headline('fr_unaccent', t.text, t.q,"
	      " 'MaxWords=24, MinWords=12')\n"
	      "FROM (SELECT p.id, p.text, q, ts_rank(p.tsv, q) AS r\n"
	      "      FROM to_tsquery('fr_unaccent', ",
	      f);
	sql_literal(f, tsq);
	if (capped)
		fputs(") q,\n"
		      "      LATERAL (SELECT id, text, tsv FROM proposal"
		      " WHERE tsv @@ q\n"
		      "               ORDER BY id DESC LIMIT 1000) p\n",
		      f);
	else
		fputs(") q, proposal p\n"
		      "      WHERE p.tsv @@ q\n",
		      f);
	fputs("      ORDER BY r DESC LIMIT 10) t\n"
	      "ORDER BY t.r DESC;\n",
	      f);
	return fclose(f) ? AGORA_EIO : 0;
}

static int cmd_pgscripts(const char *dir)
{
	char path[4200];
	size_t q;
	FILE *list;

	snprintf(path, sizeof(path), "%s/queries.tsv", dir);
	list = fopen(path, "w");
	if (!list)
		goto fail;
	for (q = 0; q < NQUERIES; q++) {
		snprintf(path, sizeof(path), "%s/q%02zu.sql", dir, q + 1);
		if (write_script(path, queries[q].pg, 0))
			goto fail;
		snprintf(path, sizeof(path), "%s/c%02zu.sql", dir, q + 1);
		if (write_script(path, queries[q].pg, 1))
			goto fail;
		fprintf(list, "%02zu\t%s\t%s\n", q + 1, queries[q].kind,
			queries[q].q);
	}
	if (fclose(list))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "search_bench: cannot write '%s'\n", path);
	return AGORA_EIO;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *corpus = NULL, *out = NULL, *q = NULL, *cmd;
	size_t n = 0, iters = 100;
	int ch, force = 0, rc;

	if (argc < 2) {
		usage();
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "n:d:C:fi:o:q:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			db = optarg;
			break;
		case 'C':
			corpus = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'i':
			iters = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'q':
			q = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!strcmp(cmd, "build") && db && n)
		rc = cmd_build(db, n, corpus, force);
	else if (!strcmp(cmd, "query") && db && iters)
		rc = cmd_query(db, iters);
	else if (!strcmp(cmd, "one") && db && q && iters)
		rc = cmd_one(db, q, iters);
	else if (!strcmp(cmd, "export") && db && out)
		rc = cmd_export(db, out);
	else if (!strcmp(cmd, "pgscripts") && out)
		rc = cmd_pgscripts(out);
	else {
		usage();
		return 2;
	}
	return rc ? 1 : 0;
}
