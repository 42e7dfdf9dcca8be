/*
 * primary_bench.c - the primary's benchmarks (issues 5 and 6).
 *
 *   primary_bench board -n N -o FILE [-c CANDIDATES]
 *       writes the board of a closed primary with N voters (one ballot
 *       each, a tenth of them replaced by a second one), real Ed25519
 *       keys and signatures, the organiser's signed result: the input of
 *       `verify`.
 *   primary_bench verify -f FILE [-r ROUNDS]
 *       times board_verify_fd() (what `agora verify-board` runs) on 1
 *       and 2 threads, and, in the same run, libsodium's own
 *       verification of the same signatures on 1 and 2 threads (the
 *       reference: signatures dominate); wall and CPU time; the peak RSS
 *       of a verification (each runs in a fresh process, `verify1`).
 *   primary_bench verify1 -f FILE [-t THREADS]
 *       one verification: wall seconds, CPU seconds, peak RSS in KiB.
 *   primary_bench recount -n N -d DB [-c CANDIDATES] [-r ROUNDS]
 *       builds (once) a primary of N counted ballots in DB, then times
 *       the recount from the stored ballots' grades and the live
 *       counters, and checks they agree.
 *
 * Ballots of the recount database are inserted directly (one
 * transaction per 100,000), with canonical bodies but without real
 * signatures, which a recount never reads: `verify` is where signatures
 * are measured.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bench.h"
#include "primary.h"
#include "primary_int.h"

#define MAX_ROUNDS 50
#define MAX_CANDS 26

static const char *const grades6[] = {"À rejeter", "Insuffisant", "Passable",
				      "Assez bien", "Bien", "Très bien"};

static void die(const char *what, const struct agora_error *err)
{
	fprintf(stderr, "primary_bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* A voter's grades: a skewed but deterministic profile per candidate */
static int grade_of(uint64_t voter, size_t cand)
{
	uint64_t x = (voter + 1) * 0x9E3779B97F4A7C15ull ^ (cand * 0xBF58476D1CE4E5B9ull);

	x ^= x >> 31;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 29;
	return (int)((x % 6 + cand % 3) % 6);
}

/* --------------------------------------------------------------- board */

struct writer {
	FILE *f;
	struct sb line;
	char prev[65];
	int64_t seq;
};

static void put(struct writer *w, const char *type, json_t *payload)
{
	char hash[65], *p = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);

	if (!p) {
		fprintf(stderr, "primary_bench: cannot build a '%s' entry\n",
			type);
		exit(1);
	}
	board_entry_hash(w->seq, w->prev, type, p, strlen(p), hash);
	sb_reset(&w->line);
	if (board_line(&w->line, w->seq, w->prev, type, p, hash) ||
	    fwrite(w->line.buf, 1, w->line.len, w->f) != w->line.len)
		die("write", NULL);
	memcpy(w->prev, hash, 65);
	w->seq++;
	free(p);
	json_decref(payload);
}

struct signer {
	size_t from, to, ncand;
	char **lines; /* payload of each ballot, 2 per voter max */
	unsigned char (*pk)[32];
};

/* Voter i's key pair, from a fixed seed: reproducible boards */
static void voter_keys(uint64_t i, unsigned char pk[32], unsigned char sk[64])
{
	unsigned char seed[32] = {0};

	memcpy(seed, &i, sizeof(i));
	seed[31] = 0xa5;
	crypto_sign_seed_keypair(pk, sk, seed);
}

static char *ballot_payload(uint64_t voter, int n, size_t ncand,
			    const unsigned char pk[32],
			    const unsigned char sk[64], int shift)
{
	char pkhex[65], sighex[129], slug[2] = {0, 0}, *body, *p;
	unsigned char sig[64];
	json_t *g = json_object(), *o;
	size_t c;

	sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
	for (c = 0; c < ncand; c++) {
		slug[0] = (char)('a' + c);
		json_object_set_new(
			g, slug,
			json_integer((grade_of(voter, c) + shift) % 6));
	}
	o = json_pack("{s:s, s:o, s:i, s:s, s:i}", "credential", pkhex,
		      "grades", g, "n", n, "primary", "bench", "version", 1);
	body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	crypto_sign_detached(sig, NULL, (unsigned char *)body, strlen(body),
			     sk);
	sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
	o = json_pack("{s:s, s:s}", "body", body, "signature", sighex);
	p = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	free(body);
	return p;
}

