/*
 * test_extract.c - the structured extractors (HTML, Markdown, agora XML)
 * and the segmenter: block kinds, heading paths, verbatim slices,
 * determinism, hostile input, and the real programmes when the shared
 * corpus is there.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest.h"

static struct ingest_limits lim;

static int extract(enum ingest_format f, const char *s, size_t n,
		   struct ingest_doc *doc, struct agora_error *err)
{
	ingest_doc_init(doc);
	agora_error_clear(err);
	return ingest_extract(f, s, n, &lim, doc, err);
}

/* Extracts s, which must succeed */
static void ok(enum ingest_format f, const char *s, struct ingest_doc *doc)
{
	struct agora_error err;
	int rc = extract(f, s, strlen(s), doc, &err);

	if (rc)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_true(utf8_valid(doc->text.buf, doc->text.len, NULL));
}

/* Extracts s, which must fail with code and a message containing what */
static void fails(enum ingest_format f, const char *s, size_t n, int code,
		  const char *what)
{
	struct ingest_doc doc;
	struct agora_error err;
	int rc;

	if (n == (size_t)-1)
		n = strlen(s);
	rc = extract(f, s, n, &doc, &err);
	if (rc != code || !strstr(err.msg, what))
		print_error("got %d '%s', wanted %d '%s'\n", rc, err.msg, code,
			    what);
	assert_int_equal(rc, code);
	assert_non_null(strstr(err.msg, what));
	assert_int_equal(doc.nblocks, 0);
	ingest_doc_fini(&doc);
}

static int block_is(const struct ingest_doc *doc, size_t i,
		    enum ingest_block_kind kind, int level, const char *text)
{
	const struct ingest_block *b;

	if (i >= doc->nblocks) {
		print_error("block %zu missing (%zu blocks)\n", i,
			    doc->nblocks);
		return 0;
	}
	b = &doc->blocks[i];
	if (b->kind != kind || b->level != level ||
	    b->end - b->start != strlen(text) ||
	    memcmp(doc->text.buf + b->start, text, strlen(text))) {
		print_error(
			"block %zu: kind %d level %d '%.*s', wanted kind %d "
			"level %d '%s'\n",
			i, b->kind, b->level, (int)(b->end - b->start),
			doc->text.buf + b->start, kind, level, text);
		return 0;
	}
	return 1;
}

static int slice_is(const struct ingest_doc *doc,
		    const struct ingest_proposal *p, const char *text)
{
	if (p->end - p->start != strlen(text) ||
	    memcmp(doc->text.buf + p->start, text, strlen(text))) {
		print_error("proposal '%.*s', wanted '%s'\n",
			    (int)(p->end - p->start), doc->text.buf + p->start,
			    text);
		return 0;
	}
	return 1;
}

/* Every proposal is a trimmed, non-empty, valid slice of the text */
static void check_slices(const struct ingest_doc *doc,
			 const struct ingest_segments *seg)
{
	size_t i;

	for (i = 0; i < seg->n; i++) {
		const struct ingest_proposal *p = &seg->v[i];
		const char *t = doc->text.buf;

		assert_true(p->start < p->end);
		assert_true(p->end <= doc->text.len);
		assert_true(t[p->start] != ' ' && t[p->start] != '\n');
		assert_true(t[p->end - 1] != ' ' && t[p->end - 1] != '\n');
		assert_true(utf8_valid(t + p->start, p->end - p->start, NULL));
		assert_null(memchr(t + p->start, '\n', p->end - p->start));
		assert_non_null(p->kind);
		assert_non_null(p->heading_path);
	}
}

static void segment(const struct ingest_doc *doc, struct ingest_segments *seg)
{
	struct agora_error err;
	int rc;

	memset(seg, 0, sizeof(*seg));
	rc = ingest_segment(doc, &lim, seg, &err);
	if (rc)
		print_error("segment: %s\n", err.msg);
	assert_int_equal(rc, 0);
	check_slices(doc, seg);
}

/* ------------------------------------------------------------------ HTML */

static const char html_doc[] =
	"<!DOCTYPE html><html><head><meta charset=\"iso-8859-1\">"
	"<title>  Programme   de  Valbrune </title>"
	"<style>p { color: red }</style></head><body>"
	"<nav><ul><li><a href=\"/\">Accueil du site web</a></li></ul></nav>"
	"<script>var s = \"<li>not text</li>\";</script>"
	"<h1>Le  programme</h1>"
	"<ul class=\"toc\"><li><a href=\"#eco\">&Eacute;cologie</a></li>"
	"<li><a href=\"#edu\">&Eacute;ducation</a></li></ul>"
	"<h2 id=\"eco\">&Eacute;cologie</h2>"
	"<p>Planter   mille\n arbres <strong>dans</strong> la&nbsp;ville"
	"<br>avant 2030.</p>"
	"<p>   </p>"
	"<ul><li>Créer une régie de l'eau publique"
	"<ul><li>avec un tarif social progressif</li></ul></li>"
	"<li>Isoler les écoles communales</ul>"
	"<h3>Budget</h3>"
	"<table><tr><td>Une cellule qui contient une phrase entière avec "
	"beaucoup de mots</td><td>12</td></tr></table>"
	"<footer><p>Mentions légales et contact du site</p></footer>"
	"<aside>Encadré publicitaire hors programme</aside>"
	"</body></html>";

static void test_html_blocks(void **state)
{
	struct ingest_doc doc;
	size_t i = 0;

	(void)state;
	ok(INGEST_HTML, html_doc, &doc);
	assert_string_equal(doc.title, "Programme de Valbrune");
	assert_true(block_is(&doc, i++, IB_HEADING, 1, "Le programme"));
	assert_true(block_is(&doc, i++, IB_TOC, 1,
			     "\xC3\x89"
			     "cologie"));
	assert_true(block_is(&doc, i++, IB_TOC, 1,
			     "\xC3\x89"
			     "ducation"));
	assert_true(block_is(&doc, i++, IB_HEADING, 2,
			     "\xC3\x89"
			     "cologie"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0,
			     "Planter mille arbres dans la\xC2\xA0ville "
			     "avant 2030."));
	assert_true(block_is(&doc, i++, IB_ITEM, 1,
			     "Créer une régie de l'eau publique"));
	assert_true(block_is(&doc, i++, IB_ITEM, 2,
			     "avec un tarif social progressif"));
	assert_true(block_is(&doc, i++, IB_ITEM, 1,
			     "Isoler les écoles communales"));
	assert_true(block_is(&doc, i++, IB_HEADING, 3, "Budget"));
	assert_true(block_is(&doc, i++, IB_CELL, 0,
			     "Une cellule qui contient une phrase entière "
			     "avec beaucoup de mots"));
	assert_true(block_is(&doc, i++, IB_CELL, 0, "12"));
	assert_int_equal(doc.nblocks, i);
	/* blocks are separated by one blank line, nothing else */
	assert_null(strstr(doc.text.buf, "\n\n\n"));
	assert_null(strstr(doc.text.buf, "not text"));
	assert_null(strstr(doc.text.buf, "Accueil"));
	assert_null(strstr(doc.text.buf, "Mentions"));
	assert_null(strstr(doc.text.buf, "publicitaire"));
	assert_null(strstr(doc.text.buf, "color"));
	ingest_doc_fini(&doc);
}

