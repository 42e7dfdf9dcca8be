/*
 * xml.c - the extractor for agora's own programme format (namespace
 * urn:agora:programme:1, schema ingest/data/programme.rng, documented in
 * doc/programme-xml.md).
 *
 * XML is the one format where the parser itself can be the attack: a
 * DOCTYPE can declare external entities (XXE: read /etc/passwd, fetch a
 * URL) or entities that expand exponentially (billion laughs). So no
 * DOCTYPE is accepted at all: the parser is stopped the moment it sees
 * one, before the internal subset is read. No network, no DTD loading,
 * no entity substitution, libxml2's default size and depth limits
 * (XML_PARSE_HUGE is never set), and the declared encoding is ignored:
 * the bytes are UTF-8, checked by the dispatcher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "extract_int.h"

#define PROGRAMME_NS "urn:agora:programme:1"

/* The first error libxml2 reports, with its line */
struct xml_err {
	int set;
	int line;
	char msg[512];
	int doctype; /* the parser met a DOCTYPE and was stopped */
};

static void xml_err_keep(void *ctx, xmlErrorPtr e)
{
	struct xml_err *x = ctx;
	size_t n;

	if (!x || x->set || !e || e->level < XML_ERR_ERROR)
		return;
	x->set = 1;
	x->line = e->line;
	snprintf(x->msg, sizeof(x->msg), "%s",
		 e->message ? e->message : "unknown error");
	n = strlen(x->msg);
	while (n && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
}

/* The parser passes its context (userData), which holds ours */
static void xml_parser_err(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;

	xml_err_keep(ctxt->_private, e);
}

/*
 * SAX hook called at "<!DOCTYPE name ...", before any "[" internal
 * subset is parsed: nothing declared there ever reaches the parser.
 */
static void xml_on_doctype(void *ctx, const xmlChar *name,
			   const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_err *x = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	x->doctype = 1;
	if (!x->set) {
		x->set = 1;
		x->line = ctxt->input ? ctxt->input->line : 0;
		snprintf(x->msg, sizeof(x->msg), "a DOCTYPE");
	}
	xmlStopParser(ctxt);
}

static void xml_on_entity(void *ctx, const xmlChar *name, int type,
			  const xmlChar *public_id, const xmlChar *system_id,
			  xmlChar *content)
{
	(void)name;
	(void)type;
	(void)public_id;
	(void)system_id;
	(void)content;
	xml_on_doctype(ctx, NULL, NULL, NULL);
}

static int xml_parse(const char *p, size_t n, xmlDoc **out, struct xml_err *x,
		     struct agora_error *err)
{
	xmlParserCtxtPtr ctxt;
	int rc = 0;

	*out = NULL;
	if (n > INT32_MAX)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "XML document too large");
	ctxt = xmlCreateMemoryParserCtxt(p, (int)n);
	if (!ctxt)
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot create the XML parser");
	ctxt->_private = x;
	ctxt->sax->internalSubset = xml_on_doctype;
	ctxt->sax->externalSubset = xml_on_doctype;
	ctxt->sax->entityDecl = xml_on_entity;
	ctxt->sax->serror = xml_parser_err;
	ctxt->userData = ctxt;
	ctxt->sax->warning = NULL;
	/* no NOENT, no DTDLOAD, no DTDATTR, no XINCLUDE, never HUGE */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA |
					XML_PARSE_IGNORE_ENC |
					XML_PARSE_NOWARNING);
	xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
	xmlParseDocument(ctxt);
	if (x->doctype) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "XML with a DOCTYPE is not accepted (line "
				  "%d): entity declarations are refused",
				  x->line);
		goto out;
	}
	if (!ctxt->wellFormed || !ctxt->myDoc) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "malformed XML at line %d: %s", x->line,
				  x->set ? x->msg : "not well-formed");
		goto out;
	}
	if (ctxt->myDoc->intSubset || ctxt->myDoc->extSubset) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "XML with a DOCTYPE is not accepted");
		goto out;
	}
	*out = ctxt->myDoc;
	ctxt->myDoc = NULL;
out:
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/*
 * The schema is compiled per call: it is small (well under a
 * millisecond), and a compiled schema is not documented as safe to share
 * between threads.
 */
static int xml_validate(xmlDoc *xd, struct agora_error *err)
{
	const struct embedded_file *f = ingest_data_find("programme.rng");
	xmlRelaxNGParserCtxtPtr pc = NULL;
	xmlRelaxNGValidCtxtPtr vc = NULL;
	xmlRelaxNGPtr schema = NULL;
	struct xml_err x;
	int rc = 0, r;

	memset(&x, 0, sizeof(x));
	if (!f)
		return agora_errorf(err, AGORA_EIO,
				    "the schema 'programme.rng' is not built "
				    "in");
	pc = xmlRelaxNGNewMemParserCtxt(f->data, (int)f->len);
	if (!pc) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "cannot read the schema 'programme.rng'");
		goto out;
	}
	xmlRelaxNGSetParserStructuredErrors(pc, xml_err_keep, &x);
	schema = xmlRelaxNGParse(pc);
	if (!schema) {
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot compile the schema 'programme.rng': "
				  "%s",
				  x.msg);
		goto out;
	}
	vc = xmlRelaxNGNewValidCtxt(schema);
	if (!vc) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "cannot create the schema validator");
		goto out;
	}
	xmlRelaxNGSetValidStructuredErrors(vc, xml_err_keep, &x);
	r = xmlRelaxNGValidateDoc(vc, xd);
	if (r != 0)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "invalid programme at line %d: %s", x.line,
				  x.set ? x.msg : "does not match the schema");
