/*
 * csv.c - the CSV extractor: one proposal per row, as campaign sites and
 * open-data dumps publish them ("proposition","source").
 *
 * RFC 4180 with the usual liberties: comma or semicolon (detected from
 * the header), CRLF or LF, quoted fields with "" escapes and line breaks.
 * The extracted text is the unescaped proposition fields joined by a
 * blank line, so it reads as a document and the same bytes always give
 * the same text; each row becomes an IB_MEASURE block labelled with the
 * candidate's own theme (the last path segment of the source URL, or a
 * label column).
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

/* A parser over the whole input: one record at a time */
struct csv {
	const char *p;
	size_t n, i;
	int line; /* 1-based line of p[i] */
	char sep;
	struct sb field;   /* the field being read, unescaped */
	struct sb *fields; /* fields of the current record */
	size_t nfields, cap;
};

enum { CSV_EOF = 1 };

static int csv_push_field(struct csv *c)
{
	struct sb *nv;

	if (c->nfields == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8, k;

		nv = realloc(c->fields, ncap * sizeof(*nv));
		if (!nv)
			return AGORA_ENOMEM;
		for (k = c->cap; k < ncap; k++)
			sb_init(&nv[k], c->n + 1);
		c->fields = nv;
		c->cap = ncap;
	}
	sb_reset(&c->fields[c->nfields]);
	if (sb_append(&c->fields[c->nfields], c->field.buf, c->field.len))
		return sb_error(&c->fields[c->nfields]);
	c->nfields++;
	sb_reset(&c->field);
	return 0;
}

/*
 * Reads one record into c->fields. Returns 0, CSV_EOF when nothing is
 * left, or an error (AGORA_EINVAL with the line in err).
 */
static int csv_record(struct csv *c, struct agora_error *err)
{
	size_t run;
	int qline, rc;

	c->nfields = 0;
	if (c->i >= c->n)
		return CSV_EOF;
	for (;;) {
		sb_reset(&c->field);
		if (c->i < c->n && c->p[c->i] == '"') {
			qline = c->line;
			c->i++;
			/*
			 * Runs of bytes are appended whole: a call a byte
			 * was 13% of CSV ingest
			 */
			for (;;) {
				run = c->i;
				while (c->i < c->n && c->p[c->i] != '"') {
					if (c->p[c->i] == '\n')
						c->line++;
					c->i++;
				}
				sb_append(&c->field, c->p + run, c->i - run);
				if (c->i >= c->n)
					return agora_errorf(
						err, AGORA_EINVAL,
						"cannot parse the CSV: quoted "
						"field opened at line %d is "
						"never closed",
						qline);
				if (c->i + 1 < c->n && c->p[c->i + 1] == '"') {
					sb_putc(&c->field, '"');
					c->i += 2;
					continue;
				}
				c->i++;
				break;
			}
			/* blanks between the closing quote and the separator */
			while (c->i < c->n &&
			       (c->p[c->i] == ' ' || c->p[c->i] == '\t'))
				c->i++;
		} else {
			run = c->i;
			while (c->i < c->n && c->p[c->i] != c->sep &&
			       c->p[c->i] != '\n' &&
			       !(c->p[c->i] == '\r' && c->i + 1 < c->n &&
				 c->p[c->i + 1] == '\n'))
				c->i++;
			sb_append(&c->field, c->p + run, c->i - run);
		}
		rc = sb_error(&c->field);
		if (!rc)
			rc = csv_push_field(c);
		if (rc)
			return agora_errorf(err, rc,
					    "cannot parse the CSV: field too "
					    "big or out of memory at line %d",
					    c->line);
		if (c->i >= c->n)
			return 0;
		if (c->p[c->i] == c->sep) {
			c->i++;
			continue;
		}
		if (c->p[c->i] == '\r' && c->i + 1 < c->n &&
		    c->p[c->i + 1] == '\n')
			c->i++;
		if (c->p[c->i] == '\n') {
			c->i++;
			c->line++;
			return 0;
		}
		/* only a quoted field can stop elsewhere */
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot parse the CSV: unexpected '%c' "
				    "after a closing quote at line %d",
				    c->p[c->i], c->line);
	}
}