static void test_html_segment(void **state)
{
	struct ingest_doc doc;
	struct ingest_segments seg;

	(void)state;
	ok(INGEST_HTML, html_doc, &doc);
	segment(&doc, &seg);
	assert_int_equal(seg.n, 5);
	assert_string_equal(seg.v[0].kind, "paragraph");
	assert_string_equal(seg.v[0].heading_path,
			    "Le programme \xE2\x80\xBA \xC3\x89"
			    "cologie");
	assert_true(
		slice_is(&doc, &seg.v[1], "Créer une régie de l'eau publique"));
	assert_string_equal(seg.v[1].kind, "item");
	assert_true(
		slice_is(&doc, &seg.v[2], "avec un tarif social progressif"));
	assert_string_equal(seg.v[4].kind, "cell");
	assert_string_equal(seg.v[4].heading_path,
			    "Le programme \xE2\x80\xBA \xC3\x89"
			    "cologie \xE2\x80\xBA Budget");
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
}

static void test_html_tag_soup(void **state)
{
	struct ingest_doc doc;

	(void)state;
	/* unclosed <p> and <li>, stray tags, comments, CDATA-ish junk */
	ok(INGEST_HTML,
	   "<p>Premier paragraphe sans fin<p>Second <b>gras<i>ital</b> fin"
	   "<!-- un commentaire --><ul><li>Un<li>Deux</ul></td></tr>"
	   "<p>&unknown; &amp; &#233;t&#xE9; &#0; &#xD800;",
	   &doc);
	assert_true(block_is(&doc, 0, IB_PARAGRAPH, 0,
			     "Premier paragraphe sans fin"));
	assert_true(block_is(&doc, 1, IB_PARAGRAPH, 0, "Second grasital fin"));
	assert_true(block_is(&doc, 2, IB_ITEM, 1, "Un"));
	assert_true(block_is(&doc, 3, IB_ITEM, 1, "Deux"));
	assert_null(strstr(doc.text.buf, "commentaire"));
	assert_non_null(strstr(doc.text.buf, "& été"));
	ingest_doc_fini(&doc);
}

/*
 * The HTML extractor follows libxml2's parser event by event (SAX): what
 * the parser closes by itself, what a skipped element holds, text that
 * comes in several pieces, and where libxml2's tree (which the extractor
 * used to walk) put things, must come out as they did.
 */
static void test_html_implied_ends(void **state)
{
	struct ingest_doc doc;
	size_t i = 0;

	(void)state;
	ok(INGEST_HTML,
	   "<p>Un<p>Deux<div>Trois</div>quatre<dl><dt>Terme<dd>Sens</dl>"
	   "<table><tr><td>a<td>b<tr><td>c</table>",
	   &doc);
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Un"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Deux"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Trois"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "quatre"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Terme"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Sens"));
	assert_true(block_is(&doc, i++, IB_CELL, 0, "a"));
	assert_true(block_is(&doc, i++, IB_CELL, 0, "b"));
	assert_true(block_is(&doc, i++, IB_CELL, 0, "c"));
	assert_int_equal(doc.nblocks, i);
	ingest_doc_fini(&doc);

	/* a start tag cut by a control character: dropped, text kept */
	ok(INGEST_HTML, "<p>avant<b\x01>gras</b> apr\xC3\xA8s</p><p>suite</p>",
	   &doc);
	assert_true(block_is(&doc, 0, IB_PARAGRAPH, 0, "avantgras apr\xC3\xA8s"));
	assert_true(block_is(&doc, 1, IB_PARAGRAPH, 0, "suite"));
	assert_int_equal(doc.nblocks, 2);
	ingest_doc_fini(&doc);
}

static void test_html_skipped_subtrees(void **state)
{
	static const char deep[] =
		"<p>x</p>\n<div>\n<div>\n<div>\n<div><div><div><p>trop"
		"</p></div></div></div></div></div></div>";
	struct ingest_doc doc;
	struct agora_error err;
	struct ingest_limits saved = lim;
	int rc;

	(void)state;
	/* headings and lists inside skipped elements leave no trace */
	ok(INGEST_HTML,
	   "<nav><h2>Menu</h2><p>Lien</p></nav>"
	   "<div hidden><h1>Cach\xC3\xA9</h1><ul><li>non</ul></div>"
	   "<h2>Vrai titre</h2>"
	   "<ul><li>A<aside><ul><li>x</ul></aside><ul><li>B</ul></ul>",
	   &doc);
	assert_true(block_is(&doc, 0, IB_HEADING, 2, "Vrai titre"));
	assert_true(block_is(&doc, 1, IB_ITEM, 1, "A"));
	assert_true(block_is(&doc, 2, IB_ITEM, 2, "B"));
	assert_int_equal(doc.nblocks, 3);
	ingest_doc_fini(&doc);

	/* the depth limit counts what is read, not what is skipped */
	lim.max_depth = 5;
	ok(INGEST_HTML,
	   "<p>x</p><nav><div><div><div><div><div><div><p>cach\xC3\xA9</p>"
	   "</div></div></div></div></div></div></nav><p>y</p>",
	   &doc);
	assert_int_equal(doc.nblocks, 2);
	assert_null(strstr(doc.text.buf, "cach"));
	ingest_doc_fini(&doc);
	rc = extract(INGEST_HTML, deep, strlen(deep), &doc, &err);
	assert_int_equal(rc, AGORA_EINVAL);
	assert_string_equal(err.msg,
			    "HTML nesting deeper than 5 elements at line 5");
	assert_int_equal(doc.nblocks, 0);
	ingest_doc_fini(&doc);
	lim = saved;
}

