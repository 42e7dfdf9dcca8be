/*
 * db.c - the SQLite wrapper: opening with explicit pragmas, migrations,
 * per-module statement tables prepared once per connection, and the
 * transaction helpers every module uses.
 *
 * One struct agora_db per thread: connections are opened NOMUTEX.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
#include "core_int.h"

struct db_module_stmts {
	sqlite3_stmt **st;
	int n;
	void *data;
	void (*free_data)(void *);
};

struct agora_db {
	sqlite3 *h;
	char *path;
	struct fr_stemmer *st; /* owned by the tokenizer's registration */
	struct db_module_stmts mod[DB_MOD__MAX];
	/*
	 * The transaction that db_begin*() opened and db_commit() or
	 * db_rollback() ends (see "lost transactions" below): tx while it
	 * is open, committing during our own COMMIT, lost once SQLite has
	 * rolled it back by itself, lost_why the storage_reason() of the
	 * failure that did it when known ('f', 'r', or 0).
	 */
	unsigned tx : 1, committing : 1, lost : 1, tx_write : 1;
	int lost_why;
	/*
	 * BEGIN, BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared once: every
	 * web request opens and ends a transaction, and sqlite3_exec()
	 * would parse the statement again each time (a third of the
	 * library's work on a cached page).
	 */
	sqlite3_stmt *txst[4];
	sqlite3_stmt *genst; /* db_generation() */
	/* the WAL index's first region, once found (db_mark) */
	const volatile uint32_t *shm;
	unsigned shm_never : 1;
	int wal_restart_at; /* WAL pages that call for a RESTART (db_wal_bound) */
#ifdef AGORA_FAULTS
	int writes;    /* write statements run in this write transaction */
	int fault_now; /* the progress handler interrupts what runs */
#endif
};

sqlite3 *db_handle(struct agora_db *db)
{
	return db->h;
}

const char *db_path(struct agora_db *db)
{
	return db->path;
}

struct fr_stemmer *db_stemmer(struct agora_db *db)
{
	return db->st;
}

/* Creates the parent folder of path (one level, as for var/agora.db) */
static void make_parent(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	free(dir);
}

/* the WAL's bound: see db_wal_bound() */
enum {
	WAL_RESTART_PAGES = 2048, /* 8 MiB of 4 KiB pages */
	WAL_RESTART_TRY_MS = 10,
	WAL_RESTART_TRIES = 25,
	BUSY_TIMEOUT_MS = 5000,
};

static int set_pragmas(sqlite3 *h, int readonly, struct agora_error *err)
{
	/*
	 * WAL lets readers run beside the one writer. synchronous=NORMAL
	 * is durable across application crashes and loses at most the last
	 * transactions on power loss; ballots will ask for FULL on their own
	 * transactions. Debian's build would otherwise default WAL to FULL.
	 * trusted_schema stays ON: the triggers that keep proposal_fts in
	 * step write to a virtual table, and the schema is only ever written
	 * by our own migrations; DEFENSIVE still forbids writing to FTS5's
	 * shadow tables or the schema directly. secure_delete=ON zeroes
	 * what is deleted (sessions, supports, password hashes): Debian's
	 * default, said here so that it does not hang on a build option;
	 * ingest's own transaction turns it off (ingest/store.c).
	 */
	static const char rw[] = "PRAGMA journal_mode=WAL;"
				 "PRAGMA synchronous=NORMAL;"
				 "PRAGMA foreign_keys=ON;"
				 "PRAGMA temp_store=MEMORY;"
				 "PRAGMA cache_size=-16000;"
				 "PRAGMA journal_size_limit=67108864;"
				 "PRAGMA secure_delete=ON;";
	static const char ro[] = "PRAGMA foreign_keys=ON;"
				 "PRAGMA query_only=ON;"
				 "PRAGMA cache_size=-16000;";
	int on = 1;

	/*
	 * The -wal and -shm files stay when the last connection closes
	 * (emptied: journal_size_limit truncates the WAL to nothing then,
	 * and bounds it at 64 MiB after each checkpoint). Without them a
	 * WAL database on storage that has become read-only cannot be
	 * opened at all, not even to read ("unable to open database
	 * file"): SQLite would have to create them. With them it reads,
	 * and the server goes on serving pages while refusing writes
	 * (README, "Reliability"). Restore and backup look at the WAL's
	 * size, not at its presence.
	 */
	sqlite3_file_control(h, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on);
	if (sqlite3_exec(h, readonly ? ro : rw, NULL, NULL, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB,
				    "cannot set up the database: %s",
				    sqlite3_errmsg(h));
	return 0;
}

/*
 * SQLite's memory statistics (on by default) take a global mutex around
 * every allocation, and Debian's SQLite is built without lookaside
 * memory, so every small allocation of every statement goes through
 * them: 4% of ingest's instructions (callgrind, bench/README.md). agora
 * reads no memory statistics and sets no heap limit. sqlite3_config()
 * only works before SQLite initializes itself, i.e. before the first
 * connection of the process; afterwards it refuses (SQLITE_MISUSE) and
 * changes nothing, which is fine.
 */
static void sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void db_library_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sqlite_setup);
}

