/*
 * test_board_vectors.c - doc/board.md's test vectors, recomputed with the
 * code. The document is the board's specification for people who write
 * their own verifier: every number it quotes is checked here, and the
 * example board it holds (its one ```jsonl block) must pass
 * board_verify(), so that the document cannot silently go stale. When
 * the format changes on purpose, regenerate the example and the vectors
 * (the document says how) and update both places together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

/* the example primary of doc/board.md */
#define SLUG "ex-2027"
#define HEAD "9c5ba85edf3a3dedc10de600fbebdce3d24e81681883ca241b5fb3278f74de0a"
#define RESULT                                                                 \
	"{\"counts\":{\"lea-dupont\":[0,0,1,1],\"marc-blanc\":[0,0,1,0],"      \
	"\"zoe-martin\":[0,1,1,1]},\"primary\":\"ex-2027\",\"ranking\":["      \
	"{\"candidate\":\"lea-dupont\",\"majority_grade\":2,\"rank\":1,"       \
	"\"sign\":\"+\"},{\"candidate\":\"marc-blanc\",\"majority_grade\":"    \
	"2,\"rank\":2,\"sign\":\"-\"},{\"candidate\":\"zoe-martin\","          \
	"\"majority_grade\":2,\"rank\":3,\"sign\":\"-\"}],\"voters\":3}"

/* Alice's credential in the example, and its public key */
#define CODE "AV0S-Q66A-7ZKW-68YY-7T3Z-8B48-YM5V"
#define CODE_NORM "AV0SQ66A7ZKW68YY7T3Z8B48YM5V"
#define CODE_SEED                                                              \
	"f8ba6fd6194a15d6b481106a8d24ca3618e7602952070a706e2d98f0515b4fdf"
#define PK "fb28c1863552557e86f01c6b74f32f2fceb682080ad228ac7d80a61dd6e7f466"

static char *doc;

static char *read_doc(void)
{
	const char *root = getenv("AGORA_SOURCE_ROOT");
	char path[4096];
	struct agora_error err = {0};
	struct sb b;

	snprintf(path, sizeof(path), "%s/doc/board.md", root ? root : ".");
	sb_init(&b, 1 << 20);
	if (file_read(path, 1 << 20, &b, &err)) {
		fprintf(stderr, "cannot read '%s': %s\n", path, err.msg);
		sb_fini(&b);
		return NULL;
	}
	return sb_detach(&b, NULL);
}

/* Every vector quoted by the test must be quoted by the document too */
static void in_doc(const char *s)
{
	if (!strstr(doc, s))
		fail_msg("doc/board.md does not quote '%s'", s);
}

