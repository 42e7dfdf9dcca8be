/*
 * html.c - the escaping writer (the only way variable text reaches a
 * page), the message table (French and English, in C until gettext
 * catalogs come) and the page skeleton shared by every page.
 */
#include <stdio.h>
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

/* ------------------------------------------------------------ messages */

static const char *const messages[M__MAX][2] = {
	[M_SITE_TAGLINE] = {"Comparer les programmes, mot pour mot",
			    "Compare the programmes, word for word"},
	[M_HOME] = {"Accueil", "Home"},
	[M_SEARCH] = {"Rechercher", "Search"},
	[M_ELECTIONS] = {"Élections", "Elections"},
	[M_NO_ELECTION] = {"Aucune élection pour l'instant.",
			   "No election yet."},
	[M_CANDIDATES] = {"Candidats", "Candidates"},
	[M_CANDIDATES_N] = {"candidats", "candidates"},
	[M_PROPOSALS_N] = {"propositions", "proposals"},
	[M_THEMES] = {"Thèmes", "Themes"},
	[M_THEME] = {"Thème", "Theme"},
	[M_SEARCH_LABEL] = {"Rechercher dans les programmes",
			    "Search the programmes"},
	[M_SEARCH_BUTTON] = {"Rechercher", "Search"},
	[M_COMPARE] = {"Comparer", "Compare"},
	[M_COMPARE_BUTTON] = {"Comparer", "Compare"},
	[M_COMPARE_PICK] = {"Candidats à comparer", "Candidates to compare"},
	[M_COMPARE_TWO] = {"Choisissez au moins deux candidats.",
			   "Pick at least two candidates."},
	[M_ORDER_RULE] = {"Ordre des candidats : alphabétique par nom de "
			  "famille, le même sur toutes les pages.",
			  "Candidate order: alphabetical by family name, the "
			  "same on every page."},
	[M_EMPTY_THEME] = {"Aucune proposition sur ce thème dans le programme",
			   "No proposal on this theme in the programme"},
	[M_PERMALINK] = {"Lien permanent", "Permalink"},
	[M_HEADING] = {"Rubrique", "Heading"},
	[M_DOCUMENTS] = {"Documents", "Documents"},
	[M_DOC_TITLE] = {"Titre", "Title"},
	[M_DOC_VERSION] = {"Version", "Version"},
	[M_DOC_DATE] = {"Déposé le", "Submitted"},
	[M_DOC_SOURCE] = {"Source", "Source"},
	[M_DOC_SHA] = {"SHA-256", "SHA-256"},
	[M_PROGRAMME] = {"Programme", "Programme"},
	[M_PROPOSAL] = {"Proposition", "Proposal"},
	[M_CANDIDATE] = {"Candidat", "Candidate"},
	[M_ELECTION] = {"Élection", "Election"},
	[M_DOCUMENT] = {"Document", "Document"},
	[M_VERIFY] = {"Vérifier", "Check it"},
	[M_VERIFY_TEXT] =
		{"Ce texte est exactement un extrait, octet pour octet, du "
		 "texte tiré du document original, conservé avec son "
		 "empreinte SHA-256. La commande « agora verify » ré-extrait "
		 "chaque original et vérifie chaque proposition.",
		 "This text is exactly a slice, byte for byte, of the text "
		 "extracted from the original document, stored with its "
		 "SHA-256. The command 'agora verify' re-extracts every "
		 "original and checks every proposal."},
	[M_NOT_CURRENT] = {"Ce document a été remplacé par une version plus "
			   "récente.",
			   "This document has been replaced by a newer "
			   "version."},
	[M_RESULTS] = {"résultats", "results"},
	[M_RESULTS_PER_CANDIDATE] = {"Résultats par candidat",
				     "Results per candidate"},
	[M_NO_RESULT] = {"Aucun résultat.", "No result."},
	[M_ALL] = {"Tous", "All"},
	[M_PREV] = {"Page précédente", "Previous page"},
	[M_NEXT] = {"Page suivante", "Next page"},
	[M_PAGE] = {"Page", "Page"},
	[M_NOT_FOUND] = {"Page introuvable", "Page not found"},
	[M_BAD_REQUEST] = {"Requête invalide", "Bad request"},
	[M_ERROR] = {"Erreur", "Error"},
	[M_LANG_SWITCH] = {"English", "Français"},
	[M_WHOLE_GROUP] = {"tout le groupe", "the whole group"},
	[M_SPEAK] = {"candidats en parlent", "candidates speak to it"},
	[M_OFFSETS] = {"Position dans le texte extrait (octets)",
		       "Position in the extracted text (bytes)"},
	[M_SKIP] = {"Aller au contenu", "Skip to content"},
	[M_OPEN_DATA] = {"Données ouvertes", "Open data"},
	[M_OPEN_DATA_TEXT] =
		{"Les textes des programmes sont ceux des candidats, "
		 "reproduits à l'identique ; les métadonnées d'agora "
		 "(découpage, positions, empreintes, thèmes) sont sous la",
		 "The programmes' texts are the candidates' own, reproduced "
		 "verbatim; agora's metadata (cutting, offsets, hashes, "
		 "themes) are under the"},
	[M_EXPORT_JSON] = {"Tout le scrutin (JSON)",
			   "The whole election (JSON)"},
	[M_EXPORT_CSV] = {"Les propositions (CSV)", "The proposals (CSV)"},
};

