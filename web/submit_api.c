/*
 * submit_api.c - the JSON API around submissions (doc/api.md):
 *
 *   GET  /api/v1/elections/{e}/candidates/{c}/documents  public: every
 *        published version of a candidate's programmes, which is current,
 *        and where "what changed" is
 *   GET  /api/v1/me                   the signed-in account, its roles
 *        and the CSRF token its state-changing calls carry
 *   GET  /api/v1/me/submissions       each of its candidacies' versions,
 *        with their status and an editor's reason
 *   GET  /api/v1/me/claims            its requests to be linked to a
 *        candidacy, and the answers
 *   POST /api/v1/me/claims            files one (session + CSRF token)
 *
 * The /me calls read the session cookie and are never cached; without a
 * session they answer 401. A POST needs the X-CSRF-Token header (or a
 * csrf field) and a form body, exactly like the web forms: a cross-site
 * page can neither read the token (no CORS) nor post without it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingest.h"
#include "web_auth.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* ------------------------------------------ a candidate's documents */

struct docs {
	json_t *a;
	int all;       /* every status (the candidate's own), or published */
	char **titles; /* titles whose current version was seen */
	size_t ntitles;
};

static int seen_title(struct docs *d, const char *title)
{
	size_t i;
	char **v;

	for (i = 0; i < d->ntitles; i++)
		if (!strcmp(d->titles[i], title))
			return 1;
	if (!(v = realloc(d->titles, (d->ntitles + 1) * sizeof(*v))))
		return -1;
	d->titles = v;
	if (!(v[d->ntitles] = strdup(title)))
		return -1;
	d->ntitles++;
	return 0;
}

static void docs_fini(struct docs *d)
{
	size_t i;

	for (i = 0; i < d->ntitles; i++)
		free(d->titles[i]);
	free(d->titles);
	json_decref(d->a);
}

static int doc_json(void *ctx, const struct ingest_doc_info *i)
{
	struct docs *d = ctx;
	int published = !strcmp(i->status, "published"), cur = 0;
	char changes[48];
	json_t *o;

	if (!d->all && !published)
		return 0;
	/* newest first: a title's first published version is current */
	if (published && (cur = seen_title(d, i->title)) < 0)
		return AGORA_ENOMEM;
	snprintf(changes, sizeof(changes), "/d/%lld/changes", (long long)i->id);
	o = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:b}", "id",
		      (json_int_t)i->id, "title", i->title, "version",
		      i->version, "status", i->status, "format", i->format,
		      "submitted_at", i->submitted_at, "source_url",
		      i->source_url, "proposals", (json_int_t)i->proposals,
		      "current", published && !cur);
	if (!o)
		return AGORA_ENOMEM;
	json_object_set_new(o, "previous",
			    i->previous_id ? json_integer(i->previous_id)
					   : json_null());
	json_object_set_new(o, "changes",
			    published && i->previous_id ? json_string(changes)
							: json_null());
	if (d->all)
		json_object_set_new(o, "reason", str_or_null(i->reason));
	return json_array_append_new(d->a, o) ? AGORA_ENOMEM : 0;
}

/* The versions of one candidacy as a JSON array in *out */
static int documents(struct web_req *r, const char *e, const char *c, int all,
		     json_t **out)
{
	struct docs d = {json_array(), all, NULL, 0};
	int64_t cid;
	int rc;

	*out = NULL;
	if (!d.a)
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if ((rc = ingest_candidate_id(r->db, e, c, &cid, &r->err)) ||
	    (rc = ingest_document_list(r->db, 0, cid, doc_json, &d, &r->err))) {
		if (rc == AGORA_ENOMEM)
			agora_errorf(&r->err, rc, "out of memory");
		docs_fini(&d);
		return rc;
	}
	*out = d.a;
	d.a = NULL;
	docs_fini(&d);
	return 0;
}

int api_documents(struct web_req *r)
{
	json_t *a;
	int rc;

	if ((rc = documents(r, r->param[0], r->param[1], 0, &a)))
		return rc;
	return api_send(r, json_pack("{s:s, s:s, s:o}", "election", r->param[0],
				     "candidate", r->param[1], "documents", a));
}