static void test_html_split_text(void **state)
{
	struct ingest_doc doc;
	struct sb html, want;
	int i;

	(void)state;
	/*
	 * libxml2 hands text over 1,000 bytes at a time, and each
	 * entity apart: words and spaces across those cuts
	 */
	sb_init(&html, 0);
	sb_init(&want, 0);
	sb_puts(&html, "<p>");
	for (i = 0; i < 700; i++) {
		sb_printf(&html, "%smot%d", i % 5 ? " " : "\n   ", i);
		sb_printf(&want, "%smot%d", i ? " " : "", i);
		if (i % 97 == 0) {
			sb_puts(&html, " caf&eacute;&#32;cr&egrave;me&nbsp;x");
			sb_puts(&want, " caf\xC3\xA9 cr\xC3\xA8me\xC2\xA0x");
		}
	}
	sb_puts(&html, "  </p>");
	assert_int_equal(sb_error(&html), 0);
	assert_int_equal(sb_error(&want), 0);
	assert_true(html.len > 5000);
	ok(INGEST_HTML, html.buf, &doc);
	assert_int_equal(doc.nblocks, 1);
	assert_true(block_is(&doc, 0, IB_PARAGRAPH, 0, want.buf));
	ingest_doc_fini(&doc);
	sb_fini(&html);
	sb_fini(&want);
}

static void test_html_tree_shape(void **state)
{
	struct ingest_doc doc;

	(void)state;
	/*
	 * What follows </html> is the programme's text too: after a
	 * doctype or a comment, libxml2 puts it in a second <html> beside
	 * the first...
	 */
	ok(INGEST_HTML,
	   "<!DOCTYPE html><html><body><p>Dedans</p></body></html>"
	   "<p>Dehors</p>",
	   &doc);
	assert_int_equal(doc.nblocks, 2);
	assert_true(block_is(&doc, 0, IB_PARAGRAPH, 0, "Dedans"));
	assert_true(block_is(&doc, 1, IB_PARAGRAPH, 0, "Dehors"));
	ingest_doc_fini(&doc);
	ok(INGEST_HTML,
	   "<!-- v2 --><html><body><p>Dedans</p></body></html>"
	   "<p>Dehors</p>",
	   &doc);
	assert_int_equal(doc.nblocks, 2);
	assert_true(block_is(&doc, 1, IB_PARAGRAPH, 0, "Dehors"));
	ingest_doc_fini(&doc);
	/* ... and under it without one */
	ok(INGEST_HTML, "<html><body><p>Dedans</p></body></html><p>Dehors</p>",
	   &doc);
	assert_int_equal(doc.nblocks, 2);
	assert_true(block_is(&doc, 1, IB_PARAGRAPH, 0, "Dehors"));
	ingest_doc_fini(&doc);
	/* the title: the first <title> of the first <head>, as text */
	ok(INGEST_HTML,
	   "<html><head><title>Le &amp; <b>titre</b>\n  du programme</title>"
	   "</head><body><title>Pas lui</title><p>x</p>",
	   &doc);
	assert_string_equal(doc.title, "Le & titre du programme");
	ingest_doc_fini(&doc);
	ok(INGEST_HTML, "<p>x</p><title>Trop tard</title>", &doc);
	assert_null(doc.title);
	ingest_doc_fini(&doc);
}

/*
 * libxml2 stops at a text node of 10,000,000 bytes and drops the rest
 * of the document: such a document is refused, never stored short
 */
static void test_html_text_node_limit(void **state)
{
	size_t n = 10500000, i;
	char *p = malloc(n + 64);
	size_t k;

	(void)state;
	assert_non_null(p);
	k = (size_t)sprintf(p, "<p>");
	for (i = 0; i < n; i++)
		p[k++] = i % 7 == 6 ? ' ' : 'a';
	k += (size_t)sprintf(p + k, "</p><p>suite</p>");
	p[k] = '\0';
	fails(INGEST_HTML, p, k, AGORA_EINVAL,
	      "stopped at line 1 of the document, before its end: a run of "
	      "text over 10,000,000 bytes");
	free(p);
}

/* -------------------------------------------------------------- Markdown */

static const char md_doc[] =
	"# Le programme\n\n"
	"## Sommaire\n\n"
	"- Écologie\n- Éducation\n\n"
	"## Écologie\n\n"
	"Une introduction en prose,\nsur deux lignes.\n\n"
	"Mesure clé : Inscrire la règle verte dans la Constitution\n\n"
	"Concrètement :\n\n"
	"<div class=\"admonition\">\n\n"
	"Mesure\n\n"
	"Planifier la bifurcation écologique &eacute;quitable\n\n"
	"</div>\n\n"
	"<div class=\"admonition\">\n\n"
	"Mesure\n\n"
	"</div>\n\n"
	"Mesures clés :\n\n"
	"> - Interdire les plastiques à usage unique\n"
	"> - Abolir l'obsolescence programmée\n\n"
	"<div class=\"admonition note\"><p>Un encadré en HTML brut "
	"avec <em>du texte</em>.</p></div>\n\n"
	"### Sous-partie\n\n"
	"1. Recruter des enseignants titulaires partout\n"
	"2. Réduire les effectifs par classe\n"
	"   - sous-point avec `du code` dedans\n\n"
	"Mesure\n\n"
	"Une dernière mesure courte\n\n"
	"Mesure\n\n"
	"Encore une mesure annoncée par un marqueur\n\n"
	"![image alt ignorée](x.png) texte après une image\n";

static void test_markdown_blocks(void **state)
{
	struct ingest_doc doc;
	size_t i = 0;

	(void)state;
	ok(INGEST_MARKDOWN, md_doc, &doc);
	assert_string_equal(doc.title, "Le programme");
	assert_true(block_is(&doc, i++, IB_HEADING, 1, "Le programme"));
	assert_true(block_is(&doc, i++, IB_HEADING, 2, "Sommaire"));
	assert_true(block_is(&doc, i++, IB_TOC, 1, "Écologie"));
	assert_true(block_is(&doc, i++, IB_TOC, 1, "Éducation"));
	assert_true(block_is(&doc, i++, IB_HEADING, 2, "Écologie"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0,
			     "Une introduction en prose, sur deux lignes."));
	/* the slice of a key measure starts after "Mesure clé :" */
	assert_true(block_is(&doc, i++, IB_MEASURE, 0,
			     "Inscrire la règle verte dans la Constitution"));
	assert_int_equal(doc.blocks[i - 1].key, 1);
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Concrètement :"));
	assert_true(block_is(&doc, i++, IB_MARKER, 0, "Mesure"));
	assert_true(block_is(&doc, i++, IB_MEASURE, 0,
			     "Planifier la bifurcation écologique équitable"));
	assert_int_equal(doc.blocks[i - 1].key, 0);
	assert_true(block_is(&doc, i++, IB_MARKER, 0, "Mesure"));
	assert_true(block_is(&doc, i++, IB_MARKER, 0, "Mesures clés :"));
	assert_true(block_is(&doc, i++, IB_MEASURE, 0,
			     "Interdire les plastiques à usage unique"));
	assert_int_equal(doc.blocks[i - 1].key, 1);
	assert_true(block_is(&doc, i++, IB_MEASURE, 0,
			     "Abolir l'obsolescence programmée"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0,
			     "Un encadré en HTML brut avec du texte."));
	assert_true(block_is(&doc, i++, IB_HEADING, 3, "Sous-partie"));
	assert_true(block_is(&doc, i++, IB_ITEM, 1,
			     "Recruter des enseignants titulaires partout"));
	assert_true(block_is(&doc, i++, IB_ITEM, 1,
			     "Réduire les effectifs par classe"));
	assert_true(block_is(&doc, i++, IB_ITEM, 2,
			     "sous-point avec du code dedans"));
	assert_true(block_is(&doc, i++, IB_MARKER, 0, "Mesure"));
	assert_true(block_is(&doc, i++, IB_MEASURE, 0,
			     "Une dernière mesure courte"));
	i += 2;
	assert_true(
		block_is(&doc, i++, IB_PARAGRAPH, 0, "texte après une image"));
	assert_int_equal(doc.nblocks, i);
	ingest_doc_fini(&doc);
}

