/*
 * test_board.c - the bulletin board and its independent verifier: a real
 * primary is run on a database, its board exported, and then every kind
 * of tampering issue 6 lists is tried: any byte changed, entries dropped,
 * reordered, duplicated or inserted (with the chain recomputed, as a
 * forger would), a ballot from an unknown credential, two counted ballots
 * for one credential, a result that does not match the ballots, a history
 * rewritten under a noted head. Each must be caught.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

#define NCODES 5
#define MAXLINES 64

struct fixture {
	char path[64];
	struct agora_db *db;
	char codes[NCODES][PRIMARY_CODE_SIZE];
	struct sb board;
	char *lines[MAXLINES];
	size_t nlines;
	char head[65];
};

static int sb_write(void *ctx, const char *p, size_t n)
{
	return sb_append(ctx, p, n);
}

static void cast(struct fixture *f, int who, int64_t seq, int ga, int gb,
		 int gc)
{
	const struct primary_grade g[] = {{"a", ga}, {"b", gb}, {"c", gc}};
	struct agora_error err = {0};
	unsigned char sig[64];
	char receipt[65];
	struct sb body;

	sb_init(&body, PRIMARY_BALLOT_MAX);
	if (primary_ballot_make("p", f->codes[who], seq, g, 3, &body, sig,
				&err) ||
	    primary_ballot_cast(f->db, "p", body.buf, body.len, sig, receipt,
				&err))
		fail_msg("cast: %s", err.msg);
	sb_fini(&body);
}

/* A closed primary: 3 candidates, 5 credentials, 4 voters, 1 replaced */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct primary_config c = {.slug = "p",
				   .title = "Primaire",
				   .support_threshold = 10,
				   .max_supports = 3};
	unsigned char pk[NCODES][32], sk[64];
	char norm[PRIMARY_CODE_SYMBOLS + 1], *p, *nl;
	struct agora_error err = {0};
	struct sb out;
	int fd, i;

	if (sodium_init() < 0)
		return -1;
	strcpy(f->path, "/tmp/agora-board-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	sb_init(&out, 128);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    primary_db_prepare(f->db, &err) || primary_create(f->db, &c, &err) ||
	    primary_candidate_add(f->db, "p", "Anne", "a", &out, &err) ||
	    primary_candidate_add(f->db, "p", "Bruno", "b", &out, &err) ||
	    primary_candidate_add(f->db, "p", "Chloé", "c", &out, &err))
		goto fail;
	sb_fini(&out);
	for (i = 0; i < NCODES; i++) {
		primary_code_new(f->codes[i]);
		if (primary_code_parse(f->codes[i], norm, &err))
			goto fail;
		primary_code_keys("p", norm, pk[i], sk);
	}
	if (primary_credentials_add(f->db, "p",
				    (const unsigned char (*)[32])pk, NCODES,
				    &err) ||
	    primary_set_phase(f->db, "p", "vote", 0, &err))
		goto fail;
	cast(f, 0, 1, 5, 2, 0);
	cast(f, 1, 1, 4, 4, 1);
	cast(f, 2, 1, 2, 5, 1);
	cast(f, 0, 2, 0, 5, 0); /* voter 0 changes their mind */
	cast(f, 3, 1, 3, 3, 3);
	if (primary_set_phase(f->db, "p", "closed", 0, &err))
		goto fail;
	sb_init(&f->board, 1 << 20);
	if (primary_board_write(f->db, "p", 0, sb_write, &f->board, &err))
		goto fail;
	/* the lines, each with its newline */
	for (p = f->board.buf; p < f->board.buf + f->board.len; p = nl + 1) {
		nl = strchr(p, '\n');
		f->lines[f->nlines] = strndup(p, (size_t)(nl - p + 1));
		f->nlines++;
	}
	{
		struct board_report r;

		if (board_verify(f->board.buf, f->board.len, NULL, 2, &r,
				 &err))
			goto fail;
		memcpy(f->head, r.head, 65);
		board_report_fini(&r);
	}
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", err.msg);
	return -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];
	size_t i;

	for (i = 0; i < f->nlines; i++)
		free(f->lines[i]);
	sb_fini(&f->board);
	db_close(f->db);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

