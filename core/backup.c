/*
 * backup.c - online backups of the database file, and restores.
 *
 * A backup is a page-for-page copy made with SQLite's backup API inside
 * one read transaction on the live database, checked, fsync'd, and only
 * then given its name. A restore stages a copy of the backup beside the
 * database, checks it (is it SQLite, is it agora's, is it sound, is it
 * not newer than this binary), migrates it, lets the caller verify it,
 * and only then swaps it in under an exclusive lock on the database.
 * Until the swap, the database is untouched: bad input changes nothing.
 *
 * Why the backup API rather than VACUUM INTO. Both read one snapshot in
 * one read transaction, and in WAL mode neither blocks the server or a
 * writer. VACUUM INTO writes a compacted file but rebuilds every table
 * and index on the way (CPU for nothing: agora deletes little), runs as
 * one statement that cannot be paced, and refuses an existing target.
 * The backup API copies pages as they are, so the copy's integrity check
 * is also a check of the source's pages; it goes in steps that can be
 * paced (--pause) to spare a busy server's disk. On a 125 MB database
 * both took about 1.8 s here. The steps share one read transaction (we
 * open it ourselves): released between steps, a write by another process
 * would restart the copy from the first page, and a busy writer could
 * starve it.
 *
 * Why the restore's swap is safe. SQLite applies whatever WAL it finds
 * beside a database file, and a WAL carries no identity of the database
 * it belongs to: the old database's -wal must never meet the new file.
 * So the swap happens under an exclusive lock that proves no other
 * connection is open (locking_mode=EXCLUSIVE: in WAL mode every open
 * connection, even idle, holds a shared lock on the file), the old file
 * leaves WAL mode (SQLite checkpoints and deletes its WAL), its -shm is
 * removed, and only then is the checked copy renamed over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core.h"
#include "core_int.h"

/* What a backup and a restore count, when the table exists */
static const struct {
	const char *name;
	const char *table;
} counted[DB_FILE_COUNTS] = {
	{"elections", "election"}, {"documents", "document"},
	{"proposals", "proposal"}, {"primaries", "primary_election"},
	{"ballots", "ballot"},
};

static const char sqlite_magic[16] = "SQLite format 3";

/* path + suffix, or NULL when memory runs out */
static char *path_with(const char *path, const char *suffix)
{
	size_t n = strlen(path), m = strlen(suffix);
	char *p = malloc(n + m + 1);

	if (p) {
		memcpy(p, path, n);
		memcpy(p + n, suffix, m + 1);
	}
	return p;
}

/* 1 when path exists (whatever it is), 0 when it does not */
static int path_exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 || errno != ENOENT;
}

/* The size of path, or -1 when it does not exist */
static int64_t path_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (int64_t)sb.st_size;
}

/* Removes the files SQLite keeps beside a database */
static void remove_side_files(const char *path)
{
	static const char *const sfx[] = {"-wal", "-shm", "-journal"};
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char *p = path_with(path, sfx[i]);

		if (p)
			unlink(p);
		free(p);
	}
}

static int fsync_path(const char *path, struct agora_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return agora_errorf(err, AGORA_EIO, "cannot sync '%s': %s",
				    path, strerror(e));
	}
	close(fd);
	return 0;
}

/*
 * A rename is durable once the folder that holds the name is synced:
 * without it, a power cut can bring back the old name.
 */
static int fsync_parent(const char *path, struct agora_error *err)
{
	char *dir = strdup(path), *slash;
	int rc;

	if (!dir)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	rc = fsync_path(dir, err);
	free(dir);
	return rc;
}

/* Reads fd from its start to its end into SHA-256; *bytes its size */
static int fd_sha256(int fd, const char *path, char out[65], int64_t *bytes,
		     struct agora_error *err)
{
	crypto_hash_sha256_state s;
	unsigned char h[crypto_hash_sha256_BYTES];
	char buf[65536];
	int64_t total = 0;
	ssize_t n;

	crypto_hash_sha256_init(&s);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return agora_errorf(err, AGORA_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return agora_errorf(err, AGORA_EIO,
					    "cannot read '%s': %s", path,
					    strerror(errno));
		}
		crypto_hash_sha256_update(&s, (unsigned char *)buf, (size_t)n);
		total += n;
	}
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(out, 65, h, sizeof(h));
	*bytes = total;
	return 0;
}

