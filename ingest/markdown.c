/*
 * markdown.c - the Markdown extractor: cmark parses (CommonMark, raw HTML
 * never rendered, only read), an iterator walks the tree without
 * recursion, and programme conventions are recognised on the way: the
 * "Mesure" marker paragraph that announces a measure, "Mesure clé : ..."
 * paragraphs, and tables of contents.
 */
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "extract_int.h"

/* One open list: where it started and what it turns out to be */
struct mframe {
	struct xb_list list;
	enum ingest_block_kind kind; /* context to restore at its end */
	int level;
	int toc;     /* follows a "Sommaire" heading */
	int measure; /* follows a "Mesure" marker: its items are measures */
	int key;
};

struct md {
	struct xb b;
	const struct ingest_limits *lim;
	struct agora_error *err;
	int rc;
	int depth;
	int lists;
	struct mframe *frames;
	enum ingest_block_kind kind; /* kind of the text being read */
	int level;
	int marker;	 /* a marker waits for the block it announces */
	int marker_key;	 /* ... and that block is a key measure */
	int toc_heading; /* the last block was a "Contents" heading */
	int skip;	 /* inside an image: its alt text is not text */
};

static int is_space_at(const char *s, size_t n, size_t i, size_t *len)
{
	if (i < n && (s[i] == ' ' || s[i] == '\t')) {
		*len = 1;
		return 1;
	}
	/* U+00A0 no-break space, U+202F narrow no-break space */
	if (i + 1 < n && (unsigned char)s[i] == 0xC2 &&
	    (unsigned char)s[i + 1] == 0xA0) {
		*len = 2;
		return 1;
	}
	if (i + 2 < n && memcmp(s + i, "\xE2\x80\xAF", 3) == 0) {
		*len = 3;
		return 1;
	}
	return 0;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
	size_t k;

	while (is_space_at(s, n, i, &k))
		i += k;
	return i;
}

/* Length of s without trailing spaces and one trailing colon */
static size_t trim_colon(const char *s, size_t n)
{
	size_t i, k, end = 0;

	for (i = 0; i < n;) {
		if (is_space_at(s, n, i, &k)) {
			i += k;
			continue;
		}
		i++;
		end = i;
	}
	if (end && s[end - 1] == ':') {
		n = end - 1;
		for (end = 0, i = 0; i < n;) {
			if (is_space_at(s, n, i, &k)) {
				i += k;
				continue;
			}
			i++;
			end = i;
		}
	}
	return end;
}

static int equals_ci(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && xb_prefix(s, n, word);
}

/* "Mesure", "Mesures", "Proposition" alone, with an optional colon */
static int is_marker(const char *s, size_t n)
{
	n = trim_colon(s, n);
	return equals_ci(s, n, "mesure") || equals_ci(s, n, "mesures") ||
	       equals_ci(s, n, "proposition") ||
	       equals_ci(s, n, "propositions");
}

/*
 * Length of a leading "Mesure clé :" (or "Mesures clés", "Mesure-clé")
 * with the spaces and colon after it, or 0 when the text does not start
 * so.
 */
static size_t key_prefix(const char *s, size_t n)
{
	size_t i = 6;

	if (!xb_prefix(s, n, "mesure"))
		return 0;
	if (i < n && s[i] == 's')
		i++;
	if (i < n && s[i] == '-')
		i++;
	else
		i = skip_spaces(s, n, i);
	if (!xb_prefix(s + i, n - i, "cl"))
		return 0;
	i += 2;
	if (i + 1 < n && (unsigned char)s[i] == 0xC3 &&
	    ((unsigned char)s[i + 1] == 0xA9 ||
	     (unsigned char)s[i + 1] == 0x89))
		i += 2;
	else if (i < n && (s[i] == 'e' || s[i] == 'E'))
		i++;
	else
		return 0;
	if (i < n && (s[i] == 's' || s[i] == 'S'))
		i++;
	if (i < n &&
	    ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
		return 0;
	i = skip_spaces(s, n, i);
	if (i < n && s[i] == ':')
		i = skip_spaces(s, n, i + 1);
	return i;
}

/* A short sentence ending with a colon that introduces what follows */
static int is_lead_in(const char *s, size_t n)
{
	size_t i, words = 1;

	if (trim_colon(s, n) == n || n > 160)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == ' ')
			words++;
	return words <= 12;
}

static int is_toc_heading(const char *s, size_t n)
{
	n = trim_colon(s, n);
	return equals_ci(s, n, "sommaire") ||
	       equals_ci(s, n, "table des matières") ||
	       equals_ci(s, n, "table des matieres") ||
	       equals_ci(s, n, "contents") ||
	       equals_ci(s, n, "table of contents");
}

