/*
 * extract.c - the extraction dispatcher: the checks every format shares
 * (size, UTF-8, emptiness), format names and detection, the document
 * struct, and the text builder the structured extractors write through.
 */
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"

static const struct {
	const char *name;
	const char *media_type;
} formats[INGEST_FORMAT__MAX] = {
	[INGEST_AUTO] = {"auto", "application/octet-stream"},
	[INGEST_HTML] = {"html", "text/html"},
	[INGEST_MARKDOWN] = {"markdown", "text/markdown"},
	[INGEST_TEXT] = {"text", "text/plain"},
	[INGEST_CSV] = {"csv", "text/csv"},
	[INGEST_XML] = {"xml", "application/xml"},
	[INGEST_PDF] = {"pdf", "application/pdf"},
};

const char *ingest_format_name(enum ingest_format f)
{
	if ((unsigned)f >= INGEST_FORMAT__MAX)
		return "unknown";
	return formats[f].name;
}

const char *ingest_format_media_type(enum ingest_format f)
{
	if ((unsigned)f >= INGEST_FORMAT__MAX)
		return formats[INGEST_AUTO].media_type;
	return formats[f].media_type;
}

int ingest_format_parse(const char *s, enum ingest_format *out)
{
	int i;

	if (s && strcmp(s, "md") == 0) {
		*out = INGEST_MARKDOWN;
		return 0;
	}
	for (i = 0; s && i < INGEST_FORMAT__MAX; i++) {
		if (strcmp(s, formats[i].name) == 0) {
			*out = (enum ingest_format)i;
			return 0;
		}
	}
	return AGORA_EINVAL;
}

void ingest_limits_default(struct ingest_limits *lim)
{
	lim->max_bytes = (size_t)20 << 20;
	lim->max_proposals = 20000;
	lim->max_depth = 256;
	lim->pdf_ms = 30000;
	lim->pdf_memory = (size_t)1 << 30;
}

void ingest_doc_init(struct ingest_doc *doc)
{
	memset(doc, 0, sizeof(*doc));
	sb_init(&doc->text, 0);
}

void ingest_doc_fini(struct ingest_doc *doc)
{
	size_t i;

	for (i = 0; i < doc->nblocks; i++)
		free(doc->blocks[i].label);
	free(doc->blocks);
	free(doc->title);
	sb_fini(&doc->text);
	ingest_doc_init(doc);
}

int ingest_doc_add(struct ingest_doc *doc, enum ingest_block_kind kind,
		   int level, size_t start, size_t end, const char *label)
{
	struct ingest_block *bl;

	if (doc->nblocks == doc->cap) {
		size_t ncap = doc->cap ? doc->cap * 2 : 64;
		struct ingest_block *v;

		if (ncap > SIZE_MAX / sizeof(*v))
			return AGORA_ENOMEM;
		v = realloc(doc->blocks, ncap * sizeof(*v));
		if (!v)
			return AGORA_ENOMEM;
		doc->blocks = v;
		doc->cap = ncap;
	}
	bl = &doc->blocks[doc->nblocks];
	memset(bl, 0, sizeof(*bl));
	if (label && !(bl->label = strdup(label)))
		return AGORA_ENOMEM;
	bl->kind = kind;
	bl->level = level;
	bl->start = start;
	bl->end = end;
	doc->nblocks++;
	return 0;
}

/* ------------------------------------------------------------ detection */

static int has_ci(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (xb_prefix(p + i, n - i, needle))
			return 1;
	return 0;
}

static int ends_with(const char *name, const char *ext)
{
	size_t n, k = strlen(ext);

	if (!name)
		return 0;
	n = strlen(name);
	return n >= k && xb_prefix(name + n - k, k, ext);
}

/* Markdown's signs at the start of a line: headings, lists, quotes */
static int looks_markdown(const char *p, size_t n)
{
	size_t i = 0, hits = 0;

	while (i < n) {
		const char *l = p + i;
		size_t rest = n - i;

		if (rest >= 2 &&
		    (memcmp(l, "# ", 2) == 0 || memcmp(l, "##", 2) == 0 ||
		     memcmp(l, "- ", 2) == 0 || memcmp(l, "* ", 2) == 0 ||
		     memcmp(l, "> ", 2) == 0))
			hits++;
		else if (rest >= 3 && memcmp(l, "```", 3) == 0)
			hits++;
		l = memchr(l, '\n', rest);
		if (!l)
			break;
		i = (size_t)(l - p) + 1;
	}
	return hits > 0;
}

