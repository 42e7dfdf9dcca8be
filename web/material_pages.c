/*
 * material_pages.c - candidates' campaign material and profiles on the
 * web. A candidate uploads photos (JPEG, PNG, WebP) and PDF leaflets
 * (multipart/form-data, streamed and capped in server.c and auth.c),
 * adds video links, and proposes a profile, at /material and /profile,
 * for their own candidacies only; everything waits in the moderation
 * queue (/moderation) until an editor of the election or an
 * administrator publishes it or rejects it with a reason the candidate
 * reads. Voters see published material only, on the candidate page and
 * in the API; the bytes are served at /m/ID with headers that cannot
 * execute (the sniffed type, nosniff, a sandboxing CSP, PDFs as
 * attachments).
 *
 * Every page here but /m/ID of published material is personal: never
 * cached. Permissions are checked on every request, GET and POST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "form_page.h"
#include "ingest.h"
#include "material.h"

/* server.c caps the upload before this module is reached: the same cap */
_Static_assert(WEB_MAX_MATERIAL_FILE == MATERIAL_FILE_MAX,
	       "the upload cap of /material is the material's");

/* ---------------------------------------------------------- shared bits */

static void status_label(struct web_req *r, const char *status)
{
	form_status(r, status,
		    !strcmp(status, "pending")
			    ? tr(r, "en attente de modération")
		    : !strcmp(status, "published") ? tr(r, "publié")
		    : !strcmp(status, "rejected")  ? tr(r, "refusé")
		    : !strcmp(status, "withdrawn") ? tr(r, "remplacé")
						   : status);
}

static const char *kind_label(struct web_req *r, const char *kind)
{
	return !strcmp(kind, "photo")	  ? tr(r, "Photo")
	       : !strcmp(kind, "leaflet") ? tr(r, "Tract (PDF)")
					  : tr(r, "Vidéo");
}

/* The host of an https link, for the text next to it */
static void link_host(struct sb *b, const char *url)
{
	const char *h = url + 8; /* material_url_check: "https://" */

	html_textn(b, h, strcspn(h, "/?#"));
}

/* An outside link: never followed by search engines, no referrer */
static void outside_link(struct sb *b, const char *url, const char *text)
{
	html_raw(b, "<a rel=\"nofollow noopener noreferrer ugc\" href=\"");
	html_attr(b, url);
	html_raw(b, "\">");
	html_text(b, text);
	html_raw(b, "</a>");
}

/* A write transaction with the material statements ready */
static int write_begin(struct web_req *r, struct agora_db **db)
{
	int rc;

	if ((rc = auth_write_begin(r, db)))
		return rc;
	if ((rc = material_db_prepare(*db, &r->err))) {
		db_rollback(*db);
		return rc;
	}
	return 0;
}

/* The candidacy a form names, checked against the user's grants: 0
 * with the candidate's id, else the response is made (400, 403) */
static int form_cid(struct web_req *r, const struct auth_grant_list *gl,
		    int64_t *cid, int *done)
{
	const struct auth_grant *g;
	const char *message;
	int rc, status;

	*done = 1;
	if (!(g = form_candidacy(r, gl, &status, &message))) {
		auth_page_error(r, status, message);
		return 0;
	}
	rc = ingest_candidate_id(r->db, g->election, g->candidate, cid,
				 &r->err);
	if (!rc)
		*done = 0;
	return rc;
}

/* ------------------------------------------------ the candidate's side */

static int own_row(void *ctx, const struct material_item *m)
{
	struct web_req *r = ctx;
	struct sb *b = &r->body;

	html_raw(b, "<tr><td>");
	html_text(b, kind_label(r, m->kind));
	html_raw(b, "</td><td>");
	if (*m->url)
		outside_link(b, m->url, m->caption);
	else {
		html_raw(b, "<a href=\"/m/");
		html_num(b, m->id);
		html_raw(b, "\">");
		html_text(b, m->caption);
		html_raw(b, "</a>");
	}
	html_raw(b, "</td><td>");
	html_date(r, m->submitted_at);
	html_raw(b, "</td><td>");
	status_label(r, m->status);
	form_reason(r, m->reason);
	html_raw(b, "</td></tr>\n");
	return 0;
}