const char *msg(const struct web_req *r, enum msg_id id)
{
	return messages[id][r->lang == LANG_EN];
}

const char *theme_label(const struct web_req *r, const struct theme_coverage *t)
{
	return r->lang == LANG_EN && *t->label_en ? t->label_en : t->label_fr;
}

/* ------------------------------------------------------- the skeleton */

void page_begin(struct web_req *r, const char *title)
{
	struct sb *b = &r->body;
	const struct embedded_file *css = web_data_find("agora.css");
	const char *etag = web_etag(css);

	r->ctype = "text/html; charset=utf-8";
	html_raw(b, "<!DOCTYPE html>\n<html lang=\"");
	html_raw(b, r->lang == LANG_EN ? "en" : "fr");
	html_raw(b, "\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">\n<title>");
	html_text(b, title);
	html_raw(b, " — agora</title>\n"
		    "<link rel=\"stylesheet\" href=\"/static/agora.css?v=");
	/* the ETag's hex digits, without its quotes */
	sb_append(b, etag + 1, strlen(etag) - 2);
	html_raw(b, "\">\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">");
	html_text(b, msg(r, M_SKIP));
	html_raw(b, "</a>\n<header class=\"site\">\n"
		    "<p class=\"brand\"><a href=\"/\">agora</a> <span>");
	html_text(b, msg(r, M_SITE_TAGLINE));
	html_raw(b, "</span></p>\n<nav aria-label=\"site\"><ul>\n"
		    "<li><a href=\"/\">");
	html_text(b, msg(r, M_HOME));
	html_raw(b, "</a></li>\n<li><a href=\"/search\">");
	html_text(b, msg(r, M_SEARCH));
	html_raw(b, "</a></li>\n<li><a href=\"?lang=");
	html_raw(b, r->lang == LANG_EN ? "fr\" hreflang=\"fr\" lang=\"fr\">"
				       : "en\" hreflang=\"en\" lang=\"en\">");
	html_text(b, msg(r, M_LANG_SWITCH));
	html_raw(b, "</a></li>\n");
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
	const char *title = status == 404  ? msg(r, M_NOT_FOUND)
			    : status < 500 ? msg(r, M_BAD_REQUEST)
					   : msg(r, M_ERROR);

	sb_reset(&r->body);
	r->status = status;
	page_begin(r, title);
	html_raw(&r->body, "<h1>");
	html_text(&r->body, title);
	html_raw(&r->body, "</h1>\n<p class=\"error\">");
	html_text(&r->body, message);
	html_raw(&r->body, "</p>\n<p><a href=\"/\">");
	html_text(&r->body, msg(r, M_HOME));
	html_raw(&r->body, "</a></p>\n");
	page_end(r);
}