/*
 * Raw HTML blocks made of tags alone (Markdown's admonition <div>s) add
 * no text and no block, without the HTML parser (ingest/html.c,
 * bare_tags); any text, entity or comment among the tags still goes
 * through the parser and keeps its text.
 */
static void test_markdown_bare_tags(void **state)
{
	struct ingest_doc doc;
	size_t i = 0;

	(void)state;
	ok(INGEST_MARKDOWN,
	   "<div class=\"admonition note\">\n\n"
	   "Premier paragraphe.\n\n"
	   "</div>\n\n"
	   "<div title=\"a > b\" data-x='<'></div>\n\n"
	   "<DIV><!-- un commentaire --></DIV>\n\n"
	   "<div>&eacute;t&eacute; <span>chaud</span></div>\n\n"
	   "<section>Texte brut</section>\n\n"
	   "<center>\n</center>\n\n"
	   "Dernier paragraphe.\n",
	   &doc);
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Premier paragraphe."));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "été chaud"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Texte brut"));
	assert_true(block_is(&doc, i++, IB_PARAGRAPH, 0, "Dernier paragraphe."));
	assert_int_equal(doc.nblocks, i);
	ingest_doc_fini(&doc);
}

static void test_markdown_segment(void **state)
{
	struct ingest_doc doc;
	struct ingest_segments seg;
	size_t i, measures = 0, key = 0, prose = 0;

	(void)state;
	ok(INGEST_MARKDOWN, md_doc, &doc);
	segment(&doc, &seg);
	for (i = 0; i < seg.n; i++) {
		if (strcmp(seg.v[i].kind, "measure") == 0)
			measures++;
		if (strcmp(seg.v[i].kind, "key_measure") == 0)
			key++;
		if (strcmp(seg.v[i].kind, "paragraph") == 0)
			prose++;
	}
	assert_int_equal(measures, 3);
	assert_int_equal(key, 3);
	/* six explicit measures: the prose around them is context */
	assert_int_equal(prose, 0);
	assert_true(slice_is(&doc, &seg.v[0],
			     "Inscrire la règle verte dans la Constitution"));
	assert_string_equal(seg.v[0].heading_path,
			    "Le programme \xE2\x80\xBA \xC3\x89"
			    "cologie");
	for (i = 0; i < seg.n; i++)
		if (strstr(seg.v[i].heading_path, "Sous-partie"))
			break;
	assert_true(i < seg.n);
	assert_string_equal(seg.v[i].heading_path,
			    "Le programme \xE2\x80\xBA \xC3\x89"
			    "cologie \xE2\x80\xBA Sous-partie");
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
}

static void test_markdown_anchor_toc(void **state)
{
	struct ingest_doc doc;

	(void)state;
	ok(INGEST_MARKDOWN,
	   "- [Partie un](#un)\n- [Partie deux](#deux)\n\n"
	   "* [Un lien externe](https://example.org) et du texte\n",
	   &doc);
	assert_true(block_is(&doc, 0, IB_TOC, 1, "Partie un"));
	assert_true(block_is(&doc, 1, IB_TOC, 1, "Partie deux"));
	assert_true(
		block_is(&doc, 2, IB_ITEM, 1, "Un lien externe et du texte"));
	ingest_doc_fini(&doc);
}

/* ------------------------------------------------------------------- XML */

static const char xml_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">\n"
	"  <title>Programme  de  test</title>\n"
	"  <candidate party=\"Liste\">Jeanne Test</candidate>\n"
	"  <source url=\"https://example.org/p\">site</source>\n"
	"  <intro><p>Chers  habitants,</p><p>voici nos idées.</p></intro>\n"
	"  <section title=\"Sécurité &amp; tranquillité\">\n"
	"    <section title=\"Police\">\n"
	"      <proposal key=\"true\" label=\"securite\" page=\"3\">\n"
	"        Doubler les effectifs\n        de la police</proposal>\n"
	"    </section>\n"
	"    <proposal>Éclairer   les rues la nuit</proposal>\n"
	"  </section>\n"
	"  <section title=\"Écoles\"><proposal key=\"false\">Rénover "
	"les écoles</proposal></section>\n"
	"</programme>\n";

static void test_xml_blocks(void **state)
{
	struct ingest_doc doc;
	struct ingest_segments seg;
	size_t i = 0;

	(void)state;
	ok(INGEST_XML, xml_doc, &doc);
	assert_string_equal(doc.title, "Programme de test");
	assert_true(block_is(&doc, i++, IB_INTRO, 0, "Chers habitants,"));
	assert_true(block_is(&doc, i++, IB_INTRO, 0, "voici nos idées."));
	assert_true(
		block_is(&doc, i++, IB_HEADING, 1, "Sécurité & tranquillité"));
	assert_true(block_is(&doc, i++, IB_HEADING, 2, "Police"));
	assert_true(block_is(&doc, i++, IB_MEASURE, 2,
			     "Doubler les effectifs de la police"));
	assert_int_equal(doc.blocks[i - 1].key, 1);
	assert_int_equal(doc.blocks[i - 1].page, 3);
	assert_string_equal(doc.blocks[i - 1].label, "securite");
	assert_true(block_is(&doc, i++, IB_MEASURE, 1,
			     "Éclairer les rues la nuit"));
	assert_true(block_is(&doc, i++, IB_HEADING, 1, "Écoles"));
	assert_true(block_is(&doc, i++, IB_MEASURE, 1, "Rénover les écoles"));
	assert_int_equal(doc.blocks[i - 1].key, 0);
	assert_int_equal(doc.nblocks, i);
	assert_null(strstr(doc.text.buf, "Jeanne"));

	segment(&doc, &seg);
	assert_int_equal(seg.n, 3);
	assert_string_equal(seg.v[0].kind, "key_measure");
	assert_string_equal(seg.v[0].label, "securite");
	assert_int_equal(seg.v[0].page, 3);
	assert_string_equal(seg.v[0].heading_path,
			    "Sécurité & tranquillité \xE2\x80\xBA Police");
	assert_string_equal(seg.v[1].kind, "measure");
	assert_string_equal(seg.v[1].heading_path, "Sécurité & tranquillité");
	assert_null(seg.v[1].label);
	assert_string_equal(seg.v[2].heading_path, "Écoles");
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
}