static void *sign_range(void *arg)
{
	struct signer *s = arg;
	unsigned char sk[64];
	size_t i;

	for (i = s->from; i < s->to; i++) {
		voter_keys(i, s->pk[i], sk);
		s->lines[2 * i] = ballot_payload(i, 1, s->ncand, s->pk[i], sk,
						 1);
		/* every tenth voter changes their mind */
		s->lines[2 * i + 1] = i % 10 == 0
			? ballot_payload(i, 2, s->ncand, s->pk[i], sk, 0)
			: NULL;
	}
	return NULL;
}

static int cmd_board(size_t n, size_t ncand, const char *out)
{
	struct writer w = {0};
	struct signer s[2];
	pthread_t t;
	unsigned char opk[32], osk[64], sig[64];
	char hex[129], slug[2] = {0, 0}, *text;
	const char *slugs[MAX_CANDS];
	char slugbuf[MAX_CANDS][2];
	uint64_t *counts;
	json_t *arr, *keys;
	size_t i, c, g;
	double t0 = bench_now();
	struct agora_error err = {0};

	w.f = fopen(out, "w");
	if (!w.f)
		die("cannot create the board file", NULL);
	sb_init(&w.line, 1u << 26);
	memset(w.prev, '0', 64);
	s[0].pk = calloc(n, 32);
	s[0].lines = calloc(2 * n, sizeof(char *));
	counts = calloc(ncand * 6, sizeof(*counts));
	if (!s[0].pk || !s[0].lines || !counts)
		die("out of memory", NULL);
	s[0].ncand = ncand;
	s[1] = s[0];
	s[0].from = 0;
	s[0].to = n / 2;
	s[1].from = n / 2;
	s[1].to = n;
	pthread_create(&t, NULL, sign_range, &s[1]);
	sign_range(&s[0]);
	pthread_join(t, NULL);

	crypto_sign_keypair(opk, osk);
	sodium_bin2hex(hex, sizeof(hex), opk, 32);
	arr = json_array();
	for (g = 0; g < 6; g++)
		json_array_append_new(arr, json_string(grades6[g]));
	put(&w, "primary",
	    json_pack("{s:b, s:o, s:i, s:s, s:s, s:s, s:i}", "allow_blank", 0,
		      "grades", arr, "lot_size", 0, "organiser_key", hex,
		      "primary", "bench", "title", "Bench", "version", 1));
	for (i = 0; i < n; i += BOARD_KEYS_PER_ENTRY) {
		keys = json_array();
		for (c = i; c < n && c < i + BOARD_KEYS_PER_ENTRY; c++) {
			sodium_bin2hex(hex, sizeof(hex), s[0].pk[c], 32);
			json_array_append_new(keys, json_string(hex));
		}
		put(&w, "credentials", json_pack("{s:o}", "keys", keys));
	}
	arr = json_array();
	for (c = 0; c < ncand; c++) {
		slug[0] = (char)('a' + c);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name",
						     slug, "slug", slug));
	}
	put(&w, "phase",
	    json_pack("{s:o, s:s}", "candidates", arr, "phase", "vote"));
	/* first ballots in voter order, then the replacements */
	for (i = 0; i < 2 * n; i += 2)
		put(&w, "ballot", json_loads(s[0].lines[i], 0, NULL));
	for (i = 1; i < 2 * n; i += 2)
		if (s[0].lines[i])
			put(&w, "ballot", json_loads(s[0].lines[i], 0, NULL));
	put(&w, "phase", json_pack("{s:s}", "phase", "closed"));
	for (i = 0; i < n; i++)
		for (c = 0; c < ncand; c++)
			counts[c * 6 + (size_t)((grade_of(i, c) +
						 (i % 10 == 0 ? 0 : 1)) %
						6)]++;
	for (c = 0; c < ncand; c++) {
		slugbuf[c][0] = (char)('a' + c);
		slugbuf[c][1] = 0;
		slugs[c] = slugbuf[c];
	}
	text = primary_result_text("bench", slugs, ncand, 6, counts, n, &err);
	if (!text)
		die("result", &err);
	crypto_sign_detached(sig, NULL, (unsigned char *)text, strlen(text),
			     osk);
	sodium_bin2hex(hex, sizeof(hex), sig, 64);
	put(&w, "result",
	    json_pack("{s:s, s:s}", "result", text, "signature", hex));
	free(text);
	if (fclose(w.f))
		die("write", NULL);
	for (i = 0; i < 2 * n; i++)
		free(s[0].lines[i]);
	free(s[0].lines);
	free(s[0].pk);
	free(counts);
	sb_fini(&w.line);
	printf("board of %zu voters (%zu ballots) x %zu candidates written to "
	       "%s in %.1f s\n",
	       n, n + (n + 9) / 10, ncand, out, bench_now() - t0);
	return 0;
}

