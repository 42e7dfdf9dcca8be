/*
 * fuzz_board.c - libFuzzer target for `agora verify-board` (primary/
 * verify.c): a board file is whatever someone downloaded, so any bytes.
 *
 * Each input is verified twice. First as it is. Then "fixed up": the
 * harness rewrites every line it can parse with a good chain (prev and
 * hash recomputed), re-signs the ballots of the credentials whose keys
 * it holds (FUZZ_VOTERS key pairs from fixed seeds) and, when the board
 * names the harness's organiser key, the result. Mutations of the payloads then
 * get past the chain and the signatures to the checks behind them, which a
 * fuzzer could never reach by guessing SHA-256 and Ed25519.
 *
 * Invariants: an error always says what; the verdict and the report do
 * not depend on the number of threads; an accepted board is accepted
 * again with its own head given as --head, and refused with a head not
 * in it; an accepted board with one bit of one ballot's signature
 * flipped (chain recomputed) is refused: no ballot counts unless its
 * signature was checked.
 *
 * FUZZ_BOARD_DEBUG=1 prints the verdicts and the harness's public keys
 * (to write seeds: tests/fuzz/seeds/board/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VOTERS 4
#define FUZZ_MAX_BYTES (256 << 10)

static unsigned char voter_pk[FUZZ_VOTERS][32], voter_sk[FUZZ_VOTERS][64];
static unsigned char org_pk[32], org_sk[64];
static int debug;

static void keys_init(void)
{
	unsigned char seed[32];
	char h[65];
	int i;

	if (sodium_init() < 0)
		abort();
	debug = getenv("FUZZ_BOARD_DEBUG") != NULL;
	memset(seed, 0xa5, sizeof(seed));
	crypto_sign_seed_keypair(org_pk, org_sk, seed);
	if (debug)
		fprintf(stderr, "organiser %s\n",
			sodium_bin2hex(h, sizeof(h), org_pk, 32));
	for (i = 0; i < FUZZ_VOTERS; i++) {
		memset(seed, i + 1, sizeof(seed));
		crypto_sign_seed_keypair(voter_pk[i], voter_sk[i], seed);
		if (debug)
			fprintf(stderr, "voter %d %s\n", i,
				sodium_bin2hex(h, sizeof(h), voter_pk[i], 32));
	}
}

/* Signs text with sk into a new JSON string of 128 hex digits */
static json_t *sign_hex(const char *text, const unsigned char *sk)
{
	unsigned char sig[64];
	char h[129];

	crypto_sign_detached(sig, NULL, (const unsigned char *)text,
			     strlen(text), sk);
	return json_string(sodium_bin2hex(h, sizeof(h), sig, 64));
}

/* A ballot payload re-signed when the harness holds its key */
static void resign_ballot(json_t *pl)
{
	const char *body = json_string_value(json_object_get(pl, "body")), *pk;
	unsigned char bin[32];
	json_t *b;
	int i;

	if (!body || !(b = json_loads(body, 0, NULL)))
		return;
	pk = json_string_value(json_object_get(b, "credential"));
	if (pk && strlen(pk) == 64 &&
	    !sodium_hex2bin(bin, 32, pk, 64, NULL, NULL, NULL))
		for (i = 0; i < FUZZ_VOTERS; i++)
			if (!memcmp(bin, voter_pk[i], 32))
				json_object_set_new(
					pl, "signature",
					sign_hex(body, voter_sk[i]));
	json_decref(b);
}

/*
 * One line fixed up, appended to out; *prev is the chain so far. flip
 * (when > 0) counts down the ballots and corrupts the signature of the
 * one where it reaches 0. Returns 0 when the line could not be parsed
 * (copied as it is).
 */
static int fixup_line(const char *p, size_t n, char prev[65], int *flip,
		      int *ours, struct sb *out)
{
	json_t *line, *pl = NULL;
	const char *type, *payload;
	json_int_t seq;
	char hash[65], *s, *np = NULL;
	int ok = 0;

	line = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!line || json_unpack(line, "{s:s, s:s, s:I}", "type", &type,
				 "payload", &payload, "seq", &seq))
		goto copy;
	pl = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	if (pl && !strcmp(type, "ballot")) {
		const char *sig;

		resign_ballot(pl);
		sig = json_string_value(json_object_get(pl, "signature"));
		if (*flip > 0 && --*flip == 0 && sig && sig[0]) {
			char *bad = strdup(sig);

			if (!bad)
				abort();
			bad[0] = bad[0] == '0' ? '1' : '0';
			json_object_set_new(pl, "signature", json_string(bad));
			free(bad);
		}
	} else if (pl && !strcmp(type, "primary")) {
		const char *k =
			json_string_value(json_object_get(pl, "organiser_key"));
		unsigned char bin[32];

		*ours = k && strlen(k) == 64 &&
			!sodium_hex2bin(bin, 32, k, 64, NULL, NULL, NULL) &&
			!memcmp(bin, org_pk, 32);
	} else if (pl && !strcmp(type, "result") && *ours) {
		const char *text =
			json_string_value(json_object_get(pl, "result"));

		if (text)
			json_object_set_new(pl, "signature",
					    sign_hex(text, org_sk));
	}
	if (pl && (np = json_dumps(pl, JSON_COMPACT | JSON_SORT_KEYS)))
		json_object_set_new(line, "payload", json_string(np));
	payload = json_string_value(json_object_get(line, "payload"));
	board_entry_hash(seq, prev, type, payload, strlen(payload), hash);
	json_object_set_new(line, "prev", json_string(prev));
	json_object_set_new(line, "hash", json_string(hash));
	memcpy(prev, hash, 65);
	if ((s = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS))) {
		sb_puts(out, s);
		sb_putc(out, '\n');
		free(s);
		ok = 1;
	}