static void hex_of(const unsigned char *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* The example board: the lines of the document's ```jsonl block */
static void test_example_board_verifies(void **state)
{
	const char *start = strstr(doc, "```jsonl\n"), *end;
	struct agora_error err = {0};
	struct board_report r;

	(void)state;
	assert_non_null(start);
	start += strlen("```jsonl\n");
	end = strstr(start, "\n```");
	assert_non_null(end);
	end++; /* the last line keeps its newline */
	if (board_verify(start, (size_t)(end - start), HEAD, 1, &r, &err))
		fail_msg("the example board: %s", err.msg);
	assert_string_equal(r.primary, SLUG);
	assert_string_equal(r.head, HEAD);
	assert_int_equal(r.entries, 9);
	assert_int_equal(r.credentials, 3);
	assert_int_equal(r.ballots, 4);
	assert_int_equal(r.voters, 3);
	assert_true(r.closed);
	assert_string_equal(r.result, RESULT);
	in_doc(HEAD);
	in_doc(RESULT);
	board_report_fini(&r);
}

/* The hashes the document tells readers to check with sha256sum */
static void test_entry_hash_vectors(void **state)
{
	static const char p7[] = "{\"phase\":\"closed\"}";
	static const char p0[] =
		"{\"allow_blank\":false,\"grades\":[\"Rejet\",\"Passable\","
		"\"Bien\",\"Tr\xc3\xa8s bien\"],\"lot_size\":2,"
		"\"organiser_key\":\"4bb14075b5dbdcfc4e3f2bf42eed89b642be4e4a"
		"b9207807c977a38556c9a8ae\",\"primary\":\"ex-2027\",\"title\":"
		"\"Primaire exemple\",\"version\":1}";
	char h[65];

	(void)state;
	board_entry_hash(7,
			 "33423ab3de3c1df7aa6f180a6a39ed401ad06239c562c6cbba2"
			 "dc32edc482aff",
			 "phase", p7, strlen(p7), h);
	assert_string_equal(h, "9b74cb1b790b00fba5bec2c9611bb84f3483ac7ffd8d8a"
			       "cb8e9baa890bfd1412");
	in_doc("9b74cb1b790b00fba5bec2c9611bb84f3483ac7ffd8d8acb8e9baa890bfd1"
	       "412");
	in_doc("printf 'agora-board-v1\\n7\\n33423ab3de3c1df7aa6f180a6a39ed40"
	       "1ad06239c562c6cbba2dc32edc482aff\\nphase\\n{\"phase\":\""
	       "closed\"}' | sha256sum");
	board_entry_hash(0,
			 "000000000000000000000000000000000000000000000000000"
			 "0000000000000",
			 "primary", p0, strlen(p0), h);
	assert_string_equal(h, "438afdbcf354321b303d2577540ca19b3585247255074a"
			       "8e9d777710871358fb");
	in_doc(p0);
}

/* The receipt of Alice's second ballot (entry 5) */
static void test_receipt_vector(void **state)
{
	static const char body[] =
		"{\"credential\":\"" PK "\",\"grades\":{\"lea-dupont\":2,"
		"\"zoe-martin\":2},\"n\":2,\"primary\":\"ex-2027\","
		"\"version\":1}";
	static const char sighex[] =
		"1e27700d367c822eaa60c43c394c4db0de3266acbec4a1b69bd9d678cf69a"
		"1826f5211c5e91e5fee17cccdbd9ca145f7b2126f87881d03cee8f501b4c7"
		"975102";
	unsigned char buf[sizeof(body) - 1 + 64], pk[32];
	char receipt[65];

	(void)state;
	memcpy(buf, body, sizeof(body) - 1);
	assert_int_equal(sodium_hex2bin(buf + sizeof(body) - 1, 64, sighex, 128,
					NULL, NULL, NULL),
			 0);
	assert_int_equal(sodium_hex2bin(pk, 32, PK, 64, NULL, NULL, NULL), 0);
	assert_int_equal(crypto_sign_verify_detached(buf + sizeof(body) - 1,
						     buf, sizeof(body) - 1, pk),
			 0);
	sha256_hex(buf, sizeof(buf), receipt);
	assert_string_equal(receipt, "fc9b3f26a3bd6ae08e6705c122f52dbe18353a8"
				     "36e855d9bd23ea5ee25c68d89");
	in_doc(receipt);
	in_doc(body);
}

/* Seed, stream (ChaCha20, RFC 8439, counter 0) and lots */
static void test_lot_vectors(void **state)
{
	static const unsigned char key[] = "agora lot v1";
	static const unsigned char nonce[12] = "LibsodiumDRG";
	unsigned char pk[32], seed[32], s1[16], s2[16] = {0};
	crypto_generichash_state h;
	size_t out[1000];
	char hex[65];

	(void)state;
	assert_int_equal(sodium_hex2bin(pk, 32, PK, 64, NULL, NULL, NULL), 0);
	crypto_generichash_init(&h, key, sizeof(key) - 1, 32);
	crypto_generichash_update(&h, (const unsigned char *)SLUG "",
				  sizeof(SLUG)); /* with its NUL */
	crypto_generichash_update(&h, pk, 32);
	crypto_generichash_final(&h, seed, 32);
	hex_of(seed, 32, hex);
	assert_string_equal(hex, "2107c19ebe9d82e52d3a0ef41564a7f98fc40c98059d"
				 "7783abf274eb754d5ac9");
	in_doc(hex);
	/* libsodium's deterministic stream is plain IETF ChaCha20 */
	randombytes_buf_deterministic(s1, sizeof(s1), seed);
	crypto_stream_chacha20_ietf_xor_ic(s2, s2, sizeof(s2), nonce, 0, seed);
	assert_memory_equal(s1, s2, sizeof(s1));
	hex_of(s1, 16, hex);
	assert_string_equal(hex, "34b67b17f3ed099d13f42d064bcdcc08");
	in_doc(hex);
	in_doc("393983540");
	in_doc("2634673651");

	assert_int_equal(primary_lot(SLUG, pk, 3, 2, out), 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 0);
	in_doc("n = 3, lot_size = 2: `[2, 0]`");
	assert_int_equal(primary_lot(SLUG, pk, 10, 4, out), 4);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 8);
	assert_int_equal(out[2], 5);
	assert_int_equal(out[3], 2);
	in_doc("n = 10, lot_size = 4: `[0, 8, 5, 2]`");
	assert_int_equal(primary_lot(SLUG, pk, 1000, 5, out), 5);
	assert_int_equal(out[0], 540);
	assert_int_equal(out[1], 962);
	assert_int_equal(out[2], 665);
	assert_int_equal(out[3], 879);
	assert_int_equal(out[4], 321);
	in_doc("n = 1000, lot_size = 5: `[540, 962, 665, 879, 321]`");
	/* no lot, or a lot as large as the list: everyone, in slug order */
	assert_int_equal(primary_lot(SLUG, pk, 3, 0, out), 3);
	assert_int_equal(primary_lot(SLUG, pk, 3, 3, out), 3);
	assert_int_equal(out[0] + 10 * out[1] + 100 * out[2], 210);
}

