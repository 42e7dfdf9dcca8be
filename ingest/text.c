/*
 * text.c - the plain-text extractor: text as pdftotext and friends give it.
 *
 * The extracted text is the input itself, byte for byte (a leading BOM is
 * kept in the text and skipped by the offsets), so every block is a slice
 * of the original and `agora verify` can re-derive it trivially. The work
 * is only in finding the blocks: paragraphs between blank lines, headings
 * (upper-case lines, short lines standing alone), numbered and bulleted
 * items, page breaks (\f) and the page-number lines around them.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

/* A short heading is under this many characters (code points) */
#define TEXT_SHORT_HEADING 60
/* An upper-case line longer than this is shouting prose, not a heading */
#define TEXT_UPPER_MAX 160

enum line_class {
	LC_BLANK,
	LC_PAGENUM,
	LC_UPPER,  /* upper-case heading */
	LC_BULLET, /* "• ...", "- ..." */
	LC_NUMBER, /* "1. ...", "12) ...", "Proposition 12 : ..." */
	LC_MARKER, /* a numbered marker alone: "Mesure 3 :" */
	LC_TEXT,
};

struct line {
	size_t s, e;   /* trimmed content, [s, e) */
	int pagebreak; /* a form feed ends this line */
	int indent;    /* leading blanks, in bytes */
	enum line_class cls;
};

struct cur_block {
	int open;
	enum ingest_block_kind kind;
	int level;
	size_t start, end;
	int page;
};

