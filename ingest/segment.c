/*
 * segment.c - cuts an extracted document's blocks into proposals.
 *
 * A proposal is one block as the author wrote it, never a rewording: its
 * [start, end) is the block's slice of the extracted text, trimmed of
 * surrounding whitespace, so text == extracted[start:end] always holds.
 * What is skipped is the author's scaffolding: headings (they become the
 * heading path), markers, introductions, tables of contents, lead-ins
 * ("Concrètement :") and lines too short to propose anything.
 */
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"

#define SEG_MAX_LEVEL 9
#define SEG_MIN_WORDS 3
#define SEG_LEAD_IN_WORDS 12
/* from this many explicit proposals on, plain paragraphs are context */
#define SEG_EXPLICIT_MIN 5
/* a table cell is a proposal only if it reads as a sentence: shorter
 * cells are the labels of data tables (a budget, a calendar) */
#define SEG_CELL_MIN_WORDS 10

void ingest_segments_fini(struct ingest_segments *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].heading_path);
		free(s->v[i].label);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int is_ws(const char *s, size_t n, size_t i, size_t *len)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
		*len = 1;
		return 1;
	}
	if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
		*len = 2;
		return 1;
	}
	return 0;
}

/* Narrows [*start, *end) to its first and last non-space characters */
static void trim(const char *t, size_t *start, size_t *end)
{
	size_t k;

	while (*start < *end && is_ws(t, *end, *start, &k))
		*start += k;
	while (*end > *start) {
		if (t[*end - 1] == ' ' || t[*end - 1] == '\t' ||
		    t[*end - 1] == '\n' || t[*end - 1] == '\r')
			(*end)--;
		else if (*end - *start >= 2 &&
			 (unsigned char)t[*end - 2] == 0xC2 &&
			 (unsigned char)t[*end - 1] == 0xA0)
			*end -= 2;
		else
			break;
	}
}

static size_t count_words(const char *s, size_t n)
{
	size_t i, words = 0;
	int in = 0;

	for (i = 0; i < n; i++) {
		int sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n';

		if (!sp && !in)
			words++;
		in = !sp;
	}
	return words;
}

/*
 * A letter, roughly: ASCII letters, and any non-ASCII character outside
 * the Latin-1 symbols, general punctuation, CJK punctuation and U+FFFD.
 * Good enough to drop lines made of numbers, dashes and bullets.
 */
static int has_letter(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t cp;

		if ((u[i] >= 'a' && u[i] <= 'z') ||
		    (u[i] >= 'A' && u[i] <= 'Z'))
			return 1;
		if (u[i] < 0xC0)
			continue;
		if (u[i] < 0xE0 && i + 1 < n)
			cp = ((uint32_t)(u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F);
		else if (u[i] < 0xF0 && i + 2 < n)
			cp = ((uint32_t)(u[i] & 0x0F) << 12) |
			     ((uint32_t)(u[i + 1] & 0x3F) << 6) |
			     (u[i + 2] & 0x3F);
		else
			cp = 0x10000;
		if (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 &&
		    !(cp >= 0x2000 && cp <= 0x2BFF) &&
		    !(cp >= 0x3000 && cp <= 0x303F) && cp != 0xFFFD)
			return 1;
	}
	return 0;
}

/* "Concrètement :", "We will:" - a short line that announces a list */
static int is_lead_in(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == ':' &&
	       count_words(s, n) <= SEG_LEAD_IN_WORDS;
}

