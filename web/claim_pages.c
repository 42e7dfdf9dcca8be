/*
 * claim_pages.c - linking an account to its candidacy on the web. A
 * signed-in account asks, with a message, to be linked to a candidate
 * of an election (/account/candidacy, where it also reads the answer);
 * the request waits in a queue (/candidacies) that administrators and
 * that election's editors see; they confirm it, which grants the
 * candidate role for that candidacy (so /submit opens for it), or
 * refuse it with a reason the account reads. A citizen who declares a
 * candidacy in a primary gets the request filed for them
 * (claim_declarant, called by primary_pages.c).
 *
 * Every page here is personal (never cached); permissions are checked
 * on every request, GET and POST; every POST carries its CSRF token;
 * every change is one write transaction with its audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "ingest.h"
#include "web_auth.h"

static void claim_status(struct web_req *r, const char *status)
{
	const char *t = !strcmp(status, "pending")
				? tr(r, "en attente d'un éditeur")
			: !strcmp(status, "confirmed") ? tr(r, "confirmée")
			: !strcmp(status, "refused")   ? tr(r, "refusée")
						       : status;

	html_raw(&r->body, "<span class=\"status-");
	html_attr(&r->body, status);
	html_raw(&r->body, "\">");
	html_text(&r->body, t);
	html_raw(&r->body, "</span>");
}

static void candidate_link(struct web_req *r, const struct auth_claim *c)
{
	struct sb *b = &r->body;

	html_raw(b, "<a href=\"/e/");
	url_arg(b, c->election);
	html_raw(b, "/c/");
	url_arg(b, c->candidate);
	html_raw(b, "\">");
	html_text(b, c->candidate_name);
	html_raw(b, "</a> <span class=\"meta\">");
	html_text(b, c->election);
	html_raw(b, "</span>");
}

static void notice(struct web_req *r, const char *cls, const char *text)
{
	if (!text)
		return;
	html_raw(&r->body, "<p class=\"");
	html_attr(&r->body, cls);
	html_raw(&r->body, !strcmp(cls, "error") ? "\" role=\"alert\">"
						 : "\" role=\"status\">");
	html_text(&r->body, text);
	html_raw(&r->body, "</p>\n");
}

/* A module's refusal as an error page with its status; else internal */
static int refusal(struct web_req *r, int rc)
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

/* ------------------------------------------- /account/candidacy */

static int my_claim_row(void *ctx, const struct auth_claim *c)
{
	struct web_req *r = ctx;
	struct sb *b = &r->body;

	html_raw(b, "<tr><td>");
	candidate_link(r, c);
	html_raw(b, "</td><td>");
	html_date(r, c->created_at);
	html_raw(b, "</td><td>");
	claim_status(r, c->status);
	if (*c->reason) {
		html_raw(b, "<br><span class=\"reason\">");
		html_text(b, tr(r, "Motif :"));
		html_raw(b, " ");
		html_text(b, c->reason);
		html_raw(b, "</span>");
	}
	if (!strcmp(c->status, "confirmed")) {
		html_raw(b, "<br><a href=\"/submit\">");
		html_text(b, tr(r, "Déposer un programme"));
		html_raw(b, "</a>");
	}
	html_raw(b, "</td></tr>\n");
	return 0;
}

