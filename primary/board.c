/*
 * board.c - the public bulletin board of a primary: an append-only chain
 * of entries, written in the same transaction as the event each one
 * records, and its export as JSON Lines. doc/board.md is the format's
 * specification; verify.c checks a board file without a database.
 *
 * An entry is (seq, prev, type, payload): seq counts from 0, prev is the
 * previous entry's hash (64 zeros for the first), payload is a JSON text
 * kept as a string so that a verifier needs no canonical JSON, only the
 * bytes. Its hash is the SHA-256, in lower-case hex, of
 *
 *   "agora-board-v1\n" seq "\n" prev "\n" type "\n" payload
 *
 * with seq in decimal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

enum board_stmt {
	BS_HEAD,
	BS_ADD,
	BS_ALL,
	BS_RESULT,
	BS__MAX
};

/* clang-format off */
static const char *const board_sql[BS__MAX] = {
	[BS_HEAD] = "SELECT seq, hash FROM board WHERE primary_id = ?1"
		" ORDER BY seq DESC LIMIT 1",
	[BS_ADD] = "INSERT INTO board(primary_id, seq, prev_hash, type,"
		" payload, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[BS_ALL] = "SELECT seq, prev_hash, type, payload, hash FROM board"
		" WHERE primary_id = ?1 AND seq >= ?2 ORDER BY seq",
	[BS_RESULT] = "SELECT payload FROM board WHERE primary_id = ?1"
		" AND type = 'result' ORDER BY seq DESC LIMIT 1",
};
/* clang-format on */

static const char zero_hash[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

int board_db_prepare(struct agora_db *db, struct agora_error *err)
{
	/* the board's statements live in the same module slot's second half */
	return db_prepare_module(db, DB_MOD_BOARD, board_sql, BS__MAX, err);
}

void board_entry_hash(int64_t seq, const char *prev, const char *type,
		      const char *payload, size_t npayload, char out[65])
{
	crypto_hash_sha256_state h;
	unsigned char d[crypto_hash_sha256_BYTES];
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld\n", (long long)seq);

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"agora-board-v1\n",
				  15);
	crypto_hash_sha256_update(&h, (const unsigned char *)num, (size_t)n);
	crypto_hash_sha256_update(&h, (const unsigned char *)prev, 64);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)type,
				  strlen(type));
	crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)payload,
				  npayload);
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(out, 65, d, sizeof(d));
}

int board_head(struct agora_db *db, int64_t primary_id, int64_t *seq,
	       char hash[65], struct agora_error *err)
{
	sqlite3_stmt *st = db_stmt(db, DB_MOD_BOARD, BS_HEAD);
	int rc;

	sqlite3_bind_int64(st, 1, primary_id);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 0) {
		*seq = -1;
		memcpy(hash, zero_hash, 65);
	} else {
		*seq = sqlite3_column_int64(st, 0);
		memcpy(hash, db_col_text(st, 1), 64);
		hash[64] = 0;
	}
	sqlite3_reset(st);
	return 0;
}

int board_append(struct agora_db *db, int64_t primary_id, const char *type,
		 const char *payload, struct agora_error *err)
{
	char prev[65], hash[65];
	int64_t seq;
	sqlite3_stmt *st;
	int rc;

	if ((rc = board_head(db, primary_id, &seq, prev, err)))
		return rc;
	seq++;
	board_entry_hash(seq, prev, type, payload, strlen(payload), hash);
	st = db_stmt(db, DB_MOD_BOARD, BS_ADD);
	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, prev, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, hash, 64, SQLITE_STATIC);
	rc = db_step(db, st, err);
	return rc < 0 ? rc : 0;
}

/* Appends a payload built by the caller, taking ownership of o */
int board_append_json(struct agora_db *db, int64_t primary_id,
		      const char *type, json_t *o, struct agora_error *err)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	json_decref(o);
	if (!s)
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot write a board entry");
	rc = board_append(db, primary_id, type, s, err);
	free(s);
	return rc;
}

