/*
 * api.c - the JSON API, /api/v1/...: the same module calls as the pages,
 * rendered with jansson. Errors are {"error":{"code","message"}} with a
 * 4xx or 5xx status. Documented in web/data/openapi.json and doc/api.md.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "editor.h"
#include "web_auth.h"
#include "web_int.h"

/* Serialises o into the response body and releases it */
int api_send(struct web_req *r, json_t *o)
{
	char *s;

	r->ctype = "application/json; charset=utf-8";
	if (!o)
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	sb_puts(&r->body, s);
	sb_putc(&r->body, '\n');
	free(s);
	return 0;
}

void api_error(struct web_req *r, int status, const char *code,
	       const char *message)
{
	json_t *o = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code,
			      "message", message, "request_id", r->id);

	sb_reset(&r->body);
	r->status = status;
	if (api_send(r, o)) {
		r->ctype = "application/json; charset=utf-8";
		sb_puts(&r->body, "{\"error\":{\"code\":\"internal\"}}\n");
	}
}

/* 0 when signed in (the answer is then personal: never cached); else
 * the 401 is made and it returns 1 */
int api_signed_in(struct web_req *r)
{
	if (auth_signed_in(r)) {
		r->auth->personal = 1;
		return 0;
	}
	api_error(r, 401, "unauthorized",
		  "sign in first: this call reads the agora_session cookie");
	return 1;
}

/*
 * A module's refusal (bad input, unknown object, a decision already
 * taken, a rate limit) as its JSON error; 0 once answered. Other errors
 * (storage, memory) are returned for the server's own answer.
 */
int api_refusal(struct web_req *r, int rc)
{
	switch (rc) {
	case AGORA_EINVAL:
		api_error(r, 400, "bad_request", r->err.msg);
		return 0;
	case AGORA_ENOTFOUND:
		api_error(r, 404, "not_found", r->err.msg);
		return 0;
	case AGORA_EEXIST:
		api_error(r, 409, "conflict", r->err.msg);
		return 0;
	case AGORA_ETOOBIG:
		api_error(r, 429, "too_many_requests", r->err.msg);
		return 0;
	default:
		return rc;
	}
}

static json_t *candidate_json(const struct candidate_info *c)
{
	struct sb name;
	json_t *o;

	sb_init(&name, 1024);
	sb_printf(&name, "%s%s%s", c->given_name, *c->given_name ? " " : "",
		  c->family_name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "slug", c->slug, "name",
		      name.buf, "given_name", c->given_name, "family_name",
		      c->family_name, "party", c->party);
	sb_fini(&name);
	return o;
}

/* The candidates, each with its published profile and material */
static json_t *candidates_json(struct web_req *r,
			       const struct candidate_list *cl, int *rc)
{
	json_t *a = json_array(), *c;
	size_t i;

	for (i = 0; a && i < cl->n; i++) {
		c = candidate_json(&cl->v[i]);
		if (c && (*rc = web_candidate_json(r, cl->v[i].id, c))) {
			json_decref(c);
			json_decref(a);
			return NULL;
		}
		json_object_set_new(
			c, "documents",
			json_integer((json_int_t)cl->v[i].documents));
		json_object_set_new(
			c, "proposals",
			json_integer((json_int_t)cl->v[i].proposals));
		json_array_append_new(a, c);
	}
	return a;
}

/* "a b c" -> ["a","b","c"] */
static json_t *themes_json(const char *keys)
{
	json_t *a = json_array();
	const char *p = keys, *e;

	for (; a && *p; p = *e ? e + 1 : e) {
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		if (e > p)
			json_array_append_new(a,
					      json_stringn(p, (size_t)(e - p)));
	}
	return a;
}

static json_t *election_json(const struct election_summary *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "slug", e->slug, "title",
			 e->title, "date", e->date, "language", e->language,
			 "candidates", (json_int_t)e->candidates);
}

int api_elections(struct web_req *r)
{
	struct election_summary_list el;
	json_t *a;
	size_t i;
	int rc;

	if ((rc = compare_elections(r->db, &el, &r->err)))
		return rc;
	a = json_array();
	for (i = 0; a && i < el.n; i++)
		json_array_append_new(a, election_json(&el.v[i]));
	election_summary_list_fini(&el);
	return api_send(r, json_pack("{s:o}", "elections", a));
}

