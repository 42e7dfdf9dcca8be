/*
 * bench.h - what the benchmark drivers share: the real corpus loaded in
 * memory, clocks, percentiles and opening a database like the CLI does.
 *
 * Private to bench/: nothing outside this folder includes it.
 */
#ifndef AGORA_BENCH_H
#define AGORA_BENCH_H

#include <stddef.h>

#include "compare.h"
#include "core.h"
#include "ingest.h"

/* One file of the corpus, read whole */
struct bench_file {
	char *rel; /* path relative to the set's folder: a unique title */
	char *data;
	size_t len;
};

/* The files of one folder (recursively) with one extension, sorted */
struct bench_set {
	const char *name; /* "html", "markdown", "csv" */
	enum ingest_format format;
	struct bench_file *v;
	size_t n, cap;
	size_t bytes;
};

/*
 * The three real corpora of ../shared/corpus, one per format. dir is
 * the corpus root; sub and ext pick the files.
 */
int bench_set_load(struct bench_set *s, const char *root, const char *sub,
		   const char *ext);
void bench_set_fini(struct bench_set *s);
/*
 * Leaves out (and lists on stdout) the files that extraction or
 * segmentation refuses, such as an index page with no proposal.
 */
void bench_set_prune(struct bench_set *s, const struct ingest_limits *lim);

/* The corpus root: the option, else $AGORA_SHARED_CORPUS, else the
 * sibling folder of the repository, ../shared/corpus */
const char *bench_corpus_root(const char *opt);

/* Monotonic wall clock and this process's CPU time, in seconds */
double bench_now(void);
double bench_cpu(void);

/*
 * The p-th percentile (0..100) by nearest rank: the smallest value with
 * at least p% of the values at or below it. Sorts v in place.
 */
double bench_pct(double *v, size_t n, double p);
/* The median (mean of the two middle values when n is even); sorts v */
double bench_median(double *v, size_t n);

/* Opens (creating) path and prepares ingest's and compare's statements */
int bench_db_open(struct agora_db **db, const char *path, int flags,
		  struct agora_error *err);

/*
 * BENCH_FTS's FTS5 settings ("automerge=16 ...", see bench.c) written
 * into the FTS5 table named table on h; nothing when unset
 */
int bench_fts_env(sqlite3 *h, const char *table, struct agora_error *err);

/* Removes path and its -wal and -shm companions; ignores missing files */
void bench_db_unlink(const char *path);

#endif
