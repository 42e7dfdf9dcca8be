/*
 * pages.c - the server-rendered HTML pages: home, election, compare,
 * candidate, proposal, search. One function per page, page_<name>();
 * every variable byte goes through the escaping writer (html.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

#include "web_int.h"

#define SEARCH_PAGE 20 /* hits per search page */
#define SEARCH_MAX_PAGE 50

/* "Given Family", escaped */
static void html_cand_name(struct sb *b, const struct candidate_info *c)
{
	if (*c->given_name) {
		html_text(b, c->given_name);
		html_raw(b, " ");
	}
	html_text(b, c->family_name);
}

static const struct theme_coverage *
theme_find(const struct theme_coverage_list *l, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].key) == n && !memcmp(l->v[i].key, key, n))
			return &l->v[i];
	return NULL;
}

/* The labels of a space-separated list of theme keys, as links */
static void html_themes(struct web_req *r, const struct theme_coverage_list *l,
			const char *election, const char *keys)
{
	struct sb *b = &r->body;
	const struct theme_coverage *t;
	const char *p = keys, *e;
	int first = 1;

	if (!*keys)
		return;
	html_raw(b, "<p class=\"themes\">");
	html_text(b, tr(r, "Thèmes :"));
	html_raw(b, " ");
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		if (!(t = theme_find(l, p, (size_t)(e - p))))
			continue;
		if (!first)
			html_raw(b, ", ");
		first = 0;
		html_raw(b, "<a href=\"/e/");
		url_arg(b, election);
		html_raw(b, "/compare?theme=");
		url_arg(b, t->key);
		html_raw(b, "\">");
		html_text(b, theme_label(r, t));
		html_raw(b, "</a>");
	}
	html_raw(b, "</p>\n");
}

/* The search box, with the current query and filters kept */
static void search_form(struct web_req *r, const char *q)
{
	struct sb *b = &r->body;

	html_raw(b, "<form class=\"search\" role=\"search\" method=\"get\" "
		    "action=\"/search\">\n<label for=\"q\">");
	html_text(b, tr(r, "Rechercher dans les programmes"));
	html_raw(b, "</label>\n<input type=\"search\" id=\"q\" name=\"q\" "
		    "maxlength=\"1000\" value=\"");
	html_attr(b, q ? q : "");
	html_raw(b, "\">\n<button type=\"submit\">");
	html_text(b, tr(r, "Rechercher"));
	html_raw(b, "</button>\n</form>\n");
}

/* ------------------------------------------------- order and themes */

#define SEED_COOKIE "order_seed"

/*
 * The API's seed=, checked whatever the election's order and whether an
 * order is drawn at all, so that a malformed one is a 400 on every call
 * that takes it (doc/api.md): *have 1 and *seed when given
 */
static int api_seed(struct web_req *r, uint64_t *seed, int *have)
{
	const char *s;

	*have = 0;
	if (!r->api || !(s = web_arg(r, "seed")))
		return 0;
	if (order_seed_parse(s, seed))
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "bad seed '%.40s': %d hex digits", s,
				    ORDER_SEED_HEX);
	*have = 1;
	return 0;
}

int web_order(struct web_req *r, const struct election_info *e,
	      struct candidate_list *cl, char *seed_hex)
{
	const char *s = NULL;
	uint64_t seed = 0;
	int have, rc;

	if (seed_hex)
		seed_hex[0] = '\0';
	if ((rc = api_seed(r, &seed, &have)))
		return rc;
	if (strcmp(e->candidate_order, ORDER_SHUFFLED))
		return 0;
	r->no_store = 1;
	if (!have && r->conn &&
	    (s = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
					     SEED_COOKIE)) &&
	    !order_seed_parse(s, &seed))
		have = 1;
	if (!have) {
		char hex[ORDER_SEED_HEX + 1];

		randombytes_buf(&seed, sizeof(seed));
		order_seed_format(seed, hex);
		if (!r->api)
			snprintf(r->seed_cookie, sizeof(r->seed_cookie),
				 SEED_COOKIE "=%s; Path=/; Max-Age=31536000; "
					     "SameSite=Lax; HttpOnly",
				 hex);
	}
	if (seed_hex)
		order_seed_format(seed, seed_hex);
	return candidate_list_order(cl, e->slug, e->candidate_order, seed,
				    &r->err);
}

const char *web_order_rule(const struct web_req *r,
			   const struct election_info *e)
{
	if (strcmp(e->candidate_order, ORDER_SHUFFLED))
		return tr(r, "Ordre des candidats : alphabétique par nom de "
			     "famille, le même sur toutes les pages.");
	return tr(r, "Ordre des candidats : tiré au sort pour chaque "
		     "visiteur, le même sur toutes vos pages.");
}

int web_order_counts(struct web_req *r, const char *election,
		     struct search_result *res, char *seed_hex)
{
	struct election_info ei = {0};
	struct candidate_list cl = {0};
	struct search_count c;
	size_t i, j, k, *pos = NULL;
	uint64_t seed;
	int rc, have;