int api_election(struct web_req *r)
{
	char seed[ORDER_SEED_HEX + 1];
	struct election_info ei;
	struct candidate_list cl;
	json_t *o, *cands;
	int rc;

	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)))
		return rc;
	if ((rc = candidate_list(r->db, r->param[0], &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, seed))) {
		election_info_fini(&ei);
		candidate_list_fini(&cl);
		return rc;
	}
	if (!(cands = candidates_json(r, &cl, &rc))) {
		election_info_fini(&ei);
		candidate_list_fini(&cl);
		return rc ? rc
			  : agora_errorf(&r->err, AGORA_ENOMEM,
					 "out of memory");
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "slug", ei.slug,
		      "title", ei.title, "kind", ei.kind, "date", ei.date,
		      "language", ei.language, "candidate_order",
		      ei.candidate_order, "candidates", cands);
	if (o && *seed)
		json_object_set_new(o, "seed", json_string(seed));
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	return api_send(r, o);
}

int api_candidates(struct web_req *r)
{
	char seed[ORDER_SEED_HEX + 1];
	struct election_info ei;
	struct candidate_list cl;
	json_t *o, *cands;
	int rc;

	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)))
		return rc;
	if ((rc = candidate_list(r->db, r->param[0], &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, seed))) {
		election_info_fini(&ei);
		candidate_list_fini(&cl);
		return rc;
	}
	if (!(cands = candidates_json(r, &cl, &rc))) {
		election_info_fini(&ei);
		candidate_list_fini(&cl);
		return rc ? rc
			  : agora_errorf(&r->err, AGORA_ENOMEM,
					 "out of memory");
	}
	o = json_pack("{s:s, s:s, s:o}", "election", ei.slug, "order",
		      ei.candidate_order, "candidates", cands);
	if (o && *seed)
		json_object_set_new(o, "seed", json_string(seed));
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	return api_send(r, o);
}

int api_themes(struct web_req *r)
{
	struct election_info ei;
	struct theme_coverage_list tl;
	json_t *a;
	size_t i;
	int rc;

	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)))
		return rc;
	if ((rc = compare_theme_coverage(r->db, r->param[0], &tl, &r->err))) {
		election_info_fini(&ei);
		return rc;
	}
	a = json_array();
	for (i = 0; a && i < tl.n; i++) {
		const struct theme_coverage *t = &tl.v[i];

		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s, s:s?, s:b, s:I, s:I}",
				     "key", t->key, "label_fr", t->label_fr,
				     "label_en", t->label_en, "group",
				     *t->group ? t->group : NULL, "is_group",
				     t->is_group, "candidates",
				     (json_int_t)t->candidates, "proposals",
				     (json_int_t)t->proposals));
	}
	rc = api_send(
		r, json_pack("{s:s, s:o}", "election", ei.slug, "themes", a));
	election_info_fini(&ei);
	theme_coverage_list_fini(&tl);
	return rc;
}

/* Splits "a,b,c" into at most max slugs, pointing into a copy (freed by
 * the caller); empty items are skipped */