/* A candidacy's material, and the forms that add to it */
static int material_section(struct web_req *r, const struct auth_grant *g,
			    int64_t cid)
{
	struct sb *b = &r->body;
	int rc;

	html_table_head(&r->body, "material", tr(r, "Type"), tr(r, "Légende"),
			tr(r, "Déposé le"), tr(r, "État"), NULL);
	if ((rc = material_list(r->db, cid, NULL, own_row, r, &r->err)))
		return rc;
	html_raw(b, "</table>\n<h3>");
	html_text(b, tr(r, "Photo ou tract"));
	html_raw(b, "</h3>\n<form class=\"material\" method=\"post\" "
		    "action=\"/material\" enctype=\"multipart/form-data\">\n");
	auth_csrf_field(r);
	form_candidacy_field(r, g);
	html_raw(b, "<p><label>");
	html_text(b, tr(r, "Légende (ce que montre la photo, le sujet "
			   "du tract)"));
	html_raw(b, "<br>\n<input type=\"text\" name=\"caption\" "
		    "maxlength=\"300\" required></label></p>\n<p><label>");
	html_text(b, tr(r, "Fichier : photo JPEG, PNG ou WebP (5 Mo "
			   "au plus), tract PDF (10 Mo au plus)"));
	html_raw(b, "<br>\n<input type=\"file\" name=\"file\" required "
		    "accept=\".jpg,.jpeg,.png,.webp,.pdf\"></label>"
		    "</p>\n<p><button type=\"submit\">");
	html_text(b, tr(r, "Envoyer pour modération"));
	html_raw(b, "</button></p>\n</form>\n<h3>");
	html_text(b, tr(r, "Lien vers une vidéo"));
	html_raw(b, "</h3>\n<form class=\"video\" method=\"post\" "
		    "action=\"/material\">\n");
	auth_csrf_field(r);
	form_candidacy_field(r, g);
	html_raw(b, "<p><label>");
	html_text(b, tr(r, "Légende"));
	html_raw(b, "<br>\n<input type=\"text\" name=\"caption\" "
		    "maxlength=\"300\" required></label></p>\n<p><label>");
	html_text(b, tr(r, "Adresse de la vidéo (https://…)"));
	html_raw(b, "<br>\n<input type=\"url\" name=\"url\" "
		    "maxlength=\"2000\" required "
		    "pattern=\"https://.+\"></label></p>\n<p>"
		    "<button type=\"submit\">");
	html_text(b, tr(r, "Envoyer pour modération"));
	html_raw(b, "</button></p>\n</form>\n");
	return 0;
}

static int material_page(struct web_req *r, const struct auth_grant_list *gl,
			 int status, const char *message, const char *done)
{
	int rc;

	form_page_begin(r, status, tr(r, "Documents de campagne"));
	form_notices(r, message, done);
	html_raw(&r->body, "<p><a href=\"/profile\">");
	html_text(&r->body, tr(r, "Modifier le profil"));
	html_raw(&r->body, "</a></p>\n");
	if ((rc = form_candidacies(r, gl, 0, material_section)))
		return rc;
	page_end(r);
	return 0;
}

/* The status and message for a refused upload or link */
static int refused(struct web_req *r, const struct auth_grant_list *gl, int rc,
		   const struct material_file *f, const struct agora_error *e)
{
	int status = rc == AGORA_ETOOBIG	     ? 413
		     : f && f->type == MATERIAL_NONE ? 415
						     : 400;

	LOG(LOG_INFO, "request %s: material refused: %s", r->id, e->msg);
	return material_page(r, gl, status,
			     status == 415
				     ? tr(r, "Type de fichier non pris en "
					     "charge : une photo est un "
					     "fichier JPEG, PNG ou WebP, un "
					     "tract un PDF ; le type est lu "
					     "dans le contenu, pas dans le "
					     "nom.")
				     : e->msg,
			     NULL);
}

