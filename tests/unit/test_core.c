/*
 * test_core.c - core/: buffers, errors, slugs, the schema and its
 * migrations, the taxonomy as shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <sodium.h>

#include "core.h"

static void test_sb_cap_is_sticky(void **state)
{
	struct sb sb;

	(void)state;
	sb_init(&sb, 8);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb_puts(&sb, "1234"), 0);
	assert_int_equal(sb_printf(&sb, "%d", 5678), 0);
	assert_string_equal(sb.buf, "12345678");
	/* over the cap: refused, and every later append too */
	assert_int_equal(sb_putc(&sb, 'x'), AGORA_ETOOBIG);
	assert_int_equal(sb_puts(&sb, ""), AGORA_ETOOBIG);
	assert_int_equal(sb_error(&sb), AGORA_ETOOBIG);
	assert_string_equal(sb.buf, "12345678");
	sb_reset(&sb);
	assert_int_equal(sb_puts(&sb, "ok"), 0);
	sb_fini(&sb);
}

static void test_sb_detach(void **state)
{
	struct sb sb;
	size_t n;
	char *p;

	(void)state;
	sb_init(&sb, 0);
	p = sb_detach(&sb, &n);
	assert_non_null(p);
	assert_int_equal(n, 0);
	free(p);
	sb_printf(&sb, "%s-%s", "a", "b");
	p = sb_detach(&sb, &n);
	assert_string_equal(p, "a-b");
	assert_int_equal(n, 3);
	assert_string_equal(sb.buf, "");
	free(p);
	sb_fini(&sb);
}

static void test_error_prefix(void **state)
{
	struct agora_error err = {0};

	(void)state;
	assert_int_equal(agora_errorf(&err, AGORA_EINVAL, "bad byte at %d", 7),
			 AGORA_EINVAL);
	agora_error_prefix(&err, "cannot ingest '%s'", "a.html");
	assert_string_equal(err.msg, "cannot ingest 'a.html': bad byte at 7");
	assert_int_equal(err.code, AGORA_EINVAL);
	assert_int_equal(agora_errorf(NULL, AGORA_EIO, "x"), AGORA_EIO);
}

static void test_slugify(void **state)
{
	struct sb sb;

	(void)state;
	sb_init(&sb, 0);
	slugify(&sb, "Jean-Luc Mélenchon");
	assert_string_equal(sb.buf, "jean-luc-melenchon");
	sb_reset(&sb);
	slugify(&sb, "  Œuvre  d’Élodie  ");
	assert_string_equal(sb.buf, "oeuvre-d-elodie");
	sb_reset(&sb);
	slugify(&sb, "!!!");
	assert_string_equal(sb.buf, "");
	sb_fini(&sb);
}

static void test_sha256(void **state)
{
	char h[65];

	(void)state;
	sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a"
			       "9cb410ff61f20015ad");
}

/*
 * sha256() through OpenSSL gives libsodium's digest: every length up to
 * four blocks (each padding case: the length in the same block or the
 * next one), and buffers of up to a megabyte at odd offsets. Then the
 * same with the portable path forced.
 */
static void test_sha256_paths(void **state)
{
	static unsigned char buf[(1 << 20) + 7];
	unsigned char want[32], got[32];
	size_t i, n, off;
	int pass;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)((i * 2654435761u) >> 13);
	printf("OpenSSL: %s\n", sha256_uses_openssl() ? "yes" : "no");
	for (pass = 0; pass < 2; pass++) {
		sha256_force_portable(pass);
		for (n = 0; n <= 256; n++) {
			crypto_hash_sha256(want, buf + (n & 7), n);
			sha256(buf + (n & 7), n, got);
			assert_memory_equal(want, got, 32);
		}
		for (n = 1000; n < sizeof(buf); n = n * 7 + 13) {
			off = n % 5;
			crypto_hash_sha256(want, buf + off, n);
			sha256(buf + off, n, got);
			assert_memory_equal(want, got, 32);
		}
		sha256(NULL, 0, got);
		crypto_hash_sha256(want, (const unsigned char *)"", 0);
		assert_memory_equal(want, got, 32);
	}
	sha256_force_portable(0);
}

