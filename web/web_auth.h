/*
 * web_auth.h - private to web/: accounts on the web (auth.c and
 * account_pages.c): the session of a request, forms and their CSRF
 * tokens, the password-hashing worker, the writable connections, the
 * permission helper, and the hooks server.c calls.
 */
#ifndef AGORA_WEB_AUTH_H
#define AGORA_WEB_AUTH_H

#include <microhttpd.h>

#include "auth.h"
#include "web_int.h"

/* ------------------------------------------------ hooks for server.c */

struct auth_server;
/* Loads the CSRF key, starts the hashing worker, before the daemon */
int auth_server_start(struct auth_server **out, const struct web_config *cfg,
		      struct agora_db *db, struct agora_error *err);
/* The URL of links in e-mail, once known (unless --base-url set it) */
void auth_server_set_url(struct auth_server *a, const char *url);
/*
 * Finishes the hashes already accepted (resuming their connections) and
 * stops the worker; later ones get a 503. Then libmicrohttpd can stop,
 * and auth_server_free() frees.
 */
void auth_server_stop(struct auth_server *a);
void auth_server_free(struct auth_server *a);
/* server.c: the server's auth state */
struct auth_server *web_auth_server(struct web_server *s);

/*
 * 1 when the request carries a session or pre-session cookie: its page
 * may then depend on who sends it (never shared through the cache)
 */
int auth_cookie(const struct web_req *r);
/* Reads the session cookie (in the request's read transaction) */
int auth_request_begin(struct web_req *r);
/* Keeps a POST body (the caller enforces WEB_MAX_BODY) */
int auth_upload(struct web_req *r, const char *data, size_t n);
/*
 * A multipart/form-data body, streamed through libmicrohttpd's post
 * processor: small fields into the form, the "file" part into a buffer
 * capped at cap bytes. Returns 0, AGORA_ETOOBIG when the file
 * goes over the cap (the caller answers 413 without reading the rest),
 * AGORA_EINVAL when the body is malformed, AGORA_ENOMEM.
 */
int auth_upload_multipart(struct web_req *r, const char *data, size_t n,
			  size_t cap);
/* 1 when the request is a POST whose body is multipart/form-data */
int auth_is_multipart(struct web_req *r);
/* After MHD_suspend_connection: hands the pending hash to the worker */
void auth_enqueue(struct web_req *r);
/* After the resume: finishes the request whose hash is done */
int auth_continue(struct web_req *r);
/* Set-Cookie, Location, Retry-After, Cache-Control for personal pages */
void auth_add_headers(struct web_req *r, struct MHD_Response *resp);
/*
 * 1 when the response shows something of one visitor (who is signed
 * in, a CSRF token, a cookie): never cached, never stored in a cache.
 */
int auth_personal(const struct web_req *r);
/* 1 when a signed-in user is making the request */
int auth_signed_in(const struct web_req *r);
void auth_request_free(struct web_req *r);
/* The sign-in link, or who is signed in: in every page's header */
void auth_nav(struct web_req *r);

/* ------------------------------------------- for pages and later flows */

struct web_auth {
	struct auth_user user; /* user.id == 0: anonymous */
	unsigned char session_hash[AUTH_HASH_BYTES];
	char pre[AUTH_TOKEN_CHARS + 1]; /* the pre-session cookie, or "" */
	int new_pre;			/* pre was made for this response */
	int personal;
	struct sb upload;
	struct web_arg form[WEB_MAX_ARGS];
	size_t nform;
	int form_parsed;
	/* a multipart/form-data upload (submit.c's routes only) */
	struct MHD_PostProcessor *pp;
	int multipart;	   /* the form was read from a multipart body */
	int upload_bad;	   /* malformed, or a field over its cap */
	int upload_big;	   /* the file went over its cap: 413 */
	struct sb file;	   /* the "file" part's bytes, capped */
	char *file_name;   /* its file name as sent, or NULL */
	int has_file;
	/* response headers */
	char *set_cookie[3];
	size_t ncookie;
	char *location;
	unsigned retry_after;
	/* a pending password hash */
	struct hash_job *job;
	int cont;	  /* what to do when it is done */
	const char *hash; /* its result, while the continuation writes */
	/* token: the reset link's, or the new session's (sign-in) */
	char *email, *name, *token;
	int64_t user_id;
	int verified;
	/* auth_mail()'s message, published once its write is committed */
	struct outbox_msg mail;
	char *mail_to;
};

