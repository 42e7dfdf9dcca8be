/*
 * fuzz_boardfast.c - libFuzzer target for the board verifier. Every input is
 * verified twice: with the parser of agora's canonical ballot and
 * credentials lines, and with jansson alone. The two must reach the same
 * verdict with the same message (the fast path may only accept what
 * jansson accepts, with the same values), and the same report when the
 * board verifies. Seeds: the example board of doc/board.md and the start
 * of a benchmark board.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_boardfast: %s:%d: %s\n", __FILE__,   \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct agora_error fast = {0}, slow = {0};
	struct board_report rf, rs;
	int a, b;

	if (!ready) {
		CHECK(sodium_init() >= 0);
		ready = 1;
	}
	if (size > (1u << 20))
		return 0;
	board_verify_fast = 1;
	a = board_verify((const char *)data, size, NULL, 1, &rf, &fast);
	board_verify_fast = 0;
	b = board_verify((const char *)data, size, NULL, 1, &rs, &slow);
	board_verify_fast = 1;
	if (a != b || strcmp(fast.msg, slow.msg))
		fprintf(stderr, "fast: %d %s\nslow: %d %s\n", a, fast.msg, b,
			slow.msg);
	CHECK(a == b);
	CHECK(!strcmp(fast.msg, slow.msg));
	if (!a) {
		CHECK(!strcmp(rf.head, rs.head));
		CHECK(rf.ballots == rs.ballots && rf.voters == rs.voters &&
		      rf.credentials == rs.credentials);
		CHECK((!rf.result && !rs.result) ||
		      (rf.result && rs.result && !strcmp(rf.result, rs.result)));
		board_report_fini(&rf);
		board_report_fini(&rs);
	}
	return 0;
}
