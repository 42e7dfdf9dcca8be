/*
 * html.c - the HTML extractor: libxml2's HTML parser (no network, no
 * entity loading, UTF-8 forced) builds a tree, and a walker turns its
 * block elements into blocks of browser-collapsed text. The Markdown
 * extractor reuses the walker for raw HTML blocks.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "extract_int.h"

enum hrole {
	H_INLINE = 0, /* text flows through: a, span, em, strong, ... */
	H_SKIP,	      /* never text: scripts, navigation, forms */
	H_BLOCK,      /* a block boundary: p, div, blockquote, ... */
	H_HEADING,
	H_LIST,
	H_ITEM,
	H_CELL,
	H_BREAK,
	H_ANCHOR,
	H_HEADER,  /* the page's banner: its paragraphs are context */
	H_CAPTION, /* a table's title: context */
};

static const struct {
	const char *name;
	enum hrole role;
} roles[] = {
	{"a", H_ANCHOR},	{"address", H_BLOCK},
	{"article", H_BLOCK},	{"aside", H_SKIP},
	{"audio", H_SKIP},	{"blockquote", H_BLOCK},
	{"body", H_BLOCK},	{"br", H_BREAK},
	{"button", H_SKIP},	{"canvas", H_SKIP},
	{"caption", H_CAPTION}, {"center", H_BLOCK},
	{"dd", H_BLOCK},	{"details", H_BLOCK},
	{"dialog", H_SKIP},	{"dir", H_LIST},
	{"div", H_BLOCK},	{"dl", H_BLOCK},
	{"dt", H_BLOCK},	{"embed", H_SKIP},
	{"fieldset", H_SKIP},	{"figcaption", H_BLOCK},
	{"figure", H_BLOCK},	{"footer", H_SKIP},
	{"form", H_SKIP},	{"frameset", H_SKIP},
	{"h1", H_HEADING},	{"h2", H_HEADING},
	{"h3", H_HEADING},	{"h4", H_HEADING},
	{"h5", H_HEADING},	{"h6", H_HEADING},
	{"head", H_SKIP},	{"header", H_HEADER},
	{"hr", H_BLOCK},	{"iframe", H_SKIP},
	{"img", H_SKIP},	{"input", H_SKIP},
	{"li", H_ITEM},		{"main", H_BLOCK},
	{"map", H_SKIP},	{"math", H_SKIP},
	{"menu", H_LIST},	{"nav", H_SKIP},
	{"noframes", H_SKIP},	{"noscript", H_SKIP},
	{"object", H_SKIP},	{"ol", H_LIST},
	{"p", H_BLOCK},		{"pre", H_BLOCK},
	{"script", H_SKIP},	{"section", H_BLOCK},
	{"select", H_SKIP},	{"style", H_SKIP},
	{"summary", H_BLOCK},	{"svg", H_SKIP},
	{"table", H_BLOCK},	{"tbody", H_BLOCK},
	{"td", H_CELL},		{"template", H_SKIP},
	{"textarea", H_SKIP},	{"tfoot", H_BLOCK},
	{"th", H_CELL},		{"thead", H_BLOCK},
	{"title", H_SKIP},	{"tr", H_BLOCK},
	{"ul", H_LIST},		{"video", H_SKIP},
	{"wbr", H_INLINE},
};

static enum hrole role_of(const xmlChar *name)
{
	size_t lo = 0, hi = sizeof(roles) / sizeof(roles[0]);

	/* the table is sorted: a binary search keeps long documents fast */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp((const char *)name, roles[mid].name);

		if (c == 0)
			return roles[mid].role;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return H_INLINE;
}

/* The walk's state: the kind of block that text lands in, and limits */
struct hw {
	struct xb *b;
	const struct ingest_limits *lim;
	struct agora_error *err;
	enum ingest_block_kind kind;
	int level;
	int lists;
	int rc;
};

static void walk_children(struct hw *w, xmlNode *node, int depth);

static void hw_end(struct hw *w)
{
	xb_end(w->b, w->kind, w->level);
}

/*
 * A block element closes the text before it, gives its own text its
 * kind, and lets the text after it resume the parent's kind: so a list
 * item with a nested list is one block for its own words and one block
 * per nested item.
 */