static int split_slugs(struct web_req *r, const char *list, char **copy,
		       const char **v, size_t max, size_t *n)
{
	char *p, *save = NULL, *tok;

	*n = 0;
	if (!(*copy = strdup(list)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	for (p = *copy; (tok = strtok_r(p, ",", &save)); p = NULL) {
		if (*n == max)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "more than %zu candidates", max);
		v[(*n)++] = tok;
	}
	return 0;
}

/* One theme's grid: its candidates in order, each with its proposals */
static json_t *grid_candidates_json(const struct theme_grid *g)
{
	json_t *cands = json_array();
	size_t i, k;

	for (i = 0; cands && i < g->ncol; i++) {
		json_t *c = candidate_json(&g->col[i].cand);
		json_t *props = json_array();

		for (k = 0; props && k < g->col[i].n; k++) {
			const struct grid_proposal *p = &g->col[i].v[k];

			json_array_append_new(
				props,
				json_pack("{s:I, s:s, s:s, s:s, s:s, s:f}",
					  "id", (json_int_t)p->id, "text",
					  p->text, "heading_path",
					  p->heading_path, "kind", p->kind,
					  "origin", p->origin, "confidence",
					  p->confidence));
		}
		json_object_set_new(c, "proposals", props);
		json_array_append_new(cands, c);
	}
	return cands;
}

static json_t *grid_theme_json(const struct theme_grid *g)
{
	return json_pack("{s:s, s:s, s:s}", "key", g->theme, "label_fr",
			 g->theme_label_fr, "label_en", g->theme_label_en);
}

/*
 * One theme: {"election", "theme", "order", "candidates"} (the shape of
 * version 1's first release, with "order" and, when shuffled, "seed"
 * added). Several: {"election", "order", "themes": [{"theme",
 * "candidates"}]}, one entry per theme in the order asked.
 */
int api_compare(struct web_req *r)
{
	const char *list = web_arg(r, "candidates");
	const char *slugs[WEB_MAX_CANDIDATES];
	struct theme_grid g[WEB_MAX_THEMES];
	struct election_info ei = {0};
	struct candidate_list cl = {0};
	struct theme_sel ts = {0};
	char seed[ORDER_SEED_HEX + 1];
	char *copy = NULL;
	json_t *o = NULL, *themes;
	size_t n = 0, i;
	int rc;

	memset(g, 0, sizeof(g));
	if ((rc = web_themes(r, &ts)))
		goto out;
	if (!ts.n) {
		rc = agora_errorf(&r->err, AGORA_EINVAL,
				  "the 'theme' parameter is required");
		goto out;
	}
	if (list &&
	    (rc = split_slugs(r, list, &copy, slugs, WEB_MAX_CANDIDATES, &n)))
		goto out;
	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)) ||
	    (rc = candidate_list(r->db, r->param[0], &cl, &r->err)) ||
	    (rc = web_order(r, &ei, &cl, seed)))
		goto out;
	for (i = 0; i < ts.n; i++) {
		if ((rc = compare_theme_grid(r->db, r->param[0], ts.v[i], slugs,
					     n, &g[i], &r->err)))
			goto out;
		theme_grid_order(&g[i], &cl);
	}
	if (ts.n == 1) {
		o = json_pack("{s:s, s:o, s:s, s:o}", "election", r->param[0],
			      "theme", grid_theme_json(&g[0]), "order",
			      ei.candidate_order, "candidates",
			      grid_candidates_json(&g[0]));
	} else {
		themes = json_array();
		for (i = 0; themes && i < ts.n; i++)
			json_array_append_new(
				themes,
				json_pack("{s:o, s:o}", "theme",
					  grid_theme_json(&g[i]), "candidates",
					  grid_candidates_json(&g[i])));
		o = json_pack("{s:s, s:s, s:o}", "election", r->param[0],
			      "order", ei.candidate_order, "themes", themes);
	}
	if (o && *seed)
		json_object_set_new(o, "seed", json_string(seed));
	rc = api_send(r, o);
out:
	free(copy);
	for (i = 0; i < WEB_MAX_THEMES; i++)
		theme_grid_fini(&g[i]);
	theme_sel_fini(&ts);
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	return rc;
}