static int material_post(struct web_req *r, const struct auth_grant_list *gl)
{
	struct web_auth *w = r->auth;
	struct material_file f = {0};
	struct agora_error e = {0};
	struct agora_db *db;
	int64_t cid, id;
	int rc, done, dup = 0;

	if ((rc = form_cid(r, gl, &cid, &done)) || done)
		return rc;
	if (w->multipart && (!w->has_file || !w->file.len))
		return material_page(r, gl, 400,
				     tr(r, "Choisissez le fichier."), NULL);
	if (!w->multipart && !auth_form(r, "url"))
		return material_page(r, gl, 400,
				     tr(r, "Indiquez l'adresse de la vidéo."),
				     NULL);
	if ((rc = write_begin(r, &db)))
		return rc;
	/* one write transaction: a refused item leaves no row */
	if (w->multipart)
		rc = material_add_file(db, cid, w->user.id,
				       auth_form(r, "caption"), w->file.buf,
				       w->file.len, &f, &id, &dup, &e);
	else
		rc = material_add_video(db, cid, w->user.id,
					auth_form(r, "caption"),
					auth_form(r, "url"), &id, &e);
	if (rc) {
		db_rollback(db);
		if (rc == AGORA_EINVAL || rc == AGORA_ETOOBIG)
			return refused(r, gl, rc, w->multipart ? &f : NULL, &e);
		r->err = e;
		return rc;
	}
	if (dup)
		db_rollback(db);
	else if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO, "request %s: material %lld submitted by user %lld", r->id,
	    (long long)id, (long long)w->user.id);
	auth_redirect(r, dup ? "/material?sent=same" : "/material?sent=1");
	return 0;
}

int page_material(struct web_req *r)
{
	const struct form_sent sent[] = {
		{"same", tr(r, "Ce fichier est déjà enregistré : rien n'a "
			       "changé.")},
		{NULL, tr(r, "Reçu : il attend la modération.")},
	};
	const struct form_page p = {
		.role = ROLE_CANDIDATE,
		.sent = sent,
		.render = material_page,
		.post = material_post,
	};

	return form_page_run(r, &p);
}

/* --------------------------------------------------------- profiles */

static int history_row(void *ctx, const struct material_profile *p)
{
	struct web_req *r = ctx;
	struct sb *b = &r->body;

	html_raw(b, "<tr><td>");
	html_date(r, p->proposed_at);
	html_raw(b, "</td><td>");
	html_text(b, p->given_name);
	html_raw(b, " ");
	html_text(b, p->family_name);
	html_raw(b, "</td><td>");
	html_text(b, p->party);
	html_raw(b, "</td><td>");
	status_label(r, p->status);
	form_reason(r, p->reason);
	html_raw(b, "</td></tr>\n");
	return 0;
}

static void text_input(struct web_req *r, const char *name, const char *label,
		       const char *value, int required)
{
	html_raw(&r->body, "<p><label>");
	html_text(&r->body, label);
	html_raw(&r->body, "<br>\n<input type=\"text\" name=\"");
	html_attr(&r->body, name);
	html_raw(&r->body, "\" maxlength=\"200\" value=\"");
	html_attr(&r->body, value);
	html_raw(&r->body,
		 required ? "\" required></label></p>\n" : "\"></label></p>\n");
}