/* ---------------------------------------------------------- /api/v1/me */

int api_me(struct web_req *r)
{
	struct auth_grant_list gl;
	char tok[AUTH_CSRF_CHARS + 1];
	json_t *roles;
	size_t i;
	int rc;

	if (api_signed_in(r))
		return 0;
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		return rc;
	roles = json_array();
	for (i = 0; roles && i < gl.n; i++)
		json_array_append_new(
			roles,
			json_pack("{s:s, s:o, s:o}", "role",
				  auth_role_name(gl.v[i].role), "election",
				  str_or_null(gl.v[i].election), "candidate",
				  str_or_null(gl.v[i].candidate)));
	auth_grant_list_fini(&gl);
	if (auth_csrf_token(r, tok)) {
		json_decref(roles);
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	}
	return api_send(r, json_pack("{s:s, s:s, s:b, s:o, s:s}", "email",
				     r->auth->user.email, "display_name",
				     r->auth->user.display_name, "verified",
				     r->auth->user.verified, "roles", roles,
				     "csrf", tok));
}

int api_me_submissions(struct web_req *r)
{
	struct auth_grant_list gl;
	json_t *a = NULL, *docs;
	size_t i;
	int rc;

	if (api_signed_in(r))
		return 0;
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		return rc;
	a = json_array();
	for (i = 0; a && !rc && i < gl.n; i++) {
		const struct auth_grant *g = &gl.v[i];

		if (g->role != ROLE_CANDIDATE || !g->election || !g->candidate)
			continue;
		if (!(rc = documents(r, g->election, g->candidate, 1, &docs)))
			json_array_append_new(
				a, json_pack("{s:s, s:s, s:o}", "election",
					     g->election, "candidate",
					     g->candidate, "documents", docs));
	}
	auth_grant_list_fini(&gl);
	if (rc) {
		json_decref(a);
		return rc;
	}
	return api_send(r, json_pack("{s:o}", "candidacies", a));
}

static json_t *claim_obj(const struct auth_claim *c)
{
	return json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
		(json_int_t)c->id, "election", c->election, "candidate",
		c->candidate, "candidate_name", c->candidate_name, "status",
		c->status, "created_at", c->created_at, "decided_at",
		str_or_null(c->decided_at), "reason", str_or_null(c->reason));
}

static int claim_json(void *ctx, const struct auth_claim *c)
{
	json_t *o = claim_obj(c);

	return !o || json_array_append_new(ctx, o) ? AGORA_ENOMEM : 0;
}

static int claims_post(struct web_req *r)
{
	const char *e = auth_form(r, "election");
	const char *c = auth_form(r, "candidate");
	const char *m = auth_form(r, "message");
	struct agora_db *db;
	struct auth_claim k;
	int64_t id;
	int rc;

	if (!e || !c) {
		api_error(r, 400, "bad_request",
			  "the fields election and candidate are required");
		return 0;
	}
	if ((rc = auth_write_begin(r, &db)))
		return rc;
	if ((rc = auth_claim_file(db, r->auth->user.id, e, c, m ? m : "", &id,
				  &r->err))) {
		db_rollback(db);
		return api_refusal(r, rc);
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	/* read back on the connection that wrote it */
	if ((rc = auth_claim_get(db, id, &k, &r->err)))
		return rc;
	r->status = 201;
	rc = api_send(r, json_pack("{s:o}", "claim", claim_obj(&k)));
	auth_claim_fini(&k);
	return rc;
}

int api_me_claims(struct web_req *r)
{
	json_t *a;
	int rc;

	if (api_signed_in(r))
		return 0;
	if (r->post)
		return auth_post_ok(r) ? 0 : claims_post(r);
	if (!(a = json_array()))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if ((rc = auth_claim_list(r->db, r->auth->user.id, claim_json, a,
				  &r->err))) {
		json_decref(a);
		return rc == AGORA_ENOMEM
			       ? agora_errorf(&r->err, rc, "out of memory")
			       : rc;
	}
	return api_send(r, json_pack("{s:o}", "claims", a));
}