int api_search(struct web_req *r)
{
	const char *q = web_arg(r, "q"), *s;
	struct search_opts o = {0};
	struct search_result res = {0};
	json_t *hits, *counts, *ans;
	char *end, seed[ORDER_SEED_HEX + 1] = "";
	size_t i;
	int rc;

	if (!q)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "the 'q' parameter is required");
	if (strlen(q) > WEB_MAX_QUERY)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "the query is longer than %d bytes",
				    WEB_MAX_QUERY);
	o.election = web_arg(r, "election");
	o.candidate = web_arg(r, "candidate");
	o.theme = web_arg(r, "theme");
	o.limit = 20;
	if ((s = web_arg(r, "limit"))) {
		o.limit = strtoul(s, &end, 10);
		if (!*s || *end || o.limit < 1 || o.limit > 100)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "'limit' is 1 to 100, not '%s'", s);
	}
	if ((s = web_arg(r, "offset"))) {
		o.offset = strtoul(s, &end, 10);
		if (!*s || *end || o.offset > 1000)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "'offset' is 0 to 1000, not '%s'",
					    s);
	}
	if ((rc = compare_search(r->db, q, &o, &res, &r->err)) ||
	    (rc = web_order_counts(r, o.election, &res, seed))) {
		search_result_fini(&res);
		return rc;
	}
	hits = json_array();
	counts = json_array();
	for (i = 0; hits && i < res.n; i++) {
		const struct search_hit *h = &res.v[i];

		json_array_append_new(
			hits,
			json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
				  "s:s, s:f}",
				  "proposal", (json_int_t)h->proposal_id,
				  "election", h->election, "candidate",
				  h->candidate_slug, "name", h->candidate_name,
				  "party", h->party, "heading_path",
				  h->heading_path, "text", h->text, "snippet",
				  h->snippet, "rank", h->rank));
	}
	for (i = 0; counts && i < res.ncand; i++)
		json_array_append_new(
			counts,
			json_pack("{s:s, s:s, s:I}", "candidate",
				  res.per_candidate[i].candidate_slug, "name",
				  res.per_candidate[i].candidate_name, "count",
				  (json_int_t)res.per_candidate[i].n));
	ans = json_pack("{s:s, s:I, s:b, s:I, s:I, s:o, s:o}", "query", q,
		      "total", (json_int_t)res.total, "total_capped",
		      res.total_capped, "limit", (json_int_t)o.limit, "offset",
		      (json_int_t)o.offset, "results", hits, "per_candidate",
		      counts);
	/* per_candidate in a drawn order: the seed that gives it again */
	if (ans && *seed)
		json_object_set_new(ans, "seed", json_string(seed));
	rc = api_send(r, ans);
	search_result_fini(&res);
	return rc;
}

/*
 * A proposal's context notes, current versions: written by editors, not
 * by the candidate, and kept apart from "text" for that reason
 */
static json_t *notes_json(const struct editor_note_list *l)
{
	json_t *a = json_array(), *src, *n;
	const char *p, *e;
	size_t i;

	for (i = 0; a && i < l->n; i++) {
		src = json_array();
		for (p = l->v[i].sources; src && *p; p = *e ? e + 1 : e) {
			e = strchr(p, '\n');
			if (!e)
				e = p + strlen(p);
			json_array_append_new(src,
					      json_stringn(p, (size_t)(e - p)));
		}
		n = json_pack("{s:I, s:i, s:s, s:o, s:s, s:s, s:s}", "id",
			      (json_int_t)l->v[i].id, "version",
			      l->v[i].version, "body", l->v[i].body, "sources",
			      src ? src : json_array(), "editor",
			      l->v[i].editor_name, "updated_at", l->v[i].at,
			      "created_at", l->v[i].created_at);
		if (!n || json_array_append_new(a, n)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int api_proposal(struct web_req *r)
{
	struct editor_note_list nl;
	struct proposal_detail d;
	const char *s = r->param[0];
	json_t *o;
	size_t i;
	int rc;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (s[i] || i == 0 || i > 18 || s[0] == '0')
		return agora_errorf(&r->err, AGORA_ENOTFOUND,
				    "no proposal '%s'", s);
	if ((rc = compare_proposal(r->db, strtoll(s, NULL, 10), &d, &r->err)))
		return rc;
	if ((rc = editor_notes(r->db, d.p.id, &nl, &r->err))) {
		proposal_detail_fini(&d);
		return rc;
	}
	o = json_pack(
		"{s:I, s:s, s:s, s:s, s:o, s:b, s:I, s:I, s:I,"
		" s:{s:s, s:s}, s:o,"
		" s:{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s}}",
		"id", (json_int_t)d.p.id, "text", d.p.text, "heading_path",
		d.p.heading_path, "kind", d.p.kind, "themes",
		themes_json(d.p.themes), "current", d.current, "ordinal",
		(json_int_t)d.p.ordinal, "start", (json_int_t)d.start, "end",
		(json_int_t)d.end, "election", "slug", d.election, "title",
		d.election_title, "candidate", candidate_json(&d.cand),
		"document", "id", (json_int_t)d.doc.id, "title", d.doc.title,
		"version", d.doc.version, "format", d.doc.format, "media_type",
		d.doc.media_type, "source_url", d.doc.source_url, "sha256",
		d.doc.sha256, "submitted_at", d.doc.submitted_at);
	if (o && json_object_set_new(o, "notes", notes_json(&nl))) {
		json_decref(o);
		o = NULL;
	}
	editor_note_list_fini(&nl);
	proposal_detail_fini(&d);
	return api_send(r, o);
}