	if (seed_hex)
		seed_hex[0] = '\0';
	/* a bad seed= is refused even when no order is drawn below */
	if ((rc = api_seed(r, &seed, &have)))
		return rc;
	if (!election || res->ncand < 2 ||
	    election_get(r->db, election, &ei, &r->err)) {
		agora_error_clear(&r->err);
		goto out;
	}
	if (strcmp(ei.candidate_order, ORDER_SHUFFLED))
		goto out;
	if ((rc = candidate_list(r->db, election, &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, seed_hex)))
		goto out;
	if (!(pos = calloc(res->ncand, sizeof(*pos)))) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < res->ncand; i++)
		for (pos[i] = 0; pos[i] < cl.n; pos[i]++)
			if (!strcmp(cl.v[pos[i]].slug,
				    res->per_candidate[i].candidate_slug))
				break;
	/* insertion sort by position in the visitor's list */
	for (i = 1; i < res->ncand; i++) {
		c = res->per_candidate[i];
		k = pos[i];
		for (j = i; j > 0 && pos[j - 1] > k; j--) {
			res->per_candidate[j] = res->per_candidate[j - 1];
			pos[j] = pos[j - 1];
		}
		res->per_candidate[j] = c;
		pos[j] = k;
	}
out:
	free(pos);
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	return rc;
}

