/*
 * auth.c - accounts on the web, the machinery: the session cookie read
 * with each request, POST forms and their CSRF tokens, rate limits, the
 * worker that hashes passwords off the request threads, the writable
 * connections, and the headers a personal response carries.
 *
 * Writes: each worker thread has, beside its read-only connection, a
 * writable one opened on first write and used only for short BEGIN
 * IMMEDIATE transactions (a session row, a link, a password). SQLite
 * has one writer at a time whatever we do; these transactions are a
 * few rows, so they queue on busy_timeout for microseconds, and no
 * handoff to a writer thread (with its own queue and wake-ups) is
 * needed. The read-only connections stay query_only: a GET can never
 * write by mistake. A busy database after the 5 s timeout is a 503.
 *
 * Passwords: Argon2id costs ~0.1 s of CPU and 64 MiB per hash. A
 * request that needs one is suspended (MHD_suspend_connection), the
 * hash is queued to one worker thread, and the connection is resumed
 * when it is done: the epoll workers keep serving pages meanwhile, and
 * the memory is bounded (one hash at a time, at most HASH_QUEUE_MAX
 * waiting; more is a 503).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ingest.h"
#include "web_auth.h"

#define HASH_QUEUE_MAX 32
#define COOKIE_SESSION "agora_session"
#define COOKIE_PRE "agora_pre"
#define COOKIE_FLAGS "; Path=/; HttpOnly; Secure; SameSite=Lax"

struct hash_job {
	int kind; /* HASH_MAKE, HASH_VERIFY */
	char *pw;
	char *hash; /* HASH_VERIFY: the stored hash */
	char out[AUTH_PWHASH_BYTES];
	int ok;
	struct MHD_Connection *conn;
	struct hash_job *next;
};

struct auth_server {
	unsigned char key[32];
	struct ratelimit *rl;
	char *db_path, *outbox, *base_url, *mail_from;
	struct smtp_relay *relay; /* --smtp-relay, or NULL: the outbox only */
	pthread_t th;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hash_job *head, *tail;
	int pending; /* accepted and not yet done */
	int stop;
};

/* ------------------------------------------------------- hashing worker */

static void *hash_worker(void *p)
{
	struct auth_server *a = p;
	struct hash_job *j;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		/* on stop, jobs already accepted are still done */
		while (!a->head && !(a->stop && !a->pending))
			pthread_cond_wait(&a->cond, &a->lock);
		if (!a->head) {
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		j = a->head;
		a->head = j->next;
		if (!a->head)
			a->tail = NULL;
		pthread_mutex_unlock(&a->lock);
		if (j->kind == HASH_MAKE)
			j->ok = !auth_password_hash(j->pw, j->out, NULL);
		else
			j->ok = auth_password_verify(j->hash, j->pw);
		sodium_memzero(j->pw, strlen(j->pw));
		pthread_mutex_lock(&a->lock);
		a->pending--;
		pthread_mutex_unlock(&a->lock);
		/* the request owns j again from here */
		MHD_resume_connection(j->conn);
	}
}

void auth_server_set_url(struct auth_server *a, const char *url)
{
	size_t n = strlen(url);
	char *u;

	if (a->base_url || !(u = malloc(n + 2)))
		return; /* --base-url was given */
	memcpy(u, url, n + 1);
	if (!n || url[n - 1] != '/')
		strcpy(u + n, "/");
	pthread_mutex_lock(&a->lock);
	a->base_url = u;
	pthread_mutex_unlock(&a->lock);
}

int auth_server_start(struct auth_server **out, const struct web_config *cfg,
		      struct agora_db *db, struct agora_error *err)
{
	struct auth_server *a = calloc(1, sizeof(*a));
	unsigned long long ops;
	size_t mem;
	int over, rc;