/*
 * Content decides, the name only breaks ties: an upload called ".txt"
 * that is really HTML must be read as HTML, or its text would be full of
 * tags. Only the first 4 KiB are looked at.
 */
enum ingest_format ingest_detect(const char *p, size_t n, const char *name)
{
	size_t head = n < 4096 ? n : 4096, i = 0;
	const char *nl;

	if (ingest_is_pdf(p, n))
		return INGEST_PDF;
	if (head >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < head &&
	       (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < head && p[i] == '<' &&
	    has_ci(p + i, head - i, "urn:agora:programme:1"))
		return INGEST_XML;
	if (i < head && (xb_prefix(p + i, head - i, "<!doctype html") ||
			 has_ci(p + i, head - i, "<html") ||
			 has_ci(p + i, head - i, "<body") ||
			 (p[i] == '<' && (has_ci(p + i, head - i, "<p>") ||
					  has_ci(p + i, head - i, "<h1") ||
					  has_ci(p + i, head - i, "<h2")))))
		return INGEST_HTML;
	if (ends_with(name, ".html") || ends_with(name, ".htm"))
		return INGEST_HTML;
	if (ends_with(name, ".xml"))
		return INGEST_XML;
	if (ends_with(name, ".md") || ends_with(name, ".markdown"))
		return INGEST_MARKDOWN;
	if (ends_with(name, ".csv"))
		return INGEST_CSV;
	nl = memchr(p + i, '\n', head - i);
	if (has_ci(p + i, (nl ? (size_t)(nl - p) : head) - i, "proposition") &&
	    (memchr(p + i, ',', head - i) || memchr(p + i, ';', head - i)))
		return INGEST_CSV;
	if (ends_with(name, ".txt"))
		return INGEST_TEXT;
	if (looks_markdown(p + i, head - i))
		return INGEST_MARKDOWN;
	return INGEST_TEXT;
}

/* ----------------------------------------------------------- dispatcher */

/*
 * The checks every format shares come first, so that each extractor can
 * assume bounded, valid UTF-8 input; a failed extraction leaves the doc
 * empty, never half-filled.
 */
/*
 * Shapes that make the parsers we rely on slow or greedy, refused before
 * parsing (the libraries have no such limits):
 * - libxml2 2.9 checks duplicate attributes in quadratic time: a tag
 *   with 40,000 attributes takes seconds;
 * - cmark 0.30 goes quadratic on long runs of link openers ("![[]()"),
 *   and builds the whole tree of a 1,000,000-deep quote before any check;
 * - a CSV record with a million fields costs a buffer each.
 */
#define PRESCAN_MAX_ATTRS 256
#define PRESCAN_MAX_BRACKETS 10000
#define PRESCAN_MAX_FIELDS 256

static size_t line_of(const char *p, size_t at)
{
	size_t i, line = 1;

	for (i = 0; i < at; i++)
		line += p[i] == '\n';
	return line;
}

/*
 * Counts '=' inside each tag, quotes skipped. In Markdown a '<' may be
 * prose ("si x < 3"), so there a tag ends at the end of its line.
 */
static int prescan_tags(const char *p, size_t n, int line_ends_tag,
			struct agora_error *err)
{
	size_t i, attrs = 0, start = 0;
	int in_tag = 0;
	char quote = 0;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!in_tag) {
			/* text between tags: only the next '<' matters */
			const char *lt = memchr(p + i, '<', n - i);

			if (!lt)
				break;
			i = (size_t)(lt - p);
			in_tag = 1;
			attrs = 0;
			start = i;
		} else if (line_ends_tag && c == '\n') {
			in_tag = 0;
			quote = 0;
		} else if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '=') {
			if (++attrs > PRESCAN_MAX_ATTRS)
				return agora_errorf(
					err, AGORA_EINVAL,
					"a tag at line %zu has more than %d "
					"attributes",
					line_of(p, start), PRESCAN_MAX_ATTRS);
		} else if (c == '>') {
			in_tag = 0;
		}
	}
	return 0;
}

static int prescan_markdown(const char *p, size_t n,
			    const struct ingest_limits *lim,
			    struct agora_error *err)
{
	size_t i = 0, brackets = 0, line = 1, depth, k;

