/*
 * ingest_bench.c - ingest throughput of the real corpus: MB/s of input
 * turned into indexed, committed proposals, on one core.
 *
 * usage: ingest_bench [-C CORPUS] [-o DIR] [-r ROUNDS] [-b BYTES] [FORMAT...]
 *
 * For each format (html, markdown, csv: the three real corpora of
 * ../shared/corpus), the files are loaded in memory once; each round
 * creates a fresh database in a temporary folder under DIR (untimed),
 * then ingests the whole set again and again under distinct candidates
 * until at least BYTES of input went in (timed: extraction, segmentation,
 * themes, SQLite inserts, FTS5 index, one commit per document, as
 * `agora ingest` does, and the checkpoints that copy the WAL into the
 * database file, the last one when the connection closes). The same
 * round also times the pure stages alone over the same input (extract;
 * extract + segment; extract + segment + themes), which is the
 * reference measured in the same run: the share of the store is the
 * difference. Medians over the rounds are printed,
 * with wall-clock MB/s and CPU-time MB/s (the latter is less sensitive
 * to a busy machine), for the full ingest and for the stages. MB is
 * 10^6 bytes.
 *
 * Files the pipeline refuses (e.g. an index page with no proposal) are
 * left out and listed; their bytes do not count.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"

#define MAX_ROUNDS 100

struct format_spec {
	const char *name, *sub, *ext;
	enum ingest_format format;
};

static const struct format_spec formats[] = {
	{"html", "uk-2010-html", ".html", INGEST_HTML},
	{"markdown", "fr-avenir-en-commun", ".md", INGEST_MARKDOWN},
	{"csv", "fr-2017-sites", ".csv", INGEST_CSV},
};

struct round {
	double full_wall, full_cpu;	 /* seconds for the whole round */
	double extract, segment, themes; /* seconds, cumulative stages */
	double extract_cpu, segment_cpu, themes_cpu; /* the same, CPU time */
	double floor_wall, floor_cpu;	 /* the rows alone, see time_floor */
	double floorix_wall, floorix_cpu; /* the rows and a plain index */
	double tok_wall, tok_cpu; /* unicode61 alone, see time_unicode61 */
	size_t bytes, proposals;
};

/* The pure stages over copies x the set, each stage timed on its own */
static int time_stages(const struct bench_set *s, size_t copies,
		       const struct theme_rules *rules, struct fr_stemmer *st,
		       const struct ingest_limits *lim, struct round *r)
{
	struct theme_suggestion sugg[4];
	size_t c, i, k;
	double t0, t1, t2, t3, c0, c1, c2, c3;

	for (c = 0; c < copies; c++) {
		for (i = 0; i < s->n; i++) {
			struct agora_error err = {0};
			struct ingest_segments seg = {0};
			struct ingest_doc doc;
			int rc;

			ingest_doc_init(&doc);
			c0 = bench_cpu();
			t0 = bench_now();
			rc = ingest_extract(s->format, s->v[i].data,
					    s->v[i].len, lim, &doc, &err);
			t1 = bench_now();
			c1 = bench_cpu();
			if (!rc)
				rc = ingest_segment(&doc, lim, &seg, &err);
			t2 = bench_now();
			c2 = bench_cpu();
			for (k = 0; !rc && k < seg.n; k++) {
				const struct ingest_proposal *p = &seg.v[k];

				theme_suggest(rules, st, p->heading_path,
					      p->label, doc.text.buf + p->start,
					      p->end - p->start, sugg, 4);
			}
			t3 = bench_now();
			c3 = bench_cpu();
			ingest_segments_fini(&seg);
			ingest_doc_fini(&doc);
			if (rc) {
				fprintf(stderr, "ingest_bench: %s: %s\n",
					s->v[i].rel, err.msg);
				return rc;
			}
			r->extract += t1 - t0;
			r->segment += t2 - t0;
			r->themes += t3 - t0;
			r->extract_cpu += c1 - c0;
			r->segment_cpu += c2 - c0;
			r->themes_cpu += c3 - c0;
		}
	}
	return 0;
}