/* Comma or semicolon, whichever the header line uses more (outside quotes) */
static char detect_sep(const char *p, size_t n)
{
	size_t i, commas = 0, semis = 0;
	int inq = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			inq = !inq;
		else if (!inq && p[i] == '\n')
			break;
		else if (!inq && p[i] == ',')
			commas++;
		else if (!inq && p[i] == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

/* Header names compared without case and surrounding blanks */
static int header_is(const struct sb *f, const char *name)
{
	size_t s = 0, e = f->len, k = strlen(name), i;

	if (e >= 3 && !memcmp(f->buf, "\xef\xbb\xbf", 3))
		s = 3;
	while (s < e && (f->buf[s] == ' ' || f->buf[s] == '\t'))
		s++;
	while (e > s && (f->buf[e - 1] == ' ' || f->buf[e - 1] == '\t' ||
			 f->buf[e - 1] == '\r'))
		e--;
	if (e - s != k)
		return 0;
	for (i = 0; i < k; i++) {
		char ch = f->buf[s + i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != name[i])
			return 0;
	}
	return 1;
}

/* Index of the first header field named like one of names, or -1 */
static long find_column(const struct csv *c, const char *const *names)
{
	size_t k, j;

	for (j = 0; names[j]; j++)
		for (k = 0; k < c->nfields; k++)
			if (header_is(&c->fields[k], names[j]))
				return (long)k;
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * The candidate's label from a label cell: a URL gives its last non-empty
 * path segment (no query, no fragment), percent-decoded when that gives
 * clean UTF-8 ("%C3%A9galite" -> "égalite"); other text is taken trimmed.
 * Writes "" when there is none.
 */
static int label_from(struct sb *out, const char *v, size_t n)
{
	size_t s = 0, e = n, i, mark;
	int hi, lo, isurl;

	sb_reset(out);
	while (s < e &&
	       (v[s] == ' ' || v[s] == '\t' || v[s] == '\r' || v[s] == '\n'))
		s++;
	while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t' ||
			 v[e - 1] == '\r' || v[e - 1] == '\n'))
		e--;
	isurl = memchr(v + s, '/', e - s) != NULL &&
		memchr(v + s, ' ', e - s) == NULL;
	if (isurl) {
		for (i = s; i < e; i++)
			if (v[i] == '?' || v[i] == '#')
				break;
		e = i;
		while (e > s && v[e - 1] == '/')
			e--;
		for (i = e; i > s && v[i - 1] != '/'; i--)
			;
		s = i;
		if (e - s >= 3 && memchr(v + s, ':', e - s))
			e = s; /* "https:" alone: no path */
	}
	for (i = s; i < e; i++) {
		if (isurl && v[i] == '%' && i + 2 < e &&
		    (hi = hexval(v[i + 1])) >= 0 &&
		    (lo = hexval(v[i + 2])) >= 0 && (hi || lo)) {
			sb_putc(out, hi * 16 + lo);
			i += 2;
			continue;
		}
		sb_putc(out, v[i]);
	}
	if (sb_error(out))
		return sb_error(out);
	mark = 0;
	if (!utf8_valid(out->buf, out->len, &mark)) {
		/* the escapes were not UTF-8: keep the segment as written */
		sb_reset(out);
		sb_append(out, v + s, e - s);
	}
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20)
			out->buf[i] = ' ';
	return sb_error(out);
}

static int only_blanks(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/*
 * CSV with a "proposition" column: each non-empty proposition is a
 * measure block, labelled from the "label"/"theme"/"source" column.
 */
int ingest_extract_csv(const char *p, size_t n, const struct ingest_limits *lim,
		       struct ingest_doc *doc, struct agora_error *err)
{
	static const char *const prop_names[] = {"proposition", "proposal",
						 "text",	"propositions",
						 "texte",	NULL};
	static const char *const label_names[] = {
		"label", "theme", "th\xc3\xa8me", "source", NULL};
	struct ingest_limits dl;
	struct csv c = {0};
	struct sb label;
	long pcol, lcol;
	size_t bad = 0, s, e, rows = 0, k;
	int rc, line;

	if (!lim) {
		ingest_limits_default(&dl);
		lim = &dl;
	}
	sb_init(&label, 4096);
	if (n > lim->max_bytes)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "cannot extract the CSV: %zu bytes is over "
				    "the limit of %zu",
				    n, lim->max_bytes);
	if (!utf8_valid(p, n, &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot extract the CSV: invalid UTF-8 at "
				    "byte %zu",
				    bad);
	doc->format = INGEST_CSV;
	c.p = p;
	c.n = n;
	c.line = 1;
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		c.i = 3;
	c.sep = detect_sep(p + c.i, n - c.i);
	sb_init(&c.field, n + 1);
	rc = csv_record(&c, err);
	if (rc == CSV_EOF)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "cannot extract the CSV: the document is "
				  "empty");
	if (rc)
		goto out;
	pcol = find_column(&c, prop_names);
	lcol = find_column(&c, label_names);
	if (pcol < 0) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "cannot extract the CSV: the header at line "
				  "1 has no 'proposition' column");
		goto out;
	}
	for (;;) {
		line = c.line;
		rc = csv_record(&c, err);
		if (rc == CSV_EOF)
			break;
		if (rc)
			goto out;
		if ((size_t)pcol >= c.nfields ||
		    only_blanks(c.fields[pcol].buf, c.fields[pcol].len))
			continue;
		if (++rows > lim->max_proposals) {
			rc = agora_errorf(err, AGORA_ETOOBIG,
					  "cannot extract the CSV: more than "
					  "%zu rows (line %d)",
					  lim->max_proposals, line);
			goto out;
		}
		if (doc->text.len)
			sb_append(&doc->text, "\n\n", 2);
		s = doc->text.len;
		sb_append(&doc->text, c.fields[pcol].buf, c.fields[pcol].len);
		if ((rc = sb_error(&doc->text))) {
			rc = agora_errorf(err, rc,
					  "cannot extract the CSV: the text is "
					  "too big at line %d",
					  line);
			goto out;
		}
		e = doc->text.len;
		while (s < e && strchr(" \t\r\n", doc->text.buf[s]))
			s++;
		while (e > s && strchr(" \t\r\n", doc->text.buf[e - 1]))
			e--;
		sb_reset(&label);
		if (lcol >= 0 && (size_t)lcol < c.nfields &&
		    (rc = label_from(&label, c.fields[lcol].buf,
				     c.fields[lcol].len))) {
			rc = agora_errorf(err, rc,
					  "cannot read the label at line %d",
					  line);
			goto out;
		}
		rc = ingest_doc_add(doc, IB_MEASURE, 1, s, e,
				    label.len ? label.buf : NULL);
		if (rc) {
			rc = agora_errorf(err, rc,
					  "cannot extract the CSV: out of "
					  "memory");
			goto out;
		}
	}
	rc = 0;
	if (!rows)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "cannot extract the CSV: no proposition "
				  "found");
out:
	for (k = 0; k < c.cap; k++)
		sb_fini(&c.fields[k]);
	free(c.fields);
	sb_fini(&c.field);
	sb_fini(&label);
	return rc;
}
