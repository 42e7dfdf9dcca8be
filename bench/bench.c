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

/*
 * Experiments with FTS5's merge settings and the page-zeroing pragma,
 * without a rebuild: BENCH_FTS="automerge=16 crisismerge=32" writes
 * those values into the index's configuration (they live in the
 * database, proposal_fts_config) on every connection that may write;
 * BENCH_SECURE_DELETE=ON|OFF|FAST sets PRAGMA secure_delete on every
 * connection. Both unset: the database as agora makes it. Only the four
 * FTS5 options that shape merging and pages are taken.
 */
int bench_fts_env(sqlite3 *h, const char *table, struct agora_error *err)
{
	static const char *const names[] = {"automerge", "crisismerge",
					    "usermerge", "pgsz"};
	const char *env = getenv("BENCH_FTS");
	char name[32], sql[128];
	sqlite3_stmt *st = NULL;
	size_t i;
	int value, used, ok, rc = 0;

	if (!env || !*env)
		return 0;
	snprintf(sql, sizeof(sql), "INSERT INTO %s(%s, rank) VALUES (?1, ?2)",
		 table, table);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB, "BENCH_FTS: %s",
				    sqlite3_errmsg(h));
	while (*env) {
		if (*env == ' ') {
			env++;
			continue;
		}
		if (sscanf(env, "%31[a-z]=%d%n", name, &value, &used) != 2) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "BENCH_FTS: cannot read '%s' "
					  "(want name=number ...)",
					  env);
			break;
		}
		for (i = 0, ok = 0; i < sizeof(names) / sizeof(names[0]); i++)
			ok |= !strcmp(name, names[i]);
		if (!ok) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "BENCH_FTS: unknown option '%s'",
					  name);
			break;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, value);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = agora_errorf(err, AGORA_EDB,
					  "BENCH_FTS: %s=%d: %s", name, value,
					  sqlite3_errmsg(h));
			break;
		}
		sqlite3_reset(st);
		env += used;
	}
	sqlite3_finalize(st);
	return rc;
}

static int apply_secure_delete_env(sqlite3 *h, struct agora_error *err)
{
	const char *env = getenv("BENCH_SECURE_DELETE");
	const char *sql;

	if (!env || !*env)
		return 0;
	if (!strcmp(env, "ON"))
		sql = "PRAGMA secure_delete=ON";
	else if (!strcmp(env, "OFF"))
		sql = "PRAGMA secure_delete=OFF";
	else if (!strcmp(env, "FAST"))
		sql = "PRAGMA secure_delete=FAST";
	else
		return agora_errorf(err, AGORA_EINVAL,
				    "BENCH_SECURE_DELETE: '%s' is not ON, "
				    "OFF or FAST",
				    env);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB, "%s: %s", sql,
				    sqlite3_errmsg(h));
	return 0;
}

int bench_db_open(struct agora_db **db, const char *path, int flags,
		  struct agora_error *err)
{
	int rc;

	rc = db_open(db, path, flags, err);
	if (!rc)
		rc = apply_secure_delete_env(db_handle(*db), err);
	if (!rc && !(flags & DB_OPEN_READONLY))
		rc = bench_fts_env(db_handle(*db), "proposal_fts", err);
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