/* The credential code, its spellings and its key */
static void test_credential_vectors(void **state)
{
	static const unsigned char key[] = "agora credential v1";
	static const char *const same[] = {
		CODE,
		"av0s q66a 7zkw 68yy 7t3z 8b48 ym5v",
		"AVOS-Q66A-7ZKW-68YY-7T3Z-8B48-YM5V", /* O for 0 */
		"AV0SQ66A7ZKW68YY7T3Z8B48YM5V",
	};
	char norm[PRIMARY_CODE_SYMBOLS + 1], hex[65];
	unsigned char seed[32], pk[32], pk2[32], sk[64];
	struct agora_error err = {0};
	crypto_generichash_state h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_int_equal(primary_code_parse(same[i], norm, &err), 0);
		assert_string_equal(norm, CODE_NORM);
	}
	/* one symbol mistyped: the check symbol catches it */
	assert_int_equal(primary_code_parse("AV0S-Q66A-7ZKW-68YY-7T3Z-8B48-"
					    "YM5W",
					    norm, &err),
			 AGORA_EINVAL);
	assert_int_equal(primary_code_parse("BV0S-Q66A-7ZKW-68YY-7T3Z-8B48-"
					    "YM5V",
					    norm, &err),
			 AGORA_EINVAL);
	crypto_generichash_init(&h, key, sizeof(key) - 1, 32);
	crypto_generichash_update(&h, (const unsigned char *)SLUG "",
				  sizeof(SLUG));
	crypto_generichash_update(&h, (const unsigned char *)CODE_NORM, 28);
	crypto_generichash_final(&h, seed, 32);
	hex_of(seed, 32, hex);
	assert_string_equal(hex, CODE_SEED);
	primary_code_keys(SLUG, CODE_NORM, pk, sk);
	crypto_sign_seed_keypair(pk2, sk, seed);
	assert_memory_equal(pk, pk2, 32);
	hex_of(pk, 32, hex);
	assert_string_equal(hex, PK);
	in_doc(CODE);
	in_doc(CODE_NORM);
	in_doc(CODE_SEED);
	in_doc(PK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_board_verifies),
		cmocka_unit_test(test_entry_hash_vectors),
		cmocka_unit_test(test_receipt_vector),
		cmocka_unit_test(test_lot_vectors),
		cmocka_unit_test(test_credential_vectors),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	doc = read_doc();
	if (!doc)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(doc);
	return rc;
}
