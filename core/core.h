/*
 * core.h - the one public header of agora's core: errors, growable
 * buffers with a hard cap, UTF-8 and French text helpers, SHA-256, the
 * SQLite wrapper with per-module statement tables, schema migrations and
 * the theme taxonomy.
 *
 * core/ depends on nothing of ours; every other module includes this file.
 */
#ifndef AGORA_CORE_H
#define AGORA_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#if defined(__GNUC__)
#define AGORA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define AGORA_WUR __attribute__((warn_unused_result))
#else
#define AGORA_PRINTF(f, a)
#define AGORA_WUR
#endif

#define AGORA_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/*
 * Fallible functions return 0 or one of these negative codes, and fill a
 * struct agora_error with a human message: lower-case, no full stop, what
 * failed first, the subject quoted ("cannot open 'x.html'").
 */
enum agora_code {
	AGORA_OK = 0,
	AGORA_EINVAL = -1,   /* bad input from the user: exit 2, HTTP 400 */
	AGORA_ENOMEM = -2,   /* out of memory */
	AGORA_EDB = -3,      /* the database failed */
	AGORA_EIO = -4,      /* a file could not be read or written */
	AGORA_ENOTFOUND = -5, /* a named object does not exist: HTTP 404 */
	AGORA_ECHECK = -6,   /* a verification found a mismatch: exit 1 */
	AGORA_ETOOBIG = -7,  /* input over a configured limit: HTTP 413 */
	AGORA_EEXIST = -8,   /* object already exists: HTTP 409 */
	AGORA_EBUSY = -9,    /* the database is locked: HTTP 503 */
	AGORA_ESTORAGE = -10, /* the disk is full or read-only: HTTP 503 */
};

struct agora_error {
	int code;
	char msg[1024];
};

/* Sets err (which may be NULL) and returns code, for "return agora_errorf" */
int agora_errorf(struct agora_error *err, int code, const char *fmt, ...)
	AGORA_PRINTF(3, 4);
void agora_error_clear(struct agora_error *err);
/* Prefixes the existing message: "ingest 'a.html': <old message>" */
void agora_error_prefix(struct agora_error *err, const char *fmt, ...)
	AGORA_PRINTF(2, 3);
const char *agora_code_name(int code);

/* ------------------------------------------------------- string buffers */

/*
 * A growable byte buffer in the manner of git's strbuf and curl's dynbuf:
 * buf is never NULL and always NUL-terminated; every buffer fed by users
 * has a cap (max, 0 for SB_DEFAULT_MAX); errors are sticky, so a sequence
 * of appends is checked once at the end with sb_error().
 */
#define SB_DEFAULT_MAX ((size_t)256 << 20)

struct sb {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
	int err; /* 0, AGORA_ENOMEM or AGORA_ETOOBIG */
};

void sb_init(struct sb *sb, size_t max);
void sb_fini(struct sb *sb);
void sb_reset(struct sb *sb); /* len = 0, err = 0, keeps memory */
int sb_grow(struct sb *sb, size_t extra);
int sb_append(struct sb *sb, const void *p, size_t n);
int sb_puts(struct sb *sb, const char *s);
int sb_putc(struct sb *sb, int c);
int sb_printf(struct sb *sb, const char *fmt, ...) AGORA_PRINTF(2, 3);
int sb_vprintf(struct sb *sb, const char *fmt, va_list ap) AGORA_PRINTF(2, 0);
/* Moves the bytes out: the caller frees; the buffer is empty again */
char *sb_detach(struct sb *sb, size_t *len);
static inline int sb_error(const struct sb *sb)
{
	return sb->err;
}

/* ------------------------------------------------------------ text, UTF-8 */

/*
 * Returns 1 when p[0..n) is valid UTF-8 (no overlongs, no surrogates, no
 * NUL bytes), else 0 with *bad set to the offset of the first bad byte.
 */
int utf8_valid(const char *p, size_t n, size_t *bad);
/*
 * Text a person typed (a name, a title, a label): min..max bytes of
 * UTF-8 without control characters (newlines allowed when lines).
 * what names it in the message ("the title"). 0 or AGORA_EINVAL.
 */
int text_check(const char *what, const char *s, size_t min, size_t max,
	       int lines, struct agora_error *err);
/* Decodes one code point at p (valid UTF-8 assumed); returns its length */
int utf8_decode(const char *p, size_t n, uint32_t *cp);
int utf8_encode(uint32_t cp, char out[4]);

/*
 * French text folding for search and theme rules: lower-case, accents
 * removed, ligatures expanded (œ -> oe), typographic apostrophes made
 * plain. Appends to out. With keep_accents, only lower-cases.
 */