static void test_xml_invalid(void **state)
{
	(void)state;
	/* well-formed, but not the schema: says where and what */
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">\n"
	      "<proposal>Un</proposal>\n<bogus/>\n</programme>",
	      (size_t)-1, AGORA_EINVAL, "line 3");
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">\n"
	      "<proposal key=\"maybe\">Un deux trois</proposal></programme>",
	      (size_t)-1, AGORA_EINVAL, "invalid programme at line 2");
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">\n"
	      "<section>sans titre</section></programme>",
	      (size_t)-1, AGORA_EINVAL, "line 2");
	/* not well-formed */
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">\n"
	      "<proposal>a b c</section></programme>",
	      (size_t)-1, AGORA_EINVAL, "malformed XML at line 2");
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">"
	      "<proposal>&undefined;</proposal></programme>",
	      (size_t)-1, AGORA_EINVAL, "undefined");
	/* the wrong root or namespace */
	fails(INGEST_XML,
	      "<programme lang=\"fr\"><proposal>x</proposal>"
	      "</programme>",
	      (size_t)-1, AGORA_EINVAL, "urn:agora:programme:1");
}

static void test_xml_hostile(void **state)
{
	char path[] = "/tmp/agora-xxe-XXXXXX", doc_text[1024];
	struct ingest_doc doc;
	struct agora_error err;
	FILE *f;
	int fd, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("SECRET-XXE-CONTENT", f);
	fclose(f);
	snprintf(doc_text, sizeof(doc_text),
		 "<?xml version=\"1.0\"?>\n"
		 "<!DOCTYPE programme [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
		 "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">"
		 "<proposal>&xxe; un deux trois</proposal></programme>",
		 path);
	rc = extract(INGEST_XML, doc_text, strlen(doc_text), &doc, &err);
	assert_int_equal(rc, AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "DOCTYPE is not accepted"));
	assert_null(strstr(doc.text.buf, "SECRET"));
	ingest_doc_fini(&doc);
	unlink(path);

	/* billion laughs: refused before a single entity is declared */
	fails(INGEST_XML,
	      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	      " <!ENTITY lol \"lol\">\n"
	      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	      "]>\n<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">"
	      "<proposal>&lol9;</proposal></programme>",
	      (size_t)-1, AGORA_EINVAL, "DOCTYPE is not accepted");
	/* any DOCTYPE, even an external one with no subset */
	fails(INGEST_XML,
	      "<!DOCTYPE programme SYSTEM \"http://127.0.0.1:9/p.dtd\">\n"
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">"
	      "<proposal>Un deux trois</proposal></programme>",
	      (size_t)-1, AGORA_EINVAL, "DOCTYPE");
	/* parameter entities and XInclude go nowhere either */
	fails(INGEST_XML,
	      "<!DOCTYPE p [<!ENTITY % r SYSTEM \"file:///etc/passwd\"> %r;]>"
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\"/>",
	      (size_t)-1, AGORA_EINVAL, "DOCTYPE");
	fails(INGEST_XML,
	      "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\" "
	      "xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	      "<xi:include href=\"/etc/passwd\" parse=\"text\"/>"
	      "<proposal>Un deux trois</proposal></programme>",
	      (size_t)-1, AGORA_EINVAL, "line 1");
}

/* A declared encoding never makes libxml2 transcode: the bytes are UTF-8 */
static void test_declared_encoding(void **state)
{
	struct ingest_doc doc;

	(void)state;
	ok(INGEST_XML,
	   "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	   "<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">"
	   "<proposal>Créer des écoles</proposal></programme>",
	   &doc);
	assert_true(block_is(&doc, 0, IB_MEASURE, 0, "Créer des écoles"));
	ingest_doc_fini(&doc);
	ok(INGEST_HTML,
	   "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html;"
	   " charset=windows-1252\"></head><body><p>Créer des écoles</p>",
	   &doc);
	assert_true(block_is(&doc, 0, IB_PARAGRAPH, 0, "Créer des écoles"));
	ingest_doc_fini(&doc);
}

/* ------------------------------------------------------- shared checks */

static void test_bad_input(void **state)
{
	static const enum ingest_format fmts[] = {INGEST_HTML, INGEST_MARKDOWN,
						  INGEST_XML};
	struct ingest_limits saved = lim;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		fails(fmts[i],
		      "ab\xFF"
		      "cd",
		      5, AGORA_EINVAL, "invalid UTF-8 at byte 2");
		fails(fmts[i], "<p>\xC3\xA9\xED\xA0\x80</p>", 10, AGORA_EINVAL,
		      "invalid UTF-8 at byte 5");
		fails(fmts[i], "abc\0def", 7, AGORA_EINVAL,
		      "invalid UTF-8 at byte 3");
		fails(fmts[i], "", 0, AGORA_EINVAL, "empty");
		fails(fmts[i], " \n\t\r\n ", 6, AGORA_EINVAL, "empty");
		lim.max_bytes = 10;
		fails(fmts[i], "<p>eleven bytes and more</p>", 28,
		      AGORA_ETOOBIG, "limit of 10 bytes");
		lim = saved;
	}
	/* markup with no text at all */
	fails(INGEST_HTML, "<html><script>x()</script></html>", (size_t)-1,
	      AGORA_EINVAL, "no text");
	fails(INGEST_MARKDOWN, "<div class=\"admonition\">\n\n</div>\n",
	      (size_t)-1, AGORA_EINVAL, "no text");
}

