/*
 * form_page.h - private to web/: what the personal form pages share
 * (material_pages.c, submit.c, claim_pages.c, document_pages.c), so that
 * each page says only what is its own:
 *
 * - a form page: one role required, the grants loaded, on GET the page
 *   with the message of its ?sent= value, on POST the form checked
 *   (auth_post_ok: CSRF, encoding) before the page's own handler, which
 *   answers with a 303 back to ?sent= (form_page_run);
 * - a candidate's candidacies: a section each, the hidden field that
 *   names one in a form, and that field read back and checked against
 *   the grants;
 * - a decision page of an editor (material, profile, programme, link
 *   request): the id, the editor check of the item's election, the form
 *   "publish / reject with a reason" (or "confirm / refuse") and its
 *   handler, one write transaction, then a 303 to the queue;
 * - small parts of their HTML: a heading with its crumb, a status, a
 *   reason, an empty list (a table's head row: html_table_head()).
 *
 * Every text is escaped here as in the pages; the caller passes texts
 * already translated (tr()).
 */
#ifndef AGORA_WEB_FORM_PAGE_H
#define AGORA_WEB_FORM_PAGE_H

#include "web_auth.h"

/* ------------------------------------------------------- form pages */

/* A ?sent= value and the notice it shows; value NULL matches any value
 * and ends the table */
struct form_sent {
	const char *value;
	const char *message;
};

struct form_page {
	int role; /* ROLE_CANDIDATE...; 0: any signed-in account */
	const struct form_sent *sent; /* NULL: ?sent= shows nothing */
	/* The page with its status, an error (or NULL) and a notice (the
	 * ?sent= message, or NULL); the body is reset first */
	int (*render)(struct web_req *r, const struct auth_grant_list *gl,
		      int status, const char *error, const char *done);
	/* A POST whose form auth_post_ok() accepted */
	int (*post)(struct web_req *r, const struct auth_grant_list *gl);
};

/*
 * Runs a form page: an anonymous visitor is sent to sign in, an account
 * without the role gets 403; then the GET or the POST, with the grants
 * of the account. Returns as a page handler does.
 */
int form_page_run(struct web_req *r, const struct form_page *p);

/* A page from its start: status, <title> and <h1> */
void form_page_begin(struct web_req *r, int status, const char *title);
/* The error (role alert) and the notice (role status), each if not NULL */
void form_notices(struct web_req *r, const char *error, const char *done);

/* ------------------------------------------------------ candidacies */

/*
 * For each candidacy the grants hold: a <section> with its heading (the
 * candidate's page), what section() writes for it (cid: the
 * candidate's id), </section>. None: a paragraph that says how one is
 * confirmed, with the link to ask for it when ask is set.
 */
int form_candidacies(struct web_req *r, const struct auth_grant_list *gl,
		     int ask,
		     int (*section)(struct web_req *r,
				    const struct auth_grant *g, int64_t cid));
/* The hidden field "candidacy" (election/candidate) of a form */
void form_candidacy_field(struct web_req *r, const struct auth_grant *g);
/*
 * The grant the form's "candidacy" names, when it is one of the user's;
 * else NULL, *status and *message say why (400: none named, 403: not
 * the user's) and the caller answers.
 */
const struct auth_grant *form_candidacy(struct web_req *r,
					const struct auth_grant_list *gl,
					int *status, const char **message);

/* ------------------------------------------------------- decisions */

enum {
	DECIDE_PUBLISH, /* publish, or reject with a reason the candidate reads
			 */
	DECIDE_CONFIRM, /* confirm, or refuse with a reason the account reads */
};

struct form_decision {
	int kind;	  /* DECIDE_... */
	const char *what; /* "material": the 404's "no material '7'" */
	const char *path; /* the page's path, to which the id is appended */
	const char *back; /* the queue: the crumb, where a decision goes */
	/*
	 * The decision, in the write transaction opened for it: 0, or an
	 * error in r->err (a refusal is shown with its status, see
	 * form_refusal; the transaction is rolled back)
	 */
	int (*write)(struct web_req *r, struct agora_db *db, int64_t id,
		     int yes, const char *reason);
};

/*
 * The steps of a decision page /PATH/ID before its item is read: an
 * anonymous visitor is sent to sign in, an ID that is not one is a 404.
 * 0 with *id, or with *done when the response is made; else an error.
 */
int form_decision_id(struct web_req *r, const struct form_decision *d,
		     int64_t *id, int *done);
/*
 * Once the item is read: only an editor of its election (or an
 * administrator) goes on; a POST is checked (CSRF) and decided, then
 * redirected to the queue. 0 with *done clear for a GET to render.
 */
int form_decision_gate(struct web_req *r, const struct form_decision *d,
		       int64_t election_id, int64_t id, int *done);
/* <title>, the crumb back to the queue, <h1> */
void form_decision_head(struct web_req *r, const struct form_decision *d,
			const char *title);
/* The form of a pending item: publish (confirm) or reject with a reason */
void form_decision_form(struct web_req *r, const struct form_decision *d,
			int64_t id);
/*
 * A module's refusal as an error page with its status (EEXIST 409,
 * ENOTFOUND 404, ETOOBIG 429, EINVAL 400) and 0; any other code is
 * returned as it is.
 */
int form_refusal(struct web_req *r, int rc);

/* ------------------------------------------------------ bits of HTML */

/* <title>, <p class="crumbs"> back to a local path, <h1> */
void form_head(struct web_req *r, const char *title, const char *back,
	       const char *back_text);
/* <title>, <p class="crumbs"> back to a candidate's page (name), <h1> */
void form_candidate_head(struct web_req *r, const char *title,
			 const char *election, const char *candidate,
			 const char *name);
/* <a> to a candidate's page, with its text, then the election's slug */
void form_candidate_link(struct web_req *r, const char *election,
			 const char *candidate, const char *text);
/* "Publié à l'adresse : <a>url</a>" of a programme, never followed */
void form_source_link(struct web_req *r, const char *url);
/* <span class="status-STATUS">label</span> */
void form_status(struct web_req *r, const char *status, const char *label);
/* "<br>Motif : reason" of a refused item, if any */
void form_reason(struct web_req *r, const char *reason);
/* The paragraph that says a list is empty, when n is 0 */
void form_empty(struct web_req *r, size_t n, const char *text);
/* 1 when the signed-in user is an editor of the election (or an
 * administrator), 0 if not, < 0 on error: a queue's filter */
int form_editor_of(struct web_req *r, int64_t election_id);

#endif