/*
 * The programme conventions, applied to a paragraph just closed: a
 * "Mesure" marker announces the next paragraph (or, past a lead-in such
 * as "Mesures clés :", the items of the next list), and "Mesure clé :
 * text" is a key measure whose slice starts after the prefix.
 */
static void md_paragraph_done(struct md *m, long idx)
{
	struct ingest_block *bl;
	const char *s;
	size_t n, k;

	if (idx < 0)
		return;
	bl = &m->b.doc->blocks[idx];
	if (bl->kind != IB_PARAGRAPH)
		return;
	m->toc_heading = 0;
	s = m->b.doc->text.buf + bl->start;
	n = bl->end - bl->start;
	if (is_marker(s, n)) {
		bl->kind = IB_MARKER;
		m->marker = 1;
		m->marker_key = 0;
	} else if ((k = key_prefix(s, n)) > 0) {
		if (k == n || is_lead_in(s, n)) {
			bl->kind = IB_MARKER;
			m->marker = 1;
			m->marker_key = 1;
		} else {
			bl->kind = IB_MEASURE;
			bl->key = 1;
			bl->start += k;
			m->marker = 0;
		}
	} else if (m->marker && !is_lead_in(s, n)) {
		bl->kind = IB_MEASURE;
		bl->key = m->marker_key;
		m->marker = 0;
	}
}

static long md_end(struct md *m)
{
	return xb_end(&m->b, m->kind, m->level);
}

static int md_error(struct md *m, int rc, const char *what)
{
	if (!m->rc)
		m->rc = agora_errorf(m->err, rc,
				     "cannot extract the Markdown "
				     "text: %s",
				     what);
	return m->rc;
}

static void md_html_block(struct md *m, cmark_node *node)
{
	const char *lit = cmark_node_get_literal(node);
	size_t first = m->b.doc->nblocks, i;
	int rc;

	md_end(m);
	if (!lit)
		return;
	rc = html_extract_fragment(&m->b, lit, strlen(lit), m->lim, m->err);
	if (rc) {
		m->rc = rc;
		return;
	}
	/* raw HTML paragraphs follow the same conventions */
	for (i = first; i < m->b.doc->nblocks; i++)
		md_paragraph_done(m, (long)i);
}

static void md_list_enter(struct md *m)
{
	struct mframe *f;

	md_end(m);
	f = &m->frames[m->lists++];
	xb_list_enter(&m->b, &f->list);
	f->kind = m->kind;
	f->level = m->level;
	f->toc = m->toc_heading;
	f->measure = m->marker;
	f->key = m->marker_key;
	m->toc_heading = 0;
	m->marker = 0;
}

static void md_list_exit(struct md *m)
{
	struct mframe *f = &m->frames[--m->lists];
	struct ingest_doc *doc = m->b.doc;
	size_t i;

	md_end(m);
	xb_list_exit(&m->b, &f->list);
	for (i = f->list.first_block; i < doc->nblocks; i++) {
		struct ingest_block *bl = &doc->blocks[i];

		if (f->toc)
			bl->kind = IB_TOC;
		else if (f->measure && bl->kind == IB_ITEM &&
			 bl->level == m->lists + 1) {
			bl->kind = IB_MEASURE;
			bl->key = f->key;
			bl->level = 0; /* a measure's level is a section's */
		}
	}
	m->kind = f->kind;
	m->level = f->level;
}

static void md_heading_exit(struct md *m)
{
	struct ingest_doc *doc = m->b.doc;
	long idx = md_end(m);
	struct ingest_block *bl;

	m->kind = IB_PARAGRAPH;
	m->level = 0;
	m->toc_heading = 0;
	if (idx < 0)
		return;
	bl = &doc->blocks[idx];
	m->toc_heading =
		is_toc_heading(doc->text.buf + bl->start, bl->end - bl->start);
	if (!doc->title && bl->level == 1) {
		doc->title =
			strndup(doc->text.buf + bl->start, bl->end - bl->start);
		if (!doc->title)
			md_error(m, AGORA_ENOMEM, "out of memory");
	}
}