/* Steps an INSERT to its end and resets it: 1 when it ran */
static int run(sqlite3_stmt *st)
{
	int ok = sqlite3_step(st) == SQLITE_DONE;

	sqlite3_reset(st);
	return ok;
}

/*
 * The floor of the store: the rows the data model keeps for each
 * document (DESIGN.md: the original, its extracted text, each
 * proposal's text and place), written the way ingest writes them (a
 * transaction per document, WAL, synchronous=NORMAL, no secure_delete)
 * into bare tables, with no full-text index, no theme rows, no
 * constraint, no secondary index, nothing computed: extraction and
 * segmentation are done beforehand, untimed. Timed to the connection's
 * close, as the full ingest is. Whatever the code does, agora's store
 * cannot be faster than this on the same machine. The second floor
 * is the same plus the plainest full-text index SQLite has: FTS5 over the
 * proposals' text with its own unicode61 tokenizer (no stemming, no
 * second token per word) and agora's automerge setting, or BENCH_FTS's
 * settings when given, and detail=BENCH_FLOOR_DETAIL (full, column or
 * none; full when unset). A comparison rather than a bound: unicode61
 * tokenizes the text itself, where agora's index replays the tokens of
 * the theme pass, timed in the stages.
 *
 * One floor: the rows, and the FTS5 table fts creates when not NULL.
 */
static int floor_once(const struct bench_set *s, size_t copies,
		      const struct ingest_doc *docs,
		      const struct ingest_segments *segs, const char *outdir,
		      const char *fts, double *wall, double *cpu)
{
	static const char schema[] =
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		"PRAGMA cache_size=-16000; PRAGMA secure_delete=OFF;"
		"CREATE TABLE doc(id INTEGER PRIMARY KEY, original BLOB,"
		" extracted TEXT);"
		"CREATE TABLE prop(id INTEGER PRIMARY KEY, doc INTEGER,"
		" start INTEGER, end INTEGER, heading TEXT, text TEXT);";
	struct agora_error err = {0};
	sqlite3 *h = NULL;
	sqlite3_stmt *d = NULL, *p = NULL, *fi = NULL;
	char dir[4096], path[4200];
	size_t c, i, k;
	double w0, c0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/floor-XXXXXX", outdir);
	if (!mkdtemp(dir))
		return AGORA_EIO;
	snprintf(path, sizeof(path), "%s/floor.db", dir);
	if (sqlite3_open(path, &h) != SQLITE_OK ||
	    sqlite3_exec(h, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "INSERT INTO doc(original, extracted)"
			       " VALUES (?1, ?2)", -1, &d, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "INSERT INTO prop(doc, start, end,"
			       " heading, text) VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &p, NULL) != SQLITE_OK ||
	    (fts && (sqlite3_exec(h, fts, NULL, NULL, NULL) != SQLITE_OK ||
		     sqlite3_prepare_v2(h, "INSERT INTO fts(rowid, text)"
					" VALUES (?1, ?2)", -1, &fi,
					NULL) != SQLITE_OK)))
		goto fail;
	if (fts && (rc = bench_fts_env(h, "fts", &err))) {
		fprintf(stderr, "ingest_bench: floor: %s\n", err.msg);
		goto done;
	}
	w0 = bench_now();
	c0 = bench_cpu();
	for (c = 0; c < copies; c++) {
		for (i = 0; i < s->n; i++) {
			const struct ingest_doc *x = &docs[i];
			sqlite3_int64 id;

			if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL,
					 NULL) != SQLITE_OK)
				goto fail;
			sqlite3_bind_blob64(d, 1, s->v[i].data, s->v[i].len,
					    SQLITE_STATIC);
			sqlite3_bind_text64(d, 2, x->text.buf, x->text.len,
					    SQLITE_STATIC, SQLITE_UTF8);
			if (!run(d))
				goto fail;
			id = sqlite3_last_insert_rowid(h);
			for (k = 0; k < segs[i].n; k++) {
				const struct ingest_proposal *q =
					&segs[i].v[k];

				sqlite3_bind_int64(p, 1, id);
				sqlite3_bind_int64(p, 2, (sqlite3_int64)q->start);
				sqlite3_bind_int64(p, 3, (sqlite3_int64)q->end);
				sqlite3_bind_text(p, 4, q->heading_path, -1,
						  SQLITE_STATIC);
				sqlite3_bind_text64(p, 5, x->text.buf + q->start,
						    q->end - q->start,
						    SQLITE_STATIC, SQLITE_UTF8);
				if (!run(p))
					goto fail;
				if (!fi)
					continue;
				sqlite3_bind_int64(fi, 1,
						   sqlite3_last_insert_rowid(h));
				sqlite3_bind_text64(fi, 2, x->text.buf + q->start,
						    q->end - q->start,
						    SQLITE_STATIC, SQLITE_UTF8);
				if (!run(fi))
					goto fail;
			}
			if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) !=
			    SQLITE_OK)
				goto fail;
		}
	}
	sqlite3_finalize(d);
	sqlite3_finalize(p);
	sqlite3_finalize(fi);
	d = p = fi = NULL;
	rc = sqlite3_close(h) == SQLITE_OK ? 0 : AGORA_EIO;
	h = NULL;
	*wall = bench_now() - w0;
	*cpu = bench_cpu() - c0;
	goto done;