/* "1. ...", "12) ...", "Proposition 12 : ...", "Mesure 3. ..." */
static int is_numbered(const char *s, size_t n)
{
	size_t i = 0, d;
	int word = 0;

	if (xb_prefix(s, n, "proposition ")) {
		i = 12;
		word = 1;
	} else if (xb_prefix(s, n, "mesure ")) {
		i = 7;
		word = 1;
	} else if (xb_prefix(s, n, "n\xC2\xB0")) {
		i = 3;
		word = 1;
	}
	for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (d == 0 || d > 4 || i >= n)
		return 0;
	if (s[i] == '.' || s[i] == ')')
		return i + 1 < n && s[i + 1] == ' ';
	if (!word)
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	if (i + 1 < n && (unsigned char)s[i] == 0xC2 &&
	    (unsigned char)s[i + 1] == 0xA0)
		i += 2;
	return i < n && (s[i] == ':' || s[i] == '-' || s[i] == '.');
}

static int add_proposal(struct ingest_segments *out, size_t start, size_t end,
			const char *kind, const struct sb *path,
			const struct ingest_block *bl)
{
	struct ingest_proposal *p;

	if (out->n == out->cap) {
		size_t ncap = out->cap ? out->cap * 2 : 64;
		struct ingest_proposal *v;

		v = realloc(out->v, ncap * sizeof(*v));
		if (!v)
			return AGORA_ENOMEM;
		out->v = v;
		out->cap = ncap;
	}
	p = &out->v[out->n];
	memset(p, 0, sizeof(*p));
	p->start = start;
	p->end = end;
	p->kind = kind;
	p->page = bl->page;
	p->heading_path = strdup(path->buf);
	if (!p->heading_path)
		return AGORA_ENOMEM;
	if (bl->label && !(p->label = strdup(bl->label))) {
		free(p->heading_path);
		return AGORA_ENOMEM;
	}
	out->n++;
	return 0;
}

/*
 * A heading in the path is cut at this many bytes (on a character
 * boundary, with "…"): the path is stored with every proposal under it,
 * so a 10 MB "heading" must not be copied 20,000 times.
 */
#define SEG_HEADING_MAX 240

/* The heading path of the current position: "h1 › h2 › h3" */
static int build_path(const struct ingest_doc *doc, const long *stack,
		      struct sb *path)
{
	int l;

	sb_reset(path);
	for (l = 1; l <= SEG_MAX_LEVEL; l++) {
		const struct ingest_block *h;
		size_t n;

		if (stack[l] < 0)
			continue;
		h = &doc->blocks[stack[l]];
		if (path->len)
			sb_puts(path, " \xE2\x80\xBA ");
		n = h->end - h->start;
		if (n <= SEG_HEADING_MAX) {
			sb_append(path, doc->text.buf + h->start, n);
			continue;
		}
		n = SEG_HEADING_MAX;
		while (n > 0 &&
		       ((unsigned char)doc->text.buf[h->start + n] & 0xc0) ==
			       0x80)
			n--;
		sb_append(path, doc->text.buf + h->start, n);
		sb_puts(path, "\xE2\x80\xA6");
	}
	return sb_error(path);
}

/*
 * The preamble: the paragraphs between a document's one title heading
 * and its first sub-heading (an editorial, a word from the candidate),
 * or before its first heading at all. Returns the index of the first
 * block past it, 0 when there is none.
 */
static size_t find_preamble(const struct ingest_doc *doc)
{
	size_t i, ntop = 0, first_sub = 0;
	int top = SEG_MAX_LEVEL + 1, sub = 0;

	for (i = 0; i < doc->nblocks; i++)
		if (doc->blocks[i].kind == IB_HEADING &&
		    doc->blocks[i].level < top)
			top = doc->blocks[i].level;
	for (i = 0; i < doc->nblocks; i++) {
		if (doc->blocks[i].kind != IB_HEADING)
			continue;
		if (doc->blocks[i].level == top) {
			ntop++;
		} else if (!sub) {
			sub = 1;
			first_sub = i;
		}
	}
	if (ntop == 1 && sub)
		return first_sub;
	for (i = 0; i < doc->nblocks; i++)
		if (doc->blocks[i].kind == IB_HEADING)
			return i;
	return 0;
}