static int profile_section(struct web_req *r, const struct auth_grant *g,
			   int64_t cid)
{
	struct material_profile cur = {0};
	struct candidate_list cl = {0};
	struct sb *b = &r->body;
	const struct candidate_info *ci = NULL;
	size_t i;
	int rc;

	if ((rc = candidate_list(r->db, g->election, &cl, &r->err)))
		return rc;
	for (i = 0; i < cl.n; i++)
		if (cl.v[i].id == cid)
			ci = &cl.v[i];
	rc = material_profile_current(r->db, cid, &cur, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		goto out;
	rc = 0;
	html_raw(b, "<form class=\"profile\" method=\"post\" "
		    "action=\"/profile\">\n");
	auth_csrf_field(r);
	form_candidacy_field(r, g);
	text_input(r, "given_name", tr(r, "Prénom, tel que sur le bulletin"),
		   ci ? ci->given_name : "", 0);
	text_input(r, "family_name", tr(r, "Nom, tel que sur le bulletin"),
		   ci ? ci->family_name : "", 1);
	text_input(r, "party", tr(r, "Parti ou liste"), ci ? ci->party : "", 0);
	html_raw(b, "<p><label>");
	html_text(b, tr(r, "Biographie courte (2 000 octets au plus)"));
	html_raw(b, "<br>\n<textarea name=\"bio\" maxlength=\"2000\" "
		    "rows=\"6\">");
	html_text(b, cur.bio ? cur.bio : "");
	html_raw(b, "</textarea></label></p>\n<p><label>");
	html_text(b, tr(r, "Liens (https://…, un par ligne, 5 au plus)"));
	html_raw(b, "<br>\n<textarea name=\"links\" rows=\"4\">");
	html_text(b, cur.links ? cur.links : "");
	html_raw(b, "</textarea></label></p>\n<p><button type=\"submit\">");
	html_text(b, tr(r, "Envoyer pour modération"));
	html_raw(b, "</button></p>\n</form>\n<h3>");
	html_text(b, tr(r, "Historique"));
	html_raw(b, "</h3>\n");
	html_table_head(&r->body, "history", tr(r, "Proposé le"), tr(r, "Nom"),
			tr(r, "Parti ou liste"), tr(r, "État"), NULL);
	if ((rc = material_profile_list(r->db, cid, history_row, r, &r->err)))
		goto out;
	html_raw(b, "</table>\n");
out:
	material_profile_fini(&cur);
	candidate_list_fini(&cl);
	return rc;
}

static int profile_page(struct web_req *r, const struct auth_grant_list *gl,
			int status, const char *message, const char *done)
{
	int rc;

	form_page_begin(r, status, tr(r, "Profil du candidat"));
	form_notices(r, message, done);
	html_raw(&r->body, "<p>");
	html_text(&r->body,
		  tr(r, "Un éditeur relit chaque modification ; d'ici là, "
			"la page publique montre le profil précédent."));
	html_raw(&r->body, "</p>\n");
	if ((rc = form_candidacies(r, gl, 0, profile_section)))
		return rc;
	page_end(r);
	return 0;
}

static int profile_post(struct web_req *r, const struct auth_grant_list *gl)
{
	struct agora_error e = {0};
	struct agora_db *db;
	int64_t cid, id;
	int rc, done;

	if ((rc = form_cid(r, gl, &cid, &done)) || done)
		return rc;
	if ((rc = write_begin(r, &db)))
		return rc;
	rc = material_profile_propose(
		db, cid, r->auth->user.id, auth_form(r, "given_name"),
		auth_form(r, "family_name"), auth_form(r, "party"),
		auth_form(r, "bio"), auth_form(r, "links"), &id, &e);
	if (rc) {
		db_rollback(db);
		if (rc == AGORA_EINVAL)
			return profile_page(r, gl, 400, e.msg, NULL);
		r->err = e;
		return rc;
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	auth_redirect(r, "/profile?sent=1");
	return 0;
}

int page_profile(struct web_req *r)
{
	const struct form_sent sent[] = {
		{NULL, tr(r, "Profil reçu : il attend la modération.")},
	};
	const struct form_page p = {
		.role = ROLE_CANDIDATE,
		.sent = sent,
		.render = profile_page,
		.post = profile_post,
	};

	return form_page_run(r, &p);
}

/* ------------------------------------------------------- the bytes */

/*
 * May the request see an item that is not published: its candidate
 * (their own candidacy) or an editor of its election. 1, 0, or < 0.
 */
static int may_preview(struct web_req *r, const struct material_item *m)
{
	struct auth_grant_list gl = {0};
	int rc;

	if (!auth_signed_in(r))
		return 0;
	rc = auth_user_can(r->db, r->auth->user.id, ROLE_EDITOR, m->election_id,
			   &r->err);
	if (rc)
		return rc;
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		return rc;
	rc = web_own_candidacy(&gl, m->election, m->candidate);
	auth_grant_list_fini(&gl);
	return rc;
}

/* The media type as a constant: r->ctype outlives the item */
static const char *media_type(const char *t)
{
	static const char *const known[] = {
		"image/jpeg",
		"image/png",
		"image/webp",
		"application/pdf",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(t, known[i]))
			return known[i];
	return NULL;
}

/*
 * /m/ID: a photo or leaflet's bytes as stored (and checked when they
 * came), with headers that make them inert whatever they hold: the
 * sniffed type exactly, nosniff (on every response), a CSP that
 * forbids everything and sandboxes the document should it be opened
 * as one, and a PDF as an attachment, never rendered in the site's
 * origin. Unpublished items exist only for their candidate and the
 * election's editors (404 for anyone else, as if absent).
 */
int page_media(struct web_req *r)
{
	struct material_item m = {0};
	const char *ctype;
	int64_t id;
	int rc;

	if (web_parse_id(r->param[0], &id))
		return agora_errorf(&r->err, AGORA_ENOTFOUND,
				    "no material '%s'", r->param[0]);
	if ((rc = material_get(r->db, id, &m, &r->err)))
		return rc;
	if (!(ctype = media_type(m.media_type))) {
		rc = agora_errorf(&r->err, AGORA_ENOTFOUND,
				  "material %lld is not a file", (long long)id);
		goto out;
	}
	if (strcmp(m.status, "published")) {
		rc = may_preview(r, &m);
		if (rc == 0)
			rc = agora_errorf(&r->err, AGORA_ENOTFOUND,
					  "no material %lld", (long long)id);
		if (rc < 0)
			goto out;
	}
	/* a leaflet is larger than a page: its own cap */
	sb_fini(&r->body);
	sb_init(&r->body, MATERIAL_FILE_MAX + 1);
	if ((rc = material_data(r->db, id, &r->body, &r->err)))
		goto out;
	r->ctype = ctype;
	r->csp = "default-src 'none'; sandbox";
	snprintf(r->disposition, sizeof(r->disposition),
		 "%s; filename=\"material-%lld.%s\"",
		 !strcmp(ctype, "application/pdf") ? "attachment" : "inline",
		 (long long)id, strchr(ctype, '/') + 1);
out:
	material_item_fini(&m);
	return rc;
}

/* ------------------------------------------------------ what voters see */

int web_candidate_profile(struct web_req *r, int64_t candidate_id)
{
	struct material_profile p = {0};
	struct sb *b = &r->body;
	const char *s, *e;
	int rc;

	rc = material_profile_current(r->db, candidate_id, &p, &r->err);
	if (rc == AGORA_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (*p.bio) {
		html_raw(b, "<div class=\"bio\">");
		for (s = p.bio; *s; s = *e ? e + 1 : e) {
			e = s + strcspn(s, "\n");
			if (e == s || (e == s + 1 && *s == '\r'))
				continue;
			html_raw(b, "<p>");
			html_textn(b, s, (size_t)(e - s));
			html_raw(b, "</p>");
		}
		html_raw(b, "</div>\n");
	}
	if (*p.links) {
		html_raw(b, "<ul class=\"links\">\n");
		for (s = p.links; *s; s = *e ? e + 1 : e) {
			char *u;

			e = s + strcspn(s, "\n");
			if (!(u = strndup(s, (size_t)(e - s)))) {
				material_profile_fini(&p);
				return agora_errorf(&r->err, AGORA_ENOMEM,
						    "out of memory");
			}
			html_raw(b, "<li>");
			outside_link(b, u, u);
			html_raw(b, "</li>\n");
			free(u);
		}
		html_raw(b, "</ul>\n");
	}
	material_profile_fini(&p);
	return 0;
}

struct shown {
	struct web_req *r;
	size_t n;
	json_t *a;
};

static int public_row(void *ctx, const struct material_item *m)
{
	struct shown *sh = ctx;
	struct web_req *r = sh->r;
	struct sb *b = &r->body;

	if (!sh->n++) {
		html_raw(b, "<section class=\"material\">\n<h2>");
		html_text(b, tr(r, "Documents de campagne"));
		html_raw(b, "</h2>\n<ul class=\"material\">\n");
	}
	html_raw(b, "<li class=\"");
	html_attr(b, m->kind);
	html_raw(b, "\">");
	if (!strcmp(m->kind, "photo")) {
		html_raw(b, "<figure><img src=\"/m/");
		html_num(b, m->id);
		html_raw(b, "\" alt=\"");
		html_attr(b, m->caption);
		html_raw(b, "\" width=\"");
		html_num(b, m->width);
		html_raw(b, "\" height=\"");
		html_num(b, m->height);
		html_raw(b, "\" loading=\"lazy\"><figcaption>");
		html_text(b, m->caption);
		html_raw(b, "</figcaption></figure>");
	} else if (!strcmp(m->kind, "leaflet")) {
		html_raw(b, "<a href=\"/m/");
		html_num(b, m->id);
		html_raw(b, "\" download>");
		html_text(b, m->caption);
		html_raw(b, "</a> <span class=\"meta\">PDF, ");
		if (m->size >= 1 << 20)
			html_textf(b, tr(r, "%.1f Mo"),
				   (double)m->size / (1 << 20));
		else
			html_textf(b, tr(r, "%lld ko"),
				   (long long)(m->size + 1023) / 1024);
		html_raw(b, "</span>");
	} else {
		outside_link(b, m->url, m->caption);
		html_raw(b, " <span class=\"meta\">");
		html_text(b, tr(r, "vidéo sur"));
		html_raw(b, " ");
		link_host(b, m->url);
		html_raw(b, "</span>");
	}
	html_raw(b, "</li>\n");
	return 0;
}

int web_candidate_material(struct web_req *r, int64_t candidate_id)
{
	struct shown sh = {r, 0, NULL};
	int rc;

	if ((rc = material_list(r->db, candidate_id, "published", public_row,
				&sh, &r->err)))
		return rc;
	if (sh.n)
		html_raw(&r->body, "</ul>\n</section>\n");
	return 0;
}

static int json_row(void *ctx, const struct material_item *m)
{
	struct shown *sh = ctx;
	char path[40];
	json_t *o;

	snprintf(path, sizeof(path), "/m/%lld", (long long)m->id);
	if (*m->url)
		o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)m->id,
			      "kind", m->kind, "caption", m->caption, "url",
			      m->url);
	else
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "id",
			      (json_int_t)m->id, "kind", m->kind, "caption",
			      m->caption, "url", path, "media_type",
			      m->media_type, "size", (json_int_t)m->size);
	if (o && !strcmp(m->kind, "photo")) {
		json_object_set_new(o, "width", json_integer(m->width));
		json_object_set_new(o, "height", json_integer(m->height));
	}
	if (!o || json_array_append_new(sh->a, o))
		return AGORA_ENOMEM;
	return 0;
}