	*out = NULL;
	if (!a)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->rl = ratelimit_new();
	a->db_path = strdup(db_path(db));
	a->outbox = strdup(cfg->outbox ? cfg->outbox : "var/outbox");
	a->mail_from = strdup(cfg->mail_from ? cfg->mail_from
					     : "agora <agora@localhost>");
	if (!a->rl || !a->db_path || !a->outbox || !a->mail_from) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto fail;
	}
	if (cfg->base_url && *cfg->base_url) {
		auth_server_set_url(a, cfg->base_url);
		if (!a->base_url) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if ((rc = auth_db_prepare(db, err)) ||
	    (rc = auth_csrf_key(db, a->key, err)))
		goto fail;
	/*
	 * A wrong outbox is said now, not at the first sign-up. On storage
	 * that is read-only for now the server starts all the same, to
	 * serve pages: mails are refused with 503 until it is writable.
	 */
	if ((mkdir(a->outbox, 0700) && errno != EEXIST) ||
	    access(a->outbox, W_OK | X_OK)) {
		if (errno == EROFS) {
			LOG(LOG_WARN,
			    "the outbox '%s' is on read-only storage: no mail "
			    "(sign-up, password reset) until it is writable",
			    a->outbox);
			goto outbox_done;
		}
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot write to the outbox '%s': %s",
				  a->outbox, strerror(errno));
		goto fail;
	}
	{
		size_t n = outbox_sweep(a->outbox, time(NULL),
					OUTBOX_TMP_MAX_AGE);

		if (n)
			LOG(LOG_WARN,
			    "the outbox '%s' held %zu unpublished message%s "
			    "of a process that stopped while writing it: "
			    "removed, unsent",
			    a->outbox, n, n == 1 ? "" : "s");
	}
outbox_done:
	if (cfg->smtp_relay) {
		struct smtp_config sc = {
			.url = cfg->smtp_relay,
			.user = cfg->smtp_user,
			.password = cfg->smtp_password,
			.from = a->mail_from,
			.outbox = a->outbox,
		};

		size_t n;

		if ((rc = smtp_relay_new(&a->relay, &sc, err)) ||
		    (rc = smtp_relay_send_outbox(a->relay, &n, err)))
			goto fail;
		LOG(LOG_INFO, "smtp: relay %s, %zu message%s from the outbox",
		    cfg->smtp_relay, n, n == 1 ? "" : "s");
	}
	auth_pwhash_limits(&ops, &mem, &over);
	/* made now, not on the first sign-in of an unknown address */
	if (!*auth_password_dummy()) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "cannot hash a password: out of memory");
		goto fail;
	}
	if (over)
		LOG(LOG_WARN,
		    "password hashing cost lowered by AGORA_PWHASH_LIMITS "
		    "(%llu passes, %zu bytes): for tests only",
		    ops, mem);
	if (pthread_create(&a->th, NULL, hash_worker, a)) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "cannot start the hashing thread");
		goto fail;
	}
	a->running = 1;
	*out = a;
	return 0;
fail:
	auth_server_free(a);
	return rc;
}

void auth_server_stop(struct auth_server *a)
{
	if (!a || !a->running)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->th, NULL);
	a->running = 0;
}

void auth_server_free(struct auth_server *a)
{
	if (!a)
		return;
	auth_server_stop(a);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	/* after libmicrohttpd: no request writes mail any more */
	smtp_relay_free(a->relay);
	ratelimit_free(a->rl);
	sodium_memzero(a->key, sizeof(a->key));
	free(a->db_path);
	free(a->outbox);
	free(a->base_url);
	free(a->mail_from);
	free(a);
}

int auth_hash_later(struct web_req *r, int kind, const char *password,
		    const char *hash, int cont)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct web_auth *w = auth_of(r);
	struct hash_job *j;
	int full;

	if (!w)
		return AGORA_ENOMEM;
	pthread_mutex_lock(&a->lock);
	full = a->stop || a->pending >= HASH_QUEUE_MAX;
	if (!full)
		a->pending++;
	pthread_mutex_unlock(&a->lock);
	if (full) {
		auth_page_error(r, 503,
				tr(r, "Le serveur est très occupé : réessayez "
				      "dans un instant."));
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->pw = strdup(password)) ||
	    (hash && !(j->hash = strdup(hash)))) {
		if (j)
			free(j->pw);
		free(j);
		pthread_mutex_lock(&a->lock);
		a->pending--;
		pthread_cond_signal(&a->cond); /* a stopping worker waits */
		pthread_mutex_unlock(&a->lock);
		return AGORA_ENOMEM;
	}
	j->kind = kind;
	j->conn = r->conn;
	w->job = j;
	w->cont = cont;
	r->suspended = 1;
	return 0;
}

void auth_enqueue(struct web_req *r)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct hash_job *j = r->auth->job;

	pthread_mutex_lock(&a->lock);
	if (a->tail)
		a->tail->next = j;
	else
		a->head = j;
	a->tail = j;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

