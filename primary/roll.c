/*
 * roll.c - the electoral roll of `agora primary credentials --roll`: a
 * CSV file, a header line then one voter per line, whose lines are
 * copied as they are into the organiser's private codes file with one
 * field more, the code. The roll is checked whole before any code is
 * made, and a line that would put the code anywhere but in a column of
 * its own under "credential" is refused: a quoted field left open, or a
 * line with more or fewer fields than the header (a mail merge would
 * then read the code as someone's e-mail address, or lose it).
 */
#include <stdio.h>
#include <string.h>

#include "primary.h"

#define QUOTES                                                                 \
	"a quote out of place, or a quoted field that spans lines (one "       \
	"voter per line; a field with a quote or a separator is quoted, its "  \
	"quotes doubled)"

int primary_roll_next(const char *p, size_t n, size_t *pos, const char **line,
		      size_t *len)
{
	const char *s = p + *pos, *nl;

	if (*pos >= n)
		return 0;
	nl = memchr(s, '\n', n - *pos);
	*len = nl ? (size_t)(nl - s) : n - *pos;
	*pos += *len + (nl != NULL);
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	*line = s;
	return 1;
}

long primary_roll_fields(const char *s, size_t n, char sep)
{
	size_t i = 0;
	long fields = 1;

	for (;;) {
		if (i < n && s[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					return -1; /* not closed */
				if (s[i] != '"')
					continue;
				if (i + 1 < n && s[i + 1] == '"')
					i++; /* "" is a quote */
				else
					break;
			}
			i++;
			if (i < n && s[i] != sep)
				return -1; /* text after the closing quote */
		} else {
			for (; i < n && s[i] != sep; i++)
				if (s[i] == '"')
					return -1; /* a quote in a bare field */
		}
		if (i >= n)
			return fields;
		i++;
		fields++;
	}
}

int primary_roll_check(const char *p, size_t n, const char *name,
		       struct primary_roll *r, struct agora_error *err)
{
	const char *line;
	size_t pos = 0, len, no = 0, bad;
	long want = 0, got;

	memset(r, 0, sizeof(*r));
	r->sep = ',';
	if (!utf8_valid(p, n, &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "%s: not UTF-8 (byte %zu)", name, bad);
	if (memchr(p, '\0', n))
		return agora_errorf(err, AGORA_EINVAL,
				    "%s: a NUL byte: not a text file", name);
	while (primary_roll_next(p, n, &pos, &line, &len)) {
		no++;
		if (no == 1) {
			if (memchr(line, ';', len) && !memchr(line, ',', len))
				r->sep = ';';
			want = primary_roll_fields(line, len, r->sep);
			if (want < 0)
				return agora_errorf(err, AGORA_EINVAL,
						    "%s:1: " QUOTES, name);
			continue;
		}
		if (!len)
			continue;
		got = primary_roll_fields(line, len, r->sep);
		if (got < 0)
			return agora_errorf(err, AGORA_EINVAL,
					    "%s:%zu: " QUOTES, name, no);
		if (got != want)
			return agora_errorf(err, AGORA_EINVAL,
					    "%s:%zu: %ld fields where the "
					    "header has %ld",
					    name, no, got, want);
		r->nvoters++;
	}
	if (no < 2 || !r->nvoters || r->nvoters > PRIMARY_ROLL_VOTERS_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "%s: a roll is a header line and 1 to %d "
				    "voters, one per line",
				    name, PRIMARY_ROLL_VOTERS_MAX);
	r->fields = want;
	return 0;
}