/* board_verify_fd() over data, through a file, reading block bytes at a time */
static int check_fd(const char *data, size_t n, const char *head, size_t block,
		    struct board_report *r, struct agora_error *err)
{
	FILE *f = tmpfile();
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fflush(f), 0);
	rewind(f);
	rc = board_verify_fd(fileno(f), block, head, 2, r, err);
	fclose(f);
	return rc;
}

/*
 * Verifies a board; returns the code, the message in msg. Every verdict
 * is reached three ways, which must agree to the byte: from memory; with
 * the parser of agora's canonical lines turned off (jansson reads
 * everything); from a file read 61 bytes at a time (lines cut across
 * reads, the buffer growing for the long ones).
 */
static int check_ways(const char *data, size_t n, const char *head, char *msg,
		      int from_file)
{
	struct agora_error err = {0}, slow = {0}, streamed = {0};
	struct board_report r, rs, rf;
	int rc = board_verify(data, n, head, 2, &r, &err), rcs, rcf;

	board_verify_fast = 0;
	rcs = board_verify(data, n, head, 2, &rs, &slow);
	board_verify_fast = 1;
	if (from_file) {
		rcf = check_fd(data, n, head, 61, &rf, &streamed);
	} else { /* the same as the first */
		rcf = rc ? rc : board_verify(data, n, head, 1, &rf, &streamed);
		streamed = err;
	}
	assert_int_equal(rcs, rc);
	assert_int_equal(rcf, rc);
	assert_string_equal(slow.msg, err.msg);
	assert_string_equal(streamed.msg, err.msg);
	strcpy(msg, err.msg);
	if (!rc) {
		assert_string_equal(rs.head, r.head);
		assert_string_equal(rf.head, r.head);
		assert_int_equal(rs.ballots, r.ballots);
		assert_int_equal(rf.ballots, r.ballots);
		assert_int_equal(rs.voters, r.voters);
		assert_int_equal(rf.voters, r.voters);
		assert_true((!r.result && !rs.result && !rf.result) ||
			    (r.result && rs.result && rf.result &&
			     !strcmp(rs.result, r.result) &&
			     !strcmp(rf.result, r.result)));
		board_report_fini(&r);
		board_report_fini(&rs);
		board_report_fini(&rf);
	}
	return rc;
}

static int check(const char *data, size_t n, const char *head, char *msg)
{
	return check_ways(data, n, head, msg, 1);
}

/* The lines joined, renumbered and re-hashed as a forger would */
static void rechain(char **lines, size_t n, struct sb *out)
{
	char prev[65], hash[65];
	size_t i;

	memset(prev, '0', 64);
	prev[64] = 0;
	sb_reset(out);
	for (i = 0; i < n; i++) {
		json_t *o = json_loads(lines[i], 0, NULL);
		const char *type, *payload;

		assert_non_null(o);
		type = json_string_value(json_object_get(o, "type"));
		payload = json_string_value(json_object_get(o, "payload"));
		board_entry_hash((int64_t)i, prev, type, payload,
				 strlen(payload), hash);
		assert_int_equal(board_line(out, (int64_t)i, prev, type,
					    payload, hash),
				 0);
		memcpy(prev, hash, 65);
		json_decref(o);
	}
}

static void joined(char **lines, size_t n, struct sb *out)
{
	size_t i;

	sb_reset(out);
	for (i = 0; i < n; i++)
		sb_puts(out, lines[i]);
}