int ingest_segment(const struct ingest_doc *doc,
		   const struct ingest_limits *lim, struct ingest_segments *out,
		   struct agora_error *err)
{
	long stack[SEG_MAX_LEVEL + 1];
	const char *t = doc->text.buf;
	size_t i, explicit = 0, max;
	struct sb path;
	size_t preamble_end;
	int l, skip_prose, rc = 0, dirty = 1;

	max = lim && lim->max_proposals ? lim->max_proposals : 20000;
	for (l = 0; l <= SEG_MAX_LEVEL; l++)
		stack[l] = -1;
	sb_init(&path, 0);
	for (i = 0; i < doc->nblocks; i++) {
		const struct ingest_block *bl = &doc->blocks[i];

		if (bl->kind == IB_MEASURE ||
		    ((bl->kind == IB_ITEM || bl->kind == IB_PARAGRAPH) &&
		     is_numbered(t + bl->start, bl->end - bl->start)))
			explicit ++;
	}
	/*
	 * A programme that marks its proposals (measures, numbered items)
	 * uses its plain paragraphs to explain them: those are context,
	 * not proposals. One that marks nothing gets every paragraph.
	 */
	skip_prose = explicit >= SEG_EXPLICIT_MIN;
	preamble_end = find_preamble(doc);

	for (i = 0; i < doc->nblocks; i++) {
		const struct ingest_block *bl = &doc->blocks[i];
		size_t start = bl->start, end = bl->end, words;
		const char *kind;

		if (end > doc->text.len || start > end)
			continue;
		trim(t, &start, &end);
		switch (bl->kind) {
		case IB_HEADING:
			l = bl->level < 1		? 1
			    : bl->level > SEG_MAX_LEVEL ? SEG_MAX_LEVEL
							: bl->level;
			stack[l] = (long)i;
			for (l = l + 1; l <= SEG_MAX_LEVEL; l++)
				stack[l] = -1;
			dirty = 1;
			continue;
		case IB_MARKER:
		case IB_INTRO:
		case IB_TOC:
			continue;
		case IB_MEASURE:
			/*
			 * A measure that knows its section depth (XML)
			 * closes the deeper sections before it.
			 */
			for (l = bl->level + 1;
			     bl->level > 0 && l <= SEG_MAX_LEVEL; l++) {
				if (stack[l] >= 0)
					dirty = 1;
				stack[l] = -1;
			}
			kind = bl->key ? "key_measure" : "measure";
			break;
		case IB_ITEM:
			kind = is_numbered(t + start, end - start) ? "numbered"
								   : "item";
			break;
		case IB_PARAGRAPH:
			if (is_numbered(t + start, end - start)) {
				kind = "numbered";
				break;
			}
			if (skip_prose || i < preamble_end)
				continue;
			kind = "paragraph";
			break;
		case IB_CELL:
			kind = "cell";
			break;
		default:
			continue;
		}
		if (start == end || !has_letter(t + start, end - start))
			continue;
		words = count_words(t + start, end - start);
		/* an explicit measure stands even when it is short */
		if (bl->kind != IB_MEASURE &&
		    (words < SEG_MIN_WORDS ||
		     is_lead_in(t + start, end - start)))
			continue;
		if (bl->kind == IB_CELL && words < SEG_CELL_MIN_WORDS)
			continue;
		if (out->n >= max) {
			rc = agora_errorf(err, AGORA_ETOOBIG,
					  "more than %zu proposals in the "
					  "document",
					  max);
			goto out;
		}
		if (dirty && build_path(doc, stack, &path)) {
			rc = agora_errorf(err, AGORA_ENOMEM,
					  "out of memory building a heading "
					  "path");
			goto out;
		}
		dirty = 0;
		if (add_proposal(out, start, end, kind, &path, bl)) {
			rc = agora_errorf(err, AGORA_ENOMEM,
					  "out of memory adding a proposal");
			goto out;
		}
	}
	if (out->n == 0)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "no proposal found in the document");
out:
	sb_fini(&path);
	return rc;
}