/* -------------------------------------------------------------- verify */

struct sigset {
	unsigned char (*pk)[32], (*sig)[64];
	char **msg;
	size_t n;
};

struct sigwork {
	const struct sigset *s;
	size_t from, step, bad;
};

static void *verify_part(void *arg)
{
	struct sigwork *w = arg;
	size_t i;

	for (i = w->from; i < w->s->n; i += w->step)
		w->bad += crypto_sign_verify_detached(
				  w->s->sig[i], (unsigned char *)w->s->msg[i],
				  strlen(w->s->msg[i]), w->s->pk[i]) != 0;
	return NULL;
}

static double cpu_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * libsodium alone over the same signatures on t threads: ballots per
 * second of wall time, and in *cpu per second of CPU time (what the
 * machine's other tenants take from the wall clock, not from this)
 */
static double reference(const struct sigset *s, int t, double *cpu)
{
	struct sigwork w[2] = {{s, 0, (size_t)t, 0}, {s, 1, (size_t)t, 0}};
	pthread_t tid;
	double t0 = bench_now(), c0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), secs;

	if (t == 2)
		pthread_create(&tid, NULL, verify_part, &w[1]);
	verify_part(&w[0]);
	if (t == 2)
		pthread_join(tid, NULL);
	if (w[0].bad + w[1].bad)
		die("a reference signature failed", NULL);
	secs = bench_now() - t0;
	*cpu = (double)s->n / (cpu_now(CLOCK_PROCESS_CPUTIME_ID) - c0);
	return (double)s->n / secs;
}

/* A JSON string's content up to its closing quote: only \" and \\ */
static char *unescape(const char *p, const char **end)
{
	char *out = malloc(strlen(p) + 1), *o = out;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\')
			p++;
		*o++ = *p;
	}
	*o = 0;
	*end = p;
	return out;
}

/* The ballots' keys, signatures and bodies, read as agora writes them */
static void load_sigs(const char *file, struct sigset *s, size_t *bytes)
{
	static const char pre[] = "\"payload\":\"";
	FILE *f = fopen(file, "r");
	char *line = NULL, *pl, *body, *q;
	const char *end;
	size_t cap = 1024, lcap = 0;
	ssize_t len;

	if (!f)
		die("cannot open the board", NULL);
	s->pk = malloc(cap * 32);
	s->sig = malloc(cap * 64);
	s->msg = malloc(cap * sizeof(char *));
	*bytes = 0;
	while ((len = getline(&line, &lcap, f)) > 0) {
		*bytes += (size_t)len;
		/* keys are sorted: "type" ends every line */
		if (len < 17 || memcmp(line + len - 17, "\"type\":\"ballot\"}", 16))
			continue;
		pl = unescape(strstr(line, pre) + sizeof(pre) - 1, &end);
		body = unescape(pl + strlen("{\"body\":\""), &end);
		q = strstr(end, "\"signature\":\"") + 13;
		if (s->n == cap) {
			cap *= 2;
			s->pk = realloc(s->pk, cap * 32);
			s->sig = realloc(s->sig, cap * 64);
			s->msg = realloc(s->msg, cap * sizeof(char *));
		}
		sodium_hex2bin(s->sig[s->n], 64, q, 128, NULL, NULL, NULL);
		sodium_hex2bin(s->pk[s->n], 32,
			       strstr(body, "\"credential\":\"") + 14, 64, NULL,
			       NULL, NULL);
		s->msg[s->n] = body;
		s->n++;
		free(pl);
	}
	free(line);
	fclose(f);
}