out:
	if (vc)
		xmlRelaxNGFreeValidCtxt(vc);
	if (schema)
		xmlRelaxNGFree(schema);
	if (pc)
		xmlRelaxNGFreeParserCtxt(pc);
	return rc;
}

static int is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       strcmp((const char *)n->ns->href, PROGRAMME_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Appends the text of every descendant, whitespace collapsed */
static void xml_text(struct xb *b, const xmlNode *node)
{
	const xmlNode *c;

	for (c = node->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    c->content)
			xb_text(b, (const char *)c->content,
				strlen((const char *)c->content));
		else if (c->type == XML_ELEMENT_NODE)
			xml_text(b, c);
	}
}

static int xml_attr_text(struct xb *b, const xmlNode *el, const char *name)
{
	xmlChar *v = xmlGetProp(el, (const xmlChar *)name);

	if (!v)
		return 0;
	xb_text(b, (const char *)v, strlen((const char *)v));
	xmlFree(v);
	return 1;
}

static void xml_intro(struct xb *b, const xmlNode *el)
{
	const xmlNode *c;
	int paras = 0;

	for (c = el->children; c; c = c->next) {
		if (is_el(c, "p")) {
			xml_text(b, c);
			xb_end(b, IB_INTRO, 0);
			paras++;
		}
	}
	if (!paras) {
		xml_text(b, el);
		xb_end(b, IB_INTRO, 0);
	}
}

/*
 * A proposal's block level is the depth of its section, so that the
 * segmenter knows a nested section has closed before it (the blocks
 * themselves have no "end of section").
 */
static int xml_proposal(struct xb *b, const xmlNode *el, int level)
{
	struct ingest_block *bl;
	xmlChar *key, *label, *page;
	long idx;
	int rc = 0;

	xml_text(b, el);
	idx = xb_end(b, IB_MEASURE, level);
	if (idx < 0)
		return b->rc;
	bl = &b->doc->blocks[idx];
	key = xmlGetProp(el, BAD_CAST "key");
	label = xmlGetProp(el, BAD_CAST "label");
	page = xmlGetProp(el, BAD_CAST "page");
	bl->key = key && strcmp((const char *)key, "true") == 0;
	if (label && *label && !(bl->label = strdup((const char *)label)))
		rc = AGORA_ENOMEM;
	if (page) {
		long v = strtol((const char *)page, NULL, 10);

		bl->page = v > 0 && v < 1000000 ? (int)v : 0;
	}
	xmlFree(key);
	xmlFree(label);
	xmlFree(page);
	return rc;
}

struct xw {
	struct xb *b;
	const struct ingest_limits *lim;
	struct agora_error *err;
	int rc;
};

/* Sections nest: each gives a heading whose level is its depth */
static void xml_content(struct xw *w, const xmlNode *parent, int level)
{
	const xmlNode *c;

	for (c = parent->children; c && !w->rc && !w->b->rc; c = c->next) {
		if (is_el(c, "section")) {
			if (level + 1 > w->lim->max_depth) {
				w->rc = agora_errorf(
					w->err, AGORA_EINVAL,
					"sections nested deeper than %d at "
					"line %ld",
					w->lim->max_depth, xmlGetLineNo(c));
				return;
			}
			xml_attr_text(w->b, c, "title");
			xb_end(w->b, IB_HEADING, level + 1 > 9 ? 9 : level + 1);
			xml_content(w, c, level + 1);
		} else if (is_el(c, "proposal")) {
			w->rc = xml_proposal(w->b, c, level);
		} else if (is_el(c, "intro")) {
			xml_intro(w->b, c);
		}
	}
}

static int xml_title(struct ingest_doc *doc, const xmlNode *el)
{
	struct ingest_doc tmp;
	struct xb b;

	ingest_doc_init(&tmp);
	xb_init(&b, &tmp);
	xml_text(&b, el);
	if (!b.rc && tmp.text.len)
		doc->title = sb_detach(&tmp.text, NULL);
	ingest_doc_fini(&tmp);
	return b.rc;
}

int ingest_extract_xml(const char *p, size_t n, const struct ingest_limits *lim,
		       struct ingest_doc *doc, struct agora_error *err)
{
	struct xml_err x;
	struct xw w;
	struct xb b;
	xmlDoc *xd = NULL;
	xmlNode *root, *c;
	int rc;

	memset(&x, 0, sizeof(x));
	if ((rc = xml_parse(p, n, &xd, &x, err)))
		return rc;
	root = xmlDocGetRootElement(xd);
	if (!root || !is_el(root, "programme")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the XML root element is not <programme> in "
				  "the namespace '%s'",
				  PROGRAMME_NS);
		goto out;
	}
	if ((rc = xml_validate(xd, err)))
		goto out;
	xb_init(&b, doc);
	w.b = &b;
	w.lim = lim;
	w.err = err;
	w.rc = 0;
	for (c = root->children; c; c = c->next)
		if (is_el(c, "title") && !doc->title &&
		    (rc = xml_title(doc, c)))
			goto nomem;
	xml_content(&w, root, 0);
	if (w.rc == AGORA_ENOMEM || b.rc) {
		rc = w.rc ? w.rc : b.rc;
		goto nomem;
	}
	rc = w.rc;
	goto out;
nomem:
	rc = agora_errorf(err, rc, "cannot extract the XML text: %s",
			  agora_code_name(rc));
out:
	xmlFreeDoc(xd);
	return rc;
}