/* The index of the first line of a type, from start */
static size_t find(struct fixture *f, const char *type, size_t start)
{
	char pat[64];
	size_t i;

	snprintf(pat, sizeof(pat), "\"type\":\"%s\"", type);
	for (i = start; i < f->nlines; i++)
		if (strstr(f->lines[i], pat))
			return i;
	fail_msg("no %s entry", type);
	return 0;
}

static void test_honest_board_verifies(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct board_report r;

	assert_int_equal(board_verify(f->board.buf, f->board.len, f->head, 1,
				      &r, &err),
			 0);
	assert_string_equal(r.primary, "p");
	assert_int_equal(r.credentials, NCODES);
	assert_int_equal(r.ballots, 5);
	assert_int_equal(r.voters, 4);
	assert_true(r.closed);
	assert_non_null(r.result);
	/* a: 0,4,2,3 -> lower median 2; b: 5,4,5,3 -> 4; c: 0,1,1,3 -> 1 */
	assert_non_null(strstr(r.result, "\"a\":[1,0,1,1,1,0]"));
	assert_non_null(strstr(r.result, "{\"candidate\":\"b\","
					 "\"majority_grade\":4,\"rank\":1"));
	board_report_fini(&r);
}

static void test_every_byte_matters(void **state)
{
	struct fixture *f = *state;
	char *copy = malloc(f->board.len), msg[1024];
	size_t i, missed = 0;

	for (i = 0; i < f->board.len; i++) {
		memcpy(copy, f->board.buf, f->board.len);
		copy[i] = (char)(copy[i] == 'x' ? 'y' : 'x');
		/* through a file for one byte in 16: files are slow to make */
		if (check_ways(copy, f->board.len, NULL, msg, i % 16 == 0) !=
		    AGORA_ECHECK) {
			if (!missed)
				fprintf(stderr, "byte %zu not caught\n", i);
			missed++;
		}
	}
	free(copy);
	assert_int_equal(missed, 0);
}

static void test_chain_edits_caught(void **state)
{
	struct fixture *f = *state;
	char *v[MAXLINES], msg[1024];
	struct sb b;
	size_t i, n = f->nlines, k = find(f, "ballot", 0);

	sb_init(&b, 1 << 20);
	/* dropped */
	for (i = 0; i < n; i++)
		v[i] = f->lines[i < k ? i : i + 1];
	joined(v, n - 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "seq"));
	/* reordered */
	memcpy(v, f->lines, n * sizeof(*v));
	v[k] = f->lines[k + 1];
	v[k + 1] = f->lines[k];
	joined(v, n, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	/* duplicated */
	for (i = 0; i <= k; i++)
		v[i] = f->lines[i];
	for (i = k; i < n; i++)
		v[i + 1] = f->lines[i];
	joined(v, n + 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	/* cut during the vote: still a valid chain, but not the noted head */
	joined(f->lines, find(f, "result", 0) - 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), 0);
	assert_int_equal(check(b.buf, b.len, f->head, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "rewritten"));
	/* cut between the close and its result, which agora writes together */
	joined(f->lines, n - 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "without the signed result"));
	sb_fini(&b);
}

static void test_forger_rechaining_still_caught(void **state)
{
	struct fixture *f = *state;
	char *v[MAXLINES], msg[1024];
	struct sb b;
	size_t i, n = f->nlines, k = find(f, "ballot", 0);
	size_t kc = find(f, "credentials", 0);

	sb_init(&b, 1 << 20);
	/* a replaced ballot dropped: the next one's number is wrong */
	for (i = 0; i < n - 1; i++)
		v[i] = f->lines[i < k ? i : i + 1];
	rechain(v, n - 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	/* a ballot duplicated: two counted ballots numbered 1 */
	for (i = 0; i <= k; i++)
		v[i] = f->lines[i];
	for (i = k; i < n; i++)
		v[i + 1] = f->lines[i];
	rechain(v, n + 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "ballot number 1"));
	/* the credentials withdrawn: every ballot is from a stranger */
	for (i = 0; i < n - 1; i++)
		v[i] = f->lines[i < kc ? i : i + 1];
	rechain(v, n - 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "never published"));
	/* the honest board, rechained, still verifies (the helper is right) */
	rechain(f->lines, n, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), 0);
	/* but a forger cannot keep a noted head */
	for (i = 0; i < n - 1; i++)
		v[i] = f->lines[i < k ? i : i + 1];
	rechain(v, n - 1, &b);
	assert_int_equal(check(b.buf, b.len, f->head, msg), AGORA_ECHECK);
	sb_fini(&b);
}