int text_fold(struct sb *out, const char *p, size_t n, int keep_accents);
/* 1 when cp is a letter or digit for tokenising purposes */
int text_is_wordchar(uint32_t cp);

/* A Snowball French stemmer; one per thread (libstemmer is not shared) */
struct fr_stemmer;
struct fr_stemmer *fr_stemmer_new(void);
void fr_stemmer_free(struct fr_stemmer *st);
/* Stems a lower-cased word; the result is borrowed until the next call */
const char *fr_stem(struct fr_stemmer *st, const char *w, size_t n,
		    size_t *outlen);

/*
 * text.c: the next word of p[0..n) at or after *pos, elisions skipped,
 * bad bytes as separators: [*start, *end); 0 at the end. The word rule
 * of fr_tokenize, without stemming, for FTS5's highlight pass.
 */
int fr_word_next(const char *p, size_t n, size_t *pos, size_t *start,
		 size_t *end);

/*
 * Tokenises French text into folded stems, calling fn for each; the
 * same rule the FTS5 tokenizer uses, for theme rules and tests.
 */
typedef int (*fr_token_fn)(void *ctx, const char *stem, size_t n,
			   size_t start, size_t end);
int fr_tokenize(struct fr_stemmer *st, const char *p, size_t n, fr_token_fn fn,
		void *ctx);

/*
 * fr_tokenize, which also keeps the token stream of p[0..n) in the
 * stemmer (up to 64 kB of text), so that the FTS5 tokenizer replays it
 * instead of reading the same text again: ingest themes a proposal, then
 * indexes the same bytes. Only a complete pass is kept (fn returned 0
 * every time).
 */
int fr_tokenize_keep(struct fr_stemmer *st, const char *p, size_t n,
		     fr_token_fn fn, void *ctx);

/*
 * Inside an fr_tokenize or fr_tokenize_keep callback: a number the
 * caller keeps with the word it was just given, in the stemmer's word
 * cache, under the caller's tag (fr_note_tag()); 0 until the caller
 * stores something. NULL when the word is not cached. A note is a pure
 * function of the word that the caller computed once (ingest/themes.c:
 * the stem's number in the theme tables), so losing it when the word
 * leaves the cache, or when another tag takes the slot, costs only
 * computing it again.
 */
uint32_t *fr_word_note(struct fr_stemmer *st, uint32_t tag);
/* A new tag for fr_word_note, never 0 */
uint32_t fr_note_tag(void);

/* SHA-256 of p[0..n) as 64 lower-case hex digits and a NUL */
void sha256_hex(const void *p, size_t n, char out[65]);

/*
 * SHA-256 of p[0..n): OpenSSL's libcrypto (it uses the CPU's SHA
 * instructions when there are any), libsodium's as the fallback
 * (core/sha256.c); the same digest either way.
 */
void sha256(const void *p, size_t n, unsigned char out[32]);
/* 1 when sha256() uses OpenSSL */
int sha256_uses_openssl(void);
/* Tests: 1 makes sha256() use libsodium's code, 0 lets it choose again */
void sha256_force_portable(int portable);

/* Makes a URL slug ("Jean-Luc Mélenchon" -> "jean-luc-melenchon") */
int slugify(struct sb *out, const char *s);

/* Reads a whole file, at most max bytes: AGORA_ETOOBIG past that */
int file_read(const char *path, size_t max, struct sb *out,
	      struct agora_error *err);

/* ------------------------------------------------------------- logging */

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int log_threshold;
void log_write(int level, const char *fmt, ...) AGORA_PRINTF(2, 3);
/* Does not evaluate its arguments when the level is off */
#define LOG(level, ...)                                                        \
	do {                                                                   \
		if ((level) <= log_threshold)                                  \
			log_write((level), __VA_ARGS__);                       \
	} while (0)

/* ------------------------------------------------------------- database */

/*
 * Every module keeps its SQL in one table of statements, an enum and an
 * array built with designated initialisers, prepared once per connection
 * (db_prepare_module) so that a typo fails at start-up.
 */
enum db_module {
	DB_MOD_CORE,
	DB_MOD_INGEST,
	DB_MOD_COMPARE,
	DB_MOD_SEARCH,
	DB_MOD_READ,
	DB_MOD_EXPORT,
	DB_MOD_PRIMARY,
	DB_MOD_WEB,
	DB_MOD_BOARD,
	DB_MOD_AUTH,
	DB_MOD_EDITOR,
	DB_MOD_CITIZEN,
	DB_MOD_MATERIAL,
	DB_MOD_CLAIM,
	DB_MOD_SCHEDULE,
	DB_MOD__MAX
};

struct agora_db;

