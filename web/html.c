/*
 * html.c - the escaping writer (the only way variable text reaches a
 * page) and the page skeleton shared by every page, with its language
 * switch. The pages' texts are gettext msgids in French, translated by
 * tr() (lang.c) from the catalogs in po/; what a translation returns is
 * still written through the escaping writer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_auth.h"
#include "web_int.h"

void html_raw(struct sb *b, const char *markup)
{
	sb_puts(b, markup);
}

/*
 * Escapes the five characters that matter in text and in quoted
 * attributes; runs of safe bytes are copied at once.
 */
void html_textn(struct sb *b, const char *s, size_t n)
{
	size_t i, from = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		sb_append(b, s + from, i - from);
		sb_puts(b, rep);
		from = i + 1;
	}
	sb_append(b, s + from, n - from);
}

void html_text(struct sb *b, const char *s)
{
	html_textn(b, s, strlen(s));
}

void html_attr(struct sb *b, const char *s)
{
	html_textn(b, s, strlen(s));
}

void html_num(struct sb *b, long long v)
{
	sb_printf(b, "%lld", v);
}

/* Unreserved characters stay, everything else is %XX: safe in HTML too */
void url_arg(struct sb *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~') {
			sb_putc(b, *p);
		} else {
			sb_putc(b, '%');
			sb_putc(b, hex[*p >> 4]);
			sb_putc(b, hex[*p & 15]);
		}
	}
}

static void table_open(struct sb *b, const char *cls)
{
	if (!cls) {
		html_raw(b, "<table>\n");
		return;
	}
	html_raw(b, "<table class=\"");
	html_attr(b, cls);
	html_raw(b, "\">\n");
}

/* The cells of a head row, each opened with th */
static void head_cells(struct sb *b, const char *th, va_list ap)
{
	const char *cell;

	while ((cell = va_arg(ap, const char *))) {
		html_raw(b, th);
		html_text(b, cell);
		html_raw(b, "</th>");
	}
}

void html_thead(struct sb *b, const char *cls, ...)
{
	va_list ap;

	table_open(b, cls);
	html_raw(b, "<thead><tr>");
	va_start(ap, cls);
	head_cells(b, "<th scope=\"col\">", ap);
	va_end(ap);
	html_raw(b, "</tr></thead>\n<tbody>\n");
}

void html_table_head(struct sb *b, const char *cls, ...)
{
	va_list ap;

	table_open(b, cls);
	html_raw(b, "<tr>");
	va_start(ap, cls);
	head_cells(b, "<th>", ap);
	va_end(ap);
	html_raw(b, "</tr>\n");
}

/*
 * The text is escaped first, piece by piece, and the marks inserted
 * between the pieces, so nothing in the snippet can open a tag; a mark
 * left open is closed, a stray closing mark dropped.
 */
void html_marked(struct sb *b, const char *s)
{
	const char *p = s;
	int open = 0;

	for (;; s++) {
		if (*s && *s != '\x02' && *s != '\x03')
			continue;
		html_textn(b, p, (size_t)(s - p));
		if (!*s)
			break;
		if (*s == '\x02' && !open) {
			html_raw(b, "<mark>");
			open = 1;
		} else if (*s == '\x03' && open) {
			html_raw(b, "</mark>");
			open = 0;
		}
		p = s + 1;
	}
	if (open)
		html_raw(b, "</mark>");
}

/* ------------------------------------------------------- the skeleton */

/*
 * The same page in another language: this path and query, the old lang
 * argument dropped and lang=CODE added, every part re-encoded from its
 * decoded form (so nothing received reaches the page unescaped). A
 * request that did not parse links to the home page.
 */
static void self_url(struct web_req *r, int lang)
{
	struct sb *b = &r->body;
	size_t i;

	html_raw(b, "/");
	for (i = 0; r->parsed && i < r->nseg; i++) {
		if (i)
			html_raw(b, "/");
		url_arg(b, r->seg[i]);
	}
	html_raw(b, "?");
	for (i = 0; r->parsed && i < r->narg; i++) {
		if (!strcmp(r->arg[i].key, "lang"))
			continue;
		url_arg(b, r->arg[i].key);
		html_raw(b, "=");
		url_arg(b, r->arg[i].val);
		html_raw(b, "&amp;");
	}
	html_raw(b, "lang=");
	html_raw(b, web_lang_code(lang));
}