int web_candidate_json(struct web_req *r, int64_t candidate_id,
		       struct json_t *o)
{
	struct material_profile p = {0};
	struct shown sh = {r, 0, json_array()};
	json_t *links = json_array();
	const char *s, *e;
	int rc;

	if (!sh.a || !links) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	rc = material_profile_current(r->db, candidate_id, &p, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		goto out;
	for (s = p.links ? p.links : ""; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		json_array_append_new(links, json_stringn(s, (size_t)(e - s)));
	}
	json_object_set_new(o, "biography", json_string(p.bio ? p.bio : ""));
	json_object_set(o, "links", links);
	if ((rc = material_list(r->db, candidate_id, "published", json_row, &sh,
				&r->err)))
		goto out;
	json_object_set(o, "material", sh.a);
out:
	json_decref(sh.a);
	json_decref(links);
	material_profile_fini(&p);
	return rc;
}

/* ------------------------------------------------------------ moderation */

struct queue {
	struct web_req *r;
	size_t n;
};

static int queue_material_row(void *ctx, const struct material_item *m)
{
	struct queue *q = ctx;
	struct web_req *r = q->r;
	struct sb *b = &r->body;
	int rc;

	if ((rc = form_editor_of(r, m->election_id)) <= 0)
		return rc; /* another election's, or an error */
	q->n++;
	html_raw(b, "<tr><td><a href=\"/moderation/material/");
	html_num(b, m->id);
	html_raw(b, "\">");
	html_text(b, m->caption);
	html_raw(b, "</a></td><td>");
	html_text(b, kind_label(r, m->kind));
	html_raw(b, "</td><td>");
	html_text(b, m->candidate_name);
	html_raw(b, "</td><td>");
	html_text(b, m->election);
	html_raw(b, "</td><td>");
	html_date(r, m->submitted_at);
	html_raw(b, "</td></tr>\n");
	return 0;
}

static int queue_profile_row(void *ctx, const struct material_profile *p)
{
	struct queue *q = ctx;
	struct web_req *r = q->r;
	struct sb *b = &r->body;
	int rc;

	if ((rc = form_editor_of(r, p->election_id)) <= 0)
		return rc;
	q->n++;
	html_raw(b, "<tr><td><a href=\"/moderation/profile/");
	html_num(b, p->id);
	html_raw(b, "\">");
	html_text(b, p->given_name);
	html_raw(b, " ");
	html_text(b, p->family_name);
	html_raw(b, "</a></td><td>");
	html_text(b, p->candidate);
	html_raw(b, "</td><td>");
	html_text(b, p->election);
	html_raw(b, "</td><td>");
	html_date(r, p->proposed_at);
	html_raw(b, "</td></tr>\n");
	return 0;
}

int web_material_queue(struct web_req *r)
{
	struct queue q = {r, 0};
	struct sb *b = &r->body;
	int rc;

	html_raw(b, "<h2>");
	html_text(b, tr(r, "Documents de campagne"));
	html_raw(b, "</h2>\n");
	html_table_head(&r->body, "queue material", tr(r, "Légende"),
			tr(r, "Type"), tr(r, "Candidat"), tr(r, "Élection"),
			tr(r, "Déposé le"), NULL);
	if ((rc = material_list(r->db, 0, "pending", queue_material_row, &q,
				&r->err)))
		return rc;
	html_raw(b, "</table>\n");
	form_empty(r, q.n, tr(r, "Aucun document de campagne en attente."));
	q.n = 0;
	html_raw(b, "<h2>");
	html_text(b, tr(r, "Profils"));
	html_raw(b, "</h2>\n");
	html_table_head(&r->body, "queue profiles", tr(r, "Nom"),
			tr(r, "Candidat"), tr(r, "Élection"),
			tr(r, "Proposé le"), NULL);
	if ((rc = material_profile_list(r->db, 0, queue_profile_row, &q,
					&r->err)))
		return rc;
	html_raw(b, "</table>\n");
	form_empty(r, q.n, tr(r, "Aucun profil en attente."));
	return 0;
}

static int material_write(struct web_req *r, struct agora_db *db, int64_t id,
			  int publish, const char *reason)
{
	int rc;

	if ((rc = material_db_prepare(db, &r->err)))
		return rc;
	return material_moderate(db, id, publish, reason, r->auth->user.id,
				 &r->err);
}

static const struct form_decision material_decision = {
	.kind = DECIDE_PUBLISH,
	.what = "material",
	.path = "/moderation/material/",
	.back = "/moderation",
	.write = material_write,
};

int page_moderate_material(struct web_req *r)
{
	struct material_item m = {0};
	struct sb *b = &r->body;
	int64_t id;
	int rc, done;

	if ((rc = form_decision_id(r, &material_decision, &id, &done)) || done)
		return rc;
	if ((rc = material_get(r->db, id, &m, &r->err)))
		return rc;
	if ((rc = form_decision_gate(r, &material_decision, m.election_id, id,
				     &done)) ||
	    done)
		goto out;
	form_decision_head(r, &material_decision, m.caption);
	html_raw(b, "<p>");
	html_text(b, kind_label(r, m.kind));
	html_raw(b, " — ");
	html_text(b, m.candidate_name);
	html_raw(b, " — ");
	html_text(b, m.election);
	html_raw(b, " — ");
	status_label(r, m.status);
	form_reason(r, m.reason);
	html_raw(b, "</p>\n");
	if (!strcmp(m.kind, "photo")) {
		html_raw(b, "<p class=\"meta\">");
		html_text(b, m.media_type);
		html_textf(b, ", %ux%u, %lld ", m.width, m.height,
			   (long long)m.size);
		html_text(b, tr(r, "octets"));
		html_raw(b, "</p>\n<p><img class=\"preview\" src=\"/m/");
		html_num(b, m.id);
		html_raw(b, "\" alt=\"");
		html_attr(b, m.caption);
		html_raw(b, "\"></p>\n");
	} else if (!strcmp(m.kind, "leaflet")) {
		html_raw(b, "<p><a href=\"/m/");
		html_num(b, m.id);
		html_raw(b, "\" download>");
		html_text(b, tr(r, "Télécharger le PDF"));
		html_raw(b, "</a> <span class=\"meta\">");
		html_textf(b, "%lld ", (long long)m.size);
		html_text(b, tr(r, "octets"));
		html_raw(b, "</span></p>\n");
	} else {
		html_raw(b, "<p><code>");
		html_text(b, m.url);
		html_raw(b, "</code></p>\n");
	}
	if (!strcmp(m.status, "pending"))
		form_decision_form(r, &material_decision, m.id);
	page_end(r);
out:
	material_item_fini(&m);
	return rc;
}

static void profile_dl(struct web_req *r, const char *term, const char *now,
		       const char *proposed)
{
	struct sb *b = &r->body;

	html_raw(b, "<tr><th>");
	html_text(b, term);
	html_raw(b, strcmp(now, proposed) ? "</th><td>"
					  : "</th><td class=\"same\">");
	html_text(b, now);
	html_raw(b, "</td><td>");
	html_text(b, proposed);
	html_raw(b, "</td></tr>\n");
}

static int profile_write(struct web_req *r, struct agora_db *db, int64_t id,
			 int publish, const char *reason)
{
	int rc;

	if ((rc = material_db_prepare(db, &r->err)))
		return rc;
	return material_profile_moderate(db, id, publish, reason,
					 r->auth->user.id, &r->err);
}

static const struct form_decision profile_decision = {
	.kind = DECIDE_PUBLISH,
	.what = "profile",
	.path = "/moderation/profile/",
	.back = "/moderation",
	.write = profile_write,
};

int page_moderate_profile(struct web_req *r)
{
	struct material_profile p = {0}, cur = {0};
	struct candidate_list cl = {0};
	const struct candidate_info *ci = NULL;
	struct sb *b = &r->body;
	size_t i;
	int64_t id;
	int rc, done;

	if ((rc = form_decision_id(r, &profile_decision, &id, &done)) || done)
		return rc;
	if ((rc = material_profile_get(r->db, id, &p, &r->err)))
		return rc;
	if ((rc = form_decision_gate(r, &profile_decision, p.election_id, id,
				     &done)) ||
	    done)
		goto out;
	if ((rc = candidate_list(r->db, p.election, &cl, &r->err)))
		goto out;
	for (i = 0; i < cl.n; i++)
		if (cl.v[i].id == p.candidate_id)
			ci = &cl.v[i];
	rc = material_profile_current(r->db, p.candidate_id, &cur, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		goto out;
	rc = 0;
	form_decision_head(r, &profile_decision, tr(r, "Profil du candidat"));
	html_raw(b, "<p>");
	html_text(b, p.candidate);
	html_raw(b, " — ");
	html_text(b, p.election);
	html_raw(b, " — ");
	status_label(r, p.status);
	form_reason(r, p.reason);
	html_raw(b, "</p>\n");
	html_table_head(&r->body, "profile", "", tr(r, "Aujourd'hui"),
			tr(r, "Proposé"), NULL);
	profile_dl(r, tr(r, "Prénom"), ci ? ci->given_name : "", p.given_name);
	profile_dl(r, tr(r, "Nom"), ci ? ci->family_name : "", p.family_name);
	profile_dl(r, tr(r, "Parti ou liste"), ci ? ci->party : "", p.party);
	profile_dl(r, tr(r, "Biographie"), cur.bio ? cur.bio : "", p.bio);
	profile_dl(r, tr(r, "Liens"), cur.links ? cur.links : "", p.links);
	html_raw(b, "</table>\n");
	if (!strcmp(p.status, "pending"))
		form_decision_form(r, &profile_decision, p.id);
	page_end(r);
out:
	material_profile_fini(&p);
	material_profile_fini(&cur);
	candidate_list_fini(&cl);
	return rc;
}