int auth_continue(struct web_req *r)
{
	struct hash_job *j = r->auth->job;
	int rc;

	r->status = 200;
	if (j->kind == HASH_MAKE && !j->ok)
		return agora_errorf(&r->err, AGORA_ENOMEM,
				    "cannot hash a password");
	rc = account_continue(r, j->ok, j->out);
	sodium_memzero(j->out, sizeof(j->out));
	return rc;
}

/* ------------------------------------------------------------ requests */

struct web_auth *auth_of(struct web_req *r)
{
	if (!r->auth) {
		r->auth = calloc(1, sizeof(*r->auth));
		if (r->auth)
			sb_init(&r->auth->upload, WEB_MAX_BODY);
	}
	return r->auth;
}

int auth_signed_in(const struct web_req *r)
{
	return r->auth && r->auth->user.id > 0;
}

int auth_personal(const struct web_req *r)
{
	const struct web_auth *w = r->auth;

	return w &&
	       (w->personal || w->user.id > 0 || w->ncookie || w->location);
}

int auth_cookie(const struct web_req *r)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
					   COOKIE_SESSION) ||
	       MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
					   COOKIE_PRE);
}

int auth_request_begin(struct web_req *r)
{
	const char *sid = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
						      COOKIE_SESSION);
	const char *pre = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
						      COOKIE_PRE);
	unsigned char h[AUTH_HASH_BYTES];
	struct web_auth *w;
	int rc;

	if (!sid && !pre)
		return 0;
	if (!(w = auth_of(r)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if (pre && strlen(pre) == AUTH_TOKEN_CHARS && !auth_token_hash(pre, h))
		memcpy(w->pre, pre, AUTH_TOKEN_CHARS + 1);
	if (!sid || auth_token_hash(sid, h))
		return 0;
	auth_user_fini(&w->user);
	rc = auth_session_user(r->db, h, time(NULL), &w->user, &r->err);
	if (rc == AGORA_ENOTFOUND)
		return 0; /* signed out or expired: anonymous */
	if (rc)
		return rc;
	memcpy(w->session_hash, h, sizeof(h));
	return 0;
}

int auth_upload(struct web_req *r, const char *data, size_t n)
{
	struct web_auth *w = auth_of(r);

	if (!w || sb_append(&w->upload, data, n))
		return AGORA_ENOMEM;
	return 0;
}

/* Appends to the last form field when the key continues it */
static int form_add(struct web_auth *w, const char *key, const char *data,
		    size_t n, uint64_t off)
{
	struct web_arg *a;
	size_t old;
	char *v;

	if (off > 0 && w->nform && !strcmp(w->form[w->nform - 1].key, key)) {
		a = &w->form[w->nform - 1];
		old = strlen(a->val);
		if (old + n > 8192)
			return AGORA_EINVAL;
		if (!(v = realloc(a->val, old + n + 1)))
			return AGORA_ENOMEM;
		memcpy(v + old, data, n);
		v[old + n] = '\0';
		a->val = v;
		return 0;
	}
	if (w->nform == WEB_MAX_ARGS || n > 8192)
		return AGORA_EINVAL;
	a = &w->form[w->nform];
	if (!(a->key = strdup(key)))
		return AGORA_ENOMEM;
	if (!(a->val = strndup(data ? data : "", n))) {
		free(a->key);
		a->key = NULL;
		return AGORA_ENOMEM;
	}
	w->nform++;
	return 0;
}

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *filename,
				  const char *content_type,
				  const char *transfer_encoding,
				  const char *data, uint64_t off, size_t size)
{
	struct web_auth *w = cls;
	int rc;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (!key)
		return MHD_YES;
	if (!strcmp(key, "file")) {
		if (off == 0 && w->has_file && size) {
			w->upload_bad = 1; /* one file per form */
			return MHD_NO;
		}
		w->has_file = 1;
		if (filename && !w->file_name &&
		    !(w->file_name = strdup(filename)))
			return MHD_NO;
		if (size && sb_append(&w->file, data, size)) {
			if (sb_error(&w->file) == AGORA_ETOOBIG)
				w->upload_big = 1;
			return MHD_NO;
		}
		return MHD_YES;
	}
	/* NUL bytes and bad UTF-8 are checked once the field is whole */
	if ((rc = form_add(w, key, data, size, off))) {
		if (rc == AGORA_EINVAL)
			w->upload_bad = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

int auth_is_multipart(struct web_req *r)
{
	const char *ct = MHD_lookup_connection_value(
		r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	return r->post && ct &&
	       !strncasecmp(ct, "multipart/form-data", 19);
}

int auth_upload_multipart(struct web_req *r, const char *data, size_t n,
			  size_t cap)
{
	struct web_auth *w = auth_of(r);

	if (!w)
		return AGORA_ENOMEM;
	if (!w->pp) {
		sb_init(&w->file, cap);
		w->multipart = 1;
		w->pp = MHD_create_post_processor(r->conn, 16384, post_field,
						  w);
		if (!w->pp) {
			w->upload_bad = 1; /* no boundary, or not a form */
			return AGORA_EINVAL;
		}
	}
	if (w->upload_big)
		return AGORA_ETOOBIG; /* the rest is dropped */
	if (w->upload_bad)
		return AGORA_EINVAL; /* the rest is read and dropped */
	if (MHD_post_process(w->pp, data, n) != MHD_YES) {
		if (w->upload_big)
			return AGORA_ETOOBIG;
		if (!w->upload_bad && sb_error(&w->file) == AGORA_ENOMEM)
			return AGORA_ENOMEM;
		w->upload_bad = 1;
		return AGORA_EINVAL;
	}
	return 0;
}

void auth_request_free(struct web_req *r)
{
	struct web_auth *w = r->auth;
	size_t i;

	if (!w)
		return;
	if (w->pp)
		MHD_destroy_post_processor(w->pp);
	if (w->multipart)
		sb_fini(&w->file);
	free(w->file_name);
	auth_user_fini(&w->user);
	sodium_memzero(w->upload.buf, w->upload.len);
	sb_fini(&w->upload);
	for (i = 0; i < w->nform; i++) {
		if (w->form[i].val)
			sodium_memzero(w->form[i].val, strlen(w->form[i].val));
		free(w->form[i].key);
		free(w->form[i].val);
	}
	for (i = 0; i < w->ncookie; i++)
		free(w->set_cookie[i]);
	free(w->location);
	if (w->job) {
		free(w->job->pw);
		free(w->job->hash);
		free(w->job);
	}
	free(w->email);
	free(w->name);
	free(w->token);
	outbox_discard(&w->mail); /* a mail whose write was not committed */
	free(w->mail_to);
	free(w);
	r->auth = NULL;
}

static void add_cookie(struct web_req *r, const char *name, const char *value,
		       const char *extra)
{
	struct web_auth *w = auth_of(r);
	struct sb c;

	if (!w ||
	    w->ncookie == sizeof(w->set_cookie) / sizeof(w->set_cookie[0]))
		return;
	sb_init(&c, 512);
	sb_printf(&c, "%s=%s%s%s", name, value, extra, COOKIE_FLAGS);
	if (!sb_error(&c))
		w->set_cookie[w->ncookie++] = sb_detach(&c, NULL);
	sb_fini(&c);
}

void auth_set_session_cookie(struct web_req *r, const char *token)
{
	char age[40];

	if (token) {
		snprintf(age, sizeof(age), "; Max-Age=%d", AUTH_SESSION_TTL);
		add_cookie(r, COOKIE_SESSION, token, age);
	} else {
		add_cookie(r, COOKIE_SESSION, "", "; Max-Age=0");
	}
}

void auth_add_headers(struct web_req *r, struct MHD_Response *resp)
{
	struct web_auth *w = r->auth;
	char ra[24];
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->ncookie; i++)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
					w->set_cookie[i]);
	if (w->location && r->status == 303)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
					w->location);
	if (w->retry_after && r->status == 429) {
		snprintf(ra, sizeof(ra), "%u", w->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
}

/* ----------------------------------------------------------- responses */

void auth_page_error(struct web_req *r, int status, const char *message)
{
	web_render_error(r, status, message);
}

void auth_redirect(struct web_req *r, const char *path)
{
	struct web_auth *w = auth_of(r);

	sb_reset(&r->body);
	r->status = 303;
	r->ctype = "text/html; charset=utf-8";
	if (!w || !(w->location = strdup(path))) {
		r->status = 500;
		sb_puts(&r->body, "internal error\n");
		return;
	}
	html_raw(&r->body, "<!DOCTYPE html>\n<title>agora</title>\n<a href=\"");
	html_attr(&r->body, path);
	html_raw(&r->body, "\">");
	html_text(&r->body, path);
	html_raw(&r->body, "</a>\n");
}

int auth_require(struct web_req *r, int role, int64_t election_id)
{
	int rc;

	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 1;
	}
	rc = auth_user_can(r->db, r->auth->user.id, role, election_id, &r->err);
	if (rc > 0)
		return 0;
	if (rc < 0) {
		LOG(LOG_ERROR, "request %s: %s", r->id, r->err.msg);
		auth_page_error(r, 503,
				tr(r, "Le serveur est très occupé : réessayez "
				      "dans un instant."));
		return 1;
	}
	auth_page_error(
		r, 403,
		tr(r, "Votre compte n'a pas le rôle que demande cette page."));
	return 1;
}

/* ------------------------------------------------------------ the nav */

void auth_nav(struct web_req *r)
{
	struct sb *b = &r->body;

	if (auth_signed_in(r)) {
		r->auth->personal = 1;
		html_raw(b, "<li><a href=\"/account\">");
		html_text(b, tr(r, "Mon compte"));
		html_raw(b, "</a> <span class=\"meta\">");
		html_text(b, *r->auth->user.display_name
				     ? r->auth->user.display_name
				     : r->auth->user.email);
		html_raw(b, "</span></li>\n");
	} else {
		html_raw(b, "<li><a href=\"/signin\">");
		html_text(b, tr(r, "Se connecter"));
		html_raw(b, "</a></li>\n");
	}
}

/* ------------------------------------------------------------- forms */

static int binding(struct web_req *r, unsigned char *out, size_t *n)
{
	struct web_auth *w = r->auth;

	if (auth_signed_in(r)) {
		out[0] = 's';
		memcpy(out + 1, w->session_hash, AUTH_HASH_BYTES);
		*n = 1 + AUTH_HASH_BYTES;
		return 0;
	}
	if (w && w->pre[0]) {
		out[0] = 'p';
		memcpy(out + 1, w->pre, AUTH_TOKEN_CHARS);
		*n = 1 + AUTH_TOKEN_CHARS;
		return 0;
	}
	return -1;
}

int auth_csrf_token(struct web_req *r, char out[AUTH_CSRF_CHARS + 1])
{
	struct auth_server *a = web_auth_server(r->srv);
	unsigned char bind[1 + AUTH_TOKEN_CHARS + AUTH_HASH_BYTES];
	size_t n;

	if (!r->auth || binding(r, bind, &n))
		return -1;
	r->auth->personal = 1;
	auth_csrf_make(a->key, bind, n, out);
	return 0;
}

void auth_csrf_field(struct web_req *r)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct web_auth *w = auth_of(r);
	unsigned char bind[1 + AUTH_TOKEN_CHARS + AUTH_HASH_BYTES];
	char tok[AUTH_CSRF_CHARS + 1];
	size_t n = 0; /* set by binding(); 0 quiets -O3 maybe-uninitialized */

	if (!w) {
		r->body.err = AGORA_ENOMEM;
		return;
	}
	w->personal = 1;
	if (binding(r, bind, &n)) {
		/* a first visit: a pre-session cookie carries the binding */
		auth_token_new(w->pre);
		w->new_pre = 1;
		add_cookie(r, COOKIE_PRE, w->pre, "");
		binding(r, bind, &n);
	}
	auth_csrf_make(a->key, bind, n, tok);
	html_raw(&r->body, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_attr(&r->body, tok);
	html_raw(&r->body, "\">\n");
}

const char *auth_form(struct web_req *r, const char *key)
{
	size_t i;

	if (!r->auth)
		return NULL;
	for (i = 0; i < r->auth->nform; i++)
		if (!strcmp(r->auth->form[i].key, key))
			return r->auth->form[i].val;
	return NULL;
}

int auth_post_ok(struct web_req *r)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct web_auth *w = auth_of(r);
	unsigned char bind[1 + AUTH_TOKEN_CHARS + AUTH_HASH_BYTES];
	const char *ct, *tok;
	size_t n;
	int rc;

	if (!w) {
		r->body.err = AGORA_ENOMEM;
		return -1;
	}
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_TYPE);
	n = strlen("application/x-www-form-urlencoded");
	if (w->multipart) {
		/* read as it came (server.c, upload routes only) */
		size_t i, bad;

		if (w->upload_bad || !w->pp ||
		    MHD_destroy_post_processor(w->pp) != MHD_YES) {
			w->pp = NULL;
			auth_page_error(r, 400, tr(r, "Formulaire mal formé : un échappement %, "
				   "un octet nul ou de l'UTF-8 invalide."));
			return -1;
		}
		w->pp = NULL;
		for (i = 0; i < w->nform; i++)
			if (!utf8_valid(w->form[i].val, strlen(w->form[i].val),
					&bad)) {
				auth_page_error(r, 400,
						tr(r, "Formulaire mal formé : un échappement %, "
				   "un octet nul ou de l'UTF-8 invalide."));
				return -1;
			}
		w->form_parsed = 1;
	} else if (!ct ||
		   strncasecmp(ct, "application/x-www-form-urlencoded", n) ||
		   (ct[n] && ct[n] != ';' && ct[n] != ' ')) {
		auth_page_error(r, 415,
				tr(r, "Ce formulaire doit être envoyé en "
				      "application/x-www-form-urlencoded."));
		return -1;
	}
	if (!w->form_parsed) {
		rc = form_parse(w->upload.buf, w->upload.len, w->form,
				WEB_MAX_ARGS, &w->nform);
		w->form_parsed = 1;
		if (rc == AGORA_ENOMEM) {
			r->body.err = AGORA_ENOMEM;
			return -1;
		}
		if (rc) {
			auth_page_error(
				r, 400,
				tr(r,
				   "Formulaire mal formé : un échappement %, "
				   "un octet nul ou de l'UTF-8 invalide."));
			return -1;
		}
	}
	tok = auth_form(r, "csrf");
	if (!tok)
		tok = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						  "X-CSRF-Token");
	if (binding(r, bind, &n) || !auth_csrf_check(a->key, bind, n, tok)) {
		auth_page_error(
			r, 403,
			tr(r, "Ce formulaire a expiré ou ne vient pas de ce "
			      "site : rechargez la page et recommencez."));
		return -1;
	}
	return 0;
}