static void walk_element(struct hw *w, xmlNode *el, int depth)
{
	enum ingest_block_kind kind = w->kind;
	int level = w->level;
	struct xb_list list;
	xmlChar *href;
	enum hrole role;

	if (depth > w->lim->max_depth) {
		w->rc = agora_errorf(w->err, AGORA_EINVAL,
				     "HTML nesting deeper than %d elements at "
				     "line %ld",
				     w->lim->max_depth, xmlGetLineNo(el));
		return;
	}
	role = role_of(el->name);
	if (role != H_SKIP && xmlHasProp(el, BAD_CAST "hidden"))
		role = H_SKIP;
	switch (role) {
	case H_SKIP:
		return;
	case H_BREAK:
		xb_space(w->b);
		return;
	case H_INLINE:
		walk_children(w, el, depth);
		return;
	case H_ANCHOR:
		href = xmlGetProp(el, BAD_CAST "href");
		if (href && href[0] == '#') {
			w->b->anchors++;
			w->b->in_anchor++;
			walk_children(w, el, depth);
			w->b->in_anchor--;
		} else {
			walk_children(w, el, depth);
		}
		xmlFree(href);
		return;
	case H_LIST:
		hw_end(w);
		w->lists++;
		xb_list_enter(w->b, &list);
		walk_children(w, el, depth);
		hw_end(w);
		xb_list_exit(w->b, &list);
		w->lists--;
		return;
	case H_HEADING:
		hw_end(w);
		w->kind = IB_HEADING;
		w->level = el->name[1] - '0';
		break;
	case H_ITEM:
		hw_end(w);
		w->kind = IB_ITEM;
		w->level = w->lists > 0 ? w->lists : 1;
		break;
	case H_CELL:
		hw_end(w);
		w->kind = IB_CELL;
		w->level = 0;
		break;
	case H_HEADER:
	case H_CAPTION:
		hw_end(w);
		w->kind = IB_INTRO;
		w->level = 0;
		break;
	case H_BLOCK:
		hw_end(w);
		/*
		 * A <p> inside an <li> or a <td> is still that item's
		 * text; inside a <header>, still context.
		 */
		if (kind != IB_ITEM && kind != IB_CELL && kind != IB_INTRO) {
			w->kind = IB_PARAGRAPH;
			w->level = 0;
		}
		break;
	}
	walk_children(w, el, depth);
	hw_end(w);
	w->kind = kind;
	w->level = level;
}

static void walk_children(struct hw *w, xmlNode *node, int depth)
{
	xmlNode *c;

	for (c = node->children; c && !w->rc && !w->b->rc; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				xb_text(w->b, (const char *)c->content,
					strlen((const char *)c->content));
		} else if (c->type == XML_ELEMENT_NODE) {
			walk_element(w, c, depth + 1);
		}
	}
}

/*
 * Parses p. NULL with *line set (1 or more) when libxml2 stopped before
 * the end: a run of text without markup over its 10,000,000-byte text
 * node limit, or memory that ran out. Its tree then silently lacks
 * everything after that point, so the document is refused rather than
 * stored with proposals missing. NULL with *line 0: nothing parsed.
 */
static xmlDoc *html_parse(const char *p, size_t n, int *line)
{
	htmlParserCtxtPtr ctxt;
	xmlDoc *hd;

	*line = 0;
	if (n > INT32_MAX || !(ctxt = htmlNewParserCtxt()))
		return NULL;
	/*
	 * No HTML_PARSE_NOENT and no network; the encoding is forced to
	 * UTF-8 (the dispatcher has checked the bytes) and a <meta
	 * charset> cannot make libxml2 transcode the text behind our back.
	 */
	hd = htmlCtxtReadMemory(
		ctxt, p, (int)n, "document.html", "UTF-8",
		HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC |
			HTML_PARSE_COMPACT);
	if (ctxt->errNo == XML_ERR_NO_MEMORY) {
		*line = ctxt->input && ctxt->input->line > 0 ? ctxt->input->line
							     : 1;
		xmlFreeDoc(hd);
		hd = NULL;
	}
	htmlFreeParserCtxt(ctxt);
	return hd;
}

static int html_cut(int line, const char *where, struct agora_error *err)
{
	return agora_errorf(err, AGORA_EINVAL,
			    "the HTML parser stopped at line %d of %s, before "
			    "its end: a run of text over 10,000,000 bytes "
			    "without markup (or no memory left); nothing after "
			    "it could be read",
			    line, where);
}

static int walk_root(struct xb *b, xmlDoc *hd, const struct ingest_limits *lim,
		     struct agora_error *err)
{
	struct hw w = {b, lim, err, IB_PARAGRAPH, 0, 0, 0};
	xmlNode *c;