static void md_enter(struct md *m, cmark_node *node)
{
	cmark_node *parent = cmark_node_parent(node);
	const char *s;

	switch (cmark_node_get_type(node)) {
	case CMARK_NODE_HEADING:
		md_end(m);
		m->marker = 0;
		m->kind = IB_HEADING;
		m->level = cmark_node_get_heading_level(node);
		break;
	case CMARK_NODE_LIST:
		md_list_enter(m);
		break;
	case CMARK_NODE_ITEM:
		md_end(m);
		m->kind = IB_ITEM;
		m->level = m->lists;
		break;
	case CMARK_NODE_PARAGRAPH:
		/* the paragraphs of one list item make one block */
		if (parent && cmark_node_get_type(parent) == CMARK_NODE_ITEM) {
			xb_space(&m->b);
			break;
		}
		md_end(m);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
	case CMARK_NODE_THEMATIC_BREAK:
		md_end(m);
		break;
	case CMARK_NODE_CODE_BLOCK:
		md_end(m);
		s = cmark_node_get_literal(node);
		if (s)
			xb_text(&m->b, s, strlen(s));
		md_end(m);
		break;
	case CMARK_NODE_HTML_BLOCK:
		md_html_block(m, node);
		break;
	case CMARK_NODE_TEXT:
	case CMARK_NODE_CODE:
		s = cmark_node_get_literal(node);
		if (s && !m->skip)
			xb_text(&m->b, s, strlen(s));
		break;
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
		xb_space(&m->b);
		break;
	case CMARK_NODE_HTML_INLINE:
		s = cmark_node_get_literal(node);
		if (s && xb_prefix(s, strlen(s), "<br"))
			xb_space(&m->b);
		break;
	case CMARK_NODE_LINK:
		s = cmark_node_get_url(node);
		if (s && s[0] == '#') {
			m->b.anchors++;
			m->b.in_anchor++;
		}
		break;
	case CMARK_NODE_IMAGE:
		m->skip++;
		break;
	default:
		break;
	}
}

static void md_exit(struct md *m, cmark_node *node)
{
	cmark_node *parent = cmark_node_parent(node);
	const char *s;

	switch (cmark_node_get_type(node)) {
	case CMARK_NODE_HEADING:
		md_heading_exit(m);
		break;
	case CMARK_NODE_LIST:
		md_list_exit(m);
		break;
	case CMARK_NODE_ITEM:
		md_end(m);
		break;
	case CMARK_NODE_PARAGRAPH:
		if (parent && cmark_node_get_type(parent) == CMARK_NODE_ITEM)
			break;
		if (m->kind == IB_ITEM) {
			md_end(m);
			break;
		}
		md_paragraph_done(m, md_end(m));
		break;
	case CMARK_NODE_LINK:
		s = cmark_node_get_url(node);
		if (s && s[0] == '#')
			m->b.in_anchor--;
		break;
	case CMARK_NODE_IMAGE:
		m->skip--;
		break;
	default:
		break;
	}
}

static int is_leaf(cmark_node_type t)
{
	switch (t) {
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_TEXT:
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
	case CMARK_NODE_CODE:
	case CMARK_NODE_HTML_INLINE:
		return 1;
	default:
		return 0;
	}
}

int ingest_extract_markdown(const char *p, size_t n,
			    const struct ingest_limits *lim,
			    struct ingest_doc *doc, struct agora_error *err)
{
	struct md m;
	cmark_node *root, *node;
	cmark_iter *it = NULL;
	cmark_event_type ev;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	xb_init(&m.b, doc);
	m.lim = lim;
	m.err = err;
	m.kind = IB_PARAGRAPH;
	m.frames = calloc((size_t)(lim->max_depth > 0 ? lim->max_depth : 0) + 2,
			  sizeof(*m.frames));
	/* CMARK_OPT_DEFAULT: raw HTML is read from the tree, never output */
	root = cmark_parse_document(p, n, CMARK_OPT_DEFAULT);
	if (root)
		it = cmark_iter_new(root);
	if (!m.frames || !root || !it) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "out of memory parsing "
				  "the Markdown document");
		goto out;
	}
	while (!m.rc && !m.b.rc &&
	       (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (is_leaf(cmark_node_get_type(node))) {
			md_enter(&m, node);
			continue;
		}
		if (ev == CMARK_EVENT_EXIT) {
			m.depth--;
			md_exit(&m, node);
			continue;
		}
		if (++m.depth > lim->max_depth) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "Markdown nesting deeper than %d "
					  "levels at line %d",
					  lim->max_depth,
					  cmark_node_get_start_line(node));
			goto out;
		}
		md_enter(&m, node);
	}
	md_end(&m);
	if (m.rc)
		rc = m.rc;
	else if (m.b.rc)
		rc = agora_errorf(err, m.b.rc,
				  "cannot extract the Markdown text: %s",
				  agora_code_name(m.b.rc));
out:
	if (it)
		cmark_iter_free(it);
	if (root)
		cmark_node_free(root);
	free(m.frames);
	return rc;
}