/* A line with its payload replaced, rechained later */
static char *with_payload(const char *line, json_t *payload)
{
	json_t *o = json_loads(line, 0, NULL);
	char *p = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS), *s;

	json_object_set_new(o, "payload", json_string(p));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	free(p);
	json_decref(o);
	json_decref(payload);
	p = malloc(strlen(s) + 2);
	sprintf(p, "%s\n", s);
	free(s);
	return p;
}

static void test_unknown_credential_caught(void **state)
{
	struct fixture *f = *state;
	const struct primary_grade g[] = {{"a", 5}, {"b", 5}, {"c", 5}};
	struct agora_error err = {0};
	char stranger[PRIMARY_CODE_SIZE], sighex[129], *v[MAXLINES], msg[1024];
	unsigned char sig[64];
	struct sb body, b;
	size_t i, n = f->nlines, k = find(f, "ballot", 0);

	/* a well-signed ballot, by a key that was never published */
	primary_code_new(stranger);
	sb_init(&body, PRIMARY_BALLOT_MAX);
	sb_init(&b, 1 << 20);
	assert_int_equal(primary_ballot_make("p", stranger, 1, g, 3, &body,
					     sig, &err),
			 0);
	sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
	for (i = 0; i <= k; i++)
		v[i] = f->lines[i];
	v[k + 1] = with_payload(f->lines[k], json_pack("{s:s, s:s}", "body",
						       body.buf, "signature",
						       sighex));
	for (i = k + 1; i < n; i++)
		v[i + 1] = f->lines[i];
	rechain(v, n + 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "never published"));
	free(v[k + 1]);
	/* a published key's ballot with a forged signature */
	{
		/* voter 4's key, published but unused, with a bad signature */
		char norm[PRIMARY_CODE_SYMBOLS + 1];
		unsigned char sig4[64];
		struct sb b4;

		sb_init(&b4, PRIMARY_BALLOT_MAX);
		assert_int_equal(primary_code_parse(f->codes[4], norm, &err),
				 0);
		assert_int_equal(primary_ballot_make("p", f->codes[4], 1, g, 3,
						     &b4, sig4, &err),
				 0);
		sig4[0] ^= 1;
		sodium_bin2hex(sighex, sizeof(sighex), sig4, 64);
		v[k + 1] = with_payload(f->lines[k],
					json_pack("{s:s, s:s}", "body", b4.buf,
						  "signature", sighex));
		sb_fini(&b4);
	}
	rechain(v, n + 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "signature"));
	free(v[k + 1]);
	sb_fini(&body);
	sb_fini(&b);
}

