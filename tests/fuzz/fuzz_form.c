/*
 * fuzz_form.c - libFuzzer target for what a visitor's POST and cookies
 * reach: the form parser (every decoded field must be valid UTF-8 with
 * no NUL, at most WEB_MAX_ARGS fields), the e-mail rule (a normalised
 * address never holds a byte that could break a mail header) and the
 * token shape check in front of the session lookup.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "web_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_arg args[WEB_MAX_ARGS];
	unsigned char h[AUTH_HASH_BYTES];
	size_t n = 0, i, bad;
	char *s, *e = NULL;
	int rc;

	rc = form_parse((const char *)data, size, args, WEB_MAX_ARGS, &n);
	if (n > WEB_MAX_ARGS)
		abort();
	for (i = 0; i < n; i++) {
		if (!rc &&
		    (!args[i].key || !args[i].val ||
		     !utf8_valid(args[i].key, strlen(args[i].key), &bad) ||
		     !utf8_valid(args[i].val, strlen(args[i].val), &bad)))
			abort();
		free(args[i].key);
		free(args[i].val);
	}
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!auth_email_normalize(s, &e, NULL)) {
		const char *p;

		for (p = e; *p; p++)
			if ((unsigned char)*p <= ' ' ||
			    (unsigned char)*p >= 127 ||
			    strchr("<>\r\n,;:\"", *p))
				abort();
		if (!strchr(e, '@'))
			abort();
		free(e);
	}
	if (!auth_token_hash(s, h) && strlen(s) != AUTH_TOKEN_CHARS)
		abort();
	free(s);
	return 0;
}