int web_themes(struct web_req *r, struct theme_sel *s)
{
	size_t i, k, len = 0;
	char *p, *tok, *save = NULL;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->narg; i++)
		if (!strcmp(r->arg[i].key, "theme"))
			len += strlen(r->arg[i].val) + 1;
	if (!len)
		return 0;
	if (!(s->buf = malloc(len)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	for (p = s->buf, i = 0; i < r->narg; i++) {
		if (strcmp(r->arg[i].key, "theme"))
			continue;
		len = strlen(r->arg[i].val);
		memcpy(p, r->arg[i].val, len + 1);
		for (tok = strtok_r(p, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			for (k = 0; k < s->n && strcmp(s->v[k], tok); k++)
				;
			if (k < s->n)
				continue; /* asked twice: shown once */
			if (s->n == WEB_MAX_THEMES)
				return agora_errorf(&r->err, AGORA_EINVAL,
						    "more than %d themes",
						    WEB_MAX_THEMES);
			s->v[s->n++] = tok;
		}
		p += len + 1;
	}
	return 0;
}

void theme_sel_fini(struct theme_sel *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* ----------------------------------------------------------------- home */

int page_home(struct web_req *r)
{
	struct election_summary_list el = {0};
	struct theme_coverage_list tl = {0};
	struct sb *b = &r->body;
	char num[LANG_NUM_MAX];
	size_t i;
	int rc;

	if ((rc = compare_elections(r->db, &el, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)))
		goto out;
	page_begin(r, tr(r, "Accueil"));
	html_raw(b, "<h1>agora</h1>\n<p class=\"lead\">");
	html_text(b, tr(r, "Comparer les programmes, mot pour mot"));
	html_raw(b, "</p>\n");
	search_form(r, NULL);
	html_raw(b, "<section>\n<h2>");
	html_text(b, tr(r, "Élections"));
	html_raw(b, "</h2>\n");
	if (!el.n) {
		html_raw(b, "<p>");
		html_text(b, tr(r, "Aucune élection pour l'instant."));
		html_raw(b, "</p>\n");
	} else {
		html_raw(b, "<ul class=\"elections\">\n");
	}
	for (i = 0; i < el.n; i++) {
		html_raw(b, "<li><a href=\"/e/");
		url_arg(b, el.v[i].slug);
		html_raw(b, "\">");
		html_text(b, el.v[i].title);
		html_raw(b, "</a> <span class=\"meta\">");
		if (*el.v[i].date) {
			html_date(r, el.v[i].date);
			html_raw(b, " · ");
		}
		html_textf(b,
			   tr_n(r, "%s candidat", "%s candidats",
				el.v[i].candidates),
			   web_num(r, (long long)el.v[i].candidates, num));
		html_raw(b, "</span></li>\n");
	}
	if (el.n)
		html_raw(b, "</ul>\n");
	html_raw(b, "</section>\n");
	if ((rc = primary_home_section(r)))
		goto out;
	html_raw(b, "<section>\n<h2>");
	html_text(b, tr(r, "Thèmes"));
	html_raw(b, "</h2>\n<ul class=\"themes\">\n");
	for (i = 0; i < tl.n; i++) {
		const struct theme_coverage *t = &tl.v[i];

		html_raw(b, t->is_group ? "<li class=\"group\">" : "<li>");
		if (el.n == 1) {
			html_raw(b, "<a href=\"/e/");
			url_arg(b, el.v[0].slug);
			html_raw(b, "/compare?theme=");
			url_arg(b, t->key);
			html_raw(b, "\">");
		}
		html_text(b, theme_label(r, t));
		if (el.n == 1)
			html_raw(b, "</a>");
		html_raw(b, "</li>\n");
	}
	html_raw(b, "</ul>\n</section>\n");
	page_end(r);
out:
	election_summary_list_fini(&el);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* ------------------------------------------------------------- election */

static void candidate_items(struct web_req *r, const char *election,
			    const struct candidate_list *cl)
{
	struct sb *b = &r->body;
	char num[LANG_NUM_MAX];
	size_t i;

	html_raw(b, "<ul class=\"candidates\">\n");
	for (i = 0; i < cl->n; i++) {
		html_raw(b, "<li><a href=\"/e/");
		url_arg(b, election);
		html_raw(b, "/c/");
		url_arg(b, cl->v[i].slug);
		html_raw(b, "\">");
		html_cand_name(b, &cl->v[i]);
		html_raw(b, "</a> <span class=\"party\">");
		html_text(b, cl->v[i].party);
		html_raw(b, "</span> <span class=\"meta\">");
		html_textf(b,
			   tr_n(r, "%s proposition", "%s propositions",
				cl->v[i].proposals),
			   web_num(r, (long long)cl->v[i].proposals, num));
		html_raw(b, "</span></li>\n");
	}
	html_raw(b, "</ul>\n");
}

/* The election's exports, with the licence said where they are offered */
static void open_data_links(struct web_req *r, const char *e)
{
	struct sb *b = &r->body;

	html_raw(b, "<section class=\"open-data\">\n<h2>");
	html_text(b, tr(r, "Données ouvertes"));
	html_raw(b, "</h2>\n<ul>\n<li><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/export.json\" download>");
	html_text(b, tr(r, "Tout le scrutin (JSON)"));
	html_raw(b, "</a></li>\n<li><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/export.csv\" download>");
	html_text(b, tr(r, "Les propositions (CSV)"));
	html_raw(b, "</a></li>\n<li><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/export-candidates.csv\" download>");
	html_text(b, tr(r, "Les candidats et leurs profils (CSV)"));
	html_raw(b, "</a></li>\n<li><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/export-material.csv\" download>");
	html_text(b, tr(r, "Les documents de campagne publiés (CSV)"));
	html_raw(b, "</a></li>\n<li><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/audit\">");
	html_text(b, tr(r, "Journal des éditeurs"));
	html_raw(b, "</a></li>\n</ul>\n<p class=\"licence\">");
	html_text(
		b,
		tr(r,
		   "Les textes des programmes sont ceux des candidats, "
		   "reproduits à l'identique ; les métadonnées d'agora "
		   "(découpage, positions, empreintes, thèmes) sont sous la"));
	html_raw(b, " <a rel=\"license\" href=\"" EXPORT_LICENCE_URL "\">");
	html_text(b, EXPORT_LICENCE);
	html_raw(b, "</a>.</p>\n</section>\n");
}

int page_election(struct web_req *r)
{
	const char *e = r->param[0];
	struct election_info ei = {0};
	struct candidate_list cl = {0};
	struct theme_coverage_list tl = {0};
	struct sb *b = &r->body;
	size_t i;
	int rc;

	if ((rc = election_get(r->db, e, &ei, &r->err)) ||
	    (rc = candidate_list(r->db, e, &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, NULL)) ||
	    (rc = compare_theme_coverage(r->db, e, &tl, &r->err)))
		goto out;
	page_begin(r, ei.title);
	html_raw(b, "<h1>");
	html_text(b, ei.title);
	html_raw(b, "</h1>\n<p class=\"meta\">");
	html_date(r, ei.date);
	html_raw(b, "</p>\n<section>\n<h2>");
	html_text(b, tr(r, "Candidats"));
	html_raw(b, "</h2>\n<p class=\"rule\">");
	html_text(b, web_order_rule(r, &ei));
	html_raw(b, "</p>\n");
	candidate_items(r, e, &cl);
	html_raw(b, "<p><a class=\"button\" href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/compare\">");
	html_text(b, tr(r, "Comparer"));
	html_raw(b, "</a></p>\n</section>\n<section>\n<h2>");
	html_text(b, tr(r, "Thèmes"));
	html_raw(b, "</h2>\n");
	html_thead(b, "coverage", tr(r, "Thème"), tr(r, "candidats en parlent"),
		   tr(r, "propositions"), NULL);
	for (i = 0; i < tl.n; i++) {
		const struct theme_coverage *t = &tl.v[i];

		html_raw(b, t->is_group
				    ? "<tr class=\"group\"><th scope=\"row\">"
				    : "<tr><th scope=\"row\">");
		html_raw(b, "<a href=\"/e/");
		url_arg(b, e);
		html_raw(b, "/compare?theme=");
		url_arg(b, t->key);
		html_raw(b, "\">");
		html_text(b, theme_label(r, t));
		html_raw(b, "</a></th><td>");
		html_number(r, (long long)t->candidates);
		html_raw(b, " / ");
		html_number(r, (long long)cl.n);
		html_raw(b, "</td><td>");
		html_number(r, (long long)t->proposals);
		html_raw(b, "</td></tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n</section>\n");
	open_data_links(r, e);
	page_end(r);
out:
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* -------------------------------------------------------------- compare */

/* 1 when key is among the selected themes */
static int theme_selected(const struct theme_sel *ts, const char *key)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (!strcmp(ts->v[i], key))
			return 1;
	return 0;
}

/* One checkbox of the form, checked when on */
static void checkbox(struct sb *b, const char *name, const char *value, int on)
{
	html_raw(b, "<label><input type=\"checkbox\" name=\"");
	html_raw(b, name);
	html_raw(b, "\" value=\"");
	html_attr(b, value);
	html_raw(b, on ? "\" checked> " : "\"> ");
}

/*
 * The form, plain HTML (no script): 2..N candidates and one or more
 * themes, each a checkbox, a fieldset per group of themes (the group's
 * own box covers all its themes); the choices are kept as made.
 */
static void compare_form(struct web_req *r, const char *e,
			 const struct candidate_list *cl,
			 const struct theme_coverage_list *tl,
			 const struct theme_sel *ts, const char *const *sel,
			 size_t nsel)
{
	struct sb *b = &r->body;
	size_t i, k;
	int open = 0, on;

	html_raw(b, "<form class=\"compare\" method=\"get\" action=\"/e/");
	url_arg(b, e);
	html_raw(b, "/compare\">\n<fieldset class=\"pick-candidates\">\n"
		    "<legend>");
	html_text(b, tr(r, "Candidats à comparer"));
	html_raw(b, "</legend>\n");
	for (i = 0; i < cl->n; i++) {
		for (on = !nsel, k = 0; !on && k < nsel; k++)
			on = !strcmp(sel[k], cl->v[i].slug);
		checkbox(b, "c", cl->v[i].slug, on);
		html_cand_name(b, &cl->v[i]);
		html_raw(b, "</label>\n");
	}
	html_raw(b, "</fieldset>\n");
	/* once themes are chosen, their long list folds away (no script:
	 * a closed <details> still submits its boxes) */
	html_raw(b, "<details class=\"pick-themes\"");
	html_raw(b, ts->n ? ">\n<summary>" : " open>\n<summary>");
	html_text(b, tr(r, "Thèmes à comparer"));
	if (ts->n) {
		html_raw(b, " (");
		html_num(b, (long long)ts->n);
		html_raw(b, ")");
	}
	html_raw(b, "</summary>\n<fieldset>\n<legend class=\"sr\">");
	html_text(b, tr(r, "Thèmes à comparer"));
	html_raw(b, "</legend>\n");
	for (i = 0; i < tl->n; i++) {
		const struct theme_coverage *t = &tl->v[i];

		if (t->is_group || (!*t->group && open)) {
			if (open)
				html_raw(b, "</fieldset>\n");
			open = 0;
		}
		if (t->is_group) {
			html_raw(b, "<fieldset class=\"group\"><legend>");
			html_text(b, theme_label(r, t));
			html_raw(b, "</legend>\n");
			open = 1;
		}
		checkbox(b, "theme", t->key, theme_selected(ts, t->key));
		html_text(b, t->is_group ? tr(r, "tout le groupe")
					 : theme_label(r, t));
		html_raw(b, "</label>\n");
	}
	if (open)
		html_raw(b, "</fieldset>\n");
	html_raw(b, "</fieldset>\n</details>\n<p><button type=\"submit\">");
	html_text(b, tr(r, "Comparer"));
	html_raw(b, "</button></p>\n</form>\n");
}

/*
 * One theme's grid: one column per candidate (the n-th grid of the
 * page: ids stay unique); an empty column says so in words.
 */
static int compare_grid(struct web_req *r, const char *e,
			const struct theme_grid *g, const char *label,
			const char *rule, size_t n)
{
	struct sb *b = &r->body;
	size_t i, k;
	int rc;

	html_raw(b, "<section class=\"theme\" aria-labelledby=\"grid-");
	html_num(b, (long long)n);
	html_raw(b, "\">\n<h2 id=\"grid-");
	html_num(b, (long long)n);
	html_raw(b, "\">");
	html_text(b, tr(r, "Thème"));
	html_raw(b, " : ");
	html_text(b, label);
	html_raw(b, "</h2>\n<p class=\"rule\">");
	html_text(b, rule);
	html_raw(b, "</p>\n<div class=\"grid\" tabindex=\"0\" role=\"region\" "
		    "aria-labelledby=\"grid-");
	html_num(b, (long long)n);
	html_raw(b, "\">\n");
	for (i = 0; i < g->ncol; i++) {
		const struct grid_column *c = &g->col[i];

		html_raw(b, "<section class=\"col\" aria-labelledby=\"col-");
		html_num(b, (long long)n);
		html_raw(b, "-");
		html_attr(b, c->cand.slug);
		html_raw(b, "\">\n<h3 id=\"col-");
		html_num(b, (long long)n);
		html_raw(b, "-");
		html_attr(b, c->cand.slug);
		html_raw(b, "\"><a href=\"/e/");
		url_arg(b, e);
		html_raw(b, "/c/");
		url_arg(b, c->cand.slug);
		html_raw(b, "\">");
		html_cand_name(b, &c->cand);
		html_raw(b, "</a> <span class=\"party\">");
		html_text(b, c->cand.party);
		html_raw(b, "</span></h3>\n");
		if (!c->n) {
			html_raw(b, "<p class=\"empty\">");
			html_text(b, tr(r, "Aucune proposition sur ce thème "
					   "dans le programme"));
			html_raw(b, "</p>\n</section>\n");
			continue;
		}
		html_raw(b, "<ol class=\"proposals\">\n");
		for (k = 0; k < c->n; k++) {
			const struct grid_proposal *p = &c->v[k];

			html_raw(b, "<li>");
			if (*p->heading_path) {
				html_raw(b, "<p class=\"path\">");
				html_text(b, p->heading_path);
				html_raw(b, "</p>");
			}
			html_raw(b, "<blockquote class=\"text\">");
			html_text(b, p->text);
			html_raw(b, "</blockquote>");
			if ((rc = web_notes(r, p->id)))
				return rc;
			html_raw(b, "<p class=\"meta\"><a href=\"/p/");
			html_num(b, (long long)p->id);
			html_raw(b, "\">");
			html_text(b, tr(r, "Lien permanent"));
			html_raw(b, "</a></p></li>\n");
		}
		html_raw(b, "</ol>\n</section>\n");
	}
	html_raw(b, "</div>\n</section>\n");
	return 0;
}

int page_compare(struct web_req *r)
{
	const char *e = r->param[0];
	const char *sel[WEB_MAX_CANDIDATES];
	const struct theme_coverage *t[WEB_MAX_THEMES];
	struct theme_grid g[WEB_MAX_THEMES];
	struct election_info ei = {0};
	struct candidate_list cl = {0};
	struct theme_coverage_list tl = {0};
	struct theme_sel ts = {0};
	struct sb *b = &r->body;
	size_t i, nsel = 0;
	int rc;

	memset(g, 0, sizeof(g));
	for (i = 0; i < r->narg; i++) {
		if (strcmp(r->arg[i].key, "c"))
			continue;
		if (nsel == WEB_MAX_CANDIDATES)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "more than %d candidates",
					    WEB_MAX_CANDIDATES);
		sel[nsel++] = r->arg[i].val;
	}
	if ((rc = web_themes(r, &ts)) ||
	    (rc = election_get(r->db, e, &ei, &r->err)) ||
	    (rc = candidate_list(r->db, e, &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, NULL)) ||
	    (rc = compare_theme_coverage(r->db, e, &tl, &r->err)))
		goto out;
	for (i = 0; i < ts.n; i++) {
		if (!(t[i] = theme_find(&tl, ts.v[i], strlen(ts.v[i])))) {
			rc = agora_errorf(&r->err, AGORA_ENOTFOUND,
					  "no theme '%s'", ts.v[i]);
			goto out;
		}
		if (nsel == 1)
			continue;
		if ((rc = compare_theme_grid(r->db, e, ts.v[i], sel, nsel,
					     &g[i], &r->err)))
			goto out;
		theme_grid_order(&g[i], &cl);
	}
	page_begin(r, tr(r, "Comparer"));
	html_raw(b, "<p class=\"crumbs\"><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "\">");
	html_text(b, ei.title);
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, tr(r, "Comparer"));
	for (i = 0; i < ts.n; i++) {
		html_raw(b, i ? ", " : " — ");
		html_text(b, theme_label(r, t[i]));
	}
	html_raw(b, "</h1>\n");
	if (nsel == 1) {
		r->status = 400;
		html_raw(b, "<p class=\"error\" role=\"alert\">");
		html_text(b, tr(r, "Choisissez au moins deux candidats."));
		html_raw(b, "</p>\n");
	}
	compare_form(r, e, &cl, &tl, &ts, sel, nsel);
	for (i = 0; nsel != 1 && i < ts.n; i++)
		if ((rc = compare_grid(r, e, &g[i], theme_label(r, t[i]),
				       web_order_rule(r, &ei), i + 1)))
			goto out;
	page_end(r);
out:
	for (i = 0; i < WEB_MAX_THEMES; i++)
		theme_grid_fini(&g[i]);
	theme_sel_fini(&ts);
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* ------------------------------------------------------------ candidate */

/* A source link only for http(s): anything else is shown as text */
static void html_source(struct sb *b, const char *url)
{
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)) {
		html_text(b, url);
		return;
	}
	html_raw(b, "<a rel=\"nofollow noopener\" href=\"");
	html_attr(b, url);
	html_raw(b, "\">");
	html_text(b, url);
	html_raw(b, "</a>");
}

static void documents_table(struct web_req *r,
			    const struct programme_document *d, size_t n)
{
	struct sb *b = &r->body;
	size_t i;

	html_thead(b, "documents", tr(r, "Titre"), tr(r, "Version"),
		   tr(r, "Déposé le"), tr(r, "Source"), tr(r, "SHA-256"), NULL);
	for (i = 0; i < n; i++) {
		html_raw(b, "<tr><td>");
		html_text(b, d[i].title);
		html_raw(b, "</td><td>");
		/* its page lists the older versions and what changed */
		html_raw(b, "<a class=\"versions\" href=\"/d/");
		html_num(b, d[i].id);
		html_raw(b, "\">");
		html_num(b, d[i].version);
		html_raw(b, "</a></td><td>");
		html_date(r, d[i].submitted_at);
		html_raw(b, "</td><td>");
		html_source(b, d[i].source_url);
		html_raw(b, "</td><td><code class=\"hash\">");
		html_text(b, d[i].sha256);
		html_raw(b, "</code></td></tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n");
}

int page_candidate(struct web_req *r)
{
	const char *e = r->param[0], *c = r->param[1];
	struct election_info ei = {0};
	struct programme pg = {0};
	struct theme_coverage_list tl = {0};
	struct sb *b = &r->body, title;
	const char *last = NULL;
	size_t i;
	int rc;

	sb_init(&title, 1024);
	if ((rc = election_get(r->db, e, &ei, &r->err)) ||
	    (rc = compare_programme(r->db, e, c, &pg, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)))
		goto out;
	sb_printf(&title, "%s%s%s", pg.cand.given_name,
		  *pg.cand.given_name ? " " : "", pg.cand.family_name);
	page_begin(r, title.buf);
	html_raw(b, "<p class=\"crumbs\"><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "\">");
	html_text(b, ei.title);
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, title.buf);
	html_raw(b, "</h1>\n<p class=\"party\">");
	html_text(b, pg.cand.party);
	html_raw(b, "</p>\n");
	if ((rc = web_candidate_profile(r, pg.cand.id)) ||
	    (rc = web_candidate_material(r, pg.cand.id)))
		goto out;
	html_raw(b, "<section>\n<h2>");
	html_text(b, tr(r, "Documents"));
	html_raw(b, "</h2>\n");
	documents_table(r, pg.doc, pg.ndoc);
	html_raw(b, "</section>\n<section>\n<h2>");
	html_text(b, tr(r, "Programme"));
	html_raw(b, "</h2>\n");
	for (i = 0; i < pg.n; i++) {
		const struct programme_proposal *p = &pg.v[i];

		if (*p->heading_path &&
		    (!last || strcmp(last, p->heading_path))) {
			html_raw(b, "<h3 class=\"path\">");
			html_text(b, p->heading_path);
			html_raw(b, "</h3>\n");
		}
		last = p->heading_path;
		html_raw(b, "<article class=\"proposal\" id=\"p");
		html_num(b, (long long)p->id);
		html_raw(b, "\">\n<blockquote class=\"text\">");
		html_text(b, p->text);
		html_raw(b, "</blockquote>\n");
		html_themes(r, &tl, e, p->themes);
		if ((rc = web_notes(r, p->id)))
			goto out;
		html_raw(b, "<p class=\"meta\"><a href=\"/p/");
		html_num(b, (long long)p->id);
		html_raw(b, "\">");
		html_text(b, tr(r, "Lien permanent"));
		html_raw(b, "</a></p>\n</article>\n");
	}
	html_raw(b, "</section>\n");
	page_end(r);
out:
	sb_fini(&title);
	election_info_fini(&ei);
	programme_fini(&pg);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* ------------------------------------------------------------- proposal */

/* An id in a path: 1 to 18 digits, no leading 0; else -1 (a 404) */
int web_parse_id(const char *s, int64_t *id)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 18 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	*id = strtoll(s, NULL, 10);
	return 0;
}

static void dl_item(struct web_req *r, const char *term)
{
	html_raw(&r->body, "<dt>");
	html_text(&r->body, term);
	html_raw(&r->body, "</dt><dd>");
}

int page_proposal(struct web_req *r)
{
	struct proposal_detail d = {0};
	struct theme_coverage_list tl = {0};
	struct sb *b = &r->body, title;
	int64_t id;
	int rc;

	sb_init(&title, 256);
	if (web_parse_id(r->param[0], &id)) {
		rc = agora_errorf(&r->err, AGORA_ENOTFOUND, "no proposal '%s'",
				  r->param[0]);
		goto out;
	}
	if ((rc = compare_proposal(r->db, id, &d, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)))
		goto out;
	sb_printf(&title, "%s %lld", tr(r, "Proposition"), (long long)id);
	page_begin(r, title.buf);
	html_raw(b, "<h1>");
	html_text(b, title.buf);
	html_raw(b, "</h1>\n");
	if (!d.current) {
		html_raw(b, "<p class=\"notice\">");
		html_text(b,
			  tr(r,
			     "Ce document a été remplacé par une version plus "
			     "récente."));
		html_raw(b, "</p>\n");
	}
	html_raw(b, "<blockquote class=\"text\">");
	html_text(b, d.p.text);
	html_raw(b, "</blockquote>\n<dl class=\"facts\">\n");
	dl_item(r, tr(r, "Candidat"));
	html_raw(b, "<a href=\"/e/");
	url_arg(b, d.election);
	html_raw(b, "/c/");
	url_arg(b, d.cand.slug);
	html_raw(b, "#p");
	html_num(b, (long long)id);
	html_raw(b, "\">");
	html_cand_name(b, &d.cand);
	html_raw(b, "</a> <span class=\"party\">");
	html_text(b, d.cand.party);
	html_raw(b, "</span></dd>\n");
	dl_item(r, tr(r, "Élection"));
	html_raw(b, "<a href=\"/e/");
	url_arg(b, d.election);
	html_raw(b, "\">");
	html_text(b, d.election_title);
	html_raw(b, "</a></dd>\n");
	dl_item(r, tr(r, "Document"));
	html_text(b, d.doc.title);
	html_raw(b, " (");
	html_text(b, tr(r, "Version"));
	html_raw(b, " ");
	html_num(b, d.doc.version);
	html_raw(b, ", ");
	html_date(r, d.doc.submitted_at);
	html_raw(b, ") ");
	html_source(b, d.doc.source_url);
	html_raw(b, "</dd>\n");
	if (*d.p.heading_path) {
		dl_item(r, tr(r, "Rubrique"));
		html_text(b, d.p.heading_path);
		html_raw(b, "</dd>\n");
	}
	html_raw(b, "</dl>\n");
	html_themes(r, &tl, d.election, d.p.themes);
	if ((rc = web_notes(r, id)))
		goto out;
	html_raw(b, "<section>\n<h2>");
	html_text(b, tr(r, "Vérifier"));
	html_raw(b, "</h2>\n<p>");
	html_text(
		b,
		tr(r,
		   "Ce texte est exactement un extrait, octet pour octet, du "
		   "texte tiré du document original, conservé avec son "
		   "empreinte SHA-256. La commande « agora verify » ré-extrait "
		   "chaque original et vérifie chaque proposition."));
	html_raw(b, "</p>\n<dl class=\"facts\">\n");
	dl_item(r, tr(r, "SHA-256"));
	html_raw(b, "<code class=\"hash\">");
	html_text(b, d.doc.sha256);
	html_raw(b, "</code></dd>\n");
	dl_item(r, tr(r, "Position dans le texte extrait (octets)"));
	html_raw(b, "<code>[");
	html_num(b, (long long)d.start);
	html_raw(b, ", ");
	html_num(b, (long long)d.end);
	html_raw(b, ")</code></dd>\n</dl>\n<pre><code>agora verify</code>"
		    "</pre>\n</section>\n");
	page_end(r);
out:
	sb_fini(&title);
	proposal_detail_fini(&d);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* --------------------------------------------------------------- search */

/* A link to another page of the same search */
static void search_link(struct web_req *r, const char *q,
			const struct search_opts *o, long page,
			const char *label, const char *rel)
{
	struct sb *b = &r->body;

	html_raw(b, "<a href=\"/search?q=");
	url_arg(b, q);
	if (o->election) {
		html_raw(b, "&amp;election=");
		url_arg(b, o->election);
	}
	if (o->candidate) {
		html_raw(b, "&amp;candidate=");
		url_arg(b, o->candidate);
	}
	if (o->theme) {
		html_raw(b, "&amp;theme=");
		url_arg(b, o->theme);
	}
	html_raw(b, "&amp;page=");
	html_num(b, page);
	html_raw(b, "\" rel=\"");
	html_raw(b, rel);
	html_raw(b, "\">");
	html_text(b, label);
	html_raw(b, "</a>");
}

/* A <select> of filters: value/label pairs, "" for all */
static void filter_select(struct web_req *r, const char *name,
			  const char *label, const char *cur,
			  const char *const *vals, const char *const *labels,
			  size_t n)
{
	struct sb *b = &r->body;
	size_t i;

	html_raw(b, "<label for=\"f-");
	html_raw(b, name);
	html_raw(b, "\">");
	html_text(b, label);
	html_raw(b, "</label>\n<select id=\"f-");
	html_raw(b, name);
	html_raw(b, "\" name=\"");
	html_raw(b, name);
	html_raw(b, "\">\n<option value=\"\">");
	html_text(b, tr(r, "Tous"));
	html_raw(b, "</option>\n");
	for (i = 0; i < n; i++) {
		html_raw(b, "<option value=\"");
		html_attr(b, vals[i]);
		html_raw(b,
			 cur && !strcmp(cur, vals[i]) ? "\" selected>" : "\">");
		html_text(b, labels[i]);
		html_raw(b, "</option>\n");
	}
	html_raw(b, "</select>\n");
}

static int search_filters(struct web_req *r, const struct search_opts *o)
{
	struct election_summary_list el = {0};
	struct theme_coverage_list tl = {0};
	struct candidate_list cl = {0};
	const char **v = NULL, **l = NULL;
	size_t i, n;
	int rc;

	if ((rc = compare_elections(r->db, &el, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)))
		goto out;
	if (o->election && candidate_list(r->db, o->election, &cl, &r->err))
		memset(&cl, 0, sizeof(cl)); /* unknown: no candidate filter */
	n = el.n + tl.n + cl.n + 1;
	v = calloc(n, sizeof(*v));
	l = calloc(n, sizeof(*l));
	if (!v || !l) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	html_raw(&r->body, "<div class=\"filters\">\n");
	for (i = 0; i < el.n; i++) {
		v[i] = el.v[i].slug;
		l[i] = el.v[i].title;
	}
	filter_select(r, "election", tr(r, "Élection"), o->election, v, l,
		      el.n);
	if (cl.n) {
		char **full = calloc(cl.n, sizeof(*full));

		for (i = 0; full && i < cl.n; i++) {
			struct sb one;

			sb_init(&one, 1024);
			sb_printf(&one, "%s%s%s", cl.v[i].given_name,
				  *cl.v[i].given_name ? " " : "",
				  cl.v[i].family_name);
			full[i] = sb_detach(&one, NULL);
			v[i] = cl.v[i].slug;
			l[i] = full[i] ? full[i] : cl.v[i].slug;
		}
		if (full)
			filter_select(r, "candidate", tr(r, "Candidat"),
				      o->candidate, v, l, cl.n);
		for (i = 0; full && i < cl.n; i++)
			free(full[i]);
		free(full);
	}
	for (i = 0; i < tl.n; i++) {
		v[i] = tl.v[i].key;
		l[i] = theme_label(r, &tl.v[i]);
	}
	filter_select(r, "theme", tr(r, "Thème"), o->theme, v, l, tl.n);
	html_raw(&r->body, "</div>\n");
out:
	free(v);
	free(l);
	election_summary_list_fini(&el);
	theme_coverage_list_fini(&tl);
	candidate_list_fini(&cl);
	return rc;
}

int page_search(struct web_req *r)
{
	const char *q = web_arg(r, "q"), *pg = web_arg(r, "page");
	struct search_opts o = {0};
	struct search_result res = {0};
	struct sb *b = &r->body;
	char num[LANG_NUM_MAX];
	long page = 1;
	size_t i;
	int rc;

	o.election = web_arg(r, "election");
	o.candidate = web_arg(r, "candidate");
	o.theme = web_arg(r, "theme");
	if (o.election && !*o.election)
		o.election = NULL;
	if (o.candidate && !*o.candidate)
		o.candidate = NULL;
	if (o.theme && !*o.theme)
		o.theme = NULL;
	if (q && strlen(q) > WEB_MAX_QUERY)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "the query is longer than %d bytes",
				    WEB_MAX_QUERY);
	if (pg) {
		char *end;

		page = strtol(pg, &end, 10);
		if (!*pg || *end || page < 1 || page > SEARCH_MAX_PAGE)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "bad page '%s': 1 to %d", pg,
					    SEARCH_MAX_PAGE);
	}
	o.limit = SEARCH_PAGE;
	o.offset = (size_t)(page - 1) * SEARCH_PAGE;
	if (q && *q &&
	    ((rc = compare_search(r->db, q, &o, &res, &r->err)) ||
	     (rc = web_order_counts(r, o.election, &res, NULL)))) {
		search_result_fini(&res);
		return rc;
	}
	page_begin(r, tr(r, "Rechercher"));
	html_raw(b, "<h1>");
	html_text(b, tr(r, "Rechercher"));
	html_raw(b, "</h1>\n<form class=\"search\" role=\"search\" "
		    "method=\"get\" action=\"/search\">\n<p><label for=\"q\">");
	html_text(b, tr(r, "Rechercher dans les programmes"));
	html_raw(b, "</label>\n<input type=\"search\" id=\"q\" name=\"q\" "
		    "maxlength=\"1000\" value=\"");
	html_attr(b, q ? q : "");
	html_raw(b, "\"></p>\n");
	if ((rc = search_filters(r, &o)))
		goto out;
	html_raw(b, "<p><button type=\"submit\">");
	html_text(b, tr(r, "Rechercher"));
	html_raw(b, "</button></p>\n</form>\n");
	if (!q || !*q)
		goto end;
	html_raw(b,
		 "<section aria-labelledby=\"results\">\n<h2 id=\"results\">");
	web_num(r, (long long)res.total, num);
	if (res.total_capped) /* "1 000+": LANG_NUM_MAX leaves room */
		snprintf(num + strlen(num), LANG_NUM_MAX - strlen(num), "+");
	/* TRANSLATORS: the number of results, then the query */
	html_textf(b,
		   tr_n(r, "%s résultat — « %s »", "%s résultats — « %s »",
			res.total),
		   num, q);
	html_raw(b, "</h2>\n");
	if (res.ncand) {
		html_raw(b, "<h3>");
		html_text(b, tr(r, "Résultats par candidat"));
		html_raw(b, "</h3>\n<ul class=\"counts\">\n");
		for (i = 0; i < res.ncand; i++) {
			html_raw(b, "<li>");
			/* TRANSLATORS: a candidate, their number of
			 * results */
			html_textf(b, tr(r, "%s : %s"),
				   res.per_candidate[i].candidate_name,
				   web_num(r, (long long)res.per_candidate[i].n,
					   num));
			html_raw(b, "</li>\n");
		}
		html_raw(b, "</ul>\n");
	}
	if (!res.n) {
		html_raw(b, "<p>");
		html_text(b, tr(r, "Aucun résultat."));
		html_raw(b, "</p>\n");
	} else {
		html_raw(b, "<ol class=\"hits\" start=\"");
		html_num(b, (long long)o.offset + 1);
		html_raw(b, "\">\n");
	}
	for (i = 0; i < res.n; i++) {
		const struct search_hit *h = &res.v[i];

		html_raw(b, "<li><p class=\"who\"><a href=\"/e/");
		url_arg(b, h->election);
		html_raw(b, "/c/");
		url_arg(b, h->candidate_slug);
		html_raw(b, "\">");
		html_text(b, h->candidate_name);
		html_raw(b, "</a> <span class=\"party\">");
		html_text(b, h->party);
		html_raw(b, "</span></p>");
		if (*h->heading_path) {
			html_raw(b, "<p class=\"path\">");
			html_text(b, h->heading_path);
			html_raw(b, "</p>");
		}
		html_raw(b, "<blockquote class=\"text\">");
		html_marked(b, h->snippet);
		html_raw(b, "</blockquote><p class=\"meta\"><a href=\"/p/");
		html_num(b, (long long)h->proposal_id);
		html_raw(b, "\">");
		html_text(b, tr(r, "Lien permanent"));
		html_raw(b, "</a></p></li>\n");
	}
	if (res.n)
		html_raw(b, "</ol>\n");
	if (page > 1 || o.offset + res.n < res.total) {
		html_raw(b, "<nav class=\"pages\" aria-label=\"");
		html_attr(b, tr(r, "Page"));
		html_raw(b, "\">");
		if (page > 1)
			search_link(r, q, &o, page - 1,
				    tr(r, "Page précédente"), "prev");
		html_raw(b, " ");
		if (o.offset + res.n < res.total && page < SEARCH_MAX_PAGE)
			search_link(r, q, &o, page + 1, tr(r, "Page suivante"),
				    "next");
		html_raw(b, "</nav>\n");
	}
	html_raw(b, "</section>\n");
end:
	page_end(r);
out:
	search_result_fini(&res);
	return rc;
}