/*
 * Copies src into the open file out, hashing the bytes as they pass,
 * then syncs out. The first bytes must be SQLite's magic string: a file
 * that is not a database is refused before anything else is read.
 */
static int copy_into(const char *src, int out, const char *outpath,
		     struct db_file_info *info, struct agora_error *err)
{
	crypto_hash_sha256_state s;
	unsigned char h[crypto_hash_sha256_BYTES];
	char buf[65536];
	int64_t total = 0;
	int in, rc = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return agora_errorf(err, AGORA_EIO, "cannot read '%s': %s", src,
				    strerror(errno));
	crypto_hash_sha256_init(&s);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		char *p = buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = agora_errorf(err, AGORA_EIO,
					  "cannot read '%s': %s", src,
					  strerror(errno));
			goto out;
		}
		if (total == 0 &&
		    (n < (ssize_t)sizeof(sqlite_magic) ||
		     memcmp(buf, sqlite_magic, sizeof(sqlite_magic)))) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "'%s' is not an SQLite database",
					  src);
			goto out;
		}
		crypto_hash_sha256_update(&s, (unsigned char *)buf, (size_t)n);
		total += n;
		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = agora_errorf(err, AGORA_EIO,
						  "cannot write '%s': %s",
						  outpath, strerror(errno));
				goto out;
			}
			p += w;
			n -= w;
		}
	}
	if (total == 0) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "'%s' is empty, not a database", src);
		goto out;
	}
	if (fsync(out)) {
		rc = agora_errorf(err, AGORA_EIO, "cannot sync '%s': %s",
				  outpath, strerror(errno));
		goto out;
	}
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(info->sha256, sizeof(info->sha256), h, sizeof(h));
	info->bytes = total;
out:
	close(in);
	return rc;
}

/*
 * A bare connection for backup and restore: no migration (a backup must
 * not change the database it copies, a restore checks the version
 * itself), the French tokenizer registered (an integrity check may run
 * FTS5's), defensive.
 */
static int open_raw(const char *path, int flags, sqlite3 **h,
		    struct agora_error *err)
{
	struct fr_stemmer *st;
	int on = 1;

	db_library_init();
	if (sqlite3_open_v2(path, h,
			    flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
			    NULL) != SQLITE_OK) {
		int rc = agora_errorf(
			err, AGORA_EIO, "cannot open database '%s': %s", path,
			*h ? sqlite3_errmsg(*h) : "out of memory");

		sqlite3_close(*h);
		*h = NULL;
		return rc;
	}
	sqlite3_db_config(*h, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(*h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on);
	sqlite3_busy_timeout(*h, 5000);
	return fts_fr_register(*h, &st, err);
}

/* One integer from a one-row query, or sets err */
static int query_int(sqlite3 *h, const char *sql, int64_t *v,
		     struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB, "%s", sqlite3_errmsg(h));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = agora_errorf(err, AGORA_EDB, "%s", sqlite3_errmsg(h));
	}
	sqlite3_finalize(st);
	return rc;
}

static int table_exists(sqlite3 *h, const char *table)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(h,
			       "SELECT 1 FROM sqlite_schema"
			       " WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static int count_rows(sqlite3 *h, struct db_file_info *info,
		      struct agora_error *err)
{
	char sql[128];
	int i, rc;

	for (i = 0; i < DB_FILE_COUNTS; i++) {
		info->counts[i].name = counted[i].name;
		info->counts[i].rows = -1;
		if (!table_exists(h, counted[i].table))
			continue;
		/* the names are ours, from the table above */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"",
			 counted[i].table);
		if ((rc = query_int(h, sql, &info->counts[i].rows, err)))
			return rc;
	}
	return 0;
}

/*
 * SQLite 3.40 (Debian 12's) reports "NULL value in T.C" for every row of
 * a WITHOUT ROWID table whose NOT NULL column C is outside the primary
 * key (support.primary_id: any support), though the value is there; a
 * later release fixed it. Such a line counts only when T has a NULL in
 * C for real. 1: a false report; 0: a real one (or not that message).
 */
