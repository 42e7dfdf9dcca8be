/*
 * bench.c - helpers shared by the benchmark drivers: corpus loading,
 * clocks, percentiles, database opening.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_MAX_FILE ((size_t)64 << 20)

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int add_file(struct bench_set *s, const char *path, const char *rel)
{
	struct agora_error err = {0};
	struct bench_file *f, *nv;
	struct sb data;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		nv = realloc(s->v, s->cap * sizeof(*s->v));
		if (!nv)
			return AGORA_ENOMEM;
		s->v = nv;
	}
	sb_init(&data, BENCH_MAX_FILE);
	if (file_read(path, BENCH_MAX_FILE, &data, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		sb_fini(&data);
		return err.code ? err.code : AGORA_EIO;
	}
	f = &s->v[s->n];
	f->rel = strdup(rel);
	f->len = data.len;
	f->data = sb_detach(&data, NULL);
	if (!f->rel || !f->data) {
		free(f->rel);
		free(f->data);
		return AGORA_ENOMEM;
	}
	s->n++;
	s->bytes += f->len;
	return 0;
}

/* Walks dir/rel recursively, adding the files whose name ends in ext */
static int walk(struct bench_set *s, const char *dir, const char *rel,
		const char *ext)
{
	struct dirent **ents = NULL;
	char path[4096], sub[4096];
	struct stat stt;
	int i, k, n, rc = 0;

	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "bench: cannot read the folder '%s'\n", path);
		return AGORA_EIO;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (rc || name[0] == '.')
			continue;
		k = snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			     name);
		if (k < 0 || (size_t)k >= sizeof(sub))
			continue; /* a path too long is not in our corpus */
		k = snprintf(path, sizeof(path), "%s/%s", dir, sub);
		if (k < 0 || (size_t)k >= sizeof(path) || stat(path, &stt))
			continue;
		if (S_ISDIR(stt.st_mode))
			rc = walk(s, dir, sub, ext);
		else if (S_ISREG(stt.st_mode) && ends_with(name, ext))
			rc = add_file(s, path, sub);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int bench_set_load(struct bench_set *s, const char *root, const char *sub,
		   const char *ext)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	return walk(s, dir, "", ext);
}

void bench_set_fini(struct bench_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].rel);
		free(s->v[i].data);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->cap = s->bytes = 0;
}

static void set_drop(struct bench_set *s, size_t i)
{
	s->bytes -= s->v[i].len;
	free(s->v[i].rel);
	free(s->v[i].data);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

void bench_set_prune(struct bench_set *s, const struct ingest_limits *lim)
{
	size_t i = 0;

	while (i < s->n) {
		struct agora_error err = {0};
		struct ingest_segments seg = {0};
		struct ingest_doc doc;
		int rc;

		ingest_doc_init(&doc);
		rc = ingest_extract(s->format, s->v[i].data, s->v[i].len, lim,
				    &doc, &err);
		if (!rc)
			rc = ingest_segment(&doc, lim, &seg, &err);
		ingest_segments_fini(&seg);
		ingest_doc_fini(&doc);
		if (rc) {
			printf("  left out %s (%zu bytes): %s\n", s->v[i].rel,
			       s->v[i].len, err.msg);
			fflush(stdout);
			set_drop(s, i);
			continue;
		}
		i++;
	}
}

const char *bench_corpus_root(const char *opt)
{
	const char *env = getenv("AGORA_SHARED_CORPUS");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return "../shared/corpus";
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_pct(double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank: ceil(p/100 * n), 1-based */
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_db_open(struct agora_db **db, const char *path, int flags,
		  struct agora_error *err)
{
	int rc;

	rc = db_open(db, path, flags, err);
	if (!rc && !(flags & DB_OPEN_READONLY))
		rc = ingest_db_prepare(*db, err);
	if (!rc)
		rc = compare_db_prepare(*db, err);
	if (rc) {
		db_close(*db);
		*db = NULL;
	}
	return rc;
}

void bench_db_unlink(const char *path)
{
	char p[4096];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}