/*
 * Lost transactions. On SQLITE_FULL, SQLITE_IOERR (a full disk, an
 * I/O error) or out of memory, SQLite may roll the whole transaction
 * back by itself, and the connection is then in autocommit mode: a
 * caller that ignored the failed statement and went on would run its
 * next statements each in a transaction of its own, committed at once,
 * and leave half of its change written. Two hooks close that door for
 * every caller, whichever way it steps its statements: the rollback
 * hook notes that the transaction was lost, and the commit hook turns
 * any commit but db_commit()'s own into a rollback while a transaction
 * of db_begin*() is meant to be open. db_step(), db_exec() and
 * db_commit() then refuse with the error that lost it (AGORA_ESTORAGE
 * for a full disk), until db_rollback() ends the transaction.
 */
static int commit_hook(void *p)
{
	struct agora_db *db = p;

	if (db->tx && !db->committing) {
		db->lost = 1;
		return 1; /* a statement committing alone: roll it back */
	}
	return 0;
}

static void rollback_hook(void *p)
{
	struct agora_db *db = p;

	if (db->tx)
		db->lost = 1;
#ifdef AGORA_FAULTS
	db->fault_now = 0;
#endif
}

#ifdef AGORA_FAULTS
/*
 * Fault injection, compiled into test builds only (meson.build: the
 * sanitizers on). AGORA_FAULT_WRITE=N makes the Nth write statement of
 * every transaction of db_begin_write() fail mid-transaction, the way
 * SQLite fails one on a full disk: a progress handler interrupts it,
 * and SQLite rolls the whole transaction back by itself (an interrupted
 * write does that, as SQLITE_FULL and SQLITE_IOERR do). The
 * consequences run through the real code: the lost-transaction hooks
 * above, then each caller's error path (tests/http/writefault_test.py
 * sends every form that writes, for N = 1, 2, ...). The statement is
 * seen by the trace hook when it starts (any statement of the
 * connection, whichever way it is stepped); read-only ones, BEGIN,
 * COMMIT, SAVEPOINT and trigger programs are not counted.
 */
static int fault_nth;	 /* 0: off */
static int fault_commit; /* AGORA_FAULT_COMMIT=1 */
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void fault_read(void)
{
	const char *e = getenv("AGORA_FAULT_WRITE");

	fault_nth = e && atoi(e) > 0 ? atoi(e) : 0;
	e = getenv("AGORA_FAULT_COMMIT");
	fault_commit = e && !strcmp(e, "1");
}

int db_fault_write(void)
{
	pthread_once(&fault_once, fault_read);
	return fault_nth;
}