fail:
	fprintf(stderr, "ingest_bench: floor: %s\n",
		h ? sqlite3_errmsg(h) : "cannot open");
	rc = AGORA_EIO;
done:
	sqlite3_finalize(d);
	sqlite3_finalize(p);
	sqlite3_finalize(fi);
	sqlite3_close(h);
	bench_db_unlink(path);
	rmdir(dir);
	return rc;
}

/*
 * The plain index's CREATE, with detail=BENCH_FLOOR_DETAIL (full when
 * unset); read once per run
 */
static int floor_fts_sql(char *buf, size_t size)
{
	const char *detail = getenv("BENCH_FLOOR_DETAIL");

	if (!detail || !*detail)
		detail = "full";
	if (strcmp(detail, "full") && strcmp(detail, "column") &&
	    strcmp(detail, "none")) {
		fprintf(stderr, "ingest_bench: BENCH_FLOOR_DETAIL is full, "
				"column or none, not '%s'\n", detail);
		return AGORA_EINVAL;
	}
	snprintf(buf, size,
		 "CREATE VIRTUAL TABLE fts USING fts5(text, content='prop',"
		 " content_rowid='id', detail=%s,"
		 " tokenize='unicode61 remove_diacritics 2');"
		 "INSERT INTO fts(fts, rank) VALUES ('automerge', 8);",
		 detail);
	return 0;
}

static int count_token(void *ctx, int flags, const char *token, int n,
		       int start, int end)
{
	(void)flags, (void)token, (void)n, (void)start, (void)end;
	++*(size_t *)ctx;
	return SQLITE_OK;
}

/*
 * The share of the plain index that is tokenizing: FTS5's unicode61,
 * with the plain index's arguments, over the same proposals' text,
 * through FTS5's own tokenizer API with a callback that only counts.
 * The rest of that index's cost (its hash of pending terms, the sort,
 * the segments, the merges) is what any FTS5 index pays, agora's too,
 * whose tokens come from the theme pass instead.
 */