void auth_client_ip(struct web_req *r, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, 64, "unknown");
	if (sa)
		getnameinfo(sa,
			    sa->sa_family == AF_INET6
				    ? sizeof(struct sockaddr_in6)
				    : sizeof(struct sockaddr_in),
			    out, 64, NULL, 0, NI_NUMERICHOST);
}

int auth_rate_ok(struct web_req *r, const char *bucket, const char *key,
		 double burst, double interval)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct web_auth *w = auth_of(r);
	struct timespec now;
	char k[400];
	unsigned ra = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(k, sizeof(k), "%s:%s", bucket, key);
	if (ratelimit_take(a->rl, k, burst, interval,
			   (double)now.tv_sec + (double)now.tv_nsec / 1e9, &ra))
		return 1;
	if (w)
		w->retry_after = ra ? ra : 1;
	LOG(LOG_INFO, "request %s: rate limit %s", r->id, bucket);
	auth_page_error(
		r, 429,
		tr(r, "Trop de tentatives : réessayez dans quelques minutes."));
	return 0;
}

void auth_rate_reset(struct web_req *r, const char *bucket, const char *key)
{
	char k[400];

	snprintf(k, sizeof(k), "%s:%s", bucket, key);
	ratelimit_reset(web_auth_server(r->srv)->rl, k);
}