int db_fault_commit(void)
{
	pthread_once(&fault_once, fault_read);
	return fault_commit;
}

static int fault_trace(unsigned type, void *p, void *stmt, void *x)
{
	struct agora_db *db = p;
	const char *sql = x;

	if (type != SQLITE_TRACE_STMT || !db->tx || !db->tx_write ||
	    sqlite3_stmt_readonly(stmt) || (sql && !strncmp(sql, "--", 2)))
		return 0;
	if (++db->writes == fault_nth)
		db->fault_now = 1;
	return 0;
}

/*
 * Interrupts whatever runs until SQLite has rolled the transaction back
 * (the rollback hook disarms it): the statement may run statements of
 * its own first (FTS5 reads its data_version), whose failure it can
 * swallow; it is interrupted at its next check then
 */
static int fault_progress(void *p)
{
	struct agora_db *db = p;

	return db->fault_now;
}

static void fault_setup(struct agora_db *db)
{
	if (db_fault_write() <= 0)
		return;
	sqlite3_trace_v2(db->h, SQLITE_TRACE_STMT, fault_trace, db);
	sqlite3_progress_handler(db->h, 1, fault_progress, db);
}
#else
int db_fault_write(void)
{
	return 0;
}

int db_fault_commit(void)
{
	return 0;
}
#endif

/*
 * The WAL's bound. SQLite's own checkpoint (wal_autocheckpoint, 1,000
 * pages, PASSIVE, after a commit) copies into the database what no
 * reader still needs, and the next writer starts the WAL over from its
 * beginning only at a moment when no reader is inside it. Under read
 * transactions that always overlap (slow requests, long board
 * downloads during a vote) that moment does not come, and the WAL grows
 * by every commit: 18.8 to 24.9 MiB in a minute under ThreadSanitizer
 * (bench/README.md, "ThreadSanitizer results"), 125 MB for 6,000
 * commits in test_core's test_wal_bounded_under_readers.
 *
 * db_wal_bound() is called by a thread of its own (the server's, once a
 * second), on a connection of its own: once the WAL holds
 * WAL_RESTART_PAGES it runs a RESTART checkpoint, which holds new
 * writers, copies everything, waits for the readers still inside the
 * WAL (those that start meanwhile read the database file alone) and
 * starts the WAL over; journal_size_limit then keeps the file near that
 * size. Not from a commit: a web worker commits on its write connection
 * while its read-only one holds the request's read transaction, and a
 * RESTART waits for every reader, that one too. One long wait fails
 * when readers take turns on one of the WAL index's read marks (SQLite
 * waits for the mark it saw, and the next reader takes it up again
 * before it looks); short tries look again each time, and the second or
 * third usually succeeds (30 to 190 ms with the copy, under
 * AddressSanitizer, in the test). When readers outlast every try (a
 * long download), the next attempt waits until the WAL has grown by as
 * much again, rather than holding writers every second.
 */
int db_wal_bound(struct agora_db *db)
{
	struct db_mark m;
	int pages, rc = SQLITE_BUSY, i;

	/*
	 * The WAL's length in pages is mxFrame, the fifth word of the WAL
	 * index's header (https://www.sqlite.org/walformat.html), read as
	 * db_mark() reads it: no checkpoint when there is nothing to bound.
	 * (A checkpoint every second would let the next writer start the
	 * WAL over and reuse its space, and writes succeed on a full disk
	 * that the storage test expects refused.)
	 */
	db_mark(db, &m);
	if (!m.set)
		return 0; /* not in WAL mode, or a commit under way */
	pages = (int)m.hdr[4];
	if (pages < db->wal_restart_at - WAL_RESTART_PAGES)
		db->wal_restart_at = WAL_RESTART_PAGES; /* restarted since */
	if (pages < db->wal_restart_at)
		return 0;
	sqlite3_busy_timeout(db->h, WAL_RESTART_TRY_MS);
	for (i = 0; i < WAL_RESTART_TRIES && (rc & 0xff) == SQLITE_BUSY; i++)
		rc = sqlite3_wal_checkpoint_v2(
			db->h, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		db->wal_restart_at = pages + WAL_RESTART_PAGES;
		return AGORA_EBUSY;
	}
	db->wal_restart_at = WAL_RESTART_PAGES;
	return 1;
}