/*
 * `verify1`: one verification, as `agora verify-board` runs it (the file
 * read a block at a time), in a process of its own so that its peak RSS
 * is its own: prints wall seconds, CPU seconds, peak RSS in KiB.
 */
static int cmd_verify1(const char *file, int threads)
{
	struct agora_error err = {0};
	struct board_report r;
	struct rusage ru;
	double t0 = bench_now();
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		die("open", NULL);
	if (board_verify_fd(fd, 0, NULL, threads, &r, &err))
		die("verify", &err);
	close(fd);
	getrusage(RUSAGE_SELF, &ru);
	/* VmHWM, not ru_maxrss: Linux keeps the latter across execve, and
	 * the forked parent's pages would count */
	{
		FILE *f = fopen("/proc/self/status", "r");
		char l[256];

		while (f && fgets(l, sizeof(l), f))
			if (sscanf(l, "VmHWM: %ld", &ru.ru_maxrss) == 1)
				break;
		if (f)
			fclose(f);
	}
	printf("%.6f %.6f %ld\n", bench_now() - t0,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec +
		       (double)ru.ru_stime.tv_usec / 1e6,
	       ru.ru_maxrss);
	board_report_fini(&r);
	return 0;
}

/* verify1 in a fresh process (exec, not fork: none of this one's memory) */
static void verify_child(const char *self, const char *file, int threads,
			 double *secs, double *cpu, long *rss)
{
	char t[16];
	int fd[2], status;
	pid_t pid;
	FILE *p;

	snprintf(t, sizeof(t), "%d", threads);
	if (pipe(fd))
		die("pipe", NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(self, self, "verify1", "-f", file, "-t", t, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	p = fdopen(fd[0], "r");
	if (pid < 0 || !p || fscanf(p, "%lf %lf %ld", secs, cpu, rss) != 3)
		die("the verifying child failed", NULL);
	fclose(p);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the verifying child failed", NULL);
}

static int cmd_verify(const char *self, const char *file, int rounds)
{
	struct sigset s = {0};
	double v1[MAX_ROUNDS], v2[MAX_ROUNDS], r1[MAX_ROUNDS], r2[MAX_ROUNDS];
	double c1[MAX_ROUNDS], c2[MAX_ROUNDS], q1[MAX_ROUNDS], q2[MAX_ROUNDS];
	double x1[MAX_ROUNDS], x2[MAX_ROUNDS];
	double secs, cpu;
	long rss = 0, rss1;
	size_t bytes;
	int i;

	load_sigs(file, &s, &bytes);
	printf("%s: %.1f MB, %zu ballots\n", file, (double)bytes / 1e6, s.n);
	for (i = 0; i < rounds; i++) {
		/* interleaved, so both see the same moments of the machine */
		verify_child(self, file, 1, &secs, &cpu, &rss1);
		v1[i] = (double)s.n / secs;
		c1[i] = (double)s.n / cpu;
		rss = rss1 > rss ? rss1 : rss;
		r1[i] = reference(&s, 1, &q1[i]);
		verify_child(self, file, 2, &secs, &cpu, &rss1);
		v2[i] = (double)s.n / secs;
		c2[i] = (double)s.n / cpu;
		rss = rss1 > rss ? rss1 : rss;
		r2[i] = reference(&s, 2, &q2[i]);
		x1[i] = v1[i] / r1[i];
		x2[i] = v2[i] / r2[i];
		printf("  round %d: board %.0f/s (1 thread) %.0f/s (2); "
		       "libsodium alone %.0f/s (1) %.0f/s (2); ratio %.2f (1) "
		       "%.2f (2); per CPU-second: board %.0f (1) %.0f (2), "
		       "libsodium %.0f (1) %.0f (2)\n",
		       i + 1, v1[i], v2[i], r1[i], r2[i], v1[i] / r1[i],
		       v2[i] / r2[i], c1[i], c2[i], q1[i], q2[i]);
		fflush(stdout);
	}
	{
		double m1 = bench_median(v1, (size_t)rounds),
		       m2 = bench_median(v2, (size_t)rounds),
		       s1 = bench_median(r1, (size_t)rounds),
		       s2 = bench_median(r2, (size_t)rounds),
		       mc1 = bench_median(c1, (size_t)rounds),
		       mc2 = bench_median(c2, (size_t)rounds),
		       sc1 = bench_median(q1, (size_t)rounds),
		       sc2 = bench_median(q2, (size_t)rounds);

		printf("RESULT verify ballots=%zu mb=%.1f rounds=%d "
		       "board_1t=%.0f board_2t=%.0f sodium_1t=%.0f "
		       "sodium_2t=%.0f ratio_1t=%.2f ratio_2t=%.2f "
		       "round_ratio_1t=%.2f round_ratio_2t=%.2f "
		       "cpu_ratio_1t=%.2f cpu_ratio_2t=%.2f "
		       "peak_rss_mib=%.0f\n",
		       s.n, (double)bytes / 1e6, rounds, m1, m2, s1, s2,
		       m1 / s1, m2 / s2, bench_median(x1, (size_t)rounds),
		       bench_median(x2, (size_t)rounds), mc1 / sc1, mc2 / sc2,
		       (double)rss / 1024);
	}
	for (bytes = 0; bytes < s.n; bytes++)
		free(s.msg[bytes]);
	free(s.msg);
	free(s.pk);
	free(s.sig);
	return 0;
}

/* ------------------------------------------------------------- recount */

static int recount_build(const char *path, size_t n, size_t ncand)
{
	struct primary_config c = {.slug = "bench",
				   .title = "Bench",
				   .max_supports = 5};
	struct agora_error err = {0};
	struct agora_db *db;
	struct primary_info p;
	sqlite3_stmt *cred, *ballot;
	uint64_t *counts = calloc(ncand * 6, sizeof(*counts));
	unsigned char pk[32], grades[MAX_CANDS], zero[64] = {0};
	char slug[2] = {0, 0}, pkhex[65], receipt[65], *body;
	struct sb out;
	size_t i, k;
	double t0 = bench_now();

	sb_init(&out, 64);
	if (db_open(&db, path, DB_OPEN_CREATE, &err) ||
	    primary_db_prepare(db, &err) || primary_create(db, &c, &err))
		die("create", &err);
	for (k = 0; k < ncand; k++) {
		slug[0] = (char)('a' + k);
		if (primary_candidate_add(db, "bench", slug, slug, &out, &err))
			die("candidate", &err);
	}
	if (primary_set_phase(db, "bench", "vote", 0, &err) ||
	    primary_get(db, "bench", &p, &err))
		die("phase", &err);
	db_exec(db, "PRAGMA synchronous=OFF", NULL);
	if (sqlite3_prepare_v2(db_handle(db),
			       "INSERT INTO credential(primary_id, public_key)"
			       " VALUES (?1, ?2)",
			       -1, &cred, NULL) ||
	    sqlite3_prepare_v2(db_handle(db),
			       "INSERT INTO ballot(primary_id, credential_id,"
			       " receipt, body, signature, grades)"
			       " VALUES (?1, last_insert_rowid(), ?2, ?3, ?4,"
			       " ?5)",
			       -1, &ballot, NULL))
		die(sqlite3_errmsg(db_handle(db)), NULL);
	for (i = 0; i < n; i++) {
		json_t *g = json_object(), *o;

		if (i % 100000 == 0)
			db_exec(db, "BEGIN", NULL);
		memset(pk, 0, sizeof(pk));
		memcpy(pk, &i, sizeof(i));
		pk[31] = 0x5a;
		sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
		for (k = 0; k < ncand; k++) {
			slug[0] = (char)('a' + k);
			grades[k] = (unsigned char)grade_of(i, k);
			counts[k * 6 + grades[k]]++;
			json_object_set_new(g, slug, json_integer(grades[k]));
		}
		o = json_pack("{s:s, s:o, s:i, s:s, s:i}", "credential",
			      pkhex, "grades", g, "n", 1, "primary", "bench",
			      "version", 1);
		body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		sha256_hex(body, strlen(body), receipt);
		sqlite3_bind_int64(cred, 1, p.id);
		sqlite3_bind_blob(cred, 2, pk, 32, SQLITE_STATIC);
		if (sqlite3_step(cred) != SQLITE_DONE)
			die(sqlite3_errmsg(db_handle(db)), NULL);
		sqlite3_reset(cred);
		sqlite3_bind_int64(ballot, 1, p.id);
		sqlite3_bind_text(ballot, 2, receipt, 64, SQLITE_STATIC);
		sqlite3_bind_text(ballot, 3, body, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ballot, 4, zero, 64, SQLITE_STATIC);
		sqlite3_bind_blob(ballot, 5, grades, (int)ncand,
				  SQLITE_STATIC);
		if (sqlite3_step(ballot) != SQLITE_DONE)
			die(sqlite3_errmsg(db_handle(db)), NULL);
		sqlite3_reset(ballot);
		free(body);
		if (i % 100000 == 99999 || i + 1 == n) {
			db_exec(db, "COMMIT", NULL);
			fprintf(stderr, "\r  %zu ballots", i + 1);
		}
	}
	fprintf(stderr, "\n");
	sqlite3_finalize(cred);
	sqlite3_finalize(ballot);
	/* the live counters, as the ballots would have left them */
	db_exec(db, "BEGIN", NULL);
	for (k = 0; k < ncand; k++)
		for (i = 0; i < 6; i++) {
			char sql[256];

			snprintf(sql, sizeof(sql),
				 "INSERT INTO tally(primary_id, candidate_id,"
				 " grade, count) SELECT %lld, id, %zu, %llu"
				 " FROM primary_candidate WHERE slug = '%c'",
				 (long long)p.id, i,
				 (unsigned long long)counts[k * 6 + i],
				 (char)('a' + k));
			if (db_exec(db, sql, &err))
				die("tally", &err);
		}
	db_exec(db, "COMMIT", NULL);
	db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
	primary_info_fini(&p);
	db_close(db);
	sb_fini(&out);
	free(counts);
	printf("built %s: %zu ballots x %zu candidates in %.0f s\n", path, n,
	       ncand, bench_now() - t0);
	return 0;
}

static int cmd_recount(const char *path, size_t n, size_t ncand, int rounds)
{
	struct agora_error err = {0};
	struct agora_db *db;
	struct primary_info p;
	struct primary_candidate *c;
	uint64_t *live, *again;
	double t[MAX_ROUNDS], tl[MAX_ROUNDS], t0;
	size_t nc;
	int i;

	if (access(path, F_OK) && recount_build(path, n, ncand))
		return 1;
	if (db_open(&db, path, DB_OPEN_READONLY, &err) ||
	    primary_db_prepare(db, &err) || db_begin(db, &err) ||
	    primary_get_counts(db, "bench", &p, &err) ||
	    primary_candidates(db, p.id, &c, &nc, &err))
		die("open", &err);
	for (i = 0; i < rounds; i++) {
		t0 = bench_now();
		if (primary_counts(db, &p, c, nc, 1, &again, &err))
			die("recount", &err);
		t[i] = bench_now() - t0;
		t0 = bench_now();
		if (primary_counts(db, &p, c, nc, 0, &live, &err))
			die("counters", &err);
		tl[i] = bench_now() - t0;
		if (memcmp(live, again, nc * (size_t)p.ngrades * 8))
			die("the recount differs from the live counters", NULL);
		free(live);
		free(again);
		printf("  round %d: recount %.3f s, live counters %.6f s\n",
		       i + 1, t[i], tl[i]);
	}
	printf("RESULT recount ballots=%lld candidates=%zu rounds=%d "
	       "median_s=%.3f\n",
	       (long long)p.voters, nc, rounds, bench_median(t, (size_t)rounds));
	primary_candidates_free(c, nc);
	primary_info_fini(&p);
	db_rollback(db);
	db_close(db);
	return 0;
}

/* ------------------------------------------------- ballots over HTTP */

/*
 * A primary "slug" in vote phase with ncand candidates and n fresh
 * credentials; their codes are kept in codes (n * PRIMARY_CODE_SIZE).
 */
static void ballots_primary(struct agora_db *db, const char *slug, size_t n,
			    size_t ncand, char *codes)
{
	struct primary_config c = {.slug = slug,
				   .title = "Bench",
				   .max_supports = 5};
	struct agora_error err = {0};
	unsigned char(*pk)[32] = malloc(10000 * sizeof(*pk));
	unsigned char sk[64];
	char cs[2] = {0, 0}, norm[PRIMARY_CODE_SYMBOLS + 1];
	struct sb out;
	size_t i, k;

	sb_init(&out, 64);
	if (!pk || primary_create(db, &c, &err))
		die("create", &err);
	for (k = 0; k < ncand; k++) {
		cs[0] = (char)('a' + k);
		if (primary_candidate_add(db, slug, cs, cs, &out, &err))
			die("candidate", &err);
	}
	for (i = 0; i < n; i += k) {
		for (k = 0; k < 10000 && i + k < n; k++) {
			char *code = codes + (i + k) * PRIMARY_CODE_SIZE;

			primary_code_new(code);
			if (primary_code_parse(code, norm, &err))
				die("code", &err);
			primary_code_keys(slug, norm, pk[k], sk);
		}
		if (primary_credentials_add(db, slug,
					    (const unsigned char(*)[32])pk, k,
					    &err))
			die("credentials", &err);
	}
	if (primary_set_phase(db, slug, "vote", 0, &err))
		die("phase", &err);
	sb_fini(&out);
	free(pk);
}

/* Ballot 1 of a credential, graded by its index */
static void ballots_make(const char *slug, const char *code, size_t i,
			 size_t ncand, struct sb *body, unsigned char sig[64])
{
	struct primary_grade g[MAX_CANDS];
	static char names[MAX_CANDS][2];
	struct agora_error err = {0};
	size_t k;

	for (k = 0; k < ncand; k++) {
		names[k][0] = (char)('a' + k);
		g[k].candidate = names[k];
		g[k].grade = grade_of(i, k);
	}
	if (primary_ballot_make(slug, code, 1, g, ncand, body, sig, &err))
		die("ballot", &err);
}

/*
 * The input of `bench/run ballots`: database DB with primary
 * "bench-ballots" (n credentials, voting) and FILE, one request body a
 * line, {"ballot": ..., "signature": ...}, signed as a voter's device
 * would: the server checks each signature.
 */
static int cmd_ballots(const char *path, const char *file, size_t n,
		       size_t ncand)
{
	struct agora_error err = {0};
	struct agora_db *db;
	char *codes = malloc(n * PRIMARY_CODE_SIZE), sighex[129];
	unsigned char sig[64];
	struct sb body;
	FILE *f;
	size_t i;
	double t0 = bench_now();

	if (!codes)
		die("memory", NULL);
	if (db_open(&db, path, DB_OPEN_CREATE, &err) ||
	    primary_db_prepare(db, &err))
		die("open", &err);
	ballots_primary(db, "bench-ballots", n, ncand, codes);
	db_close(db);
	if (!(f = fopen(file, "w")))
		die(file, NULL);
	sb_init(&body, 1 << 20);
	for (i = 0; i < n; i++) {
		ballots_make("bench-ballots", codes + i * PRIMARY_CODE_SIZE, i,
			     ncand, &body, sig);
		sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
		fprintf(f, "{\"ballot\":%s,\"signature\":\"%s\"}\n", body.buf,
			sighex);
	}
	sodium_memzero(codes, n * PRIMARY_CODE_SIZE);
	free(codes);
	sb_fini(&body);
	if (fclose(f))
		die(file, NULL);
	printf("prepared %zu credentials and signed ballots in %.1f s\n", n,
	       bench_now() - t0);
	return 0;
}

/*
 * The reference: n ballots cast one by one through primary_ballot_cast,
 * each its own synchronous=FULL transaction (one fsync each), in a
 * fresh database DB; rounds of n, the median rate.
 */
static int cmd_fsync(const char *path, size_t n, size_t ncand, int rounds)
{
	struct agora_error err = {0};
	struct agora_db *db;
	double rate[MAX_ROUNDS];
	char receipt[65], slug[32];
	char *codes = malloc(n * PRIMARY_CODE_SIZE);
	char **bodies = calloc(n, sizeof(*bodies));
	unsigned char(*sigs)[64] = calloc(n, sizeof(*sigs));
	struct sb body;
	int r;
	size_t i;

	if (!codes || !bodies || !sigs)
		die("memory", NULL);
	sb_init(&body, 1 << 20);
	if (db_open(&db, path, DB_OPEN_CREATE, &err) ||
	    primary_db_prepare(db, &err))
		die("open", &err);
	for (r = 0; r < rounds; r++) {
		double t;

		snprintf(slug, sizeof(slug), "fsync-%d", r);
		ballots_primary(db, slug, n, ncand, codes);
		/* signed beforehand, as the HTTP run's are: the timed part
		 * is the server's (check and store), one fsync per ballot */
		for (i = 0; i < n; i++) {
			ballots_make(slug, codes + i * PRIMARY_CODE_SIZE, i,
				     ncand, &body, sigs[i]);
			if (!(bodies[i] = strdup(body.buf)))
				die("memory", NULL);
		}
		t = bench_now();
		for (i = 0; i < n; i++)
			if (primary_ballot_cast(db, slug, bodies[i],
						strlen(bodies[i]), sigs[i],
						receipt, &err))
				die("cast", &err);
		for (i = 0; i < n; i++)
			free(bodies[i]);
		rate[r] = (double)n / (bench_now() - t);
		printf("round %d: %zu ballots, one synchronous=FULL "
		       "transaction each: %.0f ballots/s\n",
		       r + 1, n, rate[r]);
	}
	printf("reference (no batching): median %.0f ballots/s\n",
	       bench_median(rate, (size_t)rounds));
	db_close(db);
	free(codes);
	free(bodies);
	free(sigs);
	sb_fini(&body);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: primary_bench board -n N -o FILE [-c CANDIDATES]\n"
		"       primary_bench verify -f FILE [-r ROUNDS]\n"
		"       primary_bench verify1 -f FILE [-t THREADS]\n"
		"       primary_bench recount -n N -d DB [-c CANDIDATES] "
		"[-r ROUNDS]\n"
		"       primary_bench ballots -n N -d DB -o FILE "
		"[-c CANDIDATES]\n"
		"       primary_bench fsync -n N -d DB [-c CANDIDATES] "
		"[-r ROUNDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *file = NULL, *db = NULL;
	char self[4096];
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t n = 1000000, ncand = 12;
	int ch, rounds = 3, threads = 1;

	if (argc < 2 || sodium_init() < 0 || k <= 0)
		usage();
	self[k] = 0;
	mode = argv[1];
	argc--, argv++;
	while ((ch = getopt(argc, argv, "n:o:f:d:c:r:t:")) != -1) {
		switch (ch) {
		case 't':
			threads = atoi(optarg);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'o':
		case 'f':
			file = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'c':
			ncand = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!n || !ncand || ncand > MAX_CANDS || rounds < 1 ||
	    rounds > MAX_ROUNDS)
		usage();
	if (!strcmp(mode, "board") && file)
		return cmd_board(n, ncand, file);
	if (!strcmp(mode, "verify") && file)
		return cmd_verify(self, file, rounds);
	if (!strcmp(mode, "verify1") && file)
		return cmd_verify1(file, threads);
	if (!strcmp(mode, "ballots") && db && file)
		return cmd_ballots(db, file, n, ncand);
	if (!strcmp(mode, "fsync") && db)
		return cmd_fsync(db, n, ncand, rounds);
	if (!strcmp(mode, "recount") && db)
		return cmd_recount(db, n, ncand, rounds);
	usage();
	return 2;
}