static int time_unicode61(const struct bench_set *s, size_t copies,
			  const struct ingest_doc *docs,
			  const struct ingest_segments *segs, struct round *r)
{
	const char *args[] = {"remove_diacritics", "2"};
	sqlite3 *h = NULL;
	fts5_api *api;
	fts5_tokenizer tok;
	Fts5Tokenizer *t = NULL;
	void *ud = NULL;
	size_t c, i, k, tokens = 0;
	double w0, c0;
	int rc = 0;

	if (sqlite3_open(":memory:", &h) != SQLITE_OK ||
	    !(api = fts5_api_get(h)) ||
	    api->xFindTokenizer(api, "unicode61", &ud, &tok) != SQLITE_OK ||
	    tok.xCreate(ud, args, 2, &t) != SQLITE_OK) {
		fprintf(stderr, "ingest_bench: cannot create unicode61\n");
		sqlite3_close(h);
		return AGORA_EDB;
	}
	w0 = bench_now();
	c0 = bench_cpu();
	for (c = 0; c < copies && !rc; c++)
		for (i = 0; i < s->n && !rc; i++)
			for (k = 0; k < segs[i].n && !rc; k++) {
				const struct ingest_proposal *q =
					&segs[i].v[k];

				rc = tok.xTokenize(t, &tokens,
						   FTS5_TOKENIZE_DOCUMENT,
						   docs[i].text.buf + q->start,
						   (int)(q->end - q->start),
						   count_token);
			}
	r->tok_wall = bench_now() - w0;
	r->tok_cpu = bench_cpu() - c0;
	tok.xDelete(t);
	sqlite3_close(h);
	if (rc || !tokens) {
		fprintf(stderr, "ingest_bench: unicode61 failed\n");
		return AGORA_EDB;
	}
	return 0;
}

/* Both floors of a round, over one extraction of the set */
static int time_floors(const struct bench_set *s, size_t copies,
		       const struct ingest_limits *lim, const char *outdir,
		       const char *fts, struct round *r)
{
	struct ingest_doc *docs = calloc(s->n, sizeof(*docs));
	struct ingest_segments *segs = calloc(s->n, sizeof(*segs));
	size_t i;
	int rc = AGORA_ENOMEM;

	for (i = 0; docs && segs && i < s->n; i++)
		ingest_doc_init(&docs[i]);
	if (!docs || !segs)
		goto out;
	for (i = 0; i < s->n; i++) {
		struct agora_error err = {0};

		if ((rc = ingest_extract(s->format, s->v[i].data, s->v[i].len,
					 lim, &docs[i], &err)) ||
		    (rc = ingest_segment(&docs[i], lim, &segs[i], &err))) {
			fprintf(stderr, "ingest_bench: %s: %s\n", s->v[i].rel,
				err.msg);
			goto out;
		}
	}
	if (!(rc = floor_once(s, copies, docs, segs, outdir, NULL,
			      &r->floor_wall, &r->floor_cpu)))
		rc = floor_once(s, copies, docs, segs, outdir, fts,
				&r->floorix_wall, &r->floorix_cpu);
	if (!rc)
		rc = time_unicode61(s, copies, docs, segs, r);
out:
	for (i = 0; docs && segs && i < s->n; i++) {
		ingest_segments_fini(&segs[i]);
		ingest_doc_fini(&docs[i]);
	}
	free(docs);
	free(segs);
	return rc;
}