/* A link to each other language the server can render, in its own name */
static void lang_switch(struct web_req *r)
{
	struct sb *b = &r->body;
	int i;

	for (i = 0; i < LANG__MAX; i++) {
		if (i == r->lang || !r->i18n || !r->i18n->avail[i])
			continue;
		html_raw(b, "<li><a href=\"");
		self_url(r, i);
		html_raw(b, "\" hreflang=\"");
		html_raw(b, web_lang_code(i));
		html_raw(b, "\" lang=\"");
		html_raw(b, web_lang_code(i));
		html_raw(b, "\">");
		html_text(b, web_lang_name(i));
		html_raw(b, "</a></li>\n");
	}
}

void page_begin(struct web_req *r, const char *title)
{
	struct sb *b = &r->body;
	const struct embedded_file *css = web_data_find("agora.css");
	const char *etag = web_etag(css);

	r->ctype = "text/html; charset=utf-8";
	html_raw(b, "<!DOCTYPE html>\n<html lang=\"");
	html_raw(b, web_lang_code(r->lang));
	html_raw(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">\n<title>");
	html_text(b, title);
	html_raw(b, " — agora</title>\n"
		    "<link rel=\"stylesheet\" href=\"/static/agora.css?v=");
	/* the ETag's hex digits, without its quotes */
	sb_append(b, etag + 1, strlen(etag) - 2);
	html_raw(b, "\">\n<link rel=\"icon\" type=\"image/svg+xml\" "
		    "href=\"/static/favicon.svg?v=");
	etag = web_etag(web_data_find("favicon.svg"));
	sb_append(b, etag + 1, strlen(etag) - 2);
	html_raw(b, "\">\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">");
	html_text(b, tr(r, "Aller au contenu"));
	html_raw(b, "</a>\n<header class=\"site\">\n"
		    "<p class=\"brand\"><a href=\"/\">agora</a> <span>");
	html_text(b, tr(r, "Comparer les programmes, mot pour mot"));
	html_raw(b, "</span></p>\n<nav aria-label=\"site\"><ul>\n"
		    "<li><a href=\"/\">");
	html_text(b, tr(r, "Accueil"));
	html_raw(b, "</a></li>\n<li><a href=\"/search\">");
	html_text(b, tr(r, "Rechercher"));
	html_raw(b, "</a></li>\n");
	lang_switch(r);
	auth_nav(r);
	html_raw(b, "</ul></nav>\n</header>\n<main id=\"main\">\n");
}

void page_end(struct web_req *r)
{
	html_raw(&r->body,
		 "</main>\n<footer class=\"site\"><p>agora " AGORA_VERSION
		 " — <a href=\"/api/v1/openapi.json\">API</a></p></footer>\n"
		 "</body>\n</html>\n");
}

void page_error(struct web_req *r, int status, const char *message)
{
	const char *title = status == 404   ? tr(r, "Page introuvable")
			    : status == 403 ? tr(r, "Accès refusé")
			    : status == 429 ? tr(r, "Trop de tentatives")
			    : status < 500  ? tr(r, "Requête invalide")
					    : tr(r, "Erreur");

	sb_reset(&r->body);
	r->status = status;
	page_begin(r, title);
	html_raw(&r->body, "<h1>");
	html_text(&r->body, title);
	html_raw(&r->body, "</h1>\n<p class=\"error\">");
	html_text(&r->body, message);
	html_raw(&r->body, "</p>\n<p><a href=\"/\">");
	html_text(&r->body, tr(r, "Accueil"));
	html_raw(&r->body, "</a></p>\n");
	page_end(r);
}

int html_path_heading(struct sb *b, char **last, const char *path)
{
	if (!*path || (*last && !strcmp(*last, path)))
		return 0;
	html_raw(b, "<h3 class=\"path\">");
	html_text(b, path);
	html_raw(b, "</h3>\n");
	free(*last);
	return (*last = strdup(path)) ? 0 : AGORA_ENOMEM;
}
