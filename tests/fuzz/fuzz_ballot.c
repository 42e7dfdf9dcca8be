/*
 * fuzz_ballot.c - libFuzzer target for what a voter sends to
 * POST /api/v1/primaries/SLUG/ballots, taken as web/primary_api.c takes
 * it: a JSON object, either {"ballot": {...}, "signature": HEX}, whose
 * ballot is put in canonical form and checked by primary_ballot_check,
 * or {"credential": CODE, "grades": {...}}, which the server signs with
 * primary_ballot_make and checks the same way. Input that is not such an
 * object is also tried as a raw signed ballot: 64 bytes of signature,
 * then the body.
 *
 * Invariants: an error says what and has a refusal; an accepted ballot
 * is canonical JSON, its signature verifies with the key it names
 * (checked here again with libsodium), its receipt is the SHA-256 of
 * body and signature; with one bit of the signature flipped, or one
 * byte of the body changed, the same ballot is refused. A ballot the
 * server made from a valid code is accepted.
 *
 * The harness holds the code of one credential (CODE below): a ballot
 * naming its key is signed by the harness, so mutations reach the checks
 * behind the signature.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLUG "fz"
/* the harness's credential; its key for SLUG is in the seeds */
#define CODE "AV0S-Q66A-7ZKW-68YY-7T3Z-8B48-YM5V"

static unsigned char code_pk[32], code_sk[64];
static int debug; /* FUZZ_BALLOT_DEBUG: the harness's key, each verdict */

/* Refused, and says why */
static void refused(int rc, const struct primary_checked *b,
		    const struct agora_error *err)
{
	if (!rc || !err->msg[0] || b->refusal == PRIMARY_OK)
		abort();
}

/* The same bytes with one change are refused */
static void check_changed(const char *body, size_t n,
			  const unsigned char sig[64], size_t at)
{
	struct primary_checked b;
	struct agora_error err = {0};
	unsigned char bad[64];
	char *copy;

	memcpy(bad, sig, 64);
	bad[at % 64] ^= (unsigned char)(1u << (at % 8));
	refused(primary_ballot_check(SLUG, body, n, bad, &b, &err), &b, &err);
	primary_checked_fini(&b);
	if (!n || !(copy = malloc(n)))
		return;
	memcpy(copy, body, n);
	copy[at % n] ^= 0x01;
	err.msg[0] = 0;
	refused(primary_ballot_check(SLUG, copy, n, sig, &b, &err), &b, &err);
	primary_checked_fini(&b);
	free(copy);
}

/* Checks body and sig as the server does; asserts the invariants */
static int check(const char *body, size_t n, const unsigned char sig[64],
		 size_t salt)
{
	struct primary_checked b;
	struct agora_error err = {0};
	unsigned char whole[PRIMARY_BALLOT_MAX + 64];
	char receipt[65], *again;
	json_t *o;
	int rc;

	rc = primary_ballot_check(SLUG, body, n, sig, &b, &err);
	if (debug)
		fprintf(stderr, "check: %s\n", rc ? err.msg : "accepted");
	if (rc) {
		refused(rc, &b, &err);
		primary_checked_fini(&b);
		return rc;
	}
	if (b.refusal != PRIMARY_OK || b.n != n || memcmp(b.body, body, n) ||
	    b.seq < 1 ||
	    crypto_sign_verify_detached(sig, (const unsigned char *)body, n,
					b.pk))
		abort();
	memcpy(whole, body, n);
	memcpy(whole + n, sig, 64);
	crypto_hash_sha256(whole, whole, n + 64);
	sodium_bin2hex(receipt, sizeof(receipt), whole, 32);
	if (strcmp(receipt, b.receipt))
		abort();
	o = json_loadb(body, n, 0, NULL);
	again = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!again || strlen(again) != n || memcmp(again, body, n))
		abort(); /* accepted means canonical */
	free(again);
	json_decref(o);
	primary_checked_fini(&b);
	check_changed(body, n, sig, salt);
	return 0;
}

/* {"ballot": {...}, "signature": HEX}, as parse_signed() takes it */
static void signed_ballot(json_t *in, size_t salt)
{
	json_t *ballot = json_object_get(in, "ballot");
	const char *sighex =
		json_string_value(json_object_get(in, "signature"));
	const char *pk;
	unsigned char sig[64], bin[32];
	char *body;

	if (!json_is_object(ballot) || !sighex || json_object_size(in) != 2 ||
	    strlen(sighex) != 128 ||
	    sodium_hex2bin(sig, 64, sighex, 128, NULL, NULL, NULL))
		return; /* a 400 */
	if (!(body = json_dumps(ballot, JSON_COMPACT | JSON_SORT_KEYS)))
		return;
	check(body, strlen(body), sig, salt);
	/* the harness's credential: signed for real */
	pk = json_string_value(json_object_get(ballot, "credential"));
	if (pk && strlen(pk) == 64 &&
	    !sodium_hex2bin(bin, 32, pk, 64, NULL, NULL, NULL) &&
	    !memcmp(bin, code_pk, 32)) {
		crypto_sign_detached(sig, NULL, (const unsigned char *)body,
				     strlen(body), code_sk);
		check(body, strlen(body), sig, salt);
	}
	free(body);
}

/* {"credential": CODE, "grades": {...}}, as parse_by_code and job_sign */
static void by_code(json_t *in, size_t salt)
{
	const char *code = json_string_value(json_object_get(in, "credential"));
	json_t *grades = json_object_get(in, "grades"), *v;
	char norm[PRIMARY_CODE_SYMBOLS + 1];
	struct primary_grade g[64];
	struct agora_error err = {0};
	unsigned char sig[64];
	const char *key;
	struct sb body;
	size_t n = 0;
	int64_t seq;

	if (!code || !json_is_object(grades) || json_object_size(in) != 2 ||
	    primary_code_parse(code, norm, &err))
		return;
	json_object_foreach(grades, key, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 254 || n == 64)
			return;
		g[n].candidate = key;
		g[n++].grade = (int)json_integer_value(v);
	}
	seq = 1 + (int64_t)(salt % 3);
	sb_init(&body, PRIMARY_BALLOT_MAX * 2);
	if (!primary_ballot_make(SLUG, code, seq, g, n, &body, sig, &err) &&
	    body.len <= PRIMARY_BALLOT_MAX &&
	    check(body.buf, body.len, sig, salt))
		abort(); /* the server's own ballot must pass its check */
	sb_fini(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	size_t salt = size ? data[size - 1] : 0;
	json_t *in;

	if (!ready) {
		char norm[PRIMARY_CODE_SYMBOLS + 1];
		struct agora_error err = {0};

		if (sodium_init() < 0 || primary_code_parse(CODE, norm, &err))
			abort();
		primary_code_keys(SLUG, norm, code_pk, code_sk);
		if ((debug = getenv("FUZZ_BALLOT_DEBUG") != NULL)) {
			char h[65];

			fprintf(stderr, "credential %s\n",
				sodium_bin2hex(h, sizeof(h), code_pk, 32));
		}
		ready = 1;
	}
	if (size > PRIMARY_BALLOT_MAX + 64)
		return 0;
	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(in)) {
		if (json_object_get(in, "ballot"))
			signed_ballot(in, salt);
		else
			by_code(in, salt);
	} else if (size >= 64) {
		check((const char *)data + 64, size - 64, data, salt);
	}
	json_decref(in);
	return 0;
}
