/*
 * sb.c - growable string buffer with a hard cap and a sticky error.
 *
 * The contract is git's strbuf: buf is never NULL (an empty buffer points
 * at a shared "" until the first append) and sb_detach() is the only way
 * to take the bytes out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static char sb_empty[1];

void sb_init(struct sb *sb, size_t max)
{
	sb->buf = sb_empty;
	sb->len = 0;
	sb->cap = 0;
	sb->max = max ? max : SB_DEFAULT_MAX;
	sb->err = 0;
}

void sb_fini(struct sb *sb)
{
	if (sb->cap)
		free(sb->buf);
	sb_init(sb, sb->max);
}

void sb_reset(struct sb *sb)
{
	sb->len = 0;
	sb->err = 0;
	/* never write to the shared empty buffer: threads read it */
	if (sb->cap)
		sb->buf[0] = '\0';
	else
		sb->buf = sb_empty;
}

int sb_grow(struct sb *sb, size_t extra)
{
	size_t want, ncap;
	char *p;

	if (sb->err)
		return sb->err;
	if (extra > sb->max || sb->len > sb->max - extra)
		return sb->err = AGORA_ETOOBIG;
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return 0;
	ncap = sb->cap ? sb->cap : 64;
	while (ncap < want)
		ncap = ncap < SIZE_MAX / 2 ? ncap * 2 : want;
	p = realloc(sb->cap ? sb->buf : NULL, ncap);
	if (!p)
		return sb->err = AGORA_ENOMEM;
	if (!sb->cap)
		p[0] = '\0';
	sb->buf = p;
	sb->cap = ncap;
	return 0;
}

int sb_append(struct sb *sb, const void *p, size_t n)
{
	if (sb_grow(sb, n))
		return sb->err;
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sb_puts(struct sb *sb, const char *s)
{
	return sb_append(sb, s, strlen(s));
}

int sb_putc(struct sb *sb, int c)
{
	char ch = (char)c;

	return sb_append(sb, &ch, 1);
}

int sb_vprintf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (sb->err)
		return sb->err;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return sb->err = AGORA_EINVAL;
	if (sb_grow(sb, (size_t)n))
		return sb->err;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sb_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

char *sb_detach(struct sb *sb, size_t *len)
{
	char *p;

	if (len)
		*len = sb->len;
	if (!sb->cap) {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	} else {
		p = sb->buf;
	}
	sb_init(sb, sb->max);
	return p;
}