/* Width of the blank (space, tab, CR, VT, NBSP, narrow NBSP) at p, or 0 */
static size_t blank_at(const char *p, size_t n)
{
	if (!n)
		return 0;
	if (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\v')
		return 1;
	if (n >= 2 && (unsigned char)p[0] == 0xc2 &&
	    (unsigned char)p[1] == 0xa0)
		return 2;
	if (n >= 3 && (unsigned char)p[0] == 0xe2 &&
	    (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xaf)
		return 3;
	return 0;
}

/* The blank width that ends just before p + n, or 0 */
static size_t blank_before(const char *p, size_t n)
{
	if (n >= 1 && blank_at(p + n - 1, 1))
		return 1;
	if (n >= 2 && blank_at(p + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && blank_at(p + n - 3, 3) == 3)
		return 3;
	return 0;
}

static int is_upper_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return 1;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return 1;
	if (c >= 0x100 && c <= 0x17f)
		return c == 0x178 || (c % 2 == 0 && c != 0x138);
	return 0;
}

static int is_lower_cp(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return 1;
	if (c >= 0xdf && c <= 0xff && c != 0xf7)
		return 1;
	if (c >= 0x100 && c <= 0x17f)
		return c != 0x178 && (c % 2 == 1 || c == 0x138);
	return 0;
}

/* Bullet code points that pdftotext and word processors emit */
static int is_bullet_cp(uint32_t c)
{
	switch (c) {
	case 0x2022: /* • */
	case 0x2023: /* ‣ */
	case 0x25aa: /* ▪ */
	case 0x25a0: /* ■ */
	case 0x25cf: /* ● */
	case 0x25e6: /* ◦ */
	case 0x25cb: /* ○ */
	case 0x25ba: /* ► */
	case 0x27a2: /* ➢ */
	case 0xf0a7: /* Symbol-font bullets mapped to the private area */
	case 0xf0b7:
		return 1;
	}
	return 0;
}

static size_t count_digits(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

static size_t skip_blanks(const char *p, size_t n)
{
	size_t i = 0, w;

	while (i < n && (w = blank_at(p + i, n - i)))
		i += w;
	return i;
}

/* Width of a dash (-, – or —) at p, or 0 */
static size_t dash_at(const char *p, size_t n)
{
	if (n >= 1 && p[0] == '-')
		return 1;
	if (n >= 3 && (unsigned char)p[0] == 0xe2 &&
	    (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0x93 || (unsigned char)p[2] == 0x94))
		return 3;
	return 0;
}

static int prefix_ci(const char *p, size_t n, const char *word)
{
	size_t i, k = strlen(word);

	if (n < k)
		return 0;
	for (i = 0; i < k; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/*
 * "3", "- 3 -", "— 3 —", "Page 3", "page 3 / 12", "3/12", "3 sur 12":
 * lines that only number the page, which a block must not swallow.
 */
static int is_pagenum(const char *p, size_t n)
{
	size_t i = 0, w, d;

	while (i < n &&
	       ((w = dash_at(p + i, n - i)) || (w = blank_at(p + i, n - i))))
		i += w;
	while (n > i && ((w = blank_before(p + i, n - i)) ||
			 (n - i >= 1 && p[n - 1] == '-' && (w = 1)) ||
			 (n - i >= 3 && (w = dash_at(p + n - 3, 3)) == 3)))
		n -= w;
	if (prefix_ci(p + i, n - i, "page")) {
		i += 4;
		i += skip_blanks(p + i, n - i);
	}
	d = count_digits(p + i, n - i);
	if (d == 0 || d > 4)
		return 0;
	i += d;
	i += skip_blanks(p + i, n - i);
	if (i == n)
		return 1;
	if (p[i] == '/')
		i++;
	else if (prefix_ci(p + i, n - i, "sur"))
		i += 3;
	else
		return 0;
	i += skip_blanks(p + i, n - i);
	d = count_digits(p + i, n - i);
	return d > 0 && d <= 4 && i + d == n;
}

/*
 * Length of a numbered-item prefix ("12. ", "3) ", "Proposition 12 :",
 * "Proposition n°12", "Mesure 3 -"), 0 when the line has none.
 */
static size_t number_prefix(const char *p, size_t n)
{
	static const char *const words[] = {"proposition", "mesure",
					    "engagement", "action"};
	size_t i = 0, d, k, w;

	d = count_digits(p, n);
	if (d >= 1 && d <= 3 && d < n && (p[d] == '.' || p[d] == ')')) {
		if (d + 1 == n || blank_at(p + d + 1, n - d - 1))
			return d + 1;
		return 0;
	}
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (prefix_ci(p, n, words[k]))
			break;
	if (k == sizeof(words) / sizeof(words[0]))
		return 0;
	i = strlen(words[k]);
	i += skip_blanks(p + i, n - i);
	if (prefix_ci(p + i, n - i, "n\xc2\xb0") ||
	    prefix_ci(p + i, n - i, "n\xc2\xba"))
		i += 3;
	else if (prefix_ci(p + i, n - i, "no") && i + 2 < n &&
		 (p[i + 2] == ' ' || (p[i + 2] >= '0' && p[i + 2] <= '9')))
		i += 2;
	i += skip_blanks(p + i, n - i);
	d = count_digits(p + i, n - i);
	if (d == 0 || d > 4)
		return 0;
	i += d;
	w = skip_blanks(p + i, n - i);
	i += w;
	if (i < n && (p[i] == ':' || p[i] == '.' || p[i] == ')'))
		i++;
	else if ((k = dash_at(p + i, n - i)))
		i += k;
	else if (i < n && !w)
		return 0; /* "Mesure 3bis", "Proposition 12,5" */
	i += skip_blanks(p + i, n - i);
	return i;
}

/* Counts letters and upper-case letters; returns code points */
static size_t letter_stats(const char *p, size_t n, size_t *letters,
			   size_t *upper, uint32_t *first, uint32_t *last)
{
	size_t i = 0, cps = 0;
	uint32_t c = 0;
	int l;

	*letters = *upper = 0;
	*first = *last = 0;
	while (i < n) {
		l = utf8_decode(p + i, n - i, &c);
		if (l <= 0)
			l = 1;
		if (!cps)
			*first = c;
		cps++;
		if (is_upper_cp(c)) {
			(*letters)++;
			(*upper)++;
		} else if (is_lower_cp(c)) {
			(*letters)++;
		}
		i += (size_t)l;
	}
	*last = c;
	return cps;
}

/* Classifies one trimmed line, before looking at its neighbours */
static enum line_class classify(const char *p, size_t n)
{
	size_t letters, upper, cps, k;
	uint32_t first, last, c;
	int l;

	if (n == 0)
		return LC_BLANK;
	if (is_pagenum(p, n))
		return LC_PAGENUM;
	l = utf8_decode(p, n, &c);
	if (l > 0 && (is_bullet_cp(c) ||
		      ((c == '-' || c == '*' || c == 0x2013) && (size_t)l < n &&
		       blank_at(p + l, n - (size_t)l))))
		return LC_BULLET;
	cps = letter_stats(p, n, &letters, &upper, &first, &last);
	if (letters >= 3 && upper * 10 >= letters * 8 && cps <= TEXT_UPPER_MAX)
		return LC_UPPER;
	k = number_prefix(p, n);
	if (k)
		return k == n && !(p[0] >= '0' && p[0] <= '9') ? LC_MARKER
							       : LC_NUMBER;
	return LC_TEXT;
}

/*
 * A short line standing alone is a heading: under 60 characters, starts
 * with a capital, no final punctuation of prose.
 */
static int short_heading(const char *p, size_t n)
{
	size_t letters, upper, cps;
	uint32_t first, last;

	cps = letter_stats(p, n, &letters, &upper, &first, &last);
	if (cps >= TEXT_SHORT_HEADING || letters < 2 || !is_upper_cp(first))
		return 0;
	return !(last == '.' || last == ',' || last == ';' || last == ':' ||
		 last == 0x2026);
}

/* Splits p into lines (on \n and \f) with their trimmed extents */
static int split_lines(const char *p, size_t n, size_t from, struct line **out,
		       size_t *nout)
{
	struct line *v = NULL, *nv;
	size_t cap = 0, nl = 0, i = from, s, e, w;

	while (i < n) {
		s = i;
		while (i < n && p[i] != '\n' && p[i] != '\f')
			i++;
		e = i;
		if (nl == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return AGORA_ENOMEM;
			}
			v = nv;
		}
		v[nl].indent = 0;
		while (s < e && (w = blank_at(p + s, e - s))) {
			s += w;
			v[nl].indent += (int)w;
		}
		while (e > s && (w = blank_before(p + s, e - s)))
			e -= w;
		v[nl].s = s;
		v[nl].e = e;
		v[nl].pagebreak = i < n && p[i] == '\f';
		v[nl].cls = classify(p + s, e - s);
		nl++;
		if (i < n)
			i++;
	}
	*out = v;
	*nout = nl;
	return 0;
}

static int flush(struct ingest_doc *doc, struct cur_block *cur)
{
	int rc;

	if (!cur->open)
		return 0;
	cur->open = 0;
	rc = ingest_doc_add(doc, cur->kind, cur->level, cur->start, cur->end,
			    NULL);
	if (rc)
		return rc;
	doc->blocks[doc->nblocks - 1].page = cur->page;
	return 0;
}

static void start(struct cur_block *cur, enum ingest_block_kind kind, int level,
		  const struct line *ln, int page)
{
	cur->open = 1;
	cur->kind = kind;
	cur->level = level;
	cur->start = ln->s;
	cur->end = ln->e;
	cur->page = page;
}

/* The blank-line test that "standing alone" needs: blank, \f or the end */
static int ends_alone(const struct line *v, size_t nl, size_t i)
{
	return v[i].pagebreak || i + 1 == nl || v[i + 1].cls == LC_BLANK ||
	       v[i + 1].cls == LC_PAGENUM;
}

/* Walks the lines and turns them into blocks */
static int build_blocks(const char *p, const struct line *v, size_t nl,
			struct ingest_doc *doc)
{
	struct cur_block cur = {0};
	int page = 1, pending_measure = 0, rc = 0;
	size_t i;

	for (i = 0; i < nl; i++) {
		const struct line *ln = &v[i];

		if (cur.open && cur.kind == IB_HEADING && ln->cls != LC_UPPER)
			if ((rc = flush(doc, &cur)))
				return rc;
		switch (ln->cls) {
		case LC_BLANK:
		case LC_PAGENUM:
			if ((rc = flush(doc, &cur)))
				return rc;
			break;
		case LC_UPPER:
			if (cur.open && cur.kind == IB_HEADING) {
				cur.end = ln->e;
				break;
			}
			if ((rc = flush(doc, &cur)))
				return rc;
			start(&cur, IB_HEADING, 1, ln, page);
			pending_measure = 0;
			break;
		case LC_BULLET:
		case LC_NUMBER:
			if ((rc = flush(doc, &cur)))
				return rc;
			start(&cur, IB_ITEM, ln->indent >= 2 ? 2 : 1, ln, page);
			pending_measure = 0;
			break;
		case LC_MARKER:
			if ((rc = flush(doc, &cur)))
				return rc;
			pending_measure = 0;
			if (ends_alone(v, nl, i)) {
				start(&cur, IB_MARKER, 0, ln, page);
				if ((rc = flush(doc, &cur)))
					return rc;
				pending_measure = 1;
			} else {
				start(&cur, IB_ITEM, 1, ln, page);
			}
			break;
		case LC_TEXT:
			if (cur.open) {
				cur.end = ln->e;
				break;
			}
			if (!pending_measure && ends_alone(v, nl, i) &&
			    short_heading(p + ln->s, ln->e - ln->s)) {
				start(&cur, IB_HEADING, 2, ln, page);
				if ((rc = flush(doc, &cur)))
					return rc;
				break;
			}
			start(&cur, pending_measure ? IB_MEASURE : IB_PARAGRAPH,
			      0, ln, page);
			pending_measure = 0;
			break;
		}
		if (ln->pagebreak) {
			if ((rc = flush(doc, &cur)))
				return rc;
			page++;
		}
	}
	return flush(doc, &cur);
}

/*
 * Plain text: the extracted text is the input, the blocks are found by
 * looking at lines. A leading UTF-8 BOM stays in the text but no block
 * starts before it.
 */
int ingest_extract_text(const char *p, size_t n,
			const struct ingest_limits *lim, struct ingest_doc *doc,
			struct agora_error *err)
{
	struct ingest_limits dl;
	struct line *lines = NULL;
	size_t nl = 0, bad = 0, from = 0, i, body = 0;
	int rc;

	if (!lim) {
		ingest_limits_default(&dl);
		lim = &dl;
	}
	if (n > lim->max_bytes)
		return agora_errorf(
			err, AGORA_ETOOBIG,
			"cannot extract text: %zu bytes is over the "
			"limit of %zu",
			n, lim->max_bytes);
	if (!utf8_valid(p, n, &bad))
		return agora_errorf(
			err, AGORA_EINVAL,
			"cannot extract text: invalid UTF-8 at byte "
			"%zu",
			bad);
	doc->format = INGEST_TEXT;
	if (sb_append(&doc->text, p, n))
		return agora_errorf(err, sb_error(&doc->text),
				    "cannot copy the text (%zu bytes)", n);
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		from = 3;
	rc = split_lines(p, n, from, &lines, &nl);
	if (rc)
		goto nomem;
	rc = build_blocks(p, lines, nl, doc);
	free(lines);
	if (rc)
		goto nomem;
	for (i = 0; i < doc->nblocks; i++)
		if (doc->blocks[i].kind != IB_HEADING &&
		    doc->blocks[i].kind != IB_MARKER)
			body++;
	if (body > lim->max_proposals)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "cannot extract text: %zu blocks is over "
				    "the limit of %zu",
				    body, lim->max_proposals);
	if (!doc->nblocks)
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot extract text: the document is "
				    "empty");
	return 0;
nomem:
	return agora_errorf(err, AGORA_ENOMEM,
			    "cannot extract text: out of memory");
}