static void test_taxonomy(void **state)
{
	const struct theme_def *t;
	size_t n, i, groups = 0, leaves = 0;

	(void)state;
	t = theme_taxonomy(&n);
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		if (t[i].is_group)
			groups++;
		else
			leaves++;
		assert_true(strlen(t[i].label_fr) > 0);
		assert_true(strlen(t[i].label_en) > 0);
	}
	/*
	 * DESIGN.md's table: 25 themes in 8 groups, plus "other" (its prose
	 * says 24, but the table, which is what ships, lists 25)
	 */
	assert_int_equal(groups, 8);
	assert_int_equal(leaves, 26);
	assert_string_equal(t[n - 1].key, "other");
}

static char *temp_db(void)
{
	char *path = strdup("/tmp/agora-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void remove_db(const char *path)
{
	char aux[4200];

	unlink(path);
	snprintf(aux, sizeof(aux), "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", path);
	unlink(aux);
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

static void test_db_migrations(void **state)
{
	struct agora_error err = {0};
	struct agora_db *db;
	char *path = temp_db();

	(void)state;
	/* a read-only open of a missing database fails cleanly */
	assert_int_not_equal(db_open(&db, path, DB_OPEN_READONLY, &err), 0);
	assert_null(db);
	assert_int_equal(db_open(&db, path, DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_schema_version(db), db_latest_schema_version());
	assert_int_equal(count(db, "SELECT count(*) FROM theme"), 34);
	assert_int_equal(count(db, "SELECT count(*) FROM theme t JOIN theme g"
				   " ON g.id = t.parent_id"),
			 25);
	assert_int_equal(
		count(db, "SELECT count(*) FROM pragma_journal_mode"
			  " WHERE journal_mode = 'wal'"),
		1);
	assert_int_equal(count(db, "SELECT foreign_keys FROM"
				   " pragma_foreign_keys"),
			 1);
	db_close(db);
	/* opening again migrates nothing and keeps the themes */
	assert_int_equal(db_open(&db, path, 0, &err), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM theme"), 34);
	/* a database from a newer agora is refused, not damaged */
	assert_int_equal(sqlite3_exec(db_handle(db), "PRAGMA user_version=99",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	db_close(db);
	assert_int_equal(db_open(&db, path, 0, &err), AGORA_EDB);
	assert_non_null(strstr(err.msg, "newer"));
	remove_db(path);
	free(path);
}

/* The index's configuration as one line, "automerge=8,version=4" */
static char *fts_config(struct agora_db *db)
{
	sqlite3_stmt *st;
	char *s = NULL;

	assert_int_equal(
		sqlite3_prepare_v2(db_handle(db),
				   "SELECT group_concat(k || '=' || v, ',')"
				   " FROM (SELECT k, v FROM proposal_fts_config"
				   " ORDER BY k)",
				   -1, &st, NULL),
		SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_non_null(s);
	return s;
}

/*
 * The full-text index merges its segments 8 at a time (migration
 * fts_merge, bench/README.md): a fresh database and one that had the
 * schema before it end with the same configuration, and FTS5's own
 * integrity-check (what `agora verify` runs) passes on both. The older
 * database is this one taken back: its automerge row removed (the only
 * thing the migration writes) and user_version one lower, so that
 * reopening runs the last migration again. That is migration fts_merge
 * as long as it is the last one; if another is appended after it, give
 * this test the version before fts_merge instead.
 */
static void test_fts_merge_config(void **state)
{
	struct agora_error err = {0};
	struct agora_db *db;
	char *path = temp_db(), *fresh, *migrated, sql[64];
	sqlite3 *h;

	(void)state;
	assert_int_equal(db_open(&db, path, DB_OPEN_CREATE, &err), 0);
	fresh = fts_config(db);
	assert_string_equal(fresh, "automerge=8,version=4");
	h = db_handle(db);
	assert_int_equal(sqlite3_exec(h,
				      "INSERT INTO proposal_fts(proposal_fts)"
				      " VALUES ('integrity-check')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	/* back to the schema before the migration */
	assert_int_equal(
		sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
				      "DELETE FROM proposal_fts_config"
				      " WHERE k = 'automerge'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 db_latest_schema_version() - 1);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	migrated = fts_config(db);
	assert_string_equal(migrated, "version=4");
	free(migrated);
	db_close(db);
	/* opening it migrates it */
	assert_int_equal(db_open(&db, path, 0, &err), 0);
	assert_int_equal(db_schema_version(db), db_latest_schema_version());
	migrated = fts_config(db);
	assert_string_equal(migrated, fresh);
	assert_int_equal(sqlite3_exec(db_handle(db),
				      "INSERT INTO proposal_fts(proposal_fts)"
				      " VALUES ('integrity-check')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	db_close(db);
	free(fresh);
	free(migrated);
	remove_db(path);
	free(path);
}

static void test_proposal_text_is_immutable(void **state)
{
	struct agora_error err = {0};
	struct agora_db *db;
	char *path = temp_db();
	sqlite3 *h;

	(void)state;
	assert_int_equal(db_open(&db, path, DB_OPEN_CREATE, &err), 0);
	h = db_handle(db);
	assert_int_equal(
		sqlite3_exec(
			h,
			"INSERT INTO election(slug, title) VALUES ('e', 'E');"
			"INSERT INTO candidate(election_id, slug, family_name,"
			" sort_key) VALUES (1, 'c', 'C', 'c');"
			"INSERT INTO document(candidate_id, version, title,"
			" media_type, format, sha256, original, extracted,"
			" extractor_version) VALUES (1, 1, 't', 'text/plain',"
			" 'text', printf('%064d', 0), x'41', 'A text', 1);"
			"INSERT INTO proposal(document_id, ordinal, start, end,"
			" text) VALUES (1, 1, 0, 6, 'A text');",
			NULL, NULL, NULL),
		SQLITE_OK);
	/* the schema refuses any change to a proposal's text */
	assert_int_not_equal(sqlite3_exec(h,
					  "UPDATE proposal SET text = 'Other'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_non_null(strstr(sqlite3_errmsg(h), "verbatim"));
	/* search sees current proposals only: 'rebuild' indexes this one */
	assert_int_equal(sqlite3_exec(h,
				      "INSERT INTO proposal_fts(proposal_fts)"
				      " VALUES ('rebuild')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM proposal_fts"
				   " WHERE proposal_fts MATCH 'text'"),
			 1);
	db_close(db);
	remove_db(path);
	free(path);
}

/* Steps one INSERT of a blob of n bytes into t, as raw SQLite does */
static int raw_insert(struct agora_db *db, int n)
{
	sqlite3_stmt *st;
	int rc;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
					    "INSERT INTO t(x) VALUES (?1)", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_zeroblob(st, 1, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc;
}

/*
 * A full disk in the middle of a transaction: SQLite rolls the whole
 * transaction back by itself (max_page_count makes the next page
 * allocation fail with SQLITE_FULL, as a full disk does), and a caller
 * that carries on regardless must write nothing more: no statement
 * commits on its own, db_step, db_exec and db_commit say the disk is
 * full, and writes work again once there is room.
 */
static void test_db_lost_transaction(void **state)
{
	struct agora_error err = {0};
	struct agora_db *db;
	char *path = temp_db();
	sqlite3_stmt *st;
	char pragma[64];
	int pages;

	(void)state;
	assert_int_equal(db_open(&db, path, DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t(x)", &err), 0);
	pages = count(db, "PRAGMA page_count");
	snprintf(pragma, sizeof(pragma), "PRAGMA max_page_count=%d", pages);
	assert_int_equal(db_exec(db, pragma, &err), 0);

	/* the first statement fits in a page, the second needs more */
	assert_int_equal(db_begin_write(db, &err), 0);
	assert_int_equal(raw_insert(db, 10), SQLITE_DONE);
	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
					    "INSERT INTO t(x) VALUES"
					    " (zeroblob(100000))",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(db_step(db, st, &err), AGORA_ESTORAGE);
	assert_non_null(strstr(err.msg, "the disk is full"));
	assert_int_equal(db_in_transaction(db), 0);
	/* carrying on: each of these would have committed alone */
	assert_int_equal(raw_insert(db, 10), SQLITE_CONSTRAINT_COMMITHOOK);
	err.msg[0] = '\0';
	assert_int_equal(db_exec(db, "INSERT INTO t(x) VALUES (1)", &err),
			 AGORA_ESTORAGE);
	assert_non_null(strstr(err.msg, "the disk is full"));
	sqlite3_reset(st);
	assert_int_equal(db_step(db, st, &err), AGORA_ESTORAGE);
	err.msg[0] = '\0';
	assert_int_equal(db_commit(db, &err), AGORA_ESTORAGE);
	assert_non_null(strstr(err.msg, "the disk is full"));
	db_rollback(db);
	assert_int_equal(count(db, "SELECT count(*) FROM t"), 0);

	/* a failure nobody looked at is caught at the commit */
	assert_int_equal(db_begin_write(db, &err), 0);
	assert_int_equal(raw_insert(db, 10), SQLITE_DONE);
	assert_int_not_equal(raw_insert(db, 100000), SQLITE_DONE);
	assert_int_not_equal(raw_insert(db, 10), SQLITE_DONE);
	err.msg[0] = '\0';
	assert_int_equal(db_commit(db, &err), AGORA_ESTORAGE);
	assert_non_null(strstr(err.msg, "rolled the transaction back"));
	db_rollback(db);
	assert_int_equal(count(db, "SELECT count(*) FROM t"), 0);

	/* room again: the same writes commit, with no reopening */
	assert_int_equal(db_exec(db, "PRAGMA max_page_count=100000", &err),
			 0);
	assert_int_equal(db_begin_write(db, &err), 0);
	assert_int_equal(raw_insert(db, 10), SQLITE_DONE);
	sqlite3_reset(st);
	assert_int_equal(db_step(db, st, &err), 0);
	assert_int_equal(db_commit(db, &err), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM t"), 2);
	/* statements outside a transaction still commit on their own */
	assert_int_equal(raw_insert(db, 10), SQLITE_DONE);
	assert_int_equal(count(db, "SELECT count(*) FROM t"), 3);
	sqlite3_finalize(st);
	db_close(db);
	remove_db(path);
	free(path);
}

/*
 * The web server serves a cached page without a transaction while the
 * database's mark holds: any commit, from any connection, must break
 * it, and nothing else may be taken for a commit that did not happen
 */
static void test_db_mark(void **state)
{
	struct agora_error err = {0};
	struct agora_db *w, *r;
	struct db_mark m, again;
	char *path = temp_db();

	(void)state;
	assert_int_equal(db_open(&w, path, DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_exec(w, "CREATE TABLE t(x)", &err), 0);
	assert_int_equal(db_open(&r, path, DB_OPEN_READONLY, &err), 0);

	db_mark(r, &m);
	assert_true(m.set);
	assert_int_equal(db_mark_same(r, &m), 1);
	/* reading changes nothing */
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_mark_same(r, &m), 1);
	/* a transaction rolled back committed nothing */
	assert_int_equal(db_begin_write(w, &err), 0);
	assert_int_equal(raw_insert(w, 10), SQLITE_DONE);
	assert_int_equal(db_mark_same(r, &m), 1);
	db_rollback(w);
	assert_int_equal(db_mark_same(r, &m), 1);
	/* a commit by another connection breaks it */
	assert_int_equal(raw_insert(w, 10), SQLITE_DONE);
	assert_int_equal(db_mark_same(r, &m), 0);
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 1);
	/* and so does a checkpoint that restarts the log, then a commit */
	db_mark(r, &m);
	assert_int_equal(db_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)", &err),
			 0);
	assert_int_equal(raw_insert(w, 10), SQLITE_DONE);
	assert_int_equal(db_mark_same(r, &m), 0);
	/* none inside a transaction: it would say nothing of its snapshot */
	assert_int_equal(db_begin(r, &err), 0);
	db_mark(r, &again);
	assert_false(again.set);
	assert_int_equal(db_mark_same(r, &again), 0);
	db_rollback(r);
	/* an empty witness proves nothing */
	memset(&again, 0, sizeof(again));
	assert_int_equal(db_mark_same(r, &again), 0);
	db_close(r);
	db_close(w);
	remove_db(path);
	free(path);
}

/*
 * A statement left stepped keeps SQLite's read transaction open across
 * ROLLBACK: a mark taken then would vouch for the newest header while
 * the next transaction still reads the older snapshot, and the server
 * would serve an old page until the next commit (found in review)
 */
static void test_db_mark_pending_read(void **state)
{
	struct agora_error err = {0};
	struct agora_db *w, *r;
	struct db_mark m;
	sqlite3_stmt *st;
	char *path = temp_db();

	(void)state;
	assert_int_equal(db_open(&w, path, DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_exec(w, "CREATE TABLE t(x)", &err), 0);
	assert_int_equal(raw_insert(w, 1), SQLITE_DONE);
	assert_int_equal(db_open(&r, path, DB_OPEN_READONLY, &err), 0);

	/* a request's statement left after its first row */
	assert_int_equal(db_begin(r, &err), 0);
	assert_int_equal(sqlite3_prepare_v2(db_handle(r), "SELECT x FROM t",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	db_rollback(r);
	assert_int_equal(sqlite3_txn_state(db_handle(r), "main"),
			 SQLITE_TXN_READ);
	assert_int_equal(raw_insert(w, 1), SQLITE_DONE);
	db_mark(r, &m);
	assert_false(m.set);
	assert_int_equal(db_mark_same(r, &m), 0);
	/* once the statement is done, marks again */
	sqlite3_finalize(st);
	db_mark(r, &m);
	assert_true(m.set);
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 2);
	assert_int_equal(db_mark_same(r, &m), 1);
	db_close(r);
	db_close(w);
	remove_db(path);
	free(path);
}

/*
 * Readers that always overlap: at every commit one of them is inside
 * the WAL with an older snapshot, so SQLite's own checkpoint never
 * finds the moment to start the WAL over, and it grew by every commit
 * (seen under ThreadSanitizer). db_wal_bound(), called now and then by
 * a thread of its own as the server does, keeps the file near 8 MiB.
 */
struct overlap {
	const char *path;
	int delay_us;
	atomic_int *stop;
	long reads, restarts, failures;
};

static void *overlap_reader(void *p)
{
	struct overlap *o = p;
	struct agora_error err = {0};
	struct agora_db *r;
	sqlite3_stmt *st = NULL;

	if (db_open(&r, o->path, DB_OPEN_READONLY, &err))
		return NULL;
	sqlite3_prepare_v2(db_handle(r), "SELECT count(*) FROM t", -1, &st,
			   NULL);
	usleep((useconds_t)o->delay_us);
	while (!atomic_load(o->stop) && st) {
		if (db_begin(r, &err) == 0) {
			if (sqlite3_step(st) == SQLITE_ROW)
				o->reads++;
			sqlite3_reset(st);
			usleep(2000); /* a slow request */
			db_rollback(r);
		}
	}
	sqlite3_finalize(st);
	db_close(r);
	return NULL;
}

static void *wal_bounder(void *p)
{
	struct overlap *o = p;
	struct agora_error err = {0};
	struct agora_db *db;
	int rc;

	if (db_open(&db, o->path, 0, &err))
		return NULL;
	while (!atomic_load(o->stop)) {
		usleep(5000);
		rc = db_wal_bound(db);
		o->restarts += rc == 1;
		o->failures += rc == AGORA_EBUSY;
	}
	db_close(db);
	return NULL;
}

static void test_wal_bounded_under_readers(void **state)
{
	struct agora_error err = {0};
	struct agora_db *w;
	struct overlap o[3];
	pthread_t t[3];
	atomic_int stop = 0;
	struct stat sb;
	char *path = temp_db(), wal[4200];
	int i;

	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(db_open(&w, path, DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_exec(w, "CREATE TABLE t(x)", &err), 0);
	memset(o, 0, sizeof(o));
	for (i = 0; i < 3; i++) {
		o[i].path = path;
		o[i].delay_us = i * 1000;
		o[i].stop = &stop;
		assert_int_equal(pthread_create(&t[i], NULL,
						i < 2 ? overlap_reader
						      : wal_bounder,
						&o[i]),
				 0);
	}
	usleep(5000);
	/* 6,000 commits of 5 pages: 125 MB of WAL if nothing restarts it */
	for (i = 0; i < 6000; i++)
		assert_int_equal(db_exec(w,
					 "INSERT INTO t VALUES "
					 "(randomblob(12000))",
					 &err),
				 0);
	atomic_store(&stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_true(o[0].reads > 0 && o[1].reads > 0);
	assert_int_equal(stat(wal, &sb), 0);
	/*
	 * 11 to 22 MB in 6 runs: the bound, and what the writer commits
	 * between two tries of a RESTART; 8 MiB more for each time the
	 * readers outlasted every try (a dozen times, 43 to 115 MB, with
	 * six copies of this test at once beside a build). 125 MB without
	 * db_wal_bound().
	 */
	assert_true(o[2].restarts >= 1);
	assert_true(sb.st_size < (32LL + 8 * o[2].failures) << 20);
	assert_int_equal(count(w, "SELECT count(*) FROM t"), 6000);
	db_close(w);
	remove_db(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sb_cap_is_sticky),
		cmocka_unit_test(test_sb_detach),
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_slugify),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_sha256_paths),
		cmocka_unit_test(test_taxonomy),
		cmocka_unit_test(test_db_migrations),
		cmocka_unit_test(test_fts_merge_config),
		cmocka_unit_test(test_proposal_text_is_immutable),
		cmocka_unit_test(test_db_lost_transaction),
		cmocka_unit_test(test_db_mark),
		cmocka_unit_test(test_db_mark_pending_read),
		cmocka_unit_test(test_wal_bounded_under_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