/* ------------------------------------------------------------ writing */

static pthread_key_t wdb_key;
static pthread_once_t wdb_once = PTHREAD_ONCE_INIT;

static void wdb_free(void *p)
{
	db_close(p);
}

static void wdb_make(void)
{
	if (pthread_key_create(&wdb_key, wdb_free))
		abort(); /* only with no keys left */
}

int auth_write_db(struct web_req *r, struct agora_db **out)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct agora_db *db;
	int rc;

	pthread_once(&wdb_once, wdb_make);
	db = pthread_getspecific(wdb_key);
	if (!db) {
		/*
		 * A connection opened on read-only storage is read-only for
		 * good, and is not kept: the next write opens one again and
		 * sees whether the storage is writable (web_storage_back())
		 */
		if ((rc = db_open(&db, a->db_path, 0, &r->err)) ||
		    (rc = auth_db_prepare(db, &r->err)) ||
		    (rc = ingest_db_prepare(db, &r->err)) ||
		    (rc = db_check_writable(db, &r->err))) {
			db_close(db);
			return rc;
		}
		if (pthread_setspecific(wdb_key, db)) {
			db_close(db);
			return agora_errorf(&r->err, AGORA_ENOMEM,
					    "out of memory");
		}
	}
	*out = db;
	return 0;
}

