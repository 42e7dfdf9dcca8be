/*
 * form_page.c - the skeleton of the personal form pages and of the
 * editors' decision pages (form_page.h): written once, so that the
 * checks every such page needs (the role, the CSRF token, the
 * candidacy named by a form, the editor of the item's election) are
 * made in one place, the same way on every page.
 */
#include <string.h>

#include "form_page.h"
#include "ingest.h"

/* ------------------------------------------------------- form pages */

/* The notice of a ?sent= value, or NULL */
static const char *sent_message(struct web_req *r, const struct form_sent *t)
{
	const char *sent = web_arg(r, "sent");

	if (!sent || !t)
		return NULL;
	for (; t->value; t++)
		if (!strcmp(sent, t->value))
			return t->message;
	return t->message;
}

int form_page_run(struct web_req *r, const struct form_page *p)
{
	struct auth_grant_list gl = {0};
	int rc;

	if (!p->role && !auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if (p->role && auth_require(r, p->role, 0))
		return 0;
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		return rc;
	if (!r->post)
		rc = p->render(r, &gl, 200, NULL, sent_message(r, p->sent));
	else if (auth_post_ok(r))
		rc = 0;
	else
		rc = p->post(r, &gl);
	auth_grant_list_fini(&gl);
	return rc;
}

void form_page_begin(struct web_req *r, int status, const char *title)
{
	sb_reset(&r->body);
	r->status = status;
	page_begin(r, title);
	html_raw(&r->body, "<h1>");
	html_text(&r->body, title);
	html_raw(&r->body, "</h1>\n");
}

void form_notices(struct web_req *r, const char *error, const char *done)
{
	if (error) {
		html_raw(&r->body, "<p class=\"error\" role=\"alert\">");
		html_text(&r->body, error);
		html_raw(&r->body, "</p>\n");
	}
	if (done) {
		html_raw(&r->body, "<p class=\"notice\" role=\"status\">");
		html_text(&r->body, done);
		html_raw(&r->body, "</p>\n");
	}
}

/* ------------------------------------------------------ candidacies */

/* The candidacies the signed-in user holds: grants with a candidate */
static int is_candidacy(const struct auth_grant *g)
{
	return g->role == ROLE_CANDIDATE && g->election && g->candidate;
}

int web_own_candidacy(const struct auth_grant_list *gl, const char *e,
		      const char *c)
{
	size_t i;

	for (i = 0; i < gl->n; i++)
		if (is_candidacy(&gl->v[i]) && !strcmp(gl->v[i].election, e) &&
		    !strcmp(gl->v[i].candidate, c))
			return 1;
	return 0;
}

/* <a href="/e/ELECTION/c/CANDIDATE">, the candidate's page */
static void candidate_a(struct sb *b, const char *election,
			const char *candidate)
{
	html_raw(b, "<a href=\"/e/");
	url_arg(b, election);
	html_raw(b, "/c/");
	url_arg(b, candidate);
	html_raw(b, "\">");
}

void form_candidate_link(struct web_req *r, const char *election,
			 const char *candidate, const char *text)
{
	candidate_a(&r->body, election, candidate);
	html_text(&r->body, text);
	html_raw(&r->body, "</a> <span class=\"meta\">");
	html_text(&r->body, election);
	html_raw(&r->body, "</span>");
}

static void candidacy_heading(struct web_req *r, const struct auth_grant *g)
{
	html_raw(&r->body, "<h2>");
	form_candidate_link(r, g->election, g->candidate, g->candidate);
	html_raw(&r->body, "</h2>\n");
}

int form_candidacies(struct web_req *r, const struct auth_grant_list *gl,
		     int ask,
		     int (*section)(struct web_req *r,
				    const struct auth_grant *g, int64_t cid))
{
	size_t i, n = 0;
	int64_t cid;
	int rc;

	for (i = 0; i < gl->n; i++) {
		const struct auth_grant *g = &gl->v[i];

		if (!is_candidacy(g))
			continue;
		n++;
		if ((rc = ingest_candidate_id(r->db, g->election, g->candidate,
					      &cid, &r->err)))
			return rc;
		html_raw(&r->body, "<section>\n");
		candidacy_heading(r, g);
		if ((rc = section(r, g, cid)))
			return rc;
		html_raw(&r->body, "</section>\n");
	}
	if (n)
		return 0;
	html_raw(&r->body, "<p>");
	html_text(&r->body,
		  tr(r, "Votre compte n'est lié à aucune candidature : "
			"un éditeur ou un administrateur la confirme."));
	if (ask) {
		html_raw(&r->body, " <a href=\"/account/candidacy\">");
		html_text(&r->body, tr(r, "Lier mon compte à une candidature"));
		html_raw(&r->body, "</a>");
	}
	html_raw(&r->body, "</p>\n");
	return 0;
}

void form_candidacy_field(struct web_req *r, const struct auth_grant *g)
{
	html_raw(&r->body,
		 "<input type=\"hidden\" name=\"candidacy\" value=\"");
	html_attr(&r->body, g->election);
	html_raw(&r->body, "/");
	html_attr(&r->body, g->candidate);
	html_raw(&r->body, "\">\n");
}

const struct auth_grant *form_candidacy(struct web_req *r,
					const struct auth_grant_list *gl,
					int *status, const char **message)
{
	const char *cand = auth_form(r, "candidacy"), *slash;
	size_t i, n;

	if (!cand || !(slash = strchr(cand, '/'))) {
		*status = 400;
		*message = tr(r, "Choisissez une de vos candidatures.");
		return NULL;
	}
	n = (size_t)(slash - cand);
	for (i = 0; i < gl->n; i++) {
		const struct auth_grant *g = &gl->v[i];

		if (is_candidacy(g) && strlen(g->election) == n &&
		    !memcmp(g->election, cand, n) &&
		    !strcmp(g->candidate, slash + 1))
			return g;
	}
	*status = 403;
	*message = tr(r, "Votre compte n'a pas le rôle que demande cette "
			 "page.");
	return NULL;
}

/* ------------------------------------------------------- decisions */

int form_refusal(struct web_req *r, int rc)
{
	int status = rc == AGORA_EEXIST	     ? 409
		     : rc == AGORA_ENOTFOUND ? 404
		     : rc == AGORA_ETOOBIG   ? 429
		     : rc == AGORA_EINVAL    ? 400
					     : 0;

	if (!status)
		return rc;
	auth_page_error(r, status, r->err.msg);
	return 0;
}

int form_decision_id(struct web_req *r, const struct form_decision *d,
		     int64_t *id, int *done)
{
	*done = 1;
	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if (web_parse_id(r->param[0], id))
		return agora_errorf(&r->err, AGORA_ENOTFOUND, "no %s '%s'",
				    d->what, r->param[0]);
	*done = 0;
	return 0;
}

static int decision_post(struct web_req *r, const struct form_decision *d,
			 int64_t id)
{
	const char *yes = d->kind == DECIDE_CONFIRM ? "confirm" : "publish";
	const char *no = d->kind == DECIDE_CONFIRM ? "refuse" : "reject";
	const char *action = auth_form(r, "action");
	const char *reason = auth_form(r, "reason");
	struct agora_db *db;
	int rc;

	if (!action || (strcmp(action, yes) && strcmp(action, no))) {
		auth_page_error(r, 400,
				d->kind == DECIDE_CONFIRM
					? tr(r, "Choisissez de confirmer ou "
						"de refuser.")
					: tr(r, "Formulaire mal formé : un "
						"échappement %, un octet nul "
						"ou de l'UTF-8 invalide."));
		return 0;
	}
	if ((rc = auth_write_begin(r, &db)))
		return rc;
	if ((rc = d->write(r, db, id, !strcmp(action, yes), reason))) {
		db_rollback(db);
		return form_refusal(r, rc);
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO, "request %s: %s %lld: %s by user %lld", r->id, d->what,
	    (long long)id, action, (long long)r->auth->user.id);
	auth_redirect(r, d->back);
	return 0;
}

int form_decision_gate(struct web_req *r, const struct form_decision *d,
		       int64_t election_id, int64_t id, int *done)
{
	*done = 1;
	if (auth_require(r, ROLE_EDITOR, election_id))
		return 0;
	if (r->post)
		return auth_post_ok(r) ? 0 : decision_post(r, d, id);
	*done = 0;
	return 0;
}

void form_decision_head(struct web_req *r, const struct form_decision *d,
			const char *title)
{
	form_head(r, title, d->back,
		  d->kind == DECIDE_CONFIRM ? tr(r, "Demandes de candidats")
					    : tr(r, "Modération"));
}

void form_decision_form(struct web_req *r, const struct form_decision *d,
			int64_t id)
{
	int confirm = d->kind == DECIDE_CONFIRM;
	struct sb *b = &r->body;

	html_raw(b, confirm ? "<form class=\"decide\""
			    : "<form class=\"moderate\"");
	html_raw(b, " method=\"post\" action=\"");
	html_attr(b, d->path);
	html_num(b, id);
	html_raw(b, "\">\n");
	auth_csrf_field(r);
	html_raw(b, confirm ? "<p><button type=\"submit\" name=\"action\" "
			      "value=\"confirm\">"
			    : "<p><button type=\"submit\" name=\"action\" "
			      "value=\"publish\">");
	html_text(b, confirm ? tr(r, "Confirmer : ce compte est celui du "
				     "candidat")
			     : tr(r, "Publier"));
	html_raw(b, "</button></p>\n<p><label for=\"reason\">");
	html_text(b, confirm ? tr(r, "Motif du refus (le demandeur le lira)")
			     : tr(r, "Motif du refus (le candidat le lira)"));
	html_raw(b, "</label><br>\n<textarea id=\"reason\" name=\"reason\" "
		    "maxlength=\"2000\"></textarea><br>\n<button "
		    "type=\"submit\" name=\"action\" value=\"");
	html_raw(b, confirm ? "refuse" : "reject");
	html_raw(b, "\">");
	html_text(b, tr(r, "Refuser"));
	html_raw(b, "</button></p>\n</form>\n");
}

/* ------------------------------------------------------ bits of HTML */

/* The end of a heading whose crumb's <a href> is written */
static void head_end(struct web_req *r, const char *title,
		     const char *back_text)
{
	html_text(&r->body, back_text);
	html_raw(&r->body, "</a></p>\n<h1>");
	html_text(&r->body, title);
	html_raw(&r->body, "</h1>\n");
}

void form_head(struct web_req *r, const char *title, const char *back,
	       const char *back_text)
{
	page_begin(r, title);
	html_raw(&r->body, "<p class=\"crumbs\"><a href=\"");
	html_attr(&r->body, back);
	html_raw(&r->body, "\">");
	head_end(r, title, back_text);
}

void form_candidate_head(struct web_req *r, const char *title,
			 const char *election, const char *candidate,
			 const char *name)
{
	page_begin(r, title);
	html_raw(&r->body, "<p class=\"crumbs\">");
	candidate_a(&r->body, election, candidate);
	head_end(r, title, name);
}

void form_source_link(struct web_req *r, const char *url)
{
	html_text(&r->body, tr(r, "Publié à l'adresse :"));
	html_raw(&r->body, " <a rel=\"nofollow noopener\" href=\"");
	html_attr(&r->body, url);
	html_raw(&r->body, "\">");
	html_text(&r->body, url);
	html_raw(&r->body, "</a>");
}

void form_status(struct web_req *r, const char *status, const char *label)
{
	html_raw(&r->body, "<span class=\"status-");
	html_attr(&r->body, status);
	html_raw(&r->body, "\">");
	html_text(&r->body, label);
	html_raw(&r->body, "</span>");
}

void form_reason(struct web_req *r, const char *reason)
{
	if (!*reason)
		return;
	html_raw(&r->body, "<br><span class=\"reason\">");
	html_text(&r->body, tr(r, "Motif :"));
	html_raw(&r->body, " ");
	html_text(&r->body, reason);
	html_raw(&r->body, "</span>");
}

void form_empty(struct web_req *r, size_t n, const char *text)
{
	if (n)
		return;
	html_raw(&r->body, "<p class=\"empty\">");
	html_text(&r->body, text);
	html_raw(&r->body, "</p>\n");
}

int form_editor_of(struct web_req *r, int64_t election_id)
{
	return auth_user_can(r->db, r->auth->user.id, ROLE_EDITOR, election_id,
			     &r->err);
}
