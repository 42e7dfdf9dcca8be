/*
 * material_withdraw.c - POST /material/{id}/withdraw: a candidate takes
 * back one of their published photos, leaflets or video links. From
 * then on it is no longer public anywhere (the candidate page, the API,
 * the exports; /m/{id} answers 410), while its row, its bytes and its
 * audit entries ("material.submit", "material.publish",
 * "material.withdraw") stay, for the record. Only the candidate who
 * holds the candidacy may withdraw it; the form carries its CSRF token.
 */
#include <stdlib.h>
#include <string.h>

#include "material.h"
#include "web_auth.h"

int page_material_withdraw(struct web_req *r)
{
	struct material_item m = {0};
	struct auth_grant_list gl = {0};
	struct agora_db *db;
	int64_t id;
	int rc, own;

	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if (!r->post) {
		auth_page_error(r, 405,
				tr(r, "Retirez un document depuis la page de "
				      "vos documents de campagne."));
		return 0;
	}
	if (auth_post_ok(r))
		return 0;
	if (web_parse_id(r->param[0], &id))
		return agora_errorf(&r->err, AGORA_ENOTFOUND,
				    "no material '%s'", r->param[0]);
	if ((rc = material_db_prepare(r->db, &r->err)) ||
	    (rc = material_get(r->db, id, &m, &r->err)))
		return rc;
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		goto out;
	own = web_own_candidacy(&gl, m.election, m.candidate);
	auth_grant_list_fini(&gl);
	if (!own) {
		auth_page_error(r, 403,
				tr(r,
				   "Votre compte n'a pas le rôle que demande "
				   "cette page."));
		goto out;
	}
	if ((rc = auth_write_begin(r, &db)))
		goto out;
	if ((rc = material_db_prepare(db, &r->err)) ||
	    (rc = material_withdraw(db, id, r->auth->user.id, &r->err))) {
		db_rollback(db);
		if (rc == AGORA_EINVAL) {
			auth_page_error(r, 409,
					tr(r,
					   "Seul un document publié peut être "
					   "retiré, une seule fois."));
			rc = 0;
		}
		goto out;
	}
	if ((rc = auth_write_commit(r, db)))
		goto out;
	LOG(LOG_INFO, "request %s: material %lld withdrawn by user %lld", r->id,
	    (long long)id, (long long)r->auth->user.id);
	auth_redirect(r, "/material");
out:
	material_item_fini(&m);
	return rc;
}
