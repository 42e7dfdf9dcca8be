/*
 * fuzz_code.c - libFuzzer target for credential codes as voters type
 * them (primary_code_parse: the web vote form, the API, `agora primary
 * vote`): spaces, hyphens, lower case, O for 0, I and L for 1.
 *
 * Invariants: an accepted code normalises to 28 symbols of the alphabet,
 * and its normal form, grouped by four with hyphens and in lower case,
 * parses to the same; every single mistyped symbol is refused (the check
 * symbol's promise), and so is every swap of two different neighbours
 * but the one pair that Luhn mod 32 cannot see, 0 and Z (values 0 and
 * 31). A refusal says why.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int parses(const char *s, char norm[PRIMARY_CODE_SYMBOLS + 1])
{
	struct agora_error err = {0};
	int rc = primary_code_parse(s, norm, &err);

	if (rc && !err.msg[0])
		abort();
	return rc == 0;
}

static void check_accepted(const char norm[PRIMARY_CODE_SYMBOLS + 1])
{
	char again[PRIMARY_CODE_SYMBOLS + 1], typed[PRIMARY_CODE_SIZE];
	char bad[PRIMARY_CODE_SYMBOLS + 1], t;
	size_t i, k, o = 0;

	if (strlen(norm) != PRIMARY_CODE_SYMBOLS ||
	    strspn(norm, alphabet) != PRIMARY_CODE_SYMBOLS)
		abort();
	if (!parses(norm, again) || strcmp(again, norm))
		abort();
	for (i = 0; i < PRIMARY_CODE_SYMBOLS; i++) {
		if (i && i % 4 == 0)
			typed[o++] = '-';
		typed[o++] = (char)tolower((unsigned char)norm[i]);
	}
	typed[o] = 0;
	if (!parses(typed, again) || strcmp(again, norm))
		abort();
	for (i = 0; i < PRIMARY_CODE_SYMBOLS; i++) {
		memcpy(bad, norm, sizeof(bad));
		for (k = 0; k < 32; k++) {
			if (alphabet[k] == norm[i])
				continue;
			bad[i] = alphabet[k];
			if (parses(bad, again))
				abort(); /* one mistyped symbol went through */
		}
	}
	for (i = 0; i + 1 < PRIMARY_CODE_SYMBOLS; i++) {
		if (norm[i] == norm[i + 1] ||
		    (norm[i] == '0' && norm[i + 1] == 'Z') ||
		    (norm[i] == 'Z' && norm[i + 1] == '0'))
			continue;
		memcpy(bad, norm, sizeof(bad));
		t = bad[i];
		bad[i] = bad[i + 1];
		bad[i + 1] = t;
		if (parses(bad, again))
			abort(); /* a swap went through */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char norm[PRIMARY_CODE_SYMBOLS + 1], *s;

	if (size > 4096 || !(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = 0; /* a code is a C string: it stops at a NUL */
	if (parses(s, norm))
		check_accepted(norm);
	free(s);
	return 0;
}