static void test_segment_rules(void **state)
{
	struct ingest_doc doc;
	struct ingest_segments seg;
	struct agora_error err;
	struct ingest_limits saved = lim;
	int rc;

	(void)state;
	ok(INGEST_HTML,
	   "<h1>Titre</h1><h2>Partie</h2>"
	   "<p>Concrètement :</p><p>Deux mots</p><p>12 345 — 2030</p>"
	   "<ol><li>1. Créer une police de proximité</li>"
	   "<li>Proposition 12 : Rénover toutes les écoles</li>"
	   "<li>Planter des arbres en ville</li></ol>"
	   "<p>Une phrase de prose ordinaire sur la ville.</p>",
	   &doc);
	segment(&doc, &seg);
	assert_int_equal(seg.n, 4);
	assert_string_equal(seg.v[0].kind, "numbered");
	assert_string_equal(seg.v[1].kind, "numbered");
	assert_string_equal(seg.v[2].kind, "item");
	assert_string_equal(seg.v[3].kind, "paragraph");
	assert_string_equal(seg.v[3].heading_path, "Titre \xE2\x80\xBA Partie");
	ingest_segments_fini(&seg);

	lim.max_proposals = 2;
	memset(&seg, 0, sizeof(seg));
	rc = ingest_segment(&doc, &lim, &seg, &err);
	assert_int_equal(rc, AGORA_ETOOBIG);
	assert_non_null(strstr(err.msg, "more than 2 proposals"));
	ingest_segments_fini(&seg);
	lim = saved;
	ingest_doc_fini(&doc);

	ok(INGEST_MARKDOWN, "# Titre\n\nCourt.\n\n- [a](#a)\n", &doc);
	memset(&seg, 0, sizeof(seg));
	rc = ingest_segment(&doc, &lim, &seg, &err);
	assert_int_equal(rc, AGORA_EINVAL);
	assert_string_equal(err.msg, "no proposal found in the document");
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
}

static void test_determinism(void **state)
{
	static const struct {
		enum ingest_format f;
		const char *s;
	} docs[] = {
		{INGEST_HTML, html_doc},
		{INGEST_MARKDOWN, md_doc},
		{INGEST_XML, xml_doc},
	};
	struct ingest_doc a, b;
	size_t i, k;

	(void)state;
	for (i = 0; i < 3; i++) {
		ok(docs[i].f, docs[i].s, &a);
		ok(docs[i].f, docs[i].s, &b);
		assert_int_equal(a.text.len, b.text.len);
		assert_memory_equal(a.text.buf, b.text.buf, a.text.len);
		assert_int_equal(a.nblocks, b.nblocks);
		for (k = 0; k < a.nblocks; k++) {
			assert_int_equal(a.blocks[k].start, b.blocks[k].start);
			assert_int_equal(a.blocks[k].end, b.blocks[k].end);
			assert_int_equal(a.blocks[k].kind, b.blocks[k].kind);
		}
		ingest_doc_fini(&a);
		ingest_doc_fini(&b);
	}
}

static char *repeat(const char *head, const char *unit, size_t times,
		    const char *mid, const char *close, const char *tail)
{
	struct sb sb;
	size_t i;

	sb_init(&sb, 0);
	sb_puts(&sb, head);
	for (i = 0; i < times; i++)
		sb_puts(&sb, unit);
	sb_puts(&sb, mid);
	for (i = 0; close && i < times; i++)
		sb_puts(&sb, close);
	sb_puts(&sb, tail);
	assert_int_equal(sb_error(&sb), 0);
	return sb_detach(&sb, NULL);
}

/* 10,000 levels: a clean error or bounded handling, never a crash */
static void test_deep_nesting(void **state)
{
	struct ingest_doc doc;
	struct agora_error err;
	char *s;
	int rc;

	(void)state;
	s = repeat("<html><body>", "<div>", 10000, "Profond texte ici",
		   "</div>", "</body></html>");
	rc = extract(INGEST_HTML, s, strlen(s), &doc, &err);
	assert_true(rc == 0 || rc == AGORA_EINVAL);
	if (rc)
		assert_non_null(strstr(err.msg, "nesting"));
	ingest_doc_fini(&doc);
	free(s);

	s = repeat("<ul>", "<li><ul>", 10000, "<li>x</li>", "</ul></li>",
		   "</ul>");
	rc = extract(INGEST_HTML, s, strlen(s), &doc, &err);
	assert_true(rc == 0 || rc == AGORA_EINVAL);
	ingest_doc_fini(&doc);
	free(s);

	s = repeat("<programme xmlns=\"urn:agora:programme:1\" lang=\"fr\">",
		   "<section title=\"s\">", 10000,
		   "<proposal>Un deux trois</proposal>", "</section>",
		   "</programme>");
	fails(INGEST_XML, s, strlen(s), AGORA_EINVAL, "depth");
	free(s);

	s = repeat("", ">", 10000, " Citation très profonde", NULL, "\n");
	rc = extract(INGEST_MARKDOWN, s, strlen(s), &doc, &err);
	assert_int_equal(rc, AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "nesting deeper than 256"));
	ingest_doc_fini(&doc);
	free(s);

	s = repeat("", "*a ", 10000, "b", " c*", "\n");
	rc = extract(INGEST_MARKDOWN, s, strlen(s), &doc, &err);
	assert_true(rc == 0 || rc == AGORA_EINVAL);
	ingest_doc_fini(&doc);
	free(s);
}

/* Valid-UTF-8 garbage in every format: an error or valid text */
static void test_garbage(void **state)
{
	static const enum ingest_format fmts[] = {INGEST_HTML, INGEST_MARKDOWN,
						  INGEST_XML};
	struct ingest_doc doc;
	struct ingest_segments seg;
	struct agora_error err;
	unsigned int seed = 12345;
	char buf[4096];
	size_t i, k, n;
	int rc, round;

	(void)state;
	for (round = 0; round < 60; round++) {
		n = 1 + (size_t)(seed % (sizeof(buf) - 1));
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(1 + (seed >> 16) % 127);
			if (seed % 7 == 0)
				buf[i] = "<>&;#/!-[]`*\n"[(seed >> 8) % 13];
		}
		for (k = 0; k < 3; k++) {
			rc = extract(fmts[k], buf, n, &doc, &err);
			if (rc == 0) {
				assert_true(utf8_valid(doc.text.buf,
						       doc.text.len, NULL));
				memset(&seg, 0, sizeof(seg));
				if (ingest_segment(&doc, &lim, &seg, &err) == 0)
					check_slices(&doc, &seg);
				ingest_segments_fini(&seg);
			} else {
				assert_true(err.msg[0] != '\0');
			}
			ingest_doc_fini(&doc);
		}
	}
	/* and real binary: a PNG header is not UTF-8 */
	fails(INGEST_HTML, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, AGORA_EINVAL,
	      "invalid UTF-8 at byte 0");
}