static int null_report_false(sqlite3 *h, const char *m)
{
	char t[128], c[128];
	sqlite3_stmt *st;
	char *sql;
	int n = 0, rc = 0;

	if (sscanf(m, "NULL value in %127[^.].%127s%n", t, c, &n) != 2 ||
	    m[n] != '\0')
		return 0;
	sql = sqlite3_mprintf("SELECT 1 FROM \"%w\" WHERE \"%w\" IS NULL"
			      " LIMIT 1",
			      t, c);
	if (sql && sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		rc = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
	}
	sqlite3_free(sql);
	return rc;
}

/*
 * PRAGMA integrity_check over the whole file: b-trees, free list, every
 * index against its table. The first problems are quoted in err.
 */
static int integrity(sqlite3 *h, const char *what, struct agora_error *err)
{
	sqlite3_stmt *st;
	char first[512] = "", checked[300] = "";
	int rc, n = 0;

	/* no cap: false reports (one a row) must not hide a real one */
	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check(1000000000)", -1, &st,
			       NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' is damaged or truncated: %s", what,
				    sqlite3_errmsg(h));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);

		if (m && !strcmp(m, "ok"))
			continue;
		/* the same false report comes once a row: checked once */
		if (m && !strcmp(m, checked))
			continue;
		if (m && null_report_false(h, m)) {
			snprintf(checked, sizeof(checked), "%s", m);
			continue;
		}
		if (n++ == 0)
			snprintf(first, sizeof(first), "%s", m ? m : "?");
	}
	if (rc != SQLITE_DONE) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "'%s' is damaged or truncated: %s", what,
				  sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	if (n)
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' fails SQLite's integrity check: %s%s",
				    what, first, n > 1 ? " (and more)" : "");
	return 0;
}

/*
 * 1 when the database holds data of its own: a row in any ordinary
 * table but the ones the migrations fill (theme, meta); shadow tables
 * of the full-text index do not count (their content is the proposals').
 * The first such table and its rows are described in what.
 */