/* The request's auth state (made on first use); NULL out of memory */
struct web_auth *auth_of(struct web_req *r);

/*
 * The permission check for pages: 0 when the signed-in user holds role
 * (ROLE_EDITOR of election_id, 0 for any; an administrator holds every
 * role); otherwise the response is made (a redirect to the sign-in page
 * for an anonymous visitor, 403 for a signed-in one) and it returns 1:
 * the handler then returns 0 at once.
 */
int auth_require(struct web_req *r, int role, int64_t election_id);

/* The POST form's first value for key, or NULL */
const char *auth_form(struct web_req *r, const char *key);
/*
 * Parses the POST body (400 for malformed, 415 for another type) and
 * checks its CSRF token ("csrf" field or X-CSRF-Token header; 403);
 * 0 when the request may go on, else the response is made.
 */
int auth_post_ok(struct web_req *r);
/* The CSRF token of a signed-in request (the API's /me); -1 if none */
int auth_csrf_token(struct web_req *r, char out[AUTH_CSRF_CHARS + 1]);
/* <input type=hidden name=csrf>, for the request's session or visitor */
void auth_csrf_field(struct web_req *r);
/* Takes a token from a rate limit bucket; 429 made when empty */
int auth_rate_ok(struct web_req *r, const char *bucket, const char *key,
		 double burst, double interval);
/* Refills a bucket: a sign-in that succeeded clears its account's */
void auth_rate_reset(struct web_req *r, const char *bucket, const char *key);
/* An error page with its status (403, 429, 400...) */
void auth_page_error(struct web_req *r, int status, const char *message);
/* 303 to a local path */
void auth_redirect(struct web_req *r, const char *path);
/* Asks for a password hash off the request thread: the request is
 * suspended and auth_continue() called with the result */
int auth_hash_later(struct web_req *r, int kind, const char *password,
		    const char *hash, int cont);
/* Sets the session cookie, or clears it when token is NULL */
void auth_set_session_cookie(struct web_req *r, const char *token);
/*
 * form.c: parses an application/x-www-form-urlencoded body into at most
 * max decoded pairs (the caller frees keys and values, also on error).
 * A bad %-escape, a NUL, invalid UTF-8 or too many fields is
 * AGORA_EINVAL; AGORA_ENOMEM out of memory.
 */
int form_parse(const char *s, size_t n, struct web_arg *args, size_t max,
	       size_t *nargs);
/* The client's address as text */
void auth_client_ip(struct web_req *r, char out[64]);

/* The writable connection of this thread, outside any transaction */
int auth_write_db(struct web_req *r, struct agora_db **db);
/* The writable connection of this thread, in BEGIN IMMEDIATE */
int auth_write_begin(struct web_req *r, struct agora_db **db);
int auth_write_commit(struct web_req *r, struct agora_db *db);
/* After a write refused for want of storage: while the storage is
 * read-only, the thread's write connection is closed (server.c,
 * web_storage_back()) */
void auth_write_drop(struct web_req *r);
/* The same connection, no transaction begun: for module calls that
 * run their own (primary_ballot_cast) */
int auth_write_db(struct web_req *r, struct agora_db **db);

/*
 * A message about the request's write transaction, in the request's
 * language, link appended (base_url + path + token), then a line saying
 * to ignore it if the reader asked for nothing: prepared now (a full or
 * read-only outbox refuses the write), kept in r->auth until
 * auth_mail_end() publishes it once the transaction is committed, or
 * drops it. One per request.
 */
int auth_mail(struct web_req *r, const char *to, const char *subject,
	      const char *text, const char *path, const char *token);