/* One timed round of real ingestion into a fresh database */
static int time_ingest(const struct bench_set *s, size_t copies,
		       const struct theme_rules *rules, const char *outdir,
		       struct round *r)
{
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	char dir[4096], path[4200], cand[64];
	size_t c, i;
	double w0, c0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/ingest-XXXXXX", outdir);
	if (!mkdtemp(dir)) {
		fprintf(stderr,
			"ingest_bench: cannot create a folder in '%s'\n",
			outdir);
		return AGORA_EIO;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	rc = bench_db_open(&db, path, DB_OPEN_CREATE, &err);
	if (!rc)
		rc = election_add(db, "bench", "Benchmark", "2024-01-01", "fr",
				  &err);
	if (rc)
		goto out;
	w0 = bench_now();
	c0 = bench_cpu();
	for (c = 0; c < copies; c++) {
		snprintf(cand, sizeof(cand), "Bench %05zu", c + 1);
		for (i = 0; i < s->n; i++) {
			struct ingest_request req = {0};
			struct ingest_result res;

			req.election = "bench";
			req.candidate = cand;
			req.title = s->v[i].rel;
			req.format = s->format;
			ingest_limits_default(&req.limits);
			rc = ingest_document(db, rules, &req, s->v[i].data,
					     s->v[i].len, &res, &err);
			if (rc) {
				agora_error_prefix(&err, "cannot ingest '%s'",
						   s->v[i].rel);
				goto out;
			}
			r->bytes += s->v[i].len;
			r->proposals += res.proposals;
		}
	}
	/* the round ends with the connection closed: its last checkpoint */
	db_close(db);
	db = NULL;
	r->full_wall = bench_now() - w0;
	r->full_cpu = bench_cpu() - c0;
out:
	if (rc)
		fprintf(stderr, "ingest_bench: %s\n", err.msg);
	db_close(db);
	bench_db_unlink(path);
	rmdir(dir);
	return rc;
}

static double mbps(size_t bytes, double secs)
{
	return secs > 0 ? (double)bytes / 1e6 / secs : 0;
}

/* Median MB/s of one field over the rounds */
static double med(const struct round *r, size_t n, size_t off)
{
	double v[MAX_ROUNDS];
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = mbps(r[i].bytes,
			    *(const double *)((const char *)&r[i] + off));
	return bench_median(v, n);
}

/* "  WHAT: W MB/s wall, C MB/s CPU", medians of the rounds */
static void print_pair(const char *what, const struct round *r, size_t n,
		       size_t wall, size_t cpu)
{
	printf("  %s: %.2f MB/s wall, %.2f MB/s CPU\n", what,
	       med(r, n, wall), med(r, n, cpu));
}

static int one_format(const struct format_spec *f, const char *root,
		      const char *outdir, size_t rounds, size_t per_round,
		      const struct theme_rules *rules, struct fr_stemmer *st)
{
	struct bench_set s = {0};
	struct ingest_limits lim;
	struct round r[MAX_ROUNDS];
	double lo = 0, hi = 0, x;
	size_t copies, i, props;
	char fts[512];
	int rc;

	if ((rc = floor_fts_sql(fts, sizeof(fts))))
		return rc;
	ingest_limits_default(&lim);
	s.name = f->name;
	s.format = f->format;
	printf("%s: %s/%s/**/*%s\n", f->name, root, f->sub, f->ext);
	if ((rc = bench_set_load(&s, root, f->sub, f->ext)))
		goto out;
	bench_set_prune(&s, &lim);
	if (!s.n) {
		fprintf(stderr, "ingest_bench: no %s file to ingest\n",
			f->name);
		rc = AGORA_EINVAL;
		goto out;
	}
	copies = (per_round + s.bytes - 1) / s.bytes;
	if (!copies)
		copies = 1;
	memset(r, 0, sizeof(r));
	for (i = 0; i < rounds; i++) {
		if ((rc = time_stages(&s, copies, rules, st, &lim, &r[i])))
			goto out;
		r[i].bytes = 0;
		if ((rc = time_ingest(&s, copies, rules, outdir, &r[i])))
			goto out;
		if ((rc = time_floors(&s, copies, &lim, outdir, fts, &r[i])))
			goto out;
		x = mbps(r[i].bytes, r[i].full_wall);
		lo = i && lo < x ? lo : x;
		hi = hi > x ? hi : x;
	}
	props = r[0].proposals / copies;
	printf("  %zu files, %zu bytes, %zu proposals per copy; "
	       "%zu copies (%.1f MB) per round, %zu rounds\n",
	       s.n, s.bytes, props, copies, (double)r[0].bytes / 1e6, rounds);
	printf("  full ingest  %7.2f MB/s wall (min %.2f, max %.2f), "
	       "%.2f MB/s CPU, %.0f proposals/s\n",
	       med(r, rounds, offsetof(struct round, full_wall)), lo, hi,
	       med(r, rounds, offsetof(struct round, full_cpu)),
	       med(r, rounds, offsetof(struct round, full_wall)) * 1e6 /
		       (double)s.bytes * (double)props);
	printf("  stages alone: extract %.2f MB/s, +segment %.2f MB/s, "
	       "+themes %.2f MB/s\n",
	       med(r, rounds, offsetof(struct round, extract)),
	       med(r, rounds, offsetof(struct round, segment)),
	       med(r, rounds, offsetof(struct round, themes)));
	printf("  stages alone, CPU time: extract %.2f MB/s, +segment %.2f "
	       "MB/s, +themes %.2f MB/s\n",
	       med(r, rounds, offsetof(struct round, extract_cpu)),
	       med(r, rounds, offsetof(struct round, segment_cpu)),
	       med(r, rounds, offsetof(struct round, themes_cpu)));
	print_pair("floor of the store (the rows alone, no index, no "
		   "themes, after extraction)",
		   r, rounds, offsetof(struct round, floor_wall),
		   offsetof(struct round, floor_cpu));
	print_pair("the rows and FTS5's own unicode61 index, no themes", r,
		   rounds, offsetof(struct round, floorix_wall),
		   offsetof(struct round, floorix_cpu));
	print_pair("FTS5's unicode61 tokenizing the same text alone", r,
		   rounds, offsetof(struct round, tok_wall),
		   offsetof(struct round, tok_cpu));
	printf("RESULT ingest format=%s files=%zu bytes=%zu proposals=%zu "
	       "rounds=%zu mbps=%.2f min=%.2f max=%.2f cpu_mbps=%.2f "
	       "extract_mbps=%.2f segment_mbps=%.2f themes_mbps=%.2f "
	       "extract_cpu_mbps=%.2f segment_cpu_mbps=%.2f "
	       "themes_cpu_mbps=%.2f floor_mbps=%.2f floor_cpu_mbps=%.2f "
	       "floorix_mbps=%.2f floorix_cpu_mbps=%.2f tok_mbps=%.2f "
	       "tok_cpu_mbps=%.2f\n",
	       f->name, s.n, s.bytes, props, rounds,
	       med(r, rounds, offsetof(struct round, full_wall)), lo, hi,
	       med(r, rounds, offsetof(struct round, full_cpu)),
	       med(r, rounds, offsetof(struct round, extract)),
	       med(r, rounds, offsetof(struct round, segment)),
	       med(r, rounds, offsetof(struct round, themes)),
	       med(r, rounds, offsetof(struct round, extract_cpu)),
	       med(r, rounds, offsetof(struct round, segment_cpu)),
	       med(r, rounds, offsetof(struct round, themes_cpu)),
	       med(r, rounds, offsetof(struct round, floor_wall)),
	       med(r, rounds, offsetof(struct round, floor_cpu)),
	       med(r, rounds, offsetof(struct round, floorix_wall)),
	       med(r, rounds, offsetof(struct round, floorix_cpu)),
	       med(r, rounds, offsetof(struct round, tok_wall)),
	       med(r, rounds, offsetof(struct round, tok_cpu)));
	fflush(stdout);
out:
	bench_set_fini(&s);
	return rc;
}

static void usage(void)
{
	fputs("usage: ingest_bench [-C CORPUS] [-o DIR] [-r ROUNDS] "
	      "[-b BYTES] [html|markdown|csv...]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	struct agora_error err = {0};
	struct theme_rules *rules = NULL;
	struct fr_stemmer *st = NULL;
	const char *corpus = NULL, *outdir = "bench/out";
	size_t rounds = 7, per_round = 4000000, i, k;
	int ch, rc = 0, done = 0;

	while ((ch = getopt(argc, argv, "C:o:r:b:h")) != -1) {
		switch (ch) {
		case 'C':
			corpus = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			per_round = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!rounds || rounds > MAX_ROUNDS || !per_round) {
		usage();
		return 2;
	}
	if (theme_rules_load(&rules, &err)) {
		fprintf(stderr, "ingest_bench: %s\n", err.msg);
		return 1;
	}
	st = fr_stemmer_new();
	if (!st) {
		rc = AGORA_ENOMEM;
		goto out;
	}
	corpus = bench_corpus_root(corpus);
	for (k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
		int wanted = optind == argc;

		for (i = (size_t)optind; i < (size_t)argc; i++)
			wanted |= !strcmp(argv[i], formats[k].name);
		if (!wanted)
			continue;
		done++;
		if ((rc = one_format(&formats[k], corpus, outdir, rounds,
				     per_round, rules, st)))
			break;
	}
	if (!rc && !done) {
		usage();
		rc = 2;
	}
out:
	fr_stemmer_free(st);
	theme_rules_free(rules);
	return rc ? 1 : 0;
}