static int has_data(sqlite3 *h, char *what, size_t n, struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (sqlite3_prepare_v2(h,
			       "SELECT name FROM pragma_table_list"
			       " WHERE schema = 'main' AND type = 'table'"
			       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
			       " AND name <> 'theme' AND name <> 'meta'"
			       " ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB, "cannot list tables: %s",
				    sqlite3_errmsg(h));
	while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		struct sb q;
		int64_t rows = 0;

		sb_init(&q, 0);
		/* a table name from the schema, quoted as an identifier */
		sb_puts(&q, "SELECT count(*) FROM \"");
		for (; t && *t; t++) {
			if (*t == '"')
				sb_putc(&q, '"');
			sb_putc(&q, *t);
		}
		sb_puts(&q, "\"");
		if (sb_error(&q)) {
			sb_fini(&q);
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto out;
		}
		rc = query_int(h, q.buf, &rows, err);
		sb_fini(&q);
		if (rc)
			goto out;
		if (rows > 0) {
			snprintf(what, n, "%lld rows in '%s'", (long long)rows,
				 (const char *)sqlite3_column_text(st, 0));
			found = 1;
		}
	}
	rc = found;
out:
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------- backup */

/*
 * The copy, page for page, inside one read transaction on the source:
 * in WAL mode a reader blocks no writer, so the server and writers go
 * on while it runs; the pages are those of one snapshot, so the copy is
 * consistent; the backup never restarts (it would, were the read
 * transaction released between steps while others write). The price:
 * checkpoints cannot pass the snapshot until the copy ends, so the WAL
 * grows by what is written meanwhile.
 */
static int copy_pages(sqlite3 *src, sqlite3 *dst, const char *db_path,
		      const struct db_backup_opts *o, int64_t *version,
		      struct agora_error *err)
{
	sqlite3_backup *b;
	int64_t schema_rows;
	int rc, step = o->step_pages > 0 ? o->step_pages : 1024;

	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB, "cannot read '%s': %s",
				    db_path, sqlite3_errmsg(src));
	/* the snapshot starts at the first read */
	if ((rc = query_int(src, "SELECT count(*) FROM sqlite_schema",
			    &schema_rows, err)) ||
	    (rc = query_int(src, "PRAGMA user_version", version, err))) {
		agora_error_prefix(err, "cannot read '%s'", db_path);
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		rc = agora_errorf(err, AGORA_EDB, "cannot start the backup: %s",
				  sqlite3_errmsg(dst));
		goto out;
	}
	for (;;) {
		/* BUSY and LOCKED come after the busy timeout: errors */
		rc = sqlite3_backup_step(b, step);
		if (rc == SQLITE_OK) {
			if (o->pause_ms > 0) {
				struct timespec ts = {
					o->pause_ms / 1000,
					(long)(o->pause_ms % 1000) * 1000000L};

				nanosleep(&ts, NULL);
			}
			continue;
		}
		break;
	}
	/* rc is SQLITE_DONE, or the error */
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	rc = rc == SQLITE_DONE
		     ? 0
		     : agora_errorf(err, AGORA_EDB, "cannot copy '%s': %s",
				    db_path, sqlite3_errstr(rc));
out:
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/*
 * The copy stands alone: out of WAL mode (one file, readable from
 * read-only media), sound, of the source's version. Counts its rows.
 */
static int check_backup(sqlite3 *dst, const char *file, int want_version,
			struct db_file_info *info, struct agora_error *err)
{
	sqlite3_stmt *st;
	int64_t v;
	int rc, ok = 0;

	if (sqlite3_prepare_v2(dst, "PRAGMA journal_mode=DELETE", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(st, 0),
			     "delete");
	sqlite3_finalize(st);
	if (!ok)
		return agora_errorf(err, AGORA_EDB,
				    "cannot take the copy out of WAL mode: %s",
				    sqlite3_errmsg(dst));
	if ((rc = integrity(dst, file, err))) {
		err->code = AGORA_ECHECK;
		agora_error_prefix(err, "the copy is not sound (is the "
					"database itself? see 'PRAGMA "
					"integrity_check')");
		return rc;
	}
	if ((rc = query_int(dst, "PRAGMA user_version", &v, err)))
		return rc;
	if (v != want_version)
		return agora_errorf(err, AGORA_ECHECK,
				    "the copy has schema version %lld, the "
				    "database %d",
				    (long long)v, want_version);
	info->schema_version = (int)v;
	return count_rows(dst, info, err);
}

int db_backup(const char *db_path, const char *file,
	      const struct db_backup_opts *o, struct db_file_info *info,
	      struct agora_error *err)
{
	struct stat dbst, fst;
	sqlite3 *src = NULL, *dst = NULL;
	char *tmp = NULL, *side = NULL;
	int64_t version;
	int fd = -1, rc, made = 0;

	memset(info, 0, sizeof(*info));
	if (stat(db_path, &dbst))
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no database at '%s': %s", db_path,
				    strerror(errno));
	if (stat(file, &fst) == 0) {
		if (fst.st_dev == dbst.st_dev && fst.st_ino == dbst.st_ino)
			return agora_errorf(err, AGORA_EINVAL,
					    "'%s' is the database itself",
					    file);
		if (!o->force)
			return agora_errorf(err, AGORA_EEXIST,
					    "'%s' exists: choose another name, "
					    "or add --force to replace it",
					    file);
		if (!S_ISREG(fst.st_mode))
			return agora_errorf(err, AGORA_EINVAL,
					    "'%s' is not a regular file", file);
	}
	/*
	 * A WAL beside FILE would be replayed over the new copy by whoever
	 * opens it next: FILE is open elsewhere, or was not closed cleanly
	 */
	if (!(side = path_with(file, "-wal")) ||
	    !(tmp = path_with(file, ".tmp"))) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if (path_size(side) > 0) {
		rc = agora_errorf(err, AGORA_EEXIST,
				  "'%s' exists: '%s' is open in another "
				  "program, or was not closed cleanly",
				  side, file);
		goto out;
	}
	/* O_EXCL: two backups to one FILE do not write over each other */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = agora_errorf(
			err, errno == EEXIST ? AGORA_EEXIST : AGORA_EIO,
			"cannot create '%s': %s%s", tmp, strerror(errno),
			errno == EEXIST ? " (another backup to this file is "
					  "running, or one was interrupted: "
					  "remove it)"
					: "");
		goto out;
	}
	made = 1;
	if ((rc = open_raw(db_path, SQLITE_OPEN_READWRITE, &src, err)))
		goto out;
	/* the backup reads; it never migrates nor writes the database */
	if (sqlite3_exec(src, "PRAGMA query_only=ON", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		rc = agora_errorf(err, AGORA_EDB, "cannot open '%s': %s",
				  db_path, sqlite3_errmsg(src));
		goto out;
	}
	if ((rc = open_raw(tmp, SQLITE_OPEN_READWRITE, &dst, err)))
		goto out;
	/*
	 * No journal for the copy (it is ours alone, and thrown away on
	 * failure), no sync per page: one fsync at the end, after the checks
	 */
	if (sqlite3_exec(dst,
			 "PRAGMA locking_mode=EXCLUSIVE;"
			 "PRAGMA journal_mode=OFF;"
			 "PRAGMA synchronous=OFF;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		rc = agora_errorf(err, AGORA_EDB, "cannot set up '%s': %s", tmp,
				  sqlite3_errmsg(dst));
		goto out;
	}
	if ((rc = copy_pages(src, dst, db_path, o, &version, err)))
		goto out;
	if ((rc = check_backup(dst, tmp, (int)version, info, err)))
		goto out;
	if (sqlite3_close(dst) != SQLITE_OK) {
		rc = agora_errorf(err, AGORA_EDB, "cannot close '%s': %s", tmp,
				  sqlite3_errmsg(dst));
		dst = NULL;
		goto out;
	}
	dst = NULL;
	if (fsync(fd)) {
		rc = agora_errorf(err, AGORA_EIO, "cannot sync '%s': %s", tmp,
				  strerror(errno));
		goto out;
	}
	if ((rc = fd_sha256(fd, tmp, info->sha256, &info->bytes, err)))
		goto out;
	/*
	 * Without --force, link() gives FILE its name only if no file has
	 * taken it meanwhile (rename() would replace it)
	 */
	if (o->force) {
		if (rename(tmp, file)) {
			rc = agora_errorf(err, AGORA_EIO,
					  "cannot rename '%s' to '%s': %s", tmp,
					  file, strerror(errno));
			goto out;
		}
	} else if (link(tmp, file)) {
		rc = agora_errorf(err,
				  errno == EEXIST ? AGORA_EEXIST : AGORA_EIO,
				  "cannot name the backup '%s': %s", file,
				  strerror(errno));
		goto out;
	} else {
		unlink(tmp);
	}
	made = 0;
	rc = fsync_parent(file, err);
out:
	if (fd >= 0)
		close(fd);
	sqlite3_close(dst);
	sqlite3_close(src);
	if (made) {
		unlink(tmp);
		remove_side_files(tmp);
	}
	free(tmp);
	free(side);
	return rc;
}

/* ------------------------------------------------------------ restore */

/*
 * Checks the staged copy before anything else happens: an SQLite
 * database, sound, agora's (it has the election table and a version),
 * not newer than this binary.
 */
static int check_staged(const char *tmp, const char *file,
			struct db_file_info *info, struct agora_error *err)
{
	sqlite3 *h = NULL;
	int64_t v = 0;
	int rc, code;

	if ((rc = open_raw(tmp, SQLITE_OPEN_READWRITE, &h, err)))
		goto out;
	if (query_int(h, "PRAGMA user_version", &v, err)) {
		code = sqlite3_extended_errcode(h) & 0xff;
		rc = agora_errorf(err, AGORA_EINVAL, "'%s' is %s: %s", file,
				  code == SQLITE_NOTADB
					  ? "not an SQLite database"
					  : "damaged or truncated",
				  sqlite3_errmsg(h));
		goto out;
	}
	if (v > db_latest_schema_version()) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "'%s' has schema version %lld, newer than "
				  "this agora (%d): restore it with a newer "
				  "agora",
				  file, (long long)v,
				  db_latest_schema_version());
		goto out;
	}
	if ((rc = integrity(h, file, err)))
		goto out;
	if (v < 1 || !table_exists(h, "election")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "'%s' is an SQLite database, but not "
				  "agora's",
				  file);
		goto out;
	}
	info->schema_version = (int)v;
	rc = 0;