/* The candidates to choose from, by election; want is preselected */
static int candidacy_select(struct web_req *r, const char *want)
{
	struct election_summary_list el;
	struct sb *b = &r->body;
	size_t i, k;
	int rc;

	if ((rc = compare_elections(r->db, &el, &r->err)))
		return rc;
	html_raw(b, "<select id=\"candidacy\" name=\"candidacy\" required>\n"
		    "<option value=\"\"></option>\n");
	for (i = 0; i < el.n && !rc; i++) {
		struct candidate_list cl;

		if ((rc = candidate_list(r->db, el.v[i].slug, &cl, &r->err)))
			break;
		html_raw(b, "<optgroup label=\"");
		html_attr(b, el.v[i].title);
		html_raw(b, "\">\n");
		for (k = 0; k < cl.n; k++) {
			struct sb v;

			sb_init(&v, 1024);
			sb_printf(&v, "%s/%s", el.v[i].slug, cl.v[k].slug);
			html_raw(b, "<option value=\"");
			html_attr(b, v.buf ? v.buf : "");
			html_raw(b, want && v.buf && !strcmp(want, v.buf)
					    ? "\" selected>"
					    : "\">");
			html_text(b, cl.v[k].given_name);
			html_raw(b, " ");
			html_text(b, cl.v[k].family_name);
			html_raw(b, "</option>\n");
			sb_fini(&v);
		}
		html_raw(b, "</optgroup>\n");
		candidate_list_fini(&cl);
	}
	html_raw(b, "</select>");
	election_summary_list_fini(&el);
	return rc;
}

static int claim_page(struct web_req *r)
{
	struct sb *b = &r->body;
	const char *sent = web_arg(r, "sent");
	int rc;

	page_begin(r, tr(r, "Lier mon compte à une candidature"));
	html_raw(b, "<h1>");
	html_text(b, tr(r, "Lier mon compte à une candidature"));
	html_raw(b, "</h1>\n");
	if (sent)
		notice(r, "notice",
		       tr(r, "Demande envoyée : un éditeur de l'élection ou "
			     "un administrateur y répondra ici."));
	html_raw(b, "<p>");
	html_text(b, tr(r, "Un candidat dépose son programme depuis son "
			   "compte, une fois celui-ci lié à sa candidature "
			   "par un éditeur de l'élection ou un "
			   "administrateur."));
	html_raw(b, "</p>\n<table class=\"claims\">\n<tr><th>");
	html_text(b, tr(r, "Candidature"));
	html_raw(b, "</th><th>");
	html_text(b, tr(r, "Demandée le"));
	html_raw(b, "</th><th>");
	html_text(b, tr(r, "État"));
	html_raw(b, "</th></tr>\n");
	if ((rc = auth_claim_list(r->db, r->auth->user.id, my_claim_row, r,
				  &r->err)))
		return rc;
	html_raw(b, "</table>\n<h2>");
	html_text(b, tr(r, "Nouvelle demande"));
	html_raw(b, "</h2>\n<form class=\"claim\" method=\"post\" "
		    "action=\"/account/candidacy\">\n");
	auth_csrf_field(r);
	html_raw(b, "<p><label for=\"candidacy\">");
	html_text(b, tr(r, "Candidature"));
	html_raw(b, "</label><br>\n");
	if ((rc = candidacy_select(r, web_arg(r, "c"))))
		return rc;
	html_raw(b, "</p>\n<p><label for=\"message\">");
	html_text(b, tr(r, "Message aux éditeurs (qui vous êtes, comment "
			   "le vérifier)"));
	html_raw(b, "</label><br>\n<textarea id=\"message\" name=\"message\" "
		    "rows=\"5\" maxlength=\"2000\"></textarea></p>\n"
		    "<p><button type=\"submit\">");
	html_text(b, tr(r, "Demander"));
	html_raw(b, "</button></p>\n</form>\n");
	page_end(r);
	return 0;
}

static int claim_post(struct web_req *r)
{
	const char *cand = auth_form(r, "candidacy");
	const char *message = auth_form(r, "message");
	const char *slash = cand ? strchr(cand, '/') : NULL;
	struct agora_db *db;
	char *e;
	int rc;

	if (!slash) {
		auth_page_error(r, 400, tr(r, "Choisissez une candidature."));
		return 0;
	}
	if (!(e = strndup(cand, (size_t)(slash - cand))))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if ((rc = auth_write_begin(r, &db))) {
		free(e);
		return rc;
	}
	rc = auth_claim_file(db, r->auth->user.id, e, slash + 1,
			     message ? message : "", NULL, &r->err);
	free(e);
	if (rc) {
		db_rollback(db);
		return refusal(r, rc);
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO, "request %s: user %lld asked for candidacy %s", r->id,
	    (long long)r->auth->user.id, cand);
	/* read back after the write, and a reload does not post again */
	auth_redirect(r, "/account/candidacy?sent=1");
	return 0;
}

