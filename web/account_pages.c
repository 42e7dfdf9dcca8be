/*
 * account_pages.c - the account pages: sign up, sign in, sign out,
 * verify an e-mail address, forgotten and new password, my account,
 * and the administrators' list of accounts. One function per page;
 * every variable byte through the escaping writer; every form with its
 * labels and its CSRF token. None of these pages is cached.
 *
 * No page says whether an address has an account: sign-up and
 * "forgotten password" answer the same either way (the owner of an
 * address already in use gets an e-mail instead), and a wrong address
 * costs a sign-in the same Argon2id verification as a wrong password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "web_auth.h"

#define NAME_MAX_BYTES 100

/* --------------------------------------------------------- components */

static void form_begin(struct web_req *r, const char *action)
{
	html_raw(&r->body, "<form class=\"account\" method=\"post\" action=\"");
	html_attr(&r->body, action);
	html_raw(&r->body, "\">\n");
	auth_csrf_field(r);
}

static void form_end(struct web_req *r, const char *button)
{
	html_raw(&r->body, "<p><button type=\"submit\">");
	html_text(&r->body, button);
	html_raw(&r->body, "</button></p>\n</form>\n");
}

/* A labelled input; value (may be NULL) is kept on a failed submit */
static void field(struct web_req *r, const char *name, const char *label,
		  const char *type, const char *autocomplete, const char *value,
		  int required)
{
	struct sb *b = &r->body;

	html_raw(b, "<p><label for=\"");
	html_attr(b, name);
	html_raw(b, "\">");
	html_text(b, label);
	html_raw(b, "</label><br>\n<input type=\"");
	html_attr(b, type);
	html_raw(b, "\" id=\"");
	html_attr(b, name);
	html_raw(b, "\" name=\"");
	html_attr(b, name);
	html_raw(b, "\" autocomplete=\"");
	html_attr(b, autocomplete);
	html_raw(b, "\"");
	if (value) {
		html_raw(b, " value=\"");
		html_attr(b, value);
		html_raw(b, "\"");
	}
	html_raw(b, required ? " required>\n</p>\n" : ">\n</p>\n");
}

static void heading(struct web_req *r, const char *title)
{
	page_begin(r, title);
	html_raw(&r->body, "<h1>");
	html_text(&r->body, title);
	html_raw(&r->body, "</h1>\n");
}

static void para(struct web_req *r, const char *cls, const char *text)
{
	html_raw(&r->body, cls ? "<p class=\"" : "<p>");
	if (cls) {
		html_attr(&r->body, cls);
		html_raw(&r->body,
			 cls[0] == 'e' ? "\" role=\"alert\">" : "\">");
	}
	html_text(&r->body, text);
	html_raw(&r->body, "</p>\n");
}

static void link_item(struct web_req *r, const char *href, const char *text)
{
	html_raw(&r->body, "<li><a href=\"");
	html_attr(&r->body, href);
	html_raw(&r->body, "\">");
	html_text(&r->body, text);
	html_raw(&r->body, "</a></li>\n");
}

/* A page of one message, with a next step */
static int message_page(struct web_req *r, int status, const char *title,
			const char *text, const char *href, const char *next)
{
	sb_reset(&r->body);
	r->status = status;
	heading(r, title);
	para(r, status >= 400 ? "error" : NULL, text);
	if (href) {
		html_raw(&r->body, "<ul>\n");
		link_item(r, href, next);
		html_raw(&r->body, "</ul>\n");
	}
	page_end(r);
	return 0;
}

static const char *role_label(struct web_req *r, int role)
{
	switch (role) {
	case ROLE_ADMIN:
		return tr(r, "administrateur");
	case ROLE_EDITOR:
		return tr(r, "éditeur");
	case ROLE_CANDIDATE:
		return tr(r, "candidat");
	default:
		return tr(r, "citoyen");
	}
}

/* An audit entry by the account itself about itself */
static int audit_self(struct agora_db *db, int64_t uid, const char *action,
		      const char *detail, struct agora_error *err)
{
	char object[32];

	snprintf(object, sizeof(object), "user:%lld", (long long)uid);
	return auth_audit(db, uid, action, object, detail, err);
}

/*
 * Runs fn in this thread's write transaction; 0 or an AGORA_E* code.
 * The mail fn prepared (auth_mail()) is published only once the
 * transaction is committed, and dropped otherwise.
 */