int db_open(struct agora_db **out, const char *path, int flags,
	    struct agora_error *err)
{
	struct agora_db *db;
	int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	if (flags & DB_OPEN_READONLY) {
		oflags |= SQLITE_OPEN_READONLY;
	} else {
		oflags |= SQLITE_OPEN_READWRITE;
		if (flags & DB_OPEN_CREATE) {
			oflags |= SQLITE_OPEN_CREATE;
			make_parent(path);
		}
	}
	db_library_init();
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		rc = agora_errorf(err, AGORA_EDB, "cannot open database '%s': %s",
				  path,
				  db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	if ((rc = set_pragmas(db->h, flags & DB_OPEN_READONLY, err)))
		goto fail;
	sqlite3_commit_hook(db->h, commit_hook, db);
	sqlite3_rollback_hook(db->h, rollback_hook, db);
	db->wal_restart_at = WAL_RESTART_PAGES;
#ifdef AGORA_FAULTS
	fault_setup(db);
#endif
	if ((rc = fts_fr_register(db->h, &db->st, err)))
		goto fail;
	if (flags & DB_OPEN_READONLY) {
		if (db_schema_version(db) != db_latest_schema_version()) {
			rc = agora_errorf(err, AGORA_EDB,
					  "database '%s' has schema version %d, "
					  "expected %d",
					  path, db_schema_version(db),
					  db_latest_schema_version());
			goto fail;
		}
	} else if ((rc = schema_migrate(db->h, err))) {
		goto fail;
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

void db_close(struct agora_db *db)
{
	int m, i;

	if (!db)
		return;
	for (i = 0; i < 4; i++)
		sqlite3_finalize(db->txst[i]);
	sqlite3_finalize(db->genst);
	for (m = 0; m < DB_MOD__MAX; m++) {
		for (i = 0; i < db->mod[m].n; i++)
			sqlite3_finalize(db->mod[m].st[i]);
		free(db->mod[m].st);
		if (db->mod[m].free_data)
			db->mod[m].free_data(db->mod[m].data);
	}
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

int db_prepare_module(struct agora_db *db, enum db_module mod,
		      const char *const *sql, int n, struct agora_error *err)
{
	struct db_module_stmts *m = &db->mod[mod];
	int i;

	if (m->st)
		return 0; /* already prepared on this connection */
	m->st = calloc((size_t)n, sizeof(*m->st));
	if (!m->st)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	m->n = n;
	for (i = 0; i < n; i++) {
		if (!sql[i]) {
			while (i-- > 0)
				sqlite3_finalize(m->st[i]);
			free(m->st);
			m->st = NULL;
			m->n = 0;
			return agora_errorf(err, AGORA_EDB,
					    "statement %d of module %d has no "
					    "SQL",
					    (int)m->n, (int)mod);
		}
		if (sqlite3_prepare_v3(db->h, sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &m->st[i],
				       NULL) != SQLITE_OK) {
			agora_errorf(err, AGORA_EDB,
				     "cannot prepare statement %d of module "
				     "%d: %s",
				     i, (int)mod, sqlite3_errmsg(db->h));
			/* all or nothing: a later call must try again */
			while (i-- > 0)
				sqlite3_finalize(m->st[i]);
			free(m->st);
			m->st = NULL;
			m->n = 0;
			return AGORA_EDB;
		}
	}
	return 0;
}

sqlite3_stmt *db_stmt(struct agora_db *db, enum db_module mod, int id)
{
	sqlite3_stmt *st;

	if (id < 0 || id >= db->mod[mod].n)
		return NULL;
	st = db->mod[mod].st[id];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

void db_set_module_data(struct agora_db *db, enum db_module mod, void *data,
			void (*free_fn)(void *))
{
	struct db_module_stmts *m = &db->mod[mod];

	if (m->free_data && m->data != data)
		m->free_data(m->data);
	m->data = data;
	m->free_data = free_fn;
}

void *db_module_data(struct agora_db *db, enum db_module mod)
{
	return db->mod[mod].data;
}

/*
 * What stops a write for want of storage: 'f' the disk (or quota) is
 * full, 'r' the storage is read-only, 0 something else. SQLite says
 * SQLITE_FULL and SQLITE_READONLY itself; a failed write, fsync or
 * growth of the -shm file is an SQLITE_IOERR whose errno tells.
 */
static int storage_reason(sqlite3 *h)
{
	int ext = sqlite3_extended_errcode(h), e = sqlite3_system_errno(h);

	switch (ext & 0xff) {
	case SQLITE_FULL:
		return 'f';
	case SQLITE_READONLY:
		return 'r';
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (e == ENOSPC || e == EDQUOT)
			return 'f';
		if (e == EROFS)
			return 'r';
	}
	return 0;
}

/* The error of a transaction SQLite rolled back by itself */
static int lost_error(struct agora_db *db, struct agora_error *err,
		      const char *what)
{
	if (db->lost_why)
		return agora_errorf(err, AGORA_ESTORAGE,
				    "%s: cannot write to '%s': %s (the "
				    "transaction was rolled back)",
				    what, db->path,
				    db->lost_why == 'f'
					    ? "the disk is full"
					    : "the storage is read-only");
	/*
	 * The failure went unseen (a caller that did not check a step):
	 * SQLite gives up a transaction on its own only when it cannot
	 * write (or allocate), so it is the storage's to answer for
	 */
	return agora_errorf(err, AGORA_ESTORAGE,
			    "%s: cannot write to '%s': SQLite rolled the "
			    "transaction back after a failed write",
			    what, db->path);
}

int db_error(struct agora_db *db, struct agora_error *err, const char *what)
{
	int ext = sqlite3_extended_errcode(db->h);
	int code = AGORA_EDB, why;

	if (db->tx && !db->lost && sqlite3_get_autocommit(db->h))
		db->lost = 1;
	why = storage_reason(db->h);
	if (db->lost && !db->lost_why)
		db->lost_why = why;
	if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		code = AGORA_EBUSY;
	else if ((ext & 0xff) == SQLITE_NOMEM)
		code = AGORA_ENOMEM;
	else if (why)
		return agora_errorf(err, AGORA_ESTORAGE,
				    "%s: cannot write to '%s': %s (%s)", what,
				    db->path,
				    why == 'f' ? "the disk is full"
					       : "the storage is read-only",
				    sqlite3_errmsg(db->h));
	else if (db->lost)
		return lost_error(db, err, what);
	return agora_errorf(err, code, "%s: %s", what, sqlite3_errmsg(db->h));
}

int db_check_writable(struct agora_db *db, struct agora_error *err)
{
	if (sqlite3_db_readonly(db->h, "main") == 1)
		return agora_errorf(err, AGORA_ESTORAGE,
				    "cannot write to '%s': the storage is "
				    "read-only (the database was opened "
				    "read-only)",
				    db->path);
	return 0;
}

int db_in_transaction(struct agora_db *db)
{
	return !sqlite3_get_autocommit(db->h) && !db->lost;
}

/* Nothing runs in a transaction that SQLite has already rolled back */
static int check_lost(struct agora_db *db, struct agora_error *err)
{
	if (db->tx && !db->lost && sqlite3_get_autocommit(db->h))
		db->lost = 1;
	return db->lost ? lost_error(db, err, "database") : 0;
}

int db_exec(struct agora_db *db, const char *sql, struct agora_error *err)
{
	int rc;

	if ((rc = check_lost(db, err)))
		return rc;
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err, "database");
	return 0;
}

enum { TX_BEGIN, TX_BEGIN_WRITE, TX_COMMIT, TX_ROLLBACK };

/* Runs one of the transaction statements: SQLite's result code */
static int tx_run(struct agora_db *db, int which)
{
	static const char *const sql[4] = {"BEGIN", "BEGIN IMMEDIATE",
					   "COMMIT", "ROLLBACK"};
	sqlite3_stmt *st = db->txst[which];
	int rc;

	if (!st && (rc = sqlite3_prepare_v3(db->h, sql[which], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &db->txst[which], NULL)) != SQLITE_OK)
		return rc;
	st = db->txst[which];
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int begin(struct agora_db *db, int write, struct agora_error *err)
{
	int rc;

	/* a transaction SQLite lost is over: a new one may start */
	if (db->lost && sqlite3_get_autocommit(db->h))
		db->tx = db->lost = 0;
	if ((rc = check_lost(db, err)))
		return rc;
	if (tx_run(db, write ? TX_BEGIN_WRITE : TX_BEGIN) != SQLITE_OK)
		return db_error(db, err, "database");
	db->tx = 1;
	db->tx_write = !!write;
	db->lost = 0;
	db->lost_why = 0;
#ifdef AGORA_FAULTS
	db->writes = 0;
	db->fault_now = 0;
#endif
	return 0;
}

int64_t db_generation(struct agora_db *db)
{
	int64_t v = -1;

	if (!db->genst &&
	    sqlite3_prepare_v3(db->h,
			       "SELECT value FROM meta"
			       " WHERE key = 'search_generation'",
			       -1, SQLITE_PREPARE_PERSISTENT, &db->genst,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(db->genst) == SQLITE_ROW)
		v = sqlite3_column_int64(db->genst, 0);
	sqlite3_reset(db->genst);
	return v;
}

/*
 * The connection's own mapping of the WAL index, through the VFS's
 * xShmMap (region 0, 32 KiB, not extended): SQLite mapped it when it
 * first read the database, and keeps it until the connection closes.
 * Kept once found; asked again after a failure to ask; never asked
 * again of a database not in WAL mode (the call would create a -shm
 * file) or with a read-only -shm.
 */
static const volatile uint32_t *wal_index(struct agora_db *db)
{
	sqlite3_file *f = NULL;
	void volatile *p = NULL;
	sqlite3_stmt *st = NULL;
	int rc, wal;

	if (db->shm || db->shm_never)
		return db->shm;
	/* a failure to ask is tried again next time; a clear no is kept */
	if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	wal = !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0),
			       "wal");
	sqlite3_finalize(st);
	if (!wal ||
	    sqlite3_file_control(db->h, "main", SQLITE_FCNTL_FILE_POINTER,
				 &f) != SQLITE_OK ||
	    !f || !f->pMethods || f->pMethods->iVersion < 2 ||
	    !f->pMethods->xShmMap) {
		db->shm_never = 1;
		return NULL;
	}
	rc = f->pMethods->xShmMap(f, 0, 32768, 0, &p);
	if (rc == SQLITE_OK && p) {
		db->shm = (const volatile uint32_t *)p;
		return db->shm;
	}
	if (rc == SQLITE_READONLY) /* a read-only -shm: no witness */
		db->shm_never = 1;
	return NULL;
}

void db_mark(struct agora_db *db, struct db_mark *m)
{
	const volatile uint32_t *h;
	uint32_t second[12];
	size_t i;

	m->set = 0;
	/*
	 * Not inside a transaction, ours or one SQLite still holds for a
	 * statement left unfinished (ROLLBACK leaves pending reads open):
	 * the next "transaction" would read that older snapshot, and the
	 * mark would vouch for it (found in review)
	 */
	if (db->tx || sqlite3_txn_state(db->h, "main") != SQLITE_TXN_NONE ||
	    !(h = wal_index(db)))
		return;
	/*
	 * A writer stores the second copy, a barrier, then the first;
	 * reading the first, then (acquire loads: in this order) the
	 * second sees them equal only when the first is whole
	 * (walIndexTryHdr in SQLite's wal.c)
	 */
	for (i = 0; i < 12; i++)
		m->hdr[i] = __atomic_load_n(&h[i], __ATOMIC_ACQUIRE);
	for (i = 0; i < 12; i++)
		second[i] = __atomic_load_n(&h[12 + i], __ATOMIC_ACQUIRE);
	/* byte 12 is isInit: 0 while the index is being rebuilt */
	m->set = !memcmp(m->hdr, second, sizeof(second)) &&
		 ((const unsigned char *)m->hdr)[12];
}

int db_mark_same(struct agora_db *db, const struct db_mark *m)
{
	struct db_mark now;

	if (!m->set)
		return 0;
	db_mark(db, &now);
	return now.set && !memcmp(now.hdr, m->hdr, sizeof(now.hdr));
}

int db_begin(struct agora_db *db, struct agora_error *err)
{
	return begin(db, 0, err);
}

int db_begin_write(struct agora_db *db, struct agora_error *err)
{
	return begin(db, 1, err);
}

/*
 * A statement still on a row at COMMIT keeps the connection's read
 * transaction open after it: the checkpoint SQLite runs after the
 * commit then fails (SQLITE_LOCKED) and the WAL grows with every
 * commit until the statement is reset. Test builds stop there, naming
 * the statement; FTS5's own blob readers (no SQL) close themselves
 * during the commit.
 */
#ifdef AGORA_FAULTS
static void still_running(struct agora_db *db)
{
	sqlite3_stmt *q = NULL;

	while ((q = sqlite3_next_stmt(db->h, q)))
		if (sqlite3_stmt_busy(q) && sqlite3_sql(q)) {
			fprintf(stderr,
				"agora: BUG: a statement is still running at "
				"COMMIT (reset it first): %s\n",
				sqlite3_sql(q));
			abort();
		}
}
#else
static void still_running(struct agora_db *db)
{
	(void)db;
}
#endif

/*
 * A COMMIT after SQLite lost the transaction would say "no transaction
 * is active" (an internal error, 500); it is refused with the error
 * that lost it instead. The transaction stays "open" for
 * db_rollback(), which every caller runs after a failed commit.
 */
int db_commit(struct agora_db *db, struct agora_error *err)
{
	int rc;

	if ((rc = check_lost(db, err)))
		return rc;
#ifdef AGORA_FAULTS
	db->fault_now = 0; /* the write it armed for ran to its end */
	if (db->tx_write && db_fault_commit()) {
		/*
		 * COMMIT failing on a full disk at the last moment: SQLite
		 * rolls the whole transaction back, as here
		 */
		tx_run(db, TX_ROLLBACK);
		db->lost = 1;
		db->lost_why = 'f';
		return lost_error(db, err, "database");
	}
#endif
	still_running(db);
	db->committing = 1;
	rc = tx_run(db, TX_COMMIT);
	db->committing = 0;
	if (rc != SQLITE_OK)
		return db_error(db, err, "database");
	db->tx = 0;
	return 0;
}

void db_rollback(struct agora_db *db)
{
#ifdef AGORA_FAULTS
	db->fault_now = 0;
#endif
	db->tx = db->lost = 0;
	db->lost_why = 0;
	if (!sqlite3_get_autocommit(db->h))
		tx_run(db, TX_ROLLBACK);
}

int db_step(struct agora_db *db, sqlite3_stmt *st, struct agora_error *err)
{
	int rc;

	if ((rc = check_lost(db, err)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(db, err, "database");
}

const char *db_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

char *db_col_dup(sqlite3_stmt *st, int col)
{
	return strdup(db_col_text(st, col));
}

int db_schema_version(struct agora_db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}