int page_claim(struct web_req *r)
{
	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if (!r->post)
		return claim_page(r);
	if (auth_post_ok(r))
		return 0;
	return claim_post(r);
}

/* ------------------------------------------------- /candidacies */

struct queue {
	struct web_req *r;
	size_t n;
};

static int queue_row(void *ctx, const struct auth_claim *c)
{
	struct queue *q = ctx;
	struct web_req *r = q->r;
	struct sb *b = &r->body;
	int rc;

	rc = auth_user_can(r->db, r->auth->user.id, ROLE_EDITOR, c->election_id,
			   &r->err);
	if (rc <= 0)
		return rc; /* another election's, or an error */
	q->n++;
	html_raw(b, "<tr><td><a href=\"/candidacies/");
	html_num(b, c->id);
	html_raw(b, "\">");
	html_text(b, *c->display_name ? c->display_name : c->email);
	html_raw(b, "</a> <span class=\"email\">");
	html_text(b, c->email);
	html_raw(b, "</span></td><td>");
	candidate_link(r, c);
	html_raw(b, "</td><td>");
	html_date(r, c->created_at);
	html_raw(b, "</td></tr>\n");
	return 0;
}

int page_claims(struct web_req *r)
{
	struct queue q = {r, 0};
	struct sb *b = &r->body;
	int rc;

	if (auth_require(r, ROLE_EDITOR, 0))
		return 0;
	page_begin(r, tr(r, "Demandes de candidats"));
	html_raw(b, "<p class=\"crumbs\"><a href=\"/moderation\">");
	html_text(b, tr(r, "Modération"));
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, tr(r, "Demandes de candidats"));
	html_raw(b, "</h1>\n<table class=\"queue\">\n<tr><th>");
	html_text(b, tr(r, "Compte"));
	html_raw(b, "</th><th>");
	html_text(b, tr(r, "Candidature"));
	html_raw(b, "</th><th>");
	html_text(b, tr(r, "Demandée le"));
	html_raw(b, "</th></tr>\n");
	if ((rc = auth_claim_list(r->db, 0, queue_row, &q, &r->err)))
		return rc;
	html_raw(b, "</table>\n");
	if (!q.n) {
		html_raw(b, "<p class=\"empty\">");
		html_text(b, tr(r, "Aucune demande en attente."));
		html_raw(b, "</p>\n");
	}
	page_end(r);
	return 0;
}

static int decide_post(struct web_req *r, int64_t id)
{
	const char *action = auth_form(r, "action");
	const char *reason = auth_form(r, "reason");
	struct agora_db *db;
	int rc, confirm;

	if (!action ||
	    (strcmp(action, "confirm") && strcmp(action, "refuse"))) {
		auth_page_error(
			r, 400,
			tr(r, "Choisissez de confirmer ou de refuser."));
		return 0;
	}
	confirm = !strcmp(action, "confirm");
	if ((rc = auth_write_begin(r, &db)))
		return rc;
	rc = auth_claim_decide(db, id, r->auth->user.id, confirm, reason,
			       &r->err);
	if (rc) {
		db_rollback(db);
		return refusal(r, rc);
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO, "request %s: claim %lld %s by user %lld", r->id,
	    (long long)id, confirm ? "confirmed" : "refused",
	    (long long)r->auth->user.id);
	auth_redirect(r, "/candidacies");
	return 0;
}