static int write_tx(struct web_req *r,
		    int (*fn)(struct web_req *r, struct agora_db *db))
{
	struct agora_db *db;
	int rc;

	if ((rc = auth_write_begin(r, &db)))
		return rc;
	if ((rc = fn(r, db))) {
		db_rollback(db);
		auth_mail_end(r, 0);
	} else {
		rc = auth_write_commit(r, db); /* publishes fn's mail */
	}
	return rc;
}

/* ------------------------------------------------------------- sign up */

static int signup_form(struct web_req *r, int status, const char *error,
		       const char *email, const char *name)
{
	sb_reset(&r->body);
	r->status = status;
	heading(r, tr(r, "Créer un compte"));
	if (error)
		para(r, "error", error);
	form_begin(r, "/signup");
	field(r, "email", tr(r, "Adresse e-mail"), "email", "email", email, 1);
	field(r, "name", tr(r, "Nom affiché (facultatif)"), "text", "nickname",
	      name, 0);
	field(r, "password",
	      tr(r, "Nouveau mot de passe (8 caractères au moins)"), "password",
	      "new-password", NULL, 1);
	form_end(r, tr(r, "Créer un compte"));
	html_raw(&r->body, "<ul>\n");
	link_item(r, "/signin", tr(r, "Se connecter"));
	html_raw(&r->body, "</ul>\n");
	page_end(r);
	return 0;
}