static void test_formats(void **state)
{
	enum ingest_format f;

	(void)state;
	assert_string_equal(ingest_format_name(INGEST_MARKDOWN), "markdown");
	assert_string_equal(ingest_format_media_type(INGEST_HTML), "text/html");
	assert_int_equal(ingest_format_parse("md", &f), 0);
	assert_int_equal(f, INGEST_MARKDOWN);
	assert_int_equal(ingest_format_parse("xml", &f), 0);
	assert_int_equal(f, INGEST_XML);
	assert_int_equal(ingest_format_parse("pdf", &f), 0);
	assert_int_equal(f, INGEST_PDF);
	assert_int_equal(ingest_format_parse("docx", &f), AGORA_EINVAL);
	assert_int_equal(ingest_detect("%PDF-1.4\n", 9, "a.txt"), INGEST_PDF);
	assert_int_equal(ingest_detect(xml_doc, strlen(xml_doc), "a.txt"),
			 INGEST_XML);
	assert_int_equal(ingest_detect(html_doc, strlen(html_doc), "a.md"),
			 INGEST_HTML);
	assert_int_equal(ingest_detect(md_doc, strlen(md_doc), NULL),
			 INGEST_MARKDOWN);
	assert_int_equal(ingest_detect("x", 1, "p.md"), INGEST_MARKDOWN);
	assert_int_equal(
		ingest_detect("\"proposition\",\"source\"\n", 23, NULL),
		INGEST_CSV);
	assert_int_equal(ingest_detect("Bonjour.\n", 9, NULL), INGEST_TEXT);
}

/* --------------------------------------------------------------- corpora */

static int read_file(const char *path, struct sb *out)
{
	struct agora_error err;

	sb_reset(out);
	return file_read(path, (size_t)64 << 20, out, &err);
}

static int dir_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The source root: AGORA_SOURCE_ROOT, else the working folder's parents */
static const char *source_root(void)
{
	static const char *const guesses[] = {".", "..", "../..", "../../.."};
	static char buf[4096];
	const char *env = getenv("AGORA_SOURCE_ROOT");
	size_t i;

	if (env && *env)
		return env;
	for (i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		snprintf(buf, sizeof(buf), "%s/ingest/ingest.h", guesses[i]);
		if (access(buf, R_OK) == 0)
			return guesses[i];
	}
	return NULL;
}

struct corpus_stats {
	size_t files, proposals, measures, no_proposal;
	double seconds;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void corpus_file(const char *path, enum ingest_format f,
			struct corpus_stats *st)
{
	struct ingest_doc doc;
	struct ingest_segments seg;
	struct agora_error err;
	struct sb in;
	double t0;
	size_t i;
	int rc;

	sb_init(&in, 0);
	assert_int_equal(read_file(path, &in), 0);
	t0 = now();
	rc = extract(f, in.buf, in.len, &doc, &err);
	if (rc)
		print_error("%s: %s\n", path, err.msg);
	assert_int_equal(rc, 0);
	memset(&seg, 0, sizeof(seg));
	rc = ingest_segment(&doc, &lim, &seg, &err);
	st->seconds += now() - t0;
	st->files++;
	if (rc) {
		/* only a file with no text but headings may have none */
		for (i = 0; i < doc.nblocks; i++)
			if (doc.blocks[i].kind != IB_HEADING &&
			    doc.blocks[i].kind != IB_TOC)
				print_error("%s: %s\n", path, err.msg);
		assert_int_equal(rc, AGORA_EINVAL);
		assert_string_equal(err.msg,
				    "no proposal found in the document");
		st->no_proposal++;
	}
	check_slices(&doc, &seg);
	st->proposals += seg.n;
	for (i = 0; i < seg.n; i++)
		if (strncmp(seg.v[i].kind, "measure", 7) == 0 ||
		    strcmp(seg.v[i].kind, "key_measure") == 0)
			st->measures++;
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
	sb_fini(&in);
}

static void corpus_walk(const char *dir, const char *ext, enum ingest_format f,
			struct corpus_stats *st)
{
	struct dirent **names;
	char path[4096];
	int n, i;

	/* sorted, so that failures are reported in a stable order */
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name), el = strlen(ext);

		if (name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (dir_exists(path))
				corpus_walk(path, ext, f, st);
			else if (len > el && strcmp(name + len - el, ext) == 0)
				corpus_file(path, f, st);
		}
		free(names[i]);
	}
	free(names);
}

static void test_shared_corpus(void **state)
{
	struct corpus_stats md = {0}, html = {0};
	const char *env = getenv("AGORA_SHARED_CORPUS"), *root;
	char dir[4096];

	(void)state;
	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else if ((root = source_root())) {
		snprintf(dir, sizeof(dir), "%s/../shared/corpus", root);
	} else {
		dir[0] = '\0';
	}
	if (!dir[0] || !dir_exists(dir)) {
		printf("skipped: no shared corpus (set AGORA_SHARED_CORPUS)\n");
		skip();
	}
	corpus_walk(dir, ".md", INGEST_MARKDOWN, &md);
	corpus_walk(dir, ".html", INGEST_HTML, &html);
	printf("markdown: %zu files, %zu proposals, %zu measures, %zu "
	       "without proposals, %.3f s\n",
	       md.files, md.proposals, md.measures, md.no_proposal, md.seconds);
	printf("html: %zu files, %zu proposals, %.3f s\n", html.files,
	       html.proposals, html.seconds);
	assert_true(md.files >= 80);
	assert_true(md.measures >= 253);
	assert_true(md.no_proposal <= 1);
	assert_true(html.files >= 3);
	assert_int_equal(html.no_proposal, 0);
	assert_true(html.proposals >= 1000);
}

/* The project's own sample corpus, with its stated proposal counts */
static void test_valbrune(void **state)
{
	static const struct {
		const char *file;
		enum ingest_format f;
		size_t want, key;
	} files[] = {
		{"mercier.html", INGEST_HTML, 60, 0},
		{"durand.md", INGEST_MARKDOWN, 64, 10},
		{"roux.xml", INGEST_XML, 57, 9},
	};
	const char *root = source_root();
	struct ingest_doc doc;
	struct ingest_segments seg;
	struct sb in;
	char path[4096];
	size_t i, k, key;

	(void)state;
	if (!root) {
		printf("skipped: source root not found (set "
		       "AGORA_SOURCE_ROOT)\n");
		skip();
	}
	sb_init(&in, 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/corpus/valbrune-2026/%s", root,
			 files[i].file);
		if (read_file(path, &in)) {
			printf("skipped: %s is missing\n", path);
			continue;
		}
		assert_int_equal(ingest_detect(in.buf, in.len, files[i].file),
				 files[i].f);
		ok(files[i].f, in.buf, &doc);
		segment(&doc, &seg);
		for (k = 0, key = 0; k < seg.n; k++)
			if (strcmp(seg.v[k].kind, "key_measure") == 0)
				key++;
		if (seg.n != files[i].want)
			print_error("%s: %zu proposals, want %zu\n",
				    files[i].file, seg.n, files[i].want);
		assert_int_equal(seg.n, files[i].want);
		assert_int_equal(key, files[i].key);
		ingest_segments_fini(&seg);
		ingest_doc_fini(&doc);
	}
	sb_fini(&in);
}