int page_claim_decide(struct web_req *r)
{
	struct auth_claim c = {0};
	struct sb *b = &r->body;
	int64_t id;
	int rc;

	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if (web_parse_id(r->param[0], &id))
		return agora_errorf(&r->err, AGORA_ENOTFOUND, "no claim '%s'",
				    r->param[0]);
	if ((rc = auth_claim_get(r->db, id, &c, &r->err)))
		return rc;
	if (auth_require(r, ROLE_EDITOR, c.election_id))
		goto out;
	if (r->post) {
		if (!auth_post_ok(r))
			rc = decide_post(r, id);
		goto out;
	}
	page_begin(r, tr(r, "Demande de candidat"));
	html_raw(b, "<p class=\"crumbs\"><a href=\"/candidacies\">");
	html_text(b, tr(r, "Demandes de candidats"));
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, tr(r, "Demande de candidat"));
	html_raw(b, "</h1>\n<dl>\n<dt>");
	html_text(b, tr(r, "Compte"));
	html_raw(b, "</dt><dd>");
	html_text(b, c.display_name);
	html_raw(b, " <span class=\"email\">");
	html_text(b, c.email);
	html_raw(b, "</span></dd>\n<dt>");
	html_text(b, tr(r, "Candidature"));
	html_raw(b, "</dt><dd>");
	candidate_link(r, &c);
	html_raw(b, "</dd>\n<dt>");
	html_text(b, tr(r, "Demandée le"));
	html_raw(b, "</dt><dd>");
	html_date(r, c.created_at);
	html_raw(b, "</dd>\n<dt>");
	html_text(b, tr(r, "État"));
	html_raw(b, "</dt><dd>");
	claim_status(r, c.status);
	if (*c.reason) {
		html_raw(b, " <span class=\"reason\">");
		html_text(b, c.reason);
		html_raw(b, "</span>");
	}
	html_raw(b, "</dd>\n</dl>\n<h2>");
	html_text(b, tr(r, "Message"));
	html_raw(b, "</h2>\n<blockquote class=\"message\">");
	html_text(b, c.message);
	html_raw(b, "</blockquote>\n");
	if (!strcmp(c.status, "pending")) {
		html_raw(b, "<form class=\"decide\" method=\"post\" "
			    "action=\"/candidacies/");
		html_num(b, c.id);
		html_raw(b, "\">\n");
		auth_csrf_field(r);
		html_raw(b, "<p><button type=\"submit\" name=\"action\" "
			    "value=\"confirm\">");
		html_text(b, tr(r, "Confirmer : ce compte est celui du "
				   "candidat"));
		html_raw(b, "</button></p>\n<p><label for=\"reason\">");
		html_text(b, tr(r, "Motif du refus (le demandeur le lira)"));
		html_raw(b, "</label><br>\n<textarea id=\"reason\" "
			    "name=\"reason\" maxlength=\"2000\"></textarea>"
			    "<br>\n<button type=\"submit\" name=\"action\" "
			    "value=\"refuse\">");
		html_text(b, tr(r, "Refuser"));
		html_raw(b, "</button></p>\n</form>\n");
	}
	page_end(r);
out:
	auth_claim_fini(&c);
	return rc;
}

/* ------------------------------------------- a primary's declarant */

void claim_declarant(struct web_req *r, const char *election, const char *slug,
		     const char *name)
{
	struct agora_error saved = r->err;

	struct agora_db *db;
	int64_t cid;
	int rc, created = 0;
	char message[300];

	snprintf(message, sizeof(message),
		 "Candidature déclarée à la primaire %s.", election);
	if ((rc = auth_write_begin(r, &db)))
		goto out;
	if ((rc = ingest_candidate_ensure(db, election, slug, name, &cid,
					  &created, &r->err)) ||
	    (rc = auth_claim_file(db, r->auth->user.id, election, slug, message,
				  NULL, &r->err))) {
		db_rollback(db);
		goto out;
	}
	rc = auth_write_commit(r, db);
out:
	if (rc)
		LOG(LOG_WARN,
		    "request %s: declarant %lld: no link request for %s/%s: "
		    "%s",
		    r->id, (long long)r->auth->user.id, election, slug,
		    r->err.msg);
	else
		LOG(LOG_INFO,
		    "request %s: declarant %lld asked for candidacy %s/%s%s",
		    r->id, (long long)r->auth->user.id, election, slug,
		    created ? " (candidate created)" : "");
	r->err = saved;
}
