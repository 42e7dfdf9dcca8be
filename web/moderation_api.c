/*
 * moderation_api.c - editors' moderation in the JSON API (doc/api.md,
 * web/data/openapi.json):
 *
 *   GET  /api/v1/elections/{e}/moderation    the election's queue: the
 *        pending programme submissions, material, profile proposals and
 *        accounts' claims on its candidacies
 *   POST /api/v1/moderation/{kind}/{id}      decides one: kind is
 *        documents, material, profiles or claims; the form's action is
 *        publish (confirm) or reject (refuse), reason is required to
 *        reject
 *
 * The same rules as the pages: the session cookie, an editor of that
 * election or an administrator (403 otherwise), the X-CSRF-Token header
 * (or a csrf field) on the POST, and the same decision (web_decide(),
 * which the pages call too): one transaction with its audit entry and
 * the candidate's e-mail. Answers are never cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingest.h"
#include "material.h"
#include "web_auth.h"
#include "web_moderation.h"

/*
 * 0 when the account may moderate election_id; else the JSON error is
 * made (403) and it returns 1, or a negative error code
 */
static int may_moderate(struct web_req *r, int64_t election_id)
{
	int rc = auth_user_can(r->db, r->auth->user.id, ROLE_EDITOR,
			       election_id, &r->err);

	if (rc > 0)
		return 0;
	if (rc < 0)
		return rc;
	api_error(r, 403, "forbidden",
		  "only an editor of this election or an administrator "
		  "moderates it");
	return 1;
}

/* ---------------------------------------------------------- the queue */

struct queue {
	struct web_req *r;
	int64_t election_id;
	json_t *docs, *material, *profiles, *claims;
};

static int put(json_t *a, json_t *o)
{
	return !o || json_array_append_new(a, o) ? AGORA_ENOMEM : 0;
}

static int doc_row(void *ctx, const struct ingest_doc_info *d)
{
	struct queue *q = ctx;
	char preview[48];

	snprintf(preview, sizeof(preview), "/moderation/%lld",
		 (long long)d->id);
	return put(q->docs,
		   json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:I, "
			     "s:s}",
			     "id", (json_int_t)d->id, "candidate", d->candidate,
			     "candidate_name", d->candidate_name, "title",
			     d->title, "version", d->version, "format",
			     d->format, "source_url", d->source_url,
			     "submitted_at", d->submitted_at, "proposals",
			     (json_int_t)d->proposals, "preview", preview));
}

static int material_row(void *ctx, const struct material_item *m)
{
	struct queue *q = ctx;
	char path[48];
	json_t *o;

	if (m->election_id != q->election_id)
		return 0;
	snprintf(path, sizeof(path), "/m/%lld", (long long)m->id);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
		      (json_int_t)m->id, "candidate", m->candidate,
		      "candidate_name", m->candidate_name, "kind", m->kind,
		      "caption", m->caption, "url", *m->url ? m->url : path,
		      "submitted_at", m->submitted_at);
	if (o && *m->media_type) {
		json_object_set_new(o, "media_type",
				    json_string(m->media_type));
		json_object_set_new(o, "size", json_integer(m->size));
		json_object_set_new(o, "sha256", json_string(m->sha256));
	}
	return put(q->material, o);
}

/* "a\nb" -> ["a","b"] */
static json_t *lines_json(const char *s)
{
	json_t *a = json_array();
	const char *e;

	for (; a && *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		if (e > s)
			json_array_append_new(a,
					      json_stringn(s, (size_t)(e - s)));
	}
	return a;
}

static int profile_row(void *ctx, const struct material_profile *p)
{
	struct queue *q = ctx;

	if (p->election_id != q->election_id)
		return 0;
	return put(q->profiles,
		   json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "id",
			     (json_int_t)p->id, "candidate", p->candidate,
			     "given_name", p->given_name, "family_name",
			     p->family_name, "party", p->party, "biography",
			     p->bio, "links", lines_json(p->links),
			     "proposed_at", p->proposed_at));
}

static int claim_row(void *ctx, const struct auth_claim *c)
{
	struct queue *q = ctx;

	if (c->election_id != q->election_id)
		return 0;
	return put(q->claims,
		   json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
			     (json_int_t)c->id, "candidate", c->candidate,
			     "candidate_name", c->candidate_name, "email",
			     c->email, "display_name", c->display_name,
			     "message", c->message, "created_at",
			     c->created_at));
}