enum db_open_flags {
	DB_OPEN_READONLY = 1, /* never writes, never migrates */
	DB_OPEN_CREATE = 2,   /* create the file (and its folder) if missing */
};

/*
 * Process-wide SQLite settings (no memory statistics: core/db.c), once;
 * db_open calls it. Code that opens SQLite connections itself calls it
 * first.
 */
void db_library_init(void);

/*
 * Opens path, sets the pragmas (WAL, synchronous=NORMAL, foreign keys,
 * busy timeout, defensive), registers the French tokenizer and applies
 * pending migrations inside one transaction.
 */
int db_open(struct agora_db **out, const char *path, int flags,
	    struct agora_error *err) AGORA_WUR;
void db_close(struct agora_db *db);
sqlite3 *db_handle(struct agora_db *db);
const char *db_path(struct agora_db *db);

int db_prepare_module(struct agora_db *db, enum db_module mod,
		      const char *const *sql, int n, struct agora_error *err);
/* Returns the module's statement id, reset and with bindings cleared */
sqlite3_stmt *db_stmt(struct agora_db *db, enum db_module mod, int id);

/*
 * A module's own per-connection state (a cache, say), freed with free_fn
 * when the connection closes. db_module_data() returns NULL until set.
 */
void db_set_module_data(struct agora_db *db, enum db_module mod, void *data,
			void (*free_fn)(void *));
void *db_module_data(struct agora_db *db, enum db_module mod);

int db_exec(struct agora_db *db, const char *sql, struct agora_error *err);
/*
 * The transaction helpers. If SQLite rolls a transaction of db_begin*()
 * back by itself (a full disk, an I/O error: the connection is then in
 * autocommit mode), nothing more is written until db_rollback(): a
 * statement that would commit alone is rolled back (commit hook),
 * db_step() and db_exec() refuse, and db_commit() returns the error
 * that lost it (AGORA_ESTORAGE for want of storage), never 0. After a
 * failed db_commit() the caller runs db_rollback(), as always.
 */
/*
 * Test builds only (0 elsewhere): N when AGORA_FAULT_WRITE=N makes the
 * Nth write statement of every db_begin_write() transaction fail
 * mid-transaction, as a full disk can (db.c)
 */
int db_fault_write(void);
/*
 * Test builds only (0 elsewhere): 1 when AGORA_FAULT_COMMIT=1 makes the
 * COMMIT of every db_begin_write() transaction fail, as a full disk can
 * at the last moment: SQLite rolls it all back (db.c)
 */
int db_fault_commit(void);
int db_begin(struct agora_db *db, struct agora_error *err); /* deferred */
/*
 * A witness that nothing has been committed to the database since it
 * was taken: the header of the database's WAL index (its -shm file, a
 * documented part of SQLite's file format,
 * https://www.sqlite.org/walformat.html), which every commit, from any
 * connection or process, rewrites. db_mark() reads it outside any
 * transaction, as SQLite's own readers do (two copies, equal); no
 * witness (m->set 0) when the database is not in WAL mode or the
 * copies differ, a commit being under way. db_mark_same() is 1 only
 * when a witness was taken and the header is still the same: what a
 * transaction begun after db_mark() read is then still the database's
 * content. The web server uses it to serve a cached page without
 * opening a transaction; anything it has not proved goes the usual way.
 */
/*
 * meta.search_generation as the open transaction (or a statement of its
 * own) reads it: bumped by every change a public page shows (triggers
 * in schema.c); -1 when it cannot be read. The page cache, the search
 * cache and the themes' coverage counts are kept while it stays.
 */
int64_t db_generation(struct agora_db *db);
struct db_mark {
	uint32_t hdr[12];
	int set;
};
void db_mark(struct agora_db *db, struct db_mark *m);
int db_mark_same(struct agora_db *db, const struct db_mark *m);
/*
 * Keeps the WAL near 8 MiB under readers that always overlap (db.c):
 * call it now and then from a thread that holds no transaction on any
 * connection, on a connection of its own. 1 when it started the WAL
 * over, 0 when there was nothing to do, AGORA_EBUSY when readers
 * outlasted it (it tries again once the WAL has grown by as much).
 */
int db_wal_bound(struct agora_db *db);
int db_begin_write(struct agora_db *db, struct agora_error *err); /* IMMEDIATE */
int db_commit(struct agora_db *db, struct agora_error *err);
void db_rollback(struct agora_db *db);
/*
 * Sets err from the connection's last error, with a context prefix:
 * AGORA_EBUSY when locked, AGORA_ESTORAGE when the disk is full or the
 * storage read-only (the write changed nothing; it may work later),
 * AGORA_EDB otherwise
 */