int board_line(struct sb *out, int64_t seq, const char *prev, const char *type,
	       const char *payload, const char *hash)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "hash", hash,
			      "payload", payload, "prev", prev, "seq",
			      (json_int_t)seq, "type", type);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = s ? sb_puts(out, s) || sb_putc(out, '\n') : AGORA_ENOMEM;

	free(s);
	json_decref(o);
	return rc;
}

int primary_board_write(struct agora_db *db, const char *slug, int64_t from,
			int (*write)(void *ctx, const char *p, size_t n),
			void *ctx, struct agora_error *err)
{
	struct primary_info p;
	sqlite3_stmt *st;
	struct sb line;
	int rc;

	if ((rc = primary_get(db, slug, &p, err)))
		return rc;
	sb_init(&line, PRIMARY_BALLOT_MAX * 4 + (64u << 20));
	st = db_stmt(db, DB_MOD_BOARD, BS_ALL);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_int64(st, 2, from);
	while ((rc = db_step(db, st, err)) == 1) {
		sb_reset(&line);
		if (board_line(&line, sqlite3_column_int64(st, 0),
			       db_col_text(st, 1), db_col_text(st, 2),
			       db_col_text(st, 3), db_col_text(st, 4))) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			break;
		}
		if (write(ctx, line.buf, line.len)) {
			rc = agora_errorf(err, AGORA_EIO,
					  "cannot write the board");
			break;
		}
	}
	sqlite3_reset(st);
	sb_fini(&line);
	primary_info_fini(&p);
	return rc < 0 ? rc : 0;
}

static int sb_sink(void *ctx, const char *p, size_t n)
{
	return sb_append(ctx, p, n);
}

/* The kept counts (credentials, voters, ballots) against a scan */
static int check_counts(struct agora_db *db, const char *slug,
			void (*on_failure)(void *ctx, const char *line),
			void *ctx, struct agora_error *err)
{
	struct primary_info kept, scan;
	char line[600];
	int rc;

	if ((rc = primary_get_counts(db, slug, &kept, err)))
		return rc;
	if ((rc = primary_get_scanned(db, slug, &scan, err))) {
		primary_info_fini(&kept);
		return rc;
	}
	if (kept.credentials != scan.credentials ||
	    kept.voters != scan.voters || kept.ballots != scan.ballots) {
		snprintf(line, sizeof(line),
			 "primary '%s': the kept counts (%lld credentials, "
			 "%lld voters, %lld ballots) differ from a count "
			 "(%lld, %lld, %lld)",
			 slug, (long long)kept.credentials,
			 (long long)kept.voters, (long long)kept.ballots,
			 (long long)scan.credentials, (long long)scan.voters,
			 (long long)scan.ballots);
		on_failure(ctx, line);
	}
	primary_info_fini(&kept);
	primary_info_fini(&scan);
	return 0;
}

int primary_verify_all(struct agora_db *db,
		       void (*on_failure)(void *ctx, const char *line),
		       void *ctx, size_t *primaries, size_t *ballots,
		       struct agora_error *err)
{
	sqlite3_stmt *st;
	char line[1200];
	int rc = 0;