out:
	sqlite3_close(h);
	return rc;
}

/*
 * Takes the database at path for ourselves: locking_mode=EXCLUSIVE set
 * before the first read makes SQLite ask for an exclusive lock on the
 * file itself, which fails while any other connection has it open (in
 * WAL mode every open connection holds a shared lock on it: a server,
 * even idle, a writer, a reader). The lock is held until *h is closed.
 */
static int lock_target(const char *path, sqlite3 **h, struct agora_error *err)
{
	int rc, code;

	if ((rc = open_raw(path, SQLITE_OPEN_READWRITE, h, err)))
		return rc;
	sqlite3_busy_timeout(*h, 1000);
	if (sqlite3_exec(*h,
			 "PRAGMA locking_mode=EXCLUSIVE;"
			 "BEGIN EXCLUSIVE;"
			 "SELECT count(*) FROM sqlite_schema;",
			 NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	code = sqlite3_extended_errcode(*h) & 0xff;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return agora_errorf(err, AGORA_EBUSY,
				    "the database '%s' is in use by another "
				    "process (is 'agora serve' running?): "
				    "stop it, then restore",
				    path);
	if (code == SQLITE_NOTADB)
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' exists and is not an SQLite "
				    "database: move it away first",
				    path);
	return agora_errorf(err, AGORA_EDB, "cannot lock '%s': %s", path,
			    sqlite3_errmsg(*h));
}

/*
 * Swaps the staged copy in for the locked database at path. The old
 * file leaves WAL mode first (SQLite checkpoints it and deletes its
 * WAL, under our lock); its -shm is removed, also under our lock:
 * neither may meet the new file, which SQLite would otherwise read
 * through the old WAL. After the rename, the old file, now nameless,
 * gets a zeroed header: a process that opened it in the instant before
 * the rename and waited for our lock then fails with "not a database",
 * rather than reading or writing a file that no name leads to.
 */
static int swap_in(sqlite3 *lock, const char *tmp, const char *path,
		   struct agora_error *err)
{
	static const char zero[100];
	struct stat sb;
	int old, rc = 0;

	if (sqlite3_exec(lock,
			 "COMMIT;"
			 "PRAGMA journal_mode=DELETE;"
			 "BEGIN EXCLUSIVE;"
			 "SELECT count(*) FROM sqlite_schema;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return agora_errorf(err, AGORA_EDB,
				    "cannot take '%s' out of WAL mode: %s",
				    path, sqlite3_errmsg(lock));
	remove_side_files(path);
	old = open(path, O_RDWR | O_CLOEXEC);
	if (rename(tmp, path)) {
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot rename '%s' to '%s': %s", tmp, path,
				  strerror(errno));
		goto out;
	}
	/*
	 * Only when the rename took the last name: a hard link kept as a
	 * copy elsewhere must stay intact
	 */
	if (old >= 0 && fstat(old, &sb) == 0 && sb.st_nlink == 0 &&
	    pwrite(old, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero))
		LOG(LOG_WARN, "restore: cannot blank the replaced database: %s",
		    strerror(errno));
	rc = fsync_parent(path, err);
out:
	/* closing any descriptor of the file drops our POSIX locks on it:
	 * only now, when the swap is done */
	if (old >= 0)
		close(old);
	return rc;
}

/* AGORA_EEXIST when the locked database holds data, with what it holds */
static int refuse_data(sqlite3 *lock, const char *path, struct agora_error *err)
{
	char what[256];
	int rc = has_data(lock, what, sizeof(what), err);

	if (rc <= 0)
		return rc;
	return agora_errorf(err, AGORA_EEXIST,
			    "the database '%s' is not empty (%s): restore "
			    "into a new path with --db, or add --force to "
			    "replace it (make a backup of it first)",
			    path, what);
}

/* The lock taken and dropped: is the database free, and may it go? */
static int preflight(const char *path, int force, struct agora_error *err)
{
	sqlite3 *lock = NULL;
	int rc;

	if (!(rc = lock_target(path, &lock, err)) && !force)
		rc = refuse_data(lock, path, err);
	if (lock) {
		sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(lock);
	}
	return rc;
}

static int restore_at(const char *file, const char *db_path, int force,
		      db_restore_check_fn check, void *ctx,
		      struct db_file_info *info, struct agora_error *err)
{
	struct stat fst, dst;
	struct agora_db *db = NULL;
	sqlite3 *lock = NULL;
	char *tmp = NULL;
	int fd = -1, rc, have_target, staged = 0;
	int64_t version = 0;

	memset(info, 0, sizeof(*info));
	if (stat(file, &fst))
		return agora_errorf(err, AGORA_EIO, "cannot read '%s': %s",
				    file, strerror(errno));
	if (!S_ISREG(fst.st_mode))
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' is not a regular file", file);
	have_target = stat(db_path, &dst) == 0;
	if (have_target && dst.st_dev == fst.st_dev && dst.st_ino == fst.st_ino)
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' is the database itself", file);
	if (have_target && !S_ISREG(dst.st_mode))
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' is not a regular file", db_path);
	/* a database copied while open: its last transactions are in
	 * FILE-wal, not in FILE */
	if (!(tmp = path_with(file, "-wal")))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if (path_size(tmp) > 0) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "'%s' exists: '%s' is open elsewhere or was "
				  "not closed cleanly, so it is incomplete "
				  "(make backups with 'agora backup')",
				  tmp, file);
		free(tmp);
		return rc;
	}
	free(tmp);
	tmp = NULL;
	/*
	 * Fail fast, before copying and checking a large file: a database
	 * in use, or holding data without --force. Both are checked again
	 * at the swap, under the lock.
	 */
	if (have_target && (rc = preflight(db_path, force, err)))
		return rc;

	/* a temporary file beside the database: the rename stays on one
	 * file system, so it is atomic */
	if (!(tmp = path_with(db_path, ".restore-XXXXXX"))) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot create a file beside '%s': %s",
				  db_path, strerror(errno));
		goto out;
	}
	staged = 1;
	/* the database keeps its permissions (mkstemp makes 0600) */
	if (fchmod(fd, have_target ? (dst.st_mode & 0777) : 0644)) {
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot set the mode of '%s': %s", tmp,
				  strerror(errno));
		goto out;
	}
	if ((rc = copy_into(file, fd, tmp, info, err)))
		goto out;
	close(fd);
	fd = -1;
	if ((rc = check_staged(tmp, file, info, err)))
		goto out;
	/* migrations (for an older backup) run on the copy, not yet live */
	version = info->schema_version;
	if ((rc = db_open(&db, tmp, 0, err))) {
		agora_error_prefix(err, "cannot open the copy of '%s'", file);
		goto out;
	}
	if (version < db_latest_schema_version())
		info->migrated_from = (int)version;
	info->schema_version = db_schema_version(db);
	if ((rc = count_rows(db_handle(db), info, err)))
		goto out;
	if (check && (rc = check(db, ctx, err)))
		goto out;
	db_close(db);
	db = NULL;
	have_target = path_exists(db_path);
	/* the copy's WAL was checkpointed and removed as it closed */
	remove_side_files(tmp);
	if ((rc = fsync_path(tmp, err)))
		goto out;

	if (!have_target) {
		char *wal = path_with(db_path, "-wal");
		int stale = wal && path_size(wal) > 0;

		free(wal);
		if (stale && !force) {
			rc = agora_errorf(err, AGORA_EEXIST,
					  "'%s-wal' exists without its "
					  "database: add --force to remove it",
					  db_path);
			goto out;
		}
		remove_side_files(db_path);
		/* link(): never over a database created meanwhile */
		if (link(tmp, db_path)) {
			rc = agora_errorf(
				err, errno == EEXIST ? AGORA_EEXIST : AGORA_EIO,
				"cannot create '%s': %s", db_path,
				strerror(errno));
			goto out;
		}
		unlink(tmp);
		staged = 0;
		rc = fsync_parent(db_path, err);
		goto out;
	}
	if ((rc = lock_target(db_path, &lock, err)))
		goto out;
	if (!force && (rc = refuse_data(lock, db_path, err)))
		goto out;
	if ((rc = swap_in(lock, tmp, db_path, err)))
		goto out;
	staged = 0;
out:
	if (fd >= 0)
		close(fd);
	db_close(db);
	if (lock) {
		sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(lock);
	}
	if (staged) {
		unlink(tmp);
		remove_side_files(tmp);
	}
	free(tmp);
	return rc;
}

/*
 * A database reached through a symbolic link is restored where the link
 * leads: SQLite locks, and names its -wal and -shm after, the file the
 * link resolves to, and a rename over the link would leave the old
 * database there.
 */
int db_restore(const char *file, const char *db_path, int force,
	       db_restore_check_fn check, void *ctx, struct db_file_info *info,
	       struct agora_error *err)
{
	struct stat sb;
	char *real = NULL;
	int rc;

	if (lstat(db_path, &sb) == 0 && S_ISLNK(sb.st_mode) &&
	    !(real = realpath(db_path, NULL)))
		return agora_errorf(err, AGORA_EIO, "cannot resolve '%s': %s",
				    db_path, strerror(errno));
	rc = restore_at(file, real ? real : db_path, force, check, ctx, info,
			err);
	free(real);
	return rc;
}