int page_signup(struct web_req *r)
{
	const char *email, *name, *pw;
	char ip[64], *e = NULL;

	if (!r->post)
		return signup_form(r, 200, 0, NULL, NULL);
	if (auth_post_ok(r))
		return 0;
	auth_client_ip(r, ip);
	if (!auth_rate_ok(r, "signup-ip", ip, 10, 60))
		return 0;
	email = auth_form(r, "email");
	name = auth_form(r, "name");
	pw = auth_form(r, "password");
	if (!name)
		name = "";
	if (!email || auth_email_normalize(email, &e, NULL))
		return signup_form(
			r, 400, tr(r, "Cette adresse e-mail n'est pas valide."),
			email, name);
	r->auth->email = e;
	/* each sign-up mails the address: three, then one per 10 minutes */
	if (!auth_rate_ok(r, "signup", e, 3, 600))
		return 0;
	if (strlen(name) > NAME_MAX_BYTES)
		return signup_form(
			r, 400,
			tr(r, "Formulaire mal formé : un échappement %, un "
			      "octet nul ou de l'UTF-8 invalide."),
			email, NULL);
	if (!pw || auth_password_ok(pw, NULL))
		return signup_form(
			r, 400,
			tr(r,
			   "Le mot de passe doit compter de 8 à 1024 octets."),
			email, name);
	if (!(r->auth->name = strdup(name)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	return auth_hash_later(r, HASH_MAKE, pw, NULL, CONT_SIGNUP);
}

static int signup_write(struct web_req *r, struct agora_db *db)
{
	char tok[AUTH_TOKEN_CHARS + 1];
	int64_t id;
	int rc;

	rc = auth_user_create(db, r->auth->email, r->auth->name, r->auth->hash,
			      0, &id, &r->err);
	if (rc == AGORA_EEXIST)
		return auth_mail(
			r, r->auth->email, tr(r, "Votre compte agora"),
			tr(r, "Bonjour,\n\nQuelqu'un (vous, peut-être) a voulu "
			      "créer un compte agora avec cette adresse, qui "
			      "en a déjà un. Si c'était vous, connectez-vous "
			      "ou choisissez un nouveau mot de passe ici :"),
			"forgot", NULL);
	if (rc ||
	    (rc = audit_self(db, id, "user.create", "role=citizen sign-up",
			     &r->err)) ||
	    (rc = auth_user_set_language(db, id, web_lang_code(r->lang),
					 &r->err)) ||
	    (rc = auth_link_create(db, id, AUTH_LINK_VERIFY, time(NULL),
				   AUTH_VERIFY_TTL, tok, &r->err)))
		return rc;
	rc = auth_mail(
		r, r->auth->email, tr(r, "Confirmez votre adresse pour agora"),
		tr(r,
		   "Bonjour,\n\nPour confirmer votre adresse et activer votre "
		   "compte agora, suivez ce lien (valable trois jours) :"),
		"verify?token=", tok);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

/* ------------------------------------------------------------- sign in */

static int signin_form(struct web_req *r, int status, const char *error,
		       const char *email)
{
	sb_reset(&r->body);
	r->status = status;
	heading(r, tr(r, "Se connecter"));
	if (error)
		para(r, "error", error);
	form_begin(r, "/signin");
	field(r, "email", tr(r, "Adresse e-mail"), "email", "email", email, 1);
	field(r, "password", tr(r, "Mot de passe"), "password",
	      "current-password", NULL, 1);
	form_end(r, tr(r, "Se connecter"));
	html_raw(&r->body, "<ul>\n");
	link_item(r, "/forgot", tr(r, "Mot de passe oublié"));
	html_raw(&r->body, "</ul>\n<p>");
	html_text(&r->body, tr(r, "Pas encore de compte ?"));
	html_raw(&r->body, " <a href=\"/signup\">");
	html_text(&r->body, tr(r, "Créer un compte"));
	html_raw(&r->body, "</a></p>\n");
	page_end(r);
	return 0;
}

int page_signin(struct web_req *r)
{
	const char *email, *pw;
	struct auth_user u;
	char ip[64], *e = NULL, *hash = NULL;
	int rc;

	if (!r->post)
		return signin_form(r, 200, 0, NULL);
	if (auth_post_ok(r))
		return 0;
	auth_client_ip(r, ip);
	if (!auth_rate_ok(r, "signin-ip", ip, 30, 2))
		return 0;
	email = auth_form(r, "email");
	pw = auth_form(r, "password");
	if (!email || !pw || strlen(pw) > AUTH_PASSWORD_MAX ||
	    auth_email_normalize(email, &e, NULL))
		return signin_form(r, 400,
				   tr(r, "Adresse ou mot de passe incorrect."),
				   email);
	r->auth->email = e;
	/* five tries per account, then one a minute, from any address */
	if (!auth_rate_ok(r, "signin", e, 5, 60))
		return 0;
	rc = auth_user_by_email(r->db, e, &u, &hash, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		return rc;
	if (!rc) {
		r->auth->user_id = u.id;
		r->auth->verified = u.verified;
		auth_user_fini(&u);
	}
	rc = auth_hash_later(r, HASH_VERIFY, pw,
			     hash ? hash : auth_password_dummy(), CONT_SIGNIN);
	free(hash);
	return rc;
}

static int signin_write(struct web_req *r, struct agora_db *db)
{
	char tok[AUTH_TOKEN_CHARS + 1];
	int rc;

	/* signing in again (as anyone) ends the session the browser had */
	if (auth_signed_in(r) &&
	    (rc = auth_session_delete(db, r->auth->session_hash, &r->err)))
		return rc;
	rc = auth_session_create(db, r->auth->user_id, time(NULL), tok,
				 &r->err);
	/* the language mails about the account's requests are written in */
	if (!rc)
		rc = auth_user_set_language(db, r->auth->user_id,
					    web_lang_code(r->lang), &r->err);
	/* the cookie is set once the session is committed, not before */
	if (!rc && !(r->auth->token = strdup(tok)))
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

/* ------------------------------------------------------------ sign out */

static int signout_write(struct web_req *r, struct agora_db *db)
{
	return auth_session_delete(db, r->auth->session_hash, &r->err);
}

int page_signout(struct web_req *r)
{
	int rc;

	if (!r->post) {
		if (!auth_signed_in(r)) {
			auth_redirect(r, "/");
			return 0;
		}
		heading(r, tr(r, "Se déconnecter"));
		form_begin(r, "/signout");
		form_end(r, tr(r, "Se déconnecter"));
		page_end(r);
		return 0;
	}
	if (auth_post_ok(r))
		return 0;
	if (auth_signed_in(r) && (rc = write_tx(r, signout_write)))
		return rc;
	auth_set_session_cookie(r, NULL);
	auth_redirect(r, "/");
	return 0;
}

/* ------------------------------------------------------- verify e-mail */

static int verify_write(struct web_req *r, struct agora_db *db)
{
	int64_t uid;
	int rc;

	rc = auth_link_check(db, web_arg(r, "token"), AUTH_LINK_VERIFY,
			     time(NULL), 1, &uid, &r->err);
	if (!rc)
		rc = auth_user_set_verified(db, uid, &r->err);
	if (!rc)
		rc = audit_self(db, uid, "user.verify", "link", &r->err);
	return rc;
}

int page_verify(struct web_req *r)
{
	int rc;

	if (r->head) { /* a HEAD (a link checker) does not use the link */
		heading(r, tr(r, "Créer un compte"));
		page_end(r);
		return 0;
	}
	rc = write_tx(r, verify_write);

	if (rc == AGORA_ENOTFOUND)
		return message_page(
			r, 400, tr(r, "Créer un compte"),
			tr(r, "Ce lien est inconnu, déjà utilisé ou expiré."),
			"/forgot", tr(r, "Mot de passe oublié"));
	if (rc)
		return rc;
	return message_page(
		r, 200, tr(r, "Créer un compte"),
		tr(r,
		   "Votre adresse est confirmée. Vous pouvez vous connecter."),
		"/signin", tr(r, "Se connecter"));
}

/* --------------------------------------------------- forgotten password */

static int forgot_form(struct web_req *r, int status, const char *error,
		       const char *email)
{
	sb_reset(&r->body);
	r->status = status;
	heading(r, tr(r, "Mot de passe oublié"));
	if (error)
		para(r, "error", error);
	form_begin(r, "/forgot");
	field(r, "email", tr(r, "Adresse e-mail"), "email", "email", email, 1);
	form_end(r, tr(r, "Recevoir un lien"));
	page_end(r);
	return 0;
}

static int forgot_write(struct web_req *r, struct agora_db *db)
{
	char tok[AUTH_TOKEN_CHARS + 1];
	int rc;

	rc = auth_link_create(db, r->auth->user_id, AUTH_LINK_RESET, time(NULL),
			      AUTH_RESET_TTL, tok, &r->err);
	if (!rc)
		rc = auth_mail(
			r, r->auth->email,
			tr(r, "Nouveau mot de passe pour agora"),
			tr(r, "Bonjour,\n\nPour choisir un nouveau mot de "
			      "passe pour votre compte agora, suivez ce lien "
			      "(valable une heure, une seule fois) :"),
			"reset?token=", tok);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

int page_forgot(struct web_req *r)
{
	const char *email;
	struct auth_user u;
	char ip[64], *e = NULL;
	int rc;

	if (!r->post)
		return forgot_form(r, 200, 0, NULL);
	if (auth_post_ok(r))
		return 0;
	auth_client_ip(r, ip);
	if (!auth_rate_ok(r, "forgot-ip", ip, 10, 60))
		return 0;
	email = auth_form(r, "email");
	if (!email || auth_email_normalize(email, &e, NULL))
		return forgot_form(
			r, 400, tr(r, "Cette adresse e-mail n'est pas valide."),
			email);
	r->auth->email = e;
	/* a mailbox is not flooded with links: three, then one per 10 min */
	if (!auth_rate_ok(r, "forgot", e, 3, 600))
		return 0;
	rc = auth_user_by_email(r->db, e, &u, NULL, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		return rc;
	if (!rc) {
		r->auth->user_id = u.id;
		auth_user_fini(&u);
		if ((rc = write_tx(r, forgot_write)))
			return rc;
	}
	return message_page(
		r, 200, tr(r, "Mot de passe oublié"),
		tr(r, "Si un compte existe pour cette adresse, un lien pour "
		      "choisir un nouveau mot de passe vient de lui être "
		      "envoyé ; il est valable une heure."),
		"/", tr(r, "Accueil"));
}

/* -------------------------------------------------------- new password */

static int reset_form(struct web_req *r, int status, const char *error,
		      const char *token)
{
	sb_reset(&r->body);
	r->status = status;
	heading(r, tr(r, "Choisir un nouveau mot de passe"));
	if (error)
		para(r, "error", error);
	form_begin(r, "/reset");
	html_raw(&r->body, "<input type=\"hidden\" name=\"token\" value=\"");
	html_attr(&r->body, token);
	html_raw(&r->body, "\">\n");
	field(r, "password",
	      tr(r, "Nouveau mot de passe (8 caractères au moins)"), "password",
	      "new-password", NULL, 1);
	form_end(r, tr(r, "Enregistrer"));
	page_end(r);
	return 0;
}

int page_reset(struct web_req *r)
{
	const char *token, *pw;
	char ip[64];
	int64_t uid;
	int rc;

	token = r->post ? NULL : web_arg(r, "token");
	if (r->post) {
		if (auth_post_ok(r))
			return 0;
		auth_client_ip(r, ip);
		if (!auth_rate_ok(r, "reset-ip", ip, 10, 60))
			return 0;
		token = auth_form(r, "token");
	}
	rc = auth_link_check(r->db, token, AUTH_LINK_RESET, time(NULL), 0, &uid,
			     &r->err);
	if (rc == AGORA_ENOTFOUND)
		return message_page(
			r, 400, tr(r, "Choisir un nouveau mot de passe"),
			tr(r, "Ce lien est inconnu, déjà utilisé ou expiré."),
			"/forgot", tr(r, "Mot de passe oublié"));
	if (rc)
		return rc;
	if (!r->post)
		return reset_form(r, 200, 0, token);
	pw = auth_form(r, "password");
	if (!pw || auth_password_ok(pw, NULL))
		return reset_form(
			r, 400,
			tr(r,
			   "Le mot de passe doit compter de 8 à 1024 octets."),
			token);
	if (!(r->auth->token = strdup(token)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	return auth_hash_later(r, HASH_MAKE, pw, NULL, CONT_RESET);
}

static int reset_write(struct web_req *r, struct agora_db *db)
{
	int64_t uid;
	int rc;

	/* checked again: the link may have been used while hashing */
	rc = auth_link_check(db, r->auth->token, AUTH_LINK_RESET, time(NULL), 1,
			     &uid, &r->err);
	if (!rc)
		rc = auth_user_set_password(db, uid, r->auth->hash, &r->err);
	/* the link came by e-mail: the address is proven too */
	if (!rc)
		rc = auth_user_set_verified(db, uid, &r->err);
	if (!rc)
		rc = audit_self(db, uid, "user.password", "reset link",
				&r->err);
	return rc;
}

/* ------------------------------------------------- after a password hash */

int account_continue(struct web_req *r, int ok, const char *hash)
{
	struct web_auth *w = r->auth;
	int rc;

	switch (w->cont) {
	case CONT_SIGNIN:
		if (!ok || !w->user_id)
			return signin_form(
				r, 400,
				tr(r, "Adresse ou mot de passe incorrect."),
				w->email);
		if (!w->verified)
			return signin_form(
				r, 403,
				tr(r,
				   "Confirmez d'abord votre adresse : suivez "
				   "le lien reçu par e-mail, ou demandez-en un "
				   "nouveau avec « Mot de passe oublié »."),
				w->email);
		rc = write_tx(r, signin_write);
		if (!rc)
			auth_set_session_cookie(r, w->token);
		if (w->token) {
			sodium_memzero(w->token, strlen(w->token));
			free(w->token);
			w->token = NULL;
		}
		if (rc)
			return rc;
		/* the limit is on guessing: the right password clears it */
		auth_rate_reset(r, "signin", w->email);
		auth_redirect(r, "/account");
		return 0;
	case CONT_SIGNUP:
		w->hash = hash;
		rc = write_tx(r, signup_write);
		w->hash = NULL;
		if (rc)
			return rc;
		return message_page(
			r, 200, tr(r, "Créer un compte"),
			tr(r, "Si cette adresse peut recevoir un compte, un "
			      "lien de confirmation vient de lui être envoyé. "
			      "Suivez-le pour activer votre compte, puis "
			      "connectez-vous."),
			"/signin", tr(r, "Se connecter"));
	case CONT_RESET:
		w->hash = hash;
		rc = write_tx(r, reset_write);
		w->hash = NULL;
		if (rc == AGORA_ENOTFOUND)
			return message_page(
				r, 400,
				tr(r, "Choisir un nouveau mot de passe"),
				tr(r, "Ce lien est inconnu, déjà utilisé ou "
				      "expiré."),
				"/forgot", tr(r, "Mot de passe oublié"));
		if (rc)
			return rc;
		if (auth_signed_in(r))
			auth_set_session_cookie(r, NULL);
		return message_page(r, 200,
				    tr(r, "Choisir un nouveau mot de passe"),
				    tr(r, "Votre mot de passe est changé et "
					  "toutes vos sessions sont fermées. "
					  "Connectez-vous avec le nouveau."),
				    "/signin", tr(r, "Se connecter"));
	}
	return agora_errorf(&r->err, AGORA_EINVAL, "nothing to continue");
}

/* ---------------------------------------------------------- my account */

int page_account(struct web_req *r)
{
	struct auth_grant_list gl;
	struct sb *b = &r->body;
	size_t i;
	int rc;

	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 0;
	}
	if ((rc = auth_user_grants(r->db, r->auth->user.id, &gl, &r->err)))
		return rc;
	heading(r, tr(r, "Mon compte"));
	html_raw(b, "<p>");
	html_text(b, tr(r, "Connecté avec l'adresse"));
	html_raw(b, " <strong class=\"email\">");
	html_text(b, r->auth->user.email);
	html_raw(b, "</strong>");
	if (*r->auth->user.display_name) {
		html_raw(b, " (");
		html_text(b, r->auth->user.display_name);
		html_raw(b, ")");
	}
	html_raw(b, "</p>\n<p>");
	html_text(b, r->auth->user.verified ? tr(r, "Adresse confirmée")
					    : tr(r, "Adresse non confirmée"));
	html_raw(b, "</p>\n<h2>");
	html_text(b, tr(r, "Rôles"));
	html_raw(b, "</h2>\n<ul class=\"roles\">\n");
	for (i = 0; i < gl.n; i++) {
		html_raw(b, "<li data-role=\"");
		html_attr(b, auth_role_name(gl.v[i].role));
		html_raw(b, "\">");
		html_text(b, role_label(r, gl.v[i].role));
		if (gl.v[i].election) {
			html_raw(b, " — <a href=\"/e/");
			url_arg(b, gl.v[i].election);
			html_raw(b, "\">");
			html_text(b, gl.v[i].election);
			html_raw(b, "</a>");
		} else if (gl.v[i].role == ROLE_EDITOR) {
			html_raw(b, " — ");
			html_text(b, tr(r, "toutes les élections"));
		}
		if (gl.v[i].candidate) {
			html_raw(b, " / ");
			html_text(b, gl.v[i].candidate);
		}
		html_raw(b, "</li>\n");
	}
	html_raw(b, "</ul>\n");
	html_raw(b, "<ul>\n");
	link_item(r, "/account/candidacy",
		  tr(r, "Lier mon compte à une candidature"));
	if (gl.roles & (ROLE_ADMIN | ROLE_EDITOR))
		link_item(r, "/candidacies", tr(r, "Demandes de candidats"));
	if (gl.roles & ROLE_ADMIN)
		link_item(r, "/admin/users", tr(r, "Comptes"));
	html_raw(b, "</ul>\n");
	auth_grant_list_fini(&gl);
	form_begin(r, "/signout");
	form_end(r, tr(r, "Se déconnecter"));
	page_end(r);
	return 0;
}

/* --------------------------------------------------- administrators */

int page_admin_users(struct web_req *r)
{
	struct auth_user_list ul;
	struct sb *b = &r->body;
	size_t i;
	int rc, bit;

	if (auth_require(r, ROLE_ADMIN, 0))
		return 0;
	if ((rc = auth_user_list(r->db, &ul, &r->err)))
		return rc;
	heading(r, tr(r, "Comptes"));
	html_thead(b, "users", tr(r, "Adresse e-mail"), tr(r, "Rôles"),
		   tr(r, "Créé le"), NULL);
	for (i = 0; i < ul.n; i++) {
		const char *sep = "";

		html_raw(b, "<tr><td>");
		html_text(b, ul.v[i].email);
		if (!ul.v[i].verified) {
			html_raw(b, " <span class=\"meta\">(");
			html_text(b, tr(r, "Adresse non confirmée"));
			html_raw(b, ")</span>");
		}
		html_raw(b, "</td><td>");
		for (bit = ROLE_ADMIN; bit; bit >>= 1) {
			if (!(ul.v[i].roles & bit))
				continue;
			html_raw(b, sep);
			html_text(b, role_label(r, bit));
			sep = ", ";
		}
		html_raw(b, "</td><td>");
		html_text(b, ul.v[i].created_at);
		html_raw(b, "</td></tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n");
	auth_user_list_fini(&ul);
	page_end(r);
	return 0;
}