	*primaries = *ballots = 0;
	if (sqlite3_prepare_v2(db_handle(db),
			       "SELECT slug FROM primary_election ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, err, "cannot list the primaries");
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct agora_error perr = {0};
		struct primary_candidate *c = NULL;
		struct primary_info p = {0};
		struct board_report r;
		uint64_t *live = NULL, *grades = NULL, *bodies = NULL;
		char *slug = db_col_dup(st, 0);
		size_t nc = 0, nq, k;
		struct sb board;
		int prc;

		sb_init(&board, (size_t)16 << 30);
		if (!slug) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			break;
		}
		(*primaries)++;
		prc = primary_get(db, slug, &p, &perr);
		if (!prc)
			prc = primary_candidates(db, p.id, &c, &nc, &perr);
		for (nq = 0; !prc && nq < nc &&
			     !strcmp(c[nq].status, "qualified");
		     nq++)
			;
		if (!prc)
			prc = primary_counts(db, &p, c, nq, 0, &live, &perr);
		if (!prc)
			prc = primary_counts(db, &p, c, nq, 1, &grades, &perr);
		if (!prc)
			prc = primary_counts(db, &p, c, nq, 2, &bodies, &perr);
		k = nq * (size_t)p.ngrades;
		if (!prc && (memcmp(live, grades, k * sizeof(*live)) ||
			     memcmp(live, bodies, k * sizeof(*live)))) {
			snprintf(line, sizeof(line),
				 "primary '%s': the recount of the stored "
				 "ballots differs from the live counters",
				 slug);
			on_failure(ctx, line);
		}
		if (!prc)
			prc = check_counts(db, slug, on_failure, ctx, &perr);
		if (!prc)
			prc = primary_board_write(db, slug, 0, sb_sink, &board,
						  &perr);
		if (!prc) {
			prc = board_verify(board.buf ? board.buf : "",
					   board.len, NULL, 2, &r, &perr);
			if (!prc) {
				*ballots += r.ballots;
				board_report_fini(&r);
			}
		}
		if (prc == AGORA_ECHECK) {
			snprintf(line, sizeof(line),
				 "primary '%s': board: %s", slug, perr.msg);
			on_failure(ctx, line);
		} else if (prc) {
			*err = perr;
			rc = prc;
		}
		free(live);
		free(grades);
		free(bodies);
		primary_candidates_free(c, nc);
		primary_info_fini(&p);
		sb_fini(&board);
		free(slug);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------- the board, streamed */

struct primary_board_cursor {
	struct agora_db *db;
	sqlite3_stmt *st;
	int64_t head; /* the last entry served: the head when opened */
	int done;
};

int primary_board_head(struct agora_db *db, int64_t primary_id, int64_t *seq,
		       char head[65], struct agora_error *err)
{
	return board_head(db, primary_id, seq, head, err);
}

int primary_board_open(struct agora_db *db, const char *slug, int64_t from,
		       struct primary_board_cursor **out, int64_t *head_seq,
		       char head[65], struct agora_error *err)
{
	struct primary_board_cursor *c;
	struct primary_info p;
	int rc;

	*out = NULL;
	if ((rc = primary_get(db, slug, &p, err)))
		return rc;
	rc = board_head(db, p.id, head_seq, head, err);
	if (rc) {
		primary_info_fini(&p);
		return rc;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		primary_info_fini(&p);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	c->db = db;
	c->head = *head_seq;
	c->st = db_stmt(db, DB_MOD_BOARD, BS_ALL);
	sqlite3_bind_int64(c->st, 1, p.id);
	sqlite3_bind_int64(c->st, 2, from < 0 ? 0 : from);
	primary_info_fini(&p);
	*out = c;
	return 0;
}

int primary_board_next(struct primary_board_cursor *c, struct sb *line,
		       struct agora_error *err)
{
	int rc;

	if (c->done)
		return 0;
	rc = db_step(c->db, c->st, err);
	if (rc == 1 && sqlite3_column_int64(c->st, 0) > c->head)
		rc = 0; /* written after the head was read: not this time */
	if (rc != 1) {
		c->done = 1;
		sqlite3_reset(c->st);
		return rc < 0 ? rc : 0;
	}
	sb_reset(line);
	if (board_line(line, sqlite3_column_int64(c->st, 0),
		       db_col_text(c->st, 1), db_col_text(c->st, 2),
		       db_col_text(c->st, 3), db_col_text(c->st, 4))) {
		c->done = 1;
		sqlite3_reset(c->st);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 1;
}

void primary_board_close(struct primary_board_cursor *c)
{
	if (!c)
		return;
	if (!c->done)
		sqlite3_reset(c->st);
	free(c);
}

int primary_result_signed(struct agora_db *db, int64_t primary_id,
			  char **payload, struct agora_error *err)
{
	sqlite3_stmt *st = db_stmt(db, DB_MOD_BOARD, BS_RESULT);
	int rc;

	*payload = NULL;
	sqlite3_bind_int64(st, 1, primary_id);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 1 && !(*payload = db_col_dup(st, 0))) {
		sqlite3_reset(st);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	sqlite3_reset(st);
	return rc == 1 ? 0
		       : agora_errorf(err, AGORA_ENOTFOUND,
				      "the result is signed at the close");
}