	/*
	 * Every top-level node, not only the root element: what follows
	 * </html> after a doctype or a comment becomes a second <html>
	 * beside the first in libxml2's tree, and it is the programme's
	 * text too.
	 */
	for (c = hd->children; c && !w.rc && !b->rc; c = c->next) {
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, "html") == 0)
			walk_children(&w, c, 1);
		else if (c->type == XML_ELEMENT_NODE)
			walk_element(&w, c, 1);
		else if ((c->type == XML_TEXT_NODE ||
			  c->type == XML_CDATA_SECTION_NODE) && c->content)
			xb_text(w.b, (const char *)c->content,
				strlen((const char *)c->content));
	}
	hw_end(&w);
	if (w.rc)
		return w.rc;
	if (b->rc)
		return agora_errorf(err, b->rc,
				    "cannot extract the HTML text: "
				    "%s",
				    agora_code_name(b->rc));
	return 0;
}

/* The <title>, whitespace collapsed like any other text */
static int html_title(xmlDoc *hd, struct ingest_doc *doc)
{
	xmlNode *root = xmlDocGetRootElement(hd), *h, *t;
	struct ingest_doc tmp;
	struct xb b;
	xmlChar *s;

	if (!root)
		return 0;
	for (h = root->children; h; h = h->next) {
		if (h->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)h->name, "head"))
			continue;
		for (t = h->children; t; t = t->next)
			if (t->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)t->name, "title") == 0)
				break;
		if (!t)
			return 0;
		s = xmlNodeGetContent(t);
		if (!s)
			return AGORA_ENOMEM;
		ingest_doc_init(&tmp);
		xb_init(&b, &tmp);
		xb_text(&b, (const char *)s, strlen((const char *)s));
		xmlFree(s);
		if (!b.rc && tmp.text.len)
			doc->title = sb_detach(&tmp.text, NULL);
		ingest_doc_fini(&tmp);
		return b.rc;
	}
	return 0;
}

int ingest_extract_html(const char *p, size_t n,
			const struct ingest_limits *lim, struct ingest_doc *doc,
			struct agora_error *err)
{
	xmlDoc *hd;
	struct xb b;
	int rc, line;

	hd = html_parse(p, n, &line);
	if (!hd && line)
		return html_cut(line, "the document", err);
	if (!hd)
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot parse the HTML document");
	xb_init(&b, doc);
	rc = walk_root(&b, hd, lim, err);
	if (!rc && !doc->title && html_title(hd, doc))
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "out of memory reading the HTML title");
	xmlFreeDoc(hd);
	return rc;
}

/*
 * Whether a fragment is nothing but a few plain container tags and white
 * space, such as the "<div class="admonition note">" and "</div>" lines
 * that Markdown hands over as raw HTML blocks, and the text builder has
 * no open block nor pending space: then the walk over its tree adds no
 * text and no block, and leaves the builder as it was. Parsing such a
 * fragment costs a whole libxml2 parser context (20,000 instructions):
 * 8% of the Markdown corpus's ingest. Anything else (text, an entity, a
 * comment, a link, which counts in the table-of-contents test, an
 * element whose content the parser reads as raw text, a '<' inside a
 * tag) goes to the parser.
 */
#define BARE_TAGS_MAX 8

static int is_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_container(const char *name, size_t n)
{
	static const char *const names[] = {
		"div", "span", "p", "section", "article", "main", "center",
	};
	size_t i, k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) != n)
			continue;
		for (k = 0; k < n && (name[k] | 32) == names[i][k]; k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

static int bare_tags(const struct xb *b, const char *p, size_t n,
		     const struct ingest_limits *lim)
{
	size_t i = 0, name;
	int tags = 0;
	char q;

	if (b->open || b->space || b->rc || lim->max_depth < 2 * BARE_TAGS_MAX)
		return 0;
	for (;;) {
		while (i < n && is_html_space(p[i]))
			i++;
		if (i == n)
			return tags > 0;
		if (p[i] != '<' || ++tags > BARE_TAGS_MAX)
			return 0;
		if (++i < n && p[i] == '/')
			i++;
		name = i;
		while (i < n && ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z'))
			i++;
		if (!is_container(p + name, i - name))
			return 0;
		while (i < n && p[i] != '>') {
			if (p[i] == '<')
				return 0;
			if (p[i] == '"' || p[i] == '\'') {
				q = p[i++];
				while (i < n && p[i] != q)
					i++;
				if (i == n)
					return 0;
			}
			i++;
		}
		if (i == n)
			return 0;
		i++; /* the '>' */
	}
}

int html_extract_fragment(struct xb *b, const char *p, size_t n,
			  const struct ingest_limits *lim,
			  struct agora_error *err)
{
	xmlDoc *hd;
	int rc, line;

	if (bare_tags(b, p, n, lim))
		return 0;
	hd = html_parse(p, n, &line);
	if (!hd && line)
		return html_cut(line, "a raw HTML block", err);
	if (!hd)
		return 0; /* nothing a parser could read: no text */
	rc = walk_root(b, hd, lim, err);
	xmlFreeDoc(hd);
	return rc;
}