static void test_wrong_result_caught(void **state)
{
	struct fixture *f = *state;
	unsigned char sk[64], pk[32], sig[64];
	char sighex[129], *v[MAXLINES], msg[1024], *text;
	const char *old;
	struct sb b;
	sqlite3_stmt *st;
	size_t n = f->nlines, kr = find(f, "result", 0);
	json_t *o, *res;

	sb_init(&b, 1 << 20);
	memcpy(v, f->lines, n * sizeof(*v));
	/* the organiser's own key, read from the database */
	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
					    "SELECT secret_key FROM "
					    "primary_secret",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(sk, sqlite3_column_blob(st, 0), 64);
	sqlite3_finalize(st);
	/* a result claiming one more voter, properly signed */
	o = json_loads(f->lines[kr], 0, NULL);
	res = json_loads(json_string_value(json_object_get(o, "payload")), 0,
			 NULL);
	old = json_string_value(json_object_get(res, "result"));
	{
		json_t *r = json_loads(old, 0, NULL);

		json_object_set_new(r, "voters", json_integer(5));
		text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(r);
	}
	crypto_sign_detached(sig, NULL, (unsigned char *)text, strlen(text),
			     sk);
	sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
	v[kr] = with_payload(f->lines[kr], json_pack("{s:s, s:s}", "result",
						     text, "signature",
						     sighex));
	rechain(v, n, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "number of voters"));
	free(v[kr]);
	/* the true result signed by another key */
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, (const unsigned char *)old,
			     strlen(old), sk);
	sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
	v[kr] = with_payload(f->lines[kr], json_pack("{s:s, s:s}", "result",
						     old, "signature",
						     sighex));
	rechain(v, n, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "organiser"));
	free(v[kr]);
	free(text);
	json_decref(res);
	json_decref(o);
	sb_fini(&b);
}

/* A ballot line of voter who, with its payload as given (rechained later) */
static char *ballot_line(struct fixture *f, size_t like, const char *payload)
{
	json_t *o = json_loads(f->lines[like], 0, NULL);
	char *s, *p;

	json_object_set_new(o, "payload", json_string(payload));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	p = malloc(strlen(s) + 2);
	sprintf(p, "%s\n", s);
	free(s);
	return p;
}

/* The payload of line i, as a string the caller frees */
static char *payload_of(struct fixture *f, size_t i)
{
	json_t *o = json_loads(f->lines[i], 0, NULL);
	char *p = strdup(json_string_value(json_object_get(o, "payload")));

	json_decref(o);
	return p;
}

/*
 * Payloads that are JSON but not as agora writes them: another verifier
 * (or organiser software) may write them so, and doc/board.md accepts
 * them: the signatures cover the body's bytes, not its spelling around.
 * They verify, with the same result, through jansson.
 */
static void test_other_spellings_accepted(void **state)
{
	struct fixture *f = *state;
	char *v[MAXLINES], msg[1024], *pl, *sp, *q;
	struct sb b, want;
	struct agora_error err = {0};
	struct board_report r;
	size_t n = f->nlines, k = find(f, "ballot", 0),
	       kc = find(f, "credentials", 0), i;

	sb_init(&b, 1 << 20);
	sb_init(&want, 1 << 20);
	rechain(f->lines, n, &want);
	assert_int_equal(board_verify(want.buf, want.len, NULL, 1, &r, &err),
			 0);
	memcpy(v, f->lines, n * sizeof(*v));
	/* the ballot's payload with spaces, the body's quotes as \u0022 */
	pl = payload_of(f, k);
	sp = malloc(strlen(pl) * 6 + 16);
	q = strstr(pl, "\",\"signature\":\"");
	assert_non_null(q);
	*q = 0;
	strcpy(sp, "{ \"body\" : \"");
	for (i = strlen("{\"body\":\""); pl[i]; i++) {
		if (pl[i] == '\\' && pl[i + 1] == '"') {
			strcat(sp, "\\u0022");
			i++;
		} else {
			strncat(sp, &pl[i], 1);
		}
	}
	strcat(sp, "\", \"signature\" : \"");
	strcat(sp, q + strlen("\",\"signature\":\""));
	v[k] = ballot_line(f, k, sp);
	free(sp);
	free(pl);
	/* the credentials with a newline inside the payload */
	pl = payload_of(f, kc);
	sp = malloc(strlen(pl) + 8);
	sprintf(sp, "{\n%s", pl + 1);
	v[kc] = ballot_line(f, kc, sp);
	free(sp);
	free(pl);
	rechain(v, n, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), 0);
	{
		struct board_report r2;

		assert_int_equal(board_verify(b.buf, b.len, NULL, 2, &r2,
					      &err),
				 0);
		assert_string_equal(r2.result, r.result);
		assert_int_equal(r2.ballots, r.ballots);
		board_report_fini(&r2);
	}
	board_report_fini(&r);
	free(v[k]);
	free(v[kc]);
	sb_fini(&b);
	sb_fini(&want);
}