void auth_write_drop(struct web_req *r)
{
	struct agora_db *db;

	if (!web_storage_ro(r->srv))
		return;
	pthread_once(&wdb_once, wdb_make);
	if ((db = pthread_getspecific(wdb_key))) {
		db_rollback(db);
		pthread_setspecific(wdb_key, NULL);
		db_close(db);
	}
}

int auth_write_begin(struct web_req *r, struct agora_db **out)
{
	int rc;

	if ((rc = auth_write_db(r, out)))
		return rc;
	return db_begin_write(*out, &r->err);
}

int auth_write_commit(struct web_req *r, struct agora_db *db)
{
	int rc = db_commit(db, &r->err);

	if (rc)
		db_rollback(db);
	else
		web_storage_back(r->srv);
	/* the request's auth_mail(), if any, goes out only if committed */
	auth_mail_end(r, !rc);
	return rc;
}

/*
 * The request's one message: text, a blank line, the link (base_url +
 * path + token), then the footer when there is one. Written and synced
 * now under a hidden name (so a full or read-only outbox refuses the
 * write with 503 before anything is decided) and kept in r->auth until
 * auth_mail_end().
 */
static int mail_hold(struct web_req *r, const char *to, const char *subject,
		     const char *text, const char *path, const char *token,
		     const char *footer)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct web_auth *w = auth_of(r);
	struct sb body;
	int rc;

	if (!w)
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if (w->mail.tmp || w->mail_to)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "one mail per request");
	if (!(w->mail_to = strdup(to)))
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	sb_init(&body, 65536);
	pthread_mutex_lock(&a->lock);
	sb_printf(&body, "%s\n\n%s%s%s\n", text,
		  a->base_url ? a->base_url : "/", path, token ? token : "");
	pthread_mutex_unlock(&a->lock);
	if (footer)
		sb_printf(&body, "\n%s\n", footer);
	if (sb_error(&body))
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	else
		rc = outbox_prepare(a->outbox, a->mail_from, to, subject,
				    body.buf, &w->mail, &r->err);
	sodium_memzero(body.buf, body.len);
	sb_fini(&body);
	return rc;
}