int api_moderation_queue(struct web_req *r)
{
	struct queue q = {
		r, 0, json_array(), json_array(), json_array(), json_array()};
	struct election_info ei;
	int rc;

	if (api_signed_in(r)) {
		rc = 0;
		goto out;
	}
	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)))
		goto out;
	q.election_id = ei.id;
	election_info_fini(&ei);
	if ((rc = may_moderate(r, q.election_id))) {
		rc = rc > 0 ? 0 : rc;
		goto out;
	}
	if (!q.docs || !q.material || !q.profiles || !q.claims) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = material_db_prepare(r->db, &r->err)) ||
	    (rc = ingest_document_list(r->db, q.election_id, 0, doc_row, &q,
				       &r->err)) ||
	    (rc = material_list(r->db, 0, "pending", material_row, &q,
				&r->err)) ||
	    (rc = material_profile_list(r->db, 0, profile_row, &q, &r->err)) ||
	    (rc = auth_claim_list(r->db, 0, claim_row, &q, &r->err))) {
		if (rc == AGORA_ENOMEM)
			agora_errorf(&r->err, rc, "out of memory");
		goto out;
	}
	rc = api_send(r, json_pack("{s:s, s:O, s:O, s:O, s:O}", "election",
				   r->param[0], "documents", q.docs, "material",
				   q.material, "profiles", q.profiles, "claims",
				   q.claims));
out:
	json_decref(q.docs);
	json_decref(q.material);
	json_decref(q.profiles);
	json_decref(q.claims);
	return rc;
}

/* ------------------------------------------------------- the decision */

static const char *const kinds[WEB_DECIDE__MAX] = {
	[WEB_DECIDE_DOCUMENT] = "documents",
	[WEB_DECIDE_MATERIAL] = "material",
	[WEB_DECIDE_PROFILE] = "profiles",
	[WEB_DECIDE_CLAIM] = "claims",
};

/* The status a decision leaves, as the module stores it */
static const char *decided_status(int kind, int accept)
{
	if (kind == WEB_DECIDE_CLAIM)
		return accept ? "confirmed" : "refused";
	return accept ? "published" : "rejected";
}

int api_moderation_decide(struct web_req *r)
{
	struct web_decision_target t = {0};
	const char *action, *reason;
	int kind, accept, rc;
	int64_t id;

	if (!r->post) {
		api_error(r, 405, "method_not_allowed",
			  "POST a decision: action=publish or reject, and "
			  "a reason to reject");
		return 0;
	}
	if (api_signed_in(r) || auth_post_ok(r))
		return 0;
	for (kind = 0; kind < WEB_DECIDE__MAX; kind++)
		if (!strcmp(r->param[0], kinds[kind]))
			break;
	if (kind == WEB_DECIDE__MAX) {
		api_error(r, 404, "not_found",
			  "no such queue: documents, material, profiles or "
			  "claims");
		return 0;
	}
	if (web_parse_id(r->param[1], &id)) {
		api_error(r, 404, "not_found", "no such request");
		return 0;
	}
	if ((rc = material_db_prepare(r->db, &r->err)) ||
	    (rc = web_decision_target(r->db, kind, id, &t, &r->err)))
		return api_refusal(r, rc);
	rc = may_moderate(r, t.election_id);
	web_decision_target_fini(&t);
	if (rc)
		return rc > 0 ? 0 : rc;
	action = auth_form(r, "action");
	reason = auth_form(r, "reason");
	if (action &&
	    (!strcmp(action, "publish") || !strcmp(action, "confirm")))
		accept = 1;
	else if (action &&
		 (!strcmp(action, "reject") || !strcmp(action, "refuse")))
		accept = 0;
	else {
		api_error(r, 400, "bad_request",
			  "the field action is publish (or confirm) or reject "
			  "(or refuse)");
		return 0;
	}
	if ((rc = web_decide(r, kind, id, accept, reason)))
		return api_refusal(r, rc);
	return api_send(r, json_pack("{s:s, s:I, s:s, s:s}", "kind",
				     kinds[kind], "id", (json_int_t)id,
				     "status", decided_status(kind, accept),
				     "reason", reason ? reason : ""));
}