	for (i = 0; i < n; i++)
		if (p[i] == '[' && ++brackets > PRESCAN_MAX_BRACKETS)
			return agora_errorf(err, AGORA_EINVAL,
					    "the Markdown document has more "
					    "than %d '[' (line %zu)",
					    PRESCAN_MAX_BRACKETS,
					    line_of(p, i));
	/* container nesting: '>' and list markers at the start of lines */
	for (i = 0; i < n; line++) {
		depth = 0;
		for (;;) {
			for (k = 0; k < 4 && i < n && p[i] == ' '; k++)
				i++;
			if (i < n && p[i] == '>') {
				i++;
			} else if (i + 1 < n &&
				   (p[i] == '-' || p[i] == '*' || p[i] == '+') &&
				   (p[i + 1] == ' ' || p[i + 1] == '\t')) {
				i += 2;
			} else {
				for (k = i; k < n && k - i < 9 && p[k] >= '0' &&
					    p[k] <= '9';
				     k++)
					;
				if (k == i || k + 1 >= n ||
				    (p[k] != '.' && p[k] != ')') ||
				    p[k + 1] != ' ')
					break;
				i = k + 2;
			}
			if (++depth > (size_t)lim->max_depth)
				return agora_errorf(err, AGORA_EINVAL,
						    "quotes and lists: nesting "
						    "deeper than %d at line %zu",
						    lim->max_depth, line);
		}
		while (i < n && p[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static int prescan_csv(const char *p, size_t n, struct agora_error *err)
{
	size_t i, fields = 1, line = 1;
	int quoted = 0;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '"') {
			quoted = !quoted;
		} else if (!quoted && (c == ',' || c == ';')) {
			if (++fields > PRESCAN_MAX_FIELDS)
				return agora_errorf(err, AGORA_EINVAL,
						    "line %zu of the CSV has more "
						    "than %d fields",
						    line, PRESCAN_MAX_FIELDS);
		} else if (c == '\n') {
			line++;
			if (!quoted)
				fields = 1;
		}
	}
	return 0;
}

int ingest_extract(enum ingest_format fmt, const char *p, size_t n,
		   const struct ingest_limits *lim, struct ingest_doc *doc,
		   struct agora_error *err)
{
	struct ingest_limits dflt;
	size_t bad = 0, i;
	int rc;

	if (!lim) {
		ingest_limits_default(&dflt);
		lim = &dflt;
	}
	if (n > lim->max_bytes)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "document of %zu bytes is larger than the "
				    "limit of %zu bytes",
				    n, lim->max_bytes);
	if (fmt == INGEST_AUTO && ingest_is_pdf(p, n))
		fmt = INGEST_PDF;
	if (fmt == INGEST_PDF) {
		/* binary: poppler reads it, the text is then checked as text */
		doc->format = fmt;
		rc = ingest_extract_pdf(p, n, lim, doc, err);
		goto checked;
	}
	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n' && p[i] != '\f')
			break;
	if (i == n)
		return agora_errorf(err, AGORA_EINVAL, "the document is empty");
	if (!utf8_valid(p, n, &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "invalid UTF-8 at byte %zu", bad);
	if (fmt == INGEST_AUTO)
		fmt = ingest_detect(p, n, NULL);
	doc->format = fmt;
	if ((fmt == INGEST_HTML || fmt == INGEST_XML) &&
	    (rc = prescan_tags(p, n, 0, err)))
		return rc;
	if (fmt == INGEST_MARKDOWN &&
	    ((rc = prescan_markdown(p, n, lim, err)) ||
	     (rc = prescan_tags(p, n, 1, err))))
		return rc;
	if (fmt == INGEST_CSV && (rc = prescan_csv(p, n, err)))
		return rc;
	switch (fmt) {
	case INGEST_HTML:
		rc = ingest_extract_html(p, n, lim, doc, err);
		break;
	case INGEST_MARKDOWN:
		rc = ingest_extract_markdown(p, n, lim, doc, err);
		break;
	case INGEST_TEXT:
		rc = ingest_extract_text(p, n, lim, doc, err);
		break;
	case INGEST_CSV:
		rc = ingest_extract_csv(p, n, lim, doc, err);
		break;
	case INGEST_XML:
		rc = ingest_extract_xml(p, n, lim, doc, err);
		break;
	default:
		rc = agora_errorf(err, AGORA_EINVAL, "unknown format %d",
				  (int)fmt);
		break;
	}
checked:
	if (!rc && doc->text.len == 0)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "no text found in the %s document",
				  ingest_format_name(fmt));
	if (!rc && !utf8_valid(doc->text.buf, doc->text.len, &bad))
		rc = agora_errorf(err, AGORA_EINVAL,
				  "extracted text has invalid UTF-8 at byte "
				  "%zu",
				  bad);
	if (rc) {
		ingest_doc_fini(doc);
		doc->format = fmt;
	}
	return rc;
}

/* ---------------------------------------------------------- text builder */

void xb_init(struct xb *b, struct ingest_doc *doc)
{
	memset(b, 0, sizeof(*b));
	b->doc = doc;
}

int xb_prefix(const char *s, size_t n, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i]; i++) {
		char a = i < n ? s[i] : '\0', c = prefix[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (i >= n || a != c)
			return 0;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at s, or 0 (Unicode table 3-7) */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/*
 * Appends s[0..n), which holds nchars visible characters and no space,
 * to the open block (opening one, or putting the pending space first)
 */
static void xb_put(struct xb *b, const char *s, size_t n, size_t nchars)
{
	struct sb *t = &b->doc->text;
	size_t sep;

	if (b->rc)
		return;
	/* the separator before the run: a block break, a space or nothing */
	sep = !b->open ? (t->len ? 2 : 0) : b->space ? 1 : 0;
	/*
	 * room for both at once, then written in place (sb_grow's own test
	 * first, inline: this runs once a word)
	 */
	if ((t->err || t->len + sep + n >= t->cap ||
	     t->len + sep + n > t->max) &&
	    sb_grow(t, sep + n)) {
		b->rc = sb_error(t);
		return;
	}
	if (!b->open) {
		if (sep) {
			t->buf[t->len++] = '\n';
			t->buf[t->len++] = '\n';
		}
		b->start = t->len;
		b->open = 1;
	} else if (sep) {
		t->buf[t->len++] = ' ';
	}
	b->space = 0;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	if (!b->in_anchor)
		b->nonlink += nchars;
}

/*
 * ASCII whitespace and control characters collapse; everything else is
 * kept as written, including no-break spaces, which French typography
 * needs before ":" and inside « ». Text from libxml2 can carry character
 * references to code points that are not valid UTF-8 once encoded
 * (&#xD800;): those become U+FFFD so the text stays valid.
 *
 * Runs of valid characters are appended at once (appending character
 * by character, the buffer's checks on every byte were the larger part
 * of HTML extraction). A run goes on across single ASCII spaces between
 * two visible characters, which collapsing keeps as they are: prose is
 * then one run a line, not one a word. A space before a byte that turns
 * out invalid may end a run: U+FFFD then follows it with no separator,
 * the same bytes as a pending space before U+FFFD.
 */
void xb_text(struct xb *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len, run, extra;

	while (i < n && !b->rc) {
		if (u[i] <= 0x20 || u[i] == 0x7F) {
			b->space = 1;
			i++;
			continue;
		}
		run = i;
		extra = 0; /* bytes that are not visible characters */
		while (i < n) {
			if (u[i] < 0x80) {
				if (u[i] > 0x20 && u[i] != 0x7F) {
					i++;
				} else if (u[i] == ' ' && i + 1 < n &&
					   u[i + 1] > 0x20 && u[i + 1] != 0x7F) {
					i++;
					extra++;
				} else {
					break;
				}
			} else {
				len = utf8_seq(u + i, n - i);
				if (!len)
					break;
				i += len;
				extra += len - 1;
			}
		}
		if (i > run) {
			xb_put(b, s + run, i - run, i - run - extra);
		} else { /* an invalid byte */
			xb_put(b, "\xEF\xBF\xBD", 3, 1);
			i++;
		}
	}
}

void xb_space(struct xb *b)
{
	b->space = 1;
}

long xb_end(struct xb *b, enum ingest_block_kind kind, int level)
{
	struct ingest_doc *doc = b->doc;
	int rc;

	b->space = 0;
	if (!b->open || b->rc)
		return -1;
	b->open = 0;
	rc = ingest_doc_add(doc, kind, level, b->start, doc->text.len, NULL);
	if (rc) {
		b->rc = rc;
		return -1;
	}
	return (long)doc->nblocks - 1;
}

void xb_list_enter(struct xb *b, struct xb_list *l)
{
	l->first_block = b->doc->nblocks;
	l->nonlink = b->nonlink;
	l->anchors = b->anchors;
}

/*
 * A list whose every visible character sits inside links to "#anchors"
 * is a table of contents: its entries repeat the headings and are never
 * proposals.
 */
void xb_list_exit(struct xb *b, const struct xb_list *l)
{
	size_t i;

	if (b->nonlink != l->nonlink || b->anchors == l->anchors)
		return;
	for (i = l->first_block; i < b->doc->nblocks; i++)
		b->doc->blocks[i].kind = IB_TOC;
}
