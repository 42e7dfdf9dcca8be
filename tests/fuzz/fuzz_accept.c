/*
 * fuzz_accept.c - libFuzzer target for Accept-Language headers (web/
 * lang.c): any bytes give a language the server can render or -1, the
 * same one twice; the same bytes as a stored date are shown as they are
 * or as a date, cut to the buffer, never past it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int avail[][LANG__MAX] = {{1, 1}, {1, 0}};
	char *h = malloc(size + 1), buf[16];
	int k, a, b;

	if (!h)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0'; /* a header stops at its first NUL */
	for (k = 0; k < 2; k++) {
		a = lang_accept(h, avail[k]);
		b = lang_accept(h, avail[k]);
		if (a != b || a < -1 || a >= LANG__MAX ||
		    (a >= 0 && !avail[k][a]))
			abort();
	}
	lang_format_date((locale_t)0, "%-d %B %Y", "1er %B %Y", h, buf,
			 sizeof(buf));
	if (strlen(buf) >= sizeof(buf) || strncmp(buf, h, strlen(buf)))
		abort();
	free(h);
	return 0;
}