int auth_mail(struct web_req *r, const char *to, const char *subject,
	      const char *text, const char *path, const char *token)
{
	return mail_hold(r, to, subject, text, path, token,
			 tr(r, "Si vous n'êtes pas à l'origine de cette "
			       "demande, ignorez ce message."));
}

int auth_mail_notice(struct web_req *r, const char *to, const char *subject,
		     const char *text, const char *path)
{
	return mail_hold(r, to, subject, text, path, NULL, NULL);
}

static void mail_publish(struct web_req *r, struct outbox_msg *m,
			 const char *to)
{
	struct auth_server *a = web_auth_server(r->srv);
	struct agora_error e = {0};

	/* committed: a mail that cannot be renamed is lost, and said so */
	if (outbox_publish(m, &e)) {
		LOG(LOG_ERROR, "request %s: the mail about it is lost: %s",
		    r->id, e.msg);
		outbox_discard(m);
		return;
	}
	LOG(LOG_INFO, "request %s: mail written to %s", r->id, m->path);
	if (a->relay && smtp_relay_send(a->relay, m->path, to, &e))
		LOG(LOG_WARN, "request %s: %s", r->id, e.msg);
	outbox_discard(m);
}

/*
 * A mail written before its transaction commits would tell of a write
 * that may yet fail (a commit refused on a full disk): a link to an
 * account or a token that was never stored. So it is published, and
 * handed to the relay, only now.
 */
void auth_mail_end(struct web_req *r, int committed)
{
	struct web_auth *w = r->auth;

	if (w && w->mail_to && committed)
		mail_publish(r, &w->mail, w->mail_to);
	if (w) {
		outbox_discard(&w->mail);
		free(w->mail_to);
		w->mail_to = NULL;
	}
}