/*
 * A ballot that looks canonical, properly signed, grading a candidate
 * twice: JSON objects may not repeat a name, and the parser of canonical
 * lines must not keep one of the two grades.
 */
static void test_repeated_grade_refused(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char norm[PRIMARY_CODE_SYMBOLS + 1], pkhex[65], sighex[129],
		body[512], *v[MAXLINES], msg[1024];
	unsigned char pk[32], sk[64], sig[64];
	struct sb b;
	size_t i, n = f->nlines, k = find(f, "ballot", 0);
	size_t lot[3];
	json_t *pl;

	/* voter 4 never voted: its first ballot, its lot graded, one twice */
	assert_int_equal(primary_code_parse(f->codes[4], norm, &err), 0);
	primary_code_keys("p", norm, pk, sk);
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
	assert_int_equal(primary_lot("p", pk, 3, 0, lot), 3);
	snprintf(body, sizeof(body),
		 "{\"credential\":\"%s\",\"grades\":{\"a\":1,\"a\":2,"
		 "\"b\":3,\"c\":4},\"n\":1,\"primary\":\"p\",\"version\":1}",
		 pkhex);
	crypto_sign_detached(sig, NULL, (unsigned char *)body, strlen(body),
			     sk);
	sodium_bin2hex(sighex, sizeof(sighex), sig, 64);
	pl = json_pack("{s:s, s:s}", "body", body, "signature", sighex);
	sb_init(&b, 1 << 20);
	for (i = 0; i <= k; i++)
		v[i] = f->lines[i];
	v[k + 1] = with_payload(f->lines[k], pl);
	for (i = k + 1; i < n; i++)
		v[i + 1] = f->lines[i];
	rechain(v, n + 1, &b);
	assert_int_equal(check(b.buf, b.len, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "malformed"));
	free(v[k + 1]);
	sb_fini(&b);
}

/* A line past 64 MB is refused, not buffered without end */
static void test_huge_line_refused(void **state)
{
	size_t n = ((size_t)64 << 20) + 2;
	char *big = malloc(n), msg[1024];
	struct agora_error err = {0};
	struct board_report r;

	(void)state;
	memset(big, 'x', n);
	big[n - 1] = '\n';
	assert_int_equal(board_verify(big, n, NULL, 1, &r, &err), AGORA_ECHECK);
	assert_non_null(strstr(err.msg, "longer than 64 MB"));
	strcpy(msg, err.msg);
	memset(&err, 0, sizeof(err));
	assert_int_equal(check_fd(big, n, NULL, 0, &r, &err), AGORA_ECHECK);
	assert_string_equal(err.msg, msg);
	/* no newline at all: the same, not a wait for more */
	memset(&err, 0, sizeof(err));
	assert_int_equal(check_fd(big, n - 1, NULL, 0, &r, &err),
			 AGORA_ECHECK);
	assert_string_equal(err.msg, msg);
	free(big);
}

static void test_not_a_board(void **state)
{
	char msg[1024];

	(void)state;
	assert_int_equal(check("", 0, NULL, msg), AGORA_ECHECK);
	assert_int_equal(check("hello\n", 6, NULL, msg), AGORA_ECHECK);
	assert_int_equal(check("{}", 2, NULL, msg), AGORA_ECHECK);
	assert_non_null(strstr(msg, "newline"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_honest_board_verifies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_matters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_edits_caught, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_forger_rechaining_still_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_credential_caught,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_result_caught,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_spellings_accepted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_grade_refused,
						setup, teardown),
		cmocka_unit_test(test_huge_line_refused),
		cmocka_unit_test(test_not_a_board),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