int db_error(struct agora_db *db, struct agora_error *err, const char *what);
/*
 * 0 when the connection can write. SQLite opens a database it cannot
 * open for writing (read-only storage) read-only without a word, and
 * such a connection stays read-only after the storage is writable
 * again: callers that keep a write connection reopen it when this says
 * AGORA_ESTORAGE (with err set), rather than fail forever.
 */
int db_check_writable(struct agora_db *db, struct agora_error *err);
/* 1 while a transaction is open (SQLite ends one by itself on some
 * errors, the disk full among them: 0 from then on) */
int db_in_transaction(struct agora_db *db);
/* Steps st; SQLITE_ROW -> 1, SQLITE_DONE -> 0, else sets err, < 0 */
int db_step(struct agora_db *db, sqlite3_stmt *st, struct agora_error *err);

/* Text column as a C string, "" for NULL; borrowed until the next step */
const char *db_col_text(sqlite3_stmt *st, int col);
/* A copy of it the caller frees; NULL only when memory runs out */
char *db_col_dup(sqlite3_stmt *st, int col);

int db_schema_version(struct agora_db *db);

/*
 * The connection's French stemmer, shared with its FTS5 tokenizer (so a
 * word stemmed for the theme rules is in the word cache when the index
 * tokenizes the same proposal); like the connection, one thread at a
 * time. Lives as long as the connection.
 */
struct fr_stemmer *db_stemmer(struct agora_db *db);

/* FTS5's API on a connection, to register auxiliary functions; or NULL */
fts5_api *fts5_api_get(sqlite3 *h);
int db_latest_schema_version(void);

/* ------------------------------------------------------- backup, restore */

/* What `agora backup` and `agora restore` report about a database file */
#define DB_FILE_COUNTS 5
struct db_file_info {
	int64_t bytes;	    /* the file's size */
	int schema_version; /* its user_version (after migrating, restore) */
	int migrated_from;  /* restore: the backup's older version, or 0 */
	char sha256[65];    /* SHA-256 of the backup file's bytes */
	struct db_file_count {
		const char *name; /* "elections", "documents", "proposals",
				     "primaries", "ballots" */
		int64_t rows;	  /* -1 when the table does not exist */
	} counts[DB_FILE_COUNTS];
};

struct db_backup_opts {
	int force;	/* replace an existing FILE */
	int step_pages; /* pages copied per step (0: 1024) */
	int pause_ms;	/* pause between steps, to spare a busy disk */
};

/*
 * backup.c: copies the database at db_path to file, online: one read
 * transaction (the server and writers go on), SQLite's backup API in
 * steps, into file.tmp, checked (integrity, version), fsync'd, then
 * renamed. Never replaces an existing file without o->force. The
 * database itself is only read.
 */
int db_backup(const char *db_path, const char *file,
	      const struct db_backup_opts *o, struct db_file_info *info,
	      struct agora_error *err) AGORA_WUR;

/*
 * Called by db_restore on the staged copy, opened and migrated, before
 * it replaces anything: a nonzero return (with err set) cancels it.
 */
typedef int (*db_restore_check_fn)(struct agora_db *db, void *ctx,
				   struct agora_error *err);

/*
 * Replaces the database at db_path with the backup file: copies it
 * beside db_path, checks it (SQLite, sound, agora's, not newer than
 * this binary), migrates it, runs check, then, holding an exclusive
 * lock on the database (AGORA_EBUSY while another process has it open)
 * renames it over. Refuses a database holding data without force
 * (AGORA_EEXIST). On any failure the database is unchanged; bad input
 * is AGORA_EINVAL.
 */
int db_restore(const char *file, const char *db_path, int force,
	       db_restore_check_fn check, void *ctx, struct db_file_info *info,
	       struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------------------- themes */

/*
 * The default taxonomy, compiled from core/data/themes.tsv: groups have
 * parent == NULL and is_group set; "other" is a top-level theme.
 */
struct theme_def {
	const char *key;
	const char *parent; /* group key, or NULL */
	int is_group;
	const char *label_fr;
	const char *label_en;
};
/* The taxonomy in display order; *n receives the count */
const struct theme_def *theme_taxonomy(size_t *n);

/*
 * Data files compiled into the binary by tools/embed.py; each module has
 * its own lookup function, generated with the name it asks for.
 */
struct embedded_file {
	const char *name;
	const char *data;
	size_t len;
};
/* The files embedded in core: "themes.tsv" */
const struct embedded_file *core_data_find(const char *name);
/* The files embedded in ingest: "programme.rng", "theme_*.tsv" */
const struct embedded_file *ingest_data_find(const char *name);

#endif
