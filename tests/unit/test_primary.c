/*
 * test_primary.c - primary/'s lifecycle on a real database: phases move
 * forward only, credential codes catch typing mistakes, lots are fair
 * and reproducible, and a ballot is counted only when it is signed by an
 * issued credential, in the vote, for exactly its lot; a newer ballot
 * replaces the older one, an old one cannot be replayed, and every
 * refusal changes nothing.
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
#include <sodium.h>

#include "primary.h"

#define NCODES 4

struct fixture {
	char path[64];
	struct agora_db *db;
	char codes[NCODES][PRIMARY_CODE_SIZE];
};

static int count(struct agora_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A primary "p" with candidates a, b, c, NCODES credentials, in the vote */
static int setup_with(void **state, int lot_size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct primary_config c = {.slug = "p",
				   .title = "Primaire",
				   .support_threshold = 10,
				   .max_supports = 3,
				   .lot_size = lot_size};
	unsigned char pk[NCODES][32], sk[64];
	char norm[PRIMARY_CODE_SYMBOLS + 1];
	struct agora_error err = {0};
	struct sb out;
	int fd, i;

	if (sodium_init() < 0)
		return -1;
	strcpy(f->path, "/tmp/agora-primary-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	sb_init(&out, 128);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    primary_db_prepare(f->db, &err) || primary_create(f->db, &c, &err) ||
	    primary_candidate_add(f->db, "p", "Anne A", "a", &out, &err) ||
	    primary_candidate_add(f->db, "p", "Bruno B", "b", &out, &err) ||
	    primary_candidate_add(f->db, "p", "Chloé C", "c", &out, &err))
		goto fail;
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
	sb_fini(&out);
	*state = f;
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", err.msg);
	sb_fini(&out);
	return -1;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_lot(void **state)
{
	return setup_with(state, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

/* Signs and casts ballot seq of code; returns the library's code */
static int vote(struct fixture *f, const char *code, int64_t seq,
		const struct primary_grade *g, size_t n, char receipt[65],
		struct agora_error *err)
{
	unsigned char sig[64];
	struct sb body;
	int rc;

	sb_init(&body, PRIMARY_BALLOT_MAX);
	rc = primary_ballot_make("p", code, seq, g, n, &body, sig, err);
	if (!rc)
		rc = primary_ballot_cast(f->db, "p", body.buf, body.len, sig,
					 receipt, err);
	sb_fini(&body);
	return rc;
}

static void counts(struct fixture *f, int recount, uint64_t *out)
{
	struct agora_error err = {0};
	struct primary_candidate *c;
	struct primary_info p;
	uint64_t *v;
	size_t n;

	assert_int_equal(primary_get(f->db, "p", &p, &err), 0);
	assert_int_equal(primary_candidates(f->db, p.id, &c, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(primary_counts(f->db, &p, c, n, recount, &v, &err),
			 0);
	memcpy(out, v, 3 * 6 * sizeof(*v));
	free(v);
	if (recount) {
		/* the signed bodies agree with the stored grades */
		assert_int_equal(
			primary_counts(f->db, &p, c, n, 2, &v, &err), 0);
		assert_memory_equal(out, v, 3 * 6 * sizeof(*v));
		free(v);
	}
	primary_candidates_free(c, n);
	primary_info_fini(&p);
}

static void test_codes(void **state)
{
	char code[PRIMARY_CODE_SIZE], norm[PRIMARY_CODE_SYMBOLS + 1];
	char typo[PRIMARY_CODE_SIZE], lower[PRIMARY_CODE_SIZE];
	struct agora_error err = {0};
	size_t i, k, caught = 0, tried = 0;

	(void)state;
	assert_true(sodium_init() >= 0);
	primary_code_new(code);
	/* seven groups of four: 28 symbols and 6 hyphens */
	assert_int_equal(strlen(code), 34);
	assert_int_equal(primary_code_parse(code, norm, &err), 0);
	/* lower case, spaces, O for 0 and l for 1 are all accepted */
	for (i = 0; code[i]; i++)
		lower[i] = code[i] == '-' ? ' '
			   : code[i] == '0' ? 'o'
			   : code[i] == '1' ? 'l'
			   : (char)(code[i] >= 'A' && code[i] <= 'Z'
					    ? code[i] - 'A' + 'a'
					    : code[i]);
	lower[i] = 0;
	{
		char norm2[PRIMARY_CODE_SYMBOLS + 1];

		assert_int_equal(primary_code_parse(lower, norm2, &err), 0);
		assert_string_equal(norm, norm2);
	}
	/* every single mistyped symbol is caught */
	for (i = 0; code[i]; i++) {
		if (code[i] == '-')
			continue;
		for (k = 0; k < 32; k++) {
			const char *b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

			if (b32[k] == code[i])
				continue;
			strcpy(typo, code);
			typo[i] = b32[k];
			tried++;
			caught += primary_code_parse(typo, norm, &err) != 0;
		}
	}
	assert_int_equal(caught, tried);
	assert_int_not_equal(primary_code_parse("ABCD", norm, &err), 0);
	assert_non_null(strstr(err.msg, "28 symbols"));
	strcpy(typo, code);
	typo[0] = 'U';
	assert_int_not_equal(primary_code_parse(typo, norm, &err), 0);
}

static void test_phases_forward_only(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct sb out;

	assert_int_equal(primary_set_phase(f->db, "p", "support", 0, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "forward"));
	assert_int_equal(primary_set_phase(f->db, "p", "later", 0, &err),
			 AGORA_EINVAL);
	/* the list is frozen once the vote is open */
	sb_init(&out, 64);
	assert_int_equal(
		primary_candidate_add(f->db, "p", "Late Comer", NULL, &out,
				      &err),
		AGORA_EINVAL);
	sb_fini(&out);
	assert_int_equal(count(f->db, "SELECT count(*) FROM primary_candidate"),
			 3);
	/* declaration and vote, each dated */
	assert_int_equal(count(f->db, "SELECT count(*) FROM primary_phase"), 2);
}

static void test_ballot_counted_and_replaced(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	const struct primary_grade g1[] = {{"a", 5}, {"b", 2}, {"c", 0}};
	const struct primary_grade g2[] = {{"a", 1}, {"b", 2}, {"c", 3}};
	char r1[65], r2[65], r3[65];
	uint64_t live[18], again[18];

	assert_int_equal(vote(f, f->codes[0], 1, g1, 3, r1, &err), 0);
	assert_int_equal(strlen(r1), 64);
	counts(f, 0, live);
	assert_int_equal(live[0 * 6 + 5], 1); /* a: Très bien */
	/* the voter changes their mind: the second ballot replaces it */
	assert_int_equal(vote(f, f->codes[0], 2, g2, 3, r2, &err), 0);
	assert_string_not_equal(r1, r2);
	counts(f, 0, live);
	assert_int_equal(live[0 * 6 + 5], 0);
	assert_int_equal(live[0 * 6 + 1], 1);
	assert_int_equal(live[2 * 6 + 3], 1);
	counts(f, 1, again);
	assert_memory_equal(live, again, sizeof(live));
	assert_int_equal(count(f->db, "SELECT count(*) FROM ballot"), 2);
	assert_int_equal(
		count(f->db, "SELECT count(*) FROM ballot WHERE counted = 1"),
		1);
	/* the same ballot again (a retry) gets the same receipt */
	assert_int_equal(vote(f, f->codes[0], 2, g2, 3, r3, &err), 0);
	assert_string_equal(r2, r3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM ballot"), 2);
	/* the database holds one counted ballot per credential */
	assert_int_not_equal(
		sqlite3_exec(db_handle(f->db),
			     "UPDATE ballot SET counted = 1", NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "DELETE FROM ballot", NULL, NULL,
					  NULL),
			     SQLITE_OK);
}

static void test_replay_refused(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	const struct primary_grade g1[] = {{"a", 5}, {"b", 5}, {"c", 5}};
	const struct primary_grade g2[] = {{"a", 0}, {"b", 0}, {"c", 0}};
	unsigned char sig1[64], sig2[64];
	struct sb b1, b2;
	char r[65];
	uint64_t before[18], after[18];

	sb_init(&b1, PRIMARY_BALLOT_MAX);
	sb_init(&b2, PRIMARY_BALLOT_MAX);
	assert_int_equal(primary_ballot_make("p", f->codes[1], 1, g1, 3, &b1,
					     sig1, &err),
			 0);
	assert_int_equal(primary_ballot_make("p", f->codes[1], 2, g2, 3, &b2,
					     sig2, &err),
			 0);
	assert_int_equal(primary_ballot_cast(f->db, "p", b1.buf, b1.len, sig1,
					     r, &err),
			 0);
	assert_int_equal(primary_ballot_cast(f->db, "p", b2.buf, b2.len, sig2,
					     r, &err),
			 0);
	counts(f, 0, before);
	/* somebody copies ballot 1 from the board and sends it again */
	assert_int_equal(primary_ballot_cast(f->db, "p", b1.buf, b1.len, sig1,
					     r, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "next one is number 3"));
	counts(f, 0, after);
	assert_memory_equal(before, after, sizeof(before));
	sb_fini(&b1);
	sb_fini(&b2);
}

static void test_forgeries_refused(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	const struct primary_grade g[] = {{"a", 3}, {"b", 3}, {"c", 3}};
	const struct primary_grade two[] = {{"a", 3}, {"b", 3}};
	const struct primary_grade bad[] = {{"a", 3}, {"b", 3}, {"c", 6}};
	const struct primary_grade who[] = {{"a", 3}, {"b", 3}, {"z", 1}};
	char stranger[PRIMARY_CODE_SIZE], r[65], *p;
	unsigned char sig[64];
	struct sb body;
	uint64_t before[18], after[18];

	counts(f, 0, before);
	/* a code that was never issued */
	primary_code_new(stranger);
	assert_int_equal(vote(f, stranger, 1, g, 3, r, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "not issued"));
	/* a candidate left ungraded, a grade out of range, a stranger */
	assert_int_equal(vote(f, f->codes[2], 1, two, 2, r, &err),
			 AGORA_EINVAL);
	assert_int_equal(vote(f, f->codes[2], 1, bad, 3, r, &err),
			 AGORA_EINVAL);
	assert_int_equal(vote(f, f->codes[2], 1, who, 3, r, &err),
			 AGORA_EINVAL);
	/* a blank ballot is not allowed here */
	assert_int_equal(vote(f, f->codes[2], 1, NULL, 0, r, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "blank"));
	/* a ballot altered after signing */
	sb_init(&body, PRIMARY_BALLOT_MAX);
	assert_int_equal(primary_ballot_make("p", f->codes[2], 1, g, 3, &body,
					     sig, &err),
			 0);
	p = strstr(body.buf, "\"a\":3");
	assert_non_null(p);
	p[4] = '5';
	assert_int_equal(primary_ballot_cast(f->db, "p", body.buf, body.len,
					     sig, r, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "signature"));
	/* not canonical: a space */
	assert_int_equal(primary_ballot_cast(f->db, "p", " {}", 3, sig, r,
					     &err),
			 AGORA_EINVAL);
	assert_int_equal(primary_ballot_cast(f->db, "p", "not json", 8, sig, r,
					     &err),
			 AGORA_EINVAL);
	sb_fini(&body);
	counts(f, 0, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(count(f->db, "SELECT count(*) FROM ballot"), 0);
}

static void test_closed_refuses(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	const struct primary_grade g[] = {{"a", 3}, {"b", 3}, {"c", 3}};
	char r[65];

	assert_int_equal(primary_set_phase(f->db, "p", "closed", 0, &err), 0);
	assert_int_equal(vote(f, f->codes[3], 1, g, 3, r, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "closed"));
	assert_int_equal(count(f->db, "SELECT count(*) FROM ballot"), 0);
}

static void test_ballot_rows_hold_no_identity(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;
	int i, n;

	/*
	 * no user, address or time finer than the day in a ballot row: its
	 * columns are exactly these (a new one must be argued for here)
	 */
	static const char *const allowed[] = {
		"id",	    "primary_id", "credential_id", "receipt",
		"body",	    "signature",  "cast_on",	   "counted",
		"grades",
	};
	size_t k;

	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
					    "SELECT * FROM ballot", -1, &st,
					    NULL),
			 SQLITE_OK);
	n = sqlite3_column_count(st);
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		const char *c = sqlite3_column_name(st, i);

		for (k = 0; k < 9 && strcmp(allowed[k], c); k++)
			;
		if (k == 9)
			fail_msg("ballot has a column '%s'", c);
	}
	sqlite3_finalize(st);
}

static int key_desc(const void *a, const void *b)
{
	return -memcmp(a, b, 32);
}

/*
 * Keys are stored and published in their own order, never in the
 * roll's: given in descending order, they come out ascending.
 */
static void test_credentials_not_in_roll_order(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	unsigned char pk[20][32], prev[32] = {0};
	sqlite3_stmt *st;
	int i, n = 0;

	for (i = 0; i < 20; i++)
		randombytes_buf(pk[i], 32);
	qsort(pk, 20, 32, key_desc);
	assert_int_equal(primary_credentials_add(f->db, "p",
						 (const unsigned char (*)[32])pk,
						 20, &err),
			 0);
	assert_int_equal(sqlite3_prepare_v2(db_handle(f->db),
					    "SELECT public_key FROM credential"
					    " ORDER BY id",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_blob(st, 0);

		/* each batch ascending; the fixture's batch came first */
		if (n >= NCODES)
			assert_true(n == NCODES || memcmp(prev, k, 32) < 0);
		memcpy(prev, k, 32);
		n++;
	}
	sqlite3_finalize(st);
	assert_int_equal(n, NCODES + 20);
	/* and the board's entry lists them in the same order */
	assert_int_equal(
		sqlite3_prepare_v2(db_handle(f->db),
				   "SELECT payload FROM board WHERE type ="
				   " 'credentials' ORDER BY seq DESC LIMIT 1",
				   -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	{
		char first[65], last[65];
		const char *payload = (const char *)sqlite3_column_text(st, 0);

		sodium_bin2hex(first, sizeof(first), pk[19], 32);
		sodium_bin2hex(last, sizeof(last), pk[0], 32);
		assert_true(strstr(payload, first) < strstr(payload, last));
	}
	sqlite3_finalize(st);
}

static void test_lot_is_fair(void **state)
{
	size_t shown[7] = {0}, lot[7], i, k, n = 7;
	unsigned char pk[32];
	uint32_t x;

	(void)state;
	assert_true(sodium_init() >= 0);
	for (i = 0; i < 14000; i++) {
		x = (uint32_t)i;
		memset(pk, 0, sizeof(pk));
		memcpy(pk, &x, sizeof(x));
		assert_int_equal(primary_lot("p", pk, n, 3, lot), 3);
		assert_true(lot[0] != lot[1] && lot[1] != lot[2] &&
			    lot[0] != lot[2]);
		for (k = 0; k < 3; k++)
			shown[lot[k]]++;
	}
	/* each of 7 candidates is on 3/7 of 14,000 ballots: 6,000 +- 4% */
	for (k = 0; k < n; k++)
		assert_true(shown[k] > 5760 && shown[k] < 6240);
	/* reproducible: the same public key, the same lot */
	memset(pk, 7, sizeof(pk));
	{
		size_t again[7];

		primary_lot("p", pk, n, 3, lot);
		primary_lot("p", pk, n, 3, again);
		assert_memory_equal(lot, again, 3 * sizeof(size_t));
	}
	/* no lot: everybody */
	assert_int_equal(primary_lot("p", pk, n, 0, lot), n);
}

static void test_lot_enforced(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char norm[PRIMARY_CODE_SYMBOLS + 1], r[65];
	const char *slugs[] = {"a", "b", "c"};
	unsigned char pk[32], sk[64];
	struct primary_grade g[3];
	size_t lot[3], k, other;

	assert_int_equal(primary_code_parse(f->codes[0], norm, &err), 0);
	primary_code_keys("p", norm, pk, sk);
	assert_int_equal(primary_lot("p", pk, 3, 2, lot), 2);
	/* all three: refused; the lot's two: counted */
	for (k = 0; k < 3; k++) {
		g[k].candidate = slugs[k];
		g[k].grade = 4;
	}
	assert_int_equal(vote(f, f->codes[0], 1, g, 3, r, &err), AGORA_EINVAL);
	other = 3 - lot[0] - lot[1];
	g[0].candidate = slugs[lot[0]];
	g[1].candidate = slugs[other];
	assert_int_equal(vote(f, f->codes[0], 1, g, 2, r, &err), AGORA_EINVAL);
	g[1].candidate = slugs[lot[1]];
	assert_int_equal(vote(f, f->codes[0], 1, g, 2, r, &err), 0);
}

/* ISO 8601 in, UTC out; anything else refused with what it was */
static void test_dates(void **state)
{
	static const char *const good[][2] = {
		{"2099-01-10", "2099-01-10T00:00:00Z"},
		{"2099-01-10T09:30", "2099-01-10T09:30:00Z"},
		{"2099-01-10 09:30:15Z", "2099-01-10T09:30:15Z"},
		{"2099-01-10T09:30+01:00", "2099-01-10T08:30:00Z"},
		{"2099-01-10T00:30+0100", "2099-01-09T23:30:00Z"},
		{"2099-12-31T23:00-05:00", "2100-01-01T04:00:00Z"},
		{"2096-02-29", "2096-02-29T00:00:00Z"},
	};
	static const char *const bad[] = {
		"", "2099", "2099-1-10", "10/01/2099", "2099-02-30",
		"2097-02-29", "2099-13-01", "2099-01-10T24:00",
		"2099-01-10T09:60", "2099-01-10T09:30:61", "2099-01-10T09",
		"2099-01-10T09:30+15:00", "2099-01-10T09:30 ", "1999-12-31",
		"2099-01-10x", "2099-01-10T09:30Z!",
	};
	struct agora_error err = {0};
	char out[PRIMARY_DATE_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(primary_date_parse("d", good[i][0], out, &err),
				 0);
		assert_string_equal(out, good[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(primary_date_parse("the vote", bad[i], out,
						    &err),
				 AGORA_EINVAL);
		assert_non_null(strstr(err.msg, "the vote '"));
	}
}

/*
 * Planned dates: in order, in the future, only for phases to come, each
 * change audited; a refusal changes nothing; a plan moves no phase
 */
static void test_schedule(void **state)
{
	struct fixture *f = *state;
	struct primary_config c = {.slug = "q", .title = "Q",
				   .max_supports = 1};
	const char *all[4] = {NULL, "2099-01-10", "2099-02-01T09:00Z",
			      "2099-03-01T20:00+01:00"};
	const char *past[4] = {NULL, NULL, NULL, "2001-01-01"};
	const char *order[4] = {NULL, NULL, "2099-03-02", NULL};
	const char *decl[4] = {"2099-01-01", NULL, NULL, NULL};
	const char *clear[4] = {NULL, NULL, NULL, ""};
	const char *again[4] = {NULL, "2099-05-01", NULL, NULL};
	struct agora_error err = {0};
	struct primary_schedule s;
	struct primary_info p;
	int audits;

	assert_int_equal(primary_create(f->db, &c, &err), 0);
	assert_int_equal(primary_get(f->db, "q", &p, &err), 0);
	assert_int_equal(primary_schedule_get(f->db, p.id, &s, &err), 0);
	assert_string_equal(s.planned[1], "");
	assert_string_not_equal(s.began[0], ""); /* created: declaration */
	assert_string_equal(s.began[1], "");
	audits = count(f->db, "SELECT count(*) FROM audit");

	assert_int_equal(primary_schedule_set(f->db, "q", all, 0, &s, &err), 0);
	assert_string_equal(s.planned[3], "2099-03-01T19:00:00Z");
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit"
				      " WHERE action = 'primary.schedule'"
				      " AND actor IS NULL AND detail ="
				      " 'support=2099-01-10T00:00:00Z"
				      " vote=2099-02-01T09:00:00Z"
				      " closed=2099-03-01T19:00:00Z'"),
			 1);
	audits++;

	/* refusals: nothing stored, nothing audited */
	assert_int_equal(primary_schedule_set(f->db, "q", past, 0, NULL, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "not in the future"));
	assert_int_equal(primary_schedule_set(f->db, "q", order, 0, NULL,
					      &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "in order"));
	assert_int_equal(primary_schedule_set(f->db, "q", decl, 0, NULL, &err),
			 AGORA_EINVAL);
	assert_int_equal(primary_schedule_set(f->db, "nope", all, 0, NULL,
					      &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(count(f->db, "SELECT count(*) FROM audit"), audits);
	assert_int_equal(count(f->db, "SELECT count(*) FROM primary_schedule"
				      " WHERE at = '2099-03-01T19:00:00Z'"),
			 1);

	/* the same dates again are no change, even if they had passed */
	assert_int_equal(primary_schedule_set(f->db, "q", all, 0, NULL, &err),
			 0);
	/* withdrawing one */
	assert_int_equal(primary_schedule_set(f->db, "q", clear, 0, &s, &err),
			 0);
	assert_string_equal(s.planned[3], "");
	assert_int_equal(count(f->db, "SELECT count(*) FROM primary_schedule"),
			 2);

	/* a plan is no timer: the phase is still the organiser's move */
	assert_string_equal(p.phase, "declaration");
	assert_int_equal(primary_set_phase(f->db, "q", "support", 0, &err), 0);
	assert_int_equal(primary_schedule_set(f->db, "q", again, 0, NULL,
					      &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "already began"));
	assert_int_equal(primary_schedule_get(f->db, p.id, &s, &err), 0);
	assert_string_equal(s.planned[1], "2099-01-10T00:00:00Z");
	assert_string_not_equal(s.began[1], "");
	primary_info_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_lot_is_fair),
		cmocka_unit_test(test_dates),
		cmocka_unit_test_setup_teardown(test_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phases_forward_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_credentials_not_in_roll_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ballot_counted_and_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forgeries_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_ballot_rows_hold_no_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lot_enforced, setup_lot,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