/*
 * Shapes that send libxml2 or cmark quadratic, or make them build huge
 * trees, are refused before parsing, with where.
 */
static void test_pathological_shapes(void **state)
{
	char *s;

	(void)state;
	s = repeat("<html><body><p ", "a=1 ", 40000, ">texte", "</p>",
		   "</body></html>");
	fails(INGEST_HTML, s, strlen(s), AGORA_EINVAL, "attributes");
	free(s);
	s = repeat("<programme xmlns=\"urn:agora:programme:1\" ", "a=\"1\" ",
		   40000, ">", NULL, "</programme>");
	fails(INGEST_XML, s, strlen(s), AGORA_EINVAL, "attributes");
	free(s);
	s = repeat("# Titre\n\n", "![[]()", 40000, "\n", NULL, "");
	fails(INGEST_MARKDOWN, s, strlen(s), AGORA_EINVAL, "'['");
	free(s);
	s = repeat("", "- ", 1000000, "item", NULL, "\n");
	fails(INGEST_MARKDOWN, s, strlen(s), AGORA_EINVAL, "nesting");
	free(s);
	s = repeat("proposition,source\n", "a,", 1000000, "b", NULL, "\n");
	fails(INGEST_CSV, s, strlen(s), AGORA_EINVAL, "fields");
	free(s);
}

/*
 * A PDF of pages pages that all draw one uncompressed content stream:
 * a line of text, then spaces bytes of spaces, which poppler parses
 * again for every page. With 2000 pages and 4 MB, a 4 MB file that
 * poppler would read for minutes.
 */
static char *pdf_build(int pages, size_t spaces, size_t *len)
{
	static const char line[] = "BT /F1 12 Tf 56 780 Td (Bonjour le monde) "
				   "Tj ET\n";
	struct sb b;
	size_t *off = calloc((size_t)pages + 5, sizeof(*off)), xref;
	int i, nobj = 4 + pages;

	assert_non_null(off);
	sb_init(&b, 0);
	sb_puts(&b, "%PDF-1.4\n");
	off[1] = b.len;
	sb_puts(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b.len;
	sb_puts(&b, "2 0 obj\n<< /Type /Pages /Kids [");
	for (i = 0; i < pages; i++)
		sb_printf(&b, "%d 0 R ", 5 + i);
	sb_printf(&b, "] /Count %d >>\nendobj\n", pages);
	off[3] = b.len;
	sb_puts(&b, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont "
		    "/Helvetica >>\nendobj\n");
	off[4] = b.len;
	sb_printf(&b, "4 0 obj\n<< /Length %zu >>\nstream\n",
		  strlen(line) + spaces);
	sb_puts(&b, line);
	assert_int_equal(sb_grow(&b, spaces), 0);
	memset(b.buf + b.len, ' ', spaces);
	b.len += spaces;
	sb_puts(&b, "\nendstream\nendobj\n");
	for (i = 0; i < pages; i++) {
		off[5 + i] = b.len;
		sb_printf(&b,
			  "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox "
			  "[0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
			  ">> /Contents 4 0 R >>\nendobj\n",
			  5 + i);
	}
	xref = b.len;
	sb_printf(&b, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	for (i = 1; i <= nobj; i++)
		sb_printf(&b, "%010zu 00000 n \n", off[i]);
	sb_printf(&b,
		  "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n"
		  "%%%%EOF\n",
		  nobj + 1, xref);
	free(off);
	assert_false(sb_error(&b));
	return sb_detach(&b, len);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)(t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* PDFs: read in a child process, bounded in time (ingest/pdf.c) */
static void test_pdf_bounded(void **state)
{
	struct ingest_limits saved = lim;
	struct ingest_doc doc;
	struct agora_error err;
	struct timespec t0;
	size_t n;
	char *p;
	int rc;

	(void)state;
	/* the same shape, two pages: read, both pages' text */
	p = pdf_build(2, 1000, &n);
	assert_int_equal(extract(INGEST_PDF, p, n, &doc, &err), 0);
	assert_non_null(strstr(doc.text.buf, "Bonjour le monde"));
	assert_non_null(strstr(strstr(doc.text.buf, "Bonjour") + 1, "Bonjour"));
	ingest_doc_fini(&doc);
	free(p);

	/* 2000 pages of 4 MB of content each: stopped at the deadline */
	p = pdf_build(2000, (size_t)4 << 20, &n);
	lim.pdf_ms = 1500;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = extract(INGEST_PDF, p, n, &doc, &err);
	if (rc != AGORA_ETOOBIG)
		print_error("got %d '%s' after %lld ms\n", rc, err.msg,
			    ms_since(&t0));
	assert_int_equal(rc, AGORA_ETOOBIG);
	assert_non_null(strstr(err.msg, "takes more than 1500 ms to read"));
	/* killed at the deadline, not when poppler is done (minutes) */
	assert_true(ms_since(&t0) < 20000);
	assert_int_equal(doc.nblocks, 0);
	ingest_doc_fini(&doc);
	free(p);
	lim = saved;

	/* not a PDF inside: poppler's error, with its first warning */
	fails(INGEST_PDF, "%PDF-1.4\nnothing else\n", (size_t)-1, AGORA_EINVAL,
	      "cannot read the PDF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_blocks),
		cmocka_unit_test(test_html_segment),
		cmocka_unit_test(test_html_tag_soup),
		cmocka_unit_test(test_html_implied_ends),
		cmocka_unit_test(test_html_skipped_subtrees),
		cmocka_unit_test(test_html_split_text),
		cmocka_unit_test(test_html_tree_shape),
		cmocka_unit_test(test_html_text_node_limit),
		cmocka_unit_test(test_markdown_blocks),
		cmocka_unit_test(test_markdown_bare_tags),
		cmocka_unit_test(test_markdown_segment),
		cmocka_unit_test(test_markdown_anchor_toc),
		cmocka_unit_test(test_xml_blocks),
		cmocka_unit_test(test_xml_invalid),
		cmocka_unit_test(test_xml_hostile),
		cmocka_unit_test(test_declared_encoding),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_segment_rules),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_pathological_shapes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_pdf_bounded),
		cmocka_unit_test(test_valbrune),
		cmocka_unit_test(test_shared_corpus),
	};

	ingest_limits_default(&lim);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