/* The same, without that last line: a notice (a moderation decision) */
int auth_mail_notice(struct web_req *r, const char *to, const char *subject,
		     const char *text, const char *path);
/*
 * After auth_mail()'s transaction: committed (publishes) or not (drops).
 * auth_write_commit() calls it; a mail left pending is dropped with the
 * request.
 */
void auth_mail_end(struct web_req *r, int committed);

enum { HASH_MAKE, HASH_VERIFY };
/* account_pages.c: the continuations, by r->auth->cont */
enum { CONT_SIGNUP = 1, CONT_SIGNIN, CONT_RESET };
int account_continue(struct web_req *r, int ok, const char *hash);

int page_signup(struct web_req *r);
int page_signin(struct web_req *r);
int page_signout(struct web_req *r);
int page_verify(struct web_req *r);
int page_forgot(struct web_req *r);
int page_reset(struct web_req *r);
int page_account(struct web_req *r);
int page_admin_users(struct web_req *r);

/* submit.c: candidates' submissions and their moderation */
int page_submit(struct web_req *r);
int page_moderation(struct web_req *r);
int page_moderate(struct web_req *r);
int page_changes(struct web_req *r);
/* 1 when the grants hold the candidacy e/c (a candidate's own);
 * defined in form_page.c, beside the other candidacy helpers */
int web_own_candidacy(const struct auth_grant_list *gl, const char *e,
		      const char *c);
/* material_pages.c: campaign material and profiles, moderated */
int page_material(struct web_req *r);
int page_profile(struct web_req *r);
int page_media(struct web_req *r);
int page_moderate_material(struct web_req *r);
int page_moderate_profile(struct web_req *r);
/* The pending material and profiles in /moderation's page */
int web_material_queue(struct web_req *r);
/* document_pages.c: one published version, its siblings, its proposals */
int page_document(struct web_req *r);
/* The published document /d/ID of the route (/d/ID/changes too): 0
 * with *d, else an error, ENOTFOUND for one not published */
struct ingest_doc_info;
int web_published_document(struct web_req *r, struct ingest_doc_info *d);
/* submit_api.c: the JSON API around submissions and claims */
int api_documents(struct web_req *r);
int api_me(struct web_req *r);
int api_me_submissions(struct web_req *r);
int api_me_claims(struct web_req *r);
/* material_withdraw.c: a candidate withdraws a published item */
int page_material_withdraw(struct web_req *r);
/* moderation_api.c: editors' moderation in the JSON API */
int api_moderation_queue(struct web_req *r);
int api_moderation_decide(struct web_req *r);
/* claim_pages.c: linking an account to its candidacy */
int page_claim(struct web_req *r);
int page_claims(struct web_req *r);
int page_claim_decide(struct web_req *r);
/*
 * A primary's declarant: the comparator candidate slug (display name
 * name) of the election of the same slug, created if missing, and the
 * signed-in account's request to be linked to it, in db's write
 * transaction, the declaration's own. A refusal of the request (one
 * already waiting, too many waiting) is logged and writes nothing: the
 * declaration stands, and the account can still ask on
 * /account/candidacy. Any other failure is returned, and the caller
 * rolls the whole declaration back: no candidacy is acknowledged
 * without what it promises.
 */
int claim_declarant(struct web_req *r, struct agora_db *db,
		    const char *election, const char *slug, const char *name);
/* editor_pages.c: the editors' pages and their public record */
int page_review(struct web_req *r);
int page_review_proposal(struct web_req *r);
int page_note(struct web_req *r);
int page_audit(struct web_req *r);
/* primary_pages.c: the citizen's side of the primary */
int page_primary(struct web_req *r);
int page_primary_declare(struct web_req *r);
int page_primary_support(struct web_req *r);
int page_primary_admin(struct web_req *r);
int page_primary_credential(struct web_req *r);
int page_primary_vote(struct web_req *r);
int page_primary_receipt(struct web_req *r);
int page_primary_results(struct web_req *r);
int page_primary_results_csv(struct web_req *r);

#endif
