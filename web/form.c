/*
 * form.c - the POST form parser (application/x-www-form-urlencoded),
 * strict like the query parser in server.c: a bad %-escape, a NUL byte
 * or invalid UTF-8 is malformed, never passed on. Pure: fuzzed and
 * unit-tested on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "web_auth.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes s[0..n) ('+' as a space when plus: queries and forms)
 * into a new string. A '%' without two hex digits, a NUL byte or bad
 * UTF-8 is malformed: AGORA_EINVAL, where a lenient decoder would pass
 * garbage on. The one decoder of the request target and of forms.
 */
int web_pct_decode(const char *s, size_t n, int plus, char **out)
{
	char *d = malloc(n + 1);
	size_t i, k = 0, bad;
	int hi, lo;

	*out = NULL;
	if (!d)
		return AGORA_ENOMEM;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			d[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[k++] = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	d[k] = '\0';
	if (memchr(d, '\0', k) || !utf8_valid(d, k, &bad))
		goto bad;
	*out = d;
	return 0;
bad:
	free(d);
	return AGORA_EINVAL;
}

int form_parse(const char *s, size_t n, struct web_arg *args, size_t max,
	       size_t *nargs)
{
	const char *p = s, *e, *eq, *end = s + n;
	int rc;

	*nargs = 0;
	for (; p < end; p = e + 1) {
		e = memchr(p, '&', (size_t)(end - p));
		if (!e)
			e = end;
		if (e == p)
			continue;
		if (*nargs == max)
			return AGORA_EINVAL;
		eq = memchr(p, '=', (size_t)(e - p));
		args[*nargs].val = NULL;
		rc = web_pct_decode(p, (size_t)((eq ? eq : e) - p), 1,
				    &args[*nargs].key);
		if (rc)
			return rc;
		(*nargs)++; /* counted now so that the key is freed */
		rc = eq ? web_pct_decode(eq + 1, (size_t)(e - eq - 1), 1,
					 &args[*nargs - 1].val)
			: web_pct_decode("", 0, 1, &args[*nargs - 1].val);
		if (rc)
			return rc;
	}
	return 0;
}