copy:
	if (!ok) {
		sb_append(out, p, n);
		sb_putc(out, '\n');
	}
	free(np);
	json_decref(pl);
	json_decref(line);
	return ok;
}

/* The whole input fixed up, line by line (a last line without "\n" too) */
static void fixup(const char *p, size_t n, int flip, struct sb *out)
{
	const char *end = p + n, *nl;
	char prev[65];
	int ours = 0;

	memset(prev, '0', 64);
	prev[64] = 0;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		fixup_line(p, (size_t)(nl - p), prev, &flip, &ours, out);
	}
}

static int verify(const char *p, size_t n, const char *head, int threads,
		  struct board_report *r, struct agora_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	err->msg[0] = 0;
	rc = board_verify(p, n, head, threads, r, err);
	if (rc && !err->msg[0])
		abort(); /* a refusal says why */
	if (debug)
		fprintf(stderr, "verify (%d threads%s): %d %s\n", threads,
			head ? ", head" : "", rc, rc ? err->msg : "OK");
	return rc;
}

static int same_report(const struct board_report *a,
		       const struct board_report *b)
{
	return !strcmp(a->primary, b->primary) && !strcmp(a->head, b->head) &&
	       a->entries == b->entries && a->credentials == b->credentials &&
	       a->ballots == b->ballots && a->voters == b->voters &&
	       a->closed == b->closed && !a->result == !b->result &&
	       (!a->result || !strcmp(a->result, b->result));
}

static void check_fixed(const char *p, size_t n)
{
	struct board_report r1, r3, rh;
	struct agora_error e1, e3;
	struct sb fixed, flipped;
	char nothead[65];
	int rc1, rc3;

	sb_init(&fixed, 2 * n + 4096);
	sb_init(&flipped, 2 * n + 4096);
	fixup(p, n, 0, &fixed);
	if (sb_error(&fixed))
		goto out;
	rc1 = verify(fixed.buf, fixed.len, NULL, 1, &r1, &e1);
	rc3 = verify(fixed.buf, fixed.len, NULL, 3, &r3, &e3);
	if (rc1 != rc3 || strcmp(e1.msg, e3.msg) ||
	    (!rc1 && !same_report(&r1, &r3)))
		abort(); /* threads change nothing */
	if (!rc1) {
		if (r1.entries == 0 || strlen(r1.head) != 64 ||
		    r1.voters > r1.credentials || r1.voters > r1.ballots)
			abort();
		if (verify(fixed.buf, fixed.len, r1.head, 1, &rh, &e1))
			abort(); /* its own head is in its chain */
		board_report_fini(&rh);
		memset(nothead, 'f', 64);
		nothead[64] = 0;
		if (strcmp(r1.head, nothead) &&
		    !verify(fixed.buf, fixed.len, nothead, 1, &rh, &e1))
			abort(); /* a head that is not there */
		board_report_fini(&rh);
		if (r1.ballots) {
			/* the ballot to corrupt, from the input's first byte */
			fixup(p, n, 1 + (int)((unsigned char)p[0] % r1.ballots),
			      &flipped);
			if (!sb_error(&flipped) &&
			    !verify(flipped.buf, flipped.len, NULL, 1, &rh,
				    &e1))
				abort(); /* a bad signature was accepted */
			board_report_fini(&rh);
		}
	}
	board_report_fini(&r1);
	board_report_fini(&r3);
out:
	sb_fini(&fixed);
	sb_fini(&flipped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct board_report r;
	struct agora_error err;

	if (!ready) {
		keys_init();
		ready = 1;
	}
	if (size > FUZZ_MAX_BYTES)
		return 0;
	verify((const char *)data, size, NULL, 1, &r, &err);
	board_report_fini(&r);
	if (size)
		check_fixed((const char *)data, size);
	return 0;
}
