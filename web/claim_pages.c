/*
 * claim_pages.c - linking an account to its candidacy on the web. A
 * signed-in account asks, with a message, to be linked to a candidate
 * of an election (/account/candidacy, where it also reads the answer);
 * the request waits in a queue (/candidacies) that administrators and
 * that election's editors see; they confirm it, which grants the
 * candidate role for that candidacy (so /submit opens for it), or
 * refuse it with a reason the account reads. A citizen who declares a
 * candidacy in a primary gets the request filed for them, in the
 * declaration's transaction (claim_declarant, called by
 * primary_pages.c).
 *
 * Every page here is personal (never cached); permissions are checked
 * on every request, GET and POST; every POST carries its CSRF token;
 * every change is one write transaction with its audit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "form_page.h"
#include "ingest.h"

static void claim_status(struct web_req *r, const char *status)
{
	form_status(r, status,
		    !strcmp(status, "pending")
			    ? tr(r, "en attente d'un éditeur")
		    : !strcmp(status, "confirmed") ? tr(r, "confirmée")
		    : !strcmp(status, "refused")   ? tr(r, "refusée")
						   : status);
}

static void candidate_link(struct web_req *r, const struct auth_claim *c)
{
	form_candidate_link(r, c->election, c->candidate, c->candidate_name);
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
	form_reason(r, c->reason);
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

static int claim_page(struct web_req *r, const struct auth_grant_list *gl,
		      int status, const char *message, const char *done)
{
	struct sb *b = &r->body;
	int rc;

	(void)gl;
	form_page_begin(r, status, tr(r, "Lier mon compte à une candidature"));
	form_notices(r, message, done);
	html_raw(b, "<p>");
	html_text(b, tr(r, "Un candidat dépose son programme depuis son "
			   "compte, une fois celui-ci lié à sa candidature "
			   "par un éditeur de l'élection ou un "
			   "administrateur."));
	html_raw(b, "</p>\n");
	html_table_head(&r->body, "claims", tr(r, "Candidature"),
			tr(r, "Demandée le"), tr(r, "État"), NULL);
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

static int claim_post(struct web_req *r, const struct auth_grant_list *gl)
{
	const char *cand = auth_form(r, "candidacy");
	const char *message = auth_form(r, "message");
	const char *slash = cand ? strchr(cand, '/') : NULL;
	struct agora_db *db;
	char *e;
	int rc;

	(void)gl;
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
		return form_refusal(r, rc);
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
	const struct form_sent sent[] = {
		{NULL, tr(r, "Demande envoyée : un éditeur de l'élection ou "
			     "un administrateur y répondra ici.")},
	};
	const struct form_page p = {
		.role = 0, /* any signed-in account */
		.sent = sent,
		.render = claim_page,
		.post = claim_post,
	};

	return form_page_run(r, &p);
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

	if ((rc = form_editor_of(r, c->election_id)) <= 0)
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
	form_head(r, tr(r, "Demandes de candidats"), "/moderation",
		  tr(r, "Modération"));
	html_table_head(&r->body, "queue", tr(r, "Compte"),
			tr(r, "Candidature"), tr(r, "Demandée le"), NULL);
	if ((rc = auth_claim_list(r->db, 0, queue_row, &q, &r->err)))
		return rc;
	html_raw(b, "</table>\n");
	form_empty(r, q.n, tr(r, "Aucune demande en attente."));
	page_end(r);
	return 0;
}

static const struct form_decision claim_decision = {
	.kind = DECIDE_CONFIRM,
	.what = "claim",
	.path = "/candidacies/",
	.back = "/candidacies",
	.decide = WEB_DECIDE_CLAIM,
};

int page_claim_decide(struct web_req *r)
{
	struct auth_claim c = {0};
	struct sb *b = &r->body;
	int64_t id;
	int rc, done;

	if ((rc = form_decision_id(r, &claim_decision, &id, &done)) || done)
		return rc;
	if ((rc = auth_claim_get(r->db, id, &c, &r->err)))
		return rc;
	if ((rc = form_decision_gate(r, &claim_decision, c.election_id, id,
				     &done)) ||
	    done)
		goto out;
	form_decision_head(r, &claim_decision, tr(r, "Demande de candidat"));
	html_raw(b, "<dl>\n<dt>");
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
	if (!strcmp(c.status, "pending"))
		form_decision_form(r, &claim_decision, c.id);
	page_end(r);
out:
	auth_claim_fini(&c);
	return rc;
}

/* ------------------------------------------- a primary's declarant */

/* A refusal by the module's rules (nothing written), not a failure */
static int is_refusal(int rc)
{
	return rc == AGORA_EEXIST || rc == AGORA_ENOTFOUND ||
	       rc == AGORA_EINVAL || rc == AGORA_ETOOBIG;
}

int claim_declarant(struct web_req *r, struct agora_db *db,
		    const char *election, const char *slug, const char *name)
{
	int64_t cid;
	int rc, created = 0;
	char message[300];

	snprintf(message, sizeof(message),
		 "Candidature déclarée à la primaire %s.", election);
	if ((rc = ingest_candidate_ensure(db, election, slug, name, &cid,
					  &created, &r->err)) ||
	    (rc = auth_claim_file(db, r->auth->user.id, election, slug, message,
				  NULL, &r->err))) {
		if (!is_refusal(rc))
			return rc;
		LOG(LOG_WARN,
		    "request %s: declarant %lld: no link request for %s/%s: "
		    "%s",
		    r->id, (long long)r->auth->user.id, election, slug,
		    r->err.msg);
		memset(&r->err, 0, sizeof(r->err));
	}
	return 0;
}
