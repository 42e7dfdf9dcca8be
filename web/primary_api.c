/*
 * primary_api.c - the citizen primary for machines: the JSON API under
 * /api/v1/primaries/ and the bulletin board as JSON Lines under
 * /primary/{slug}/board. doc/api.md and web/data/openapi.json document
 * both; doc/board.md the board's format.
 *
 * Ballots: group commit. "Nothing acknowledged is lost" (DESIGN.md)
 * wants every ballot durable before its receipt is sent; one fsync per
 * ballot caps a disk at a few hundred ballots a second. So:
 *
 *   - the request thread parses the body and, for a ballot the browser
 *     signed, checks its shape, canonical form and signature
 *     (primary_ballot_check: CPU only, in parallel on every worker);
 *   - it suspends the connection (MHD_suspend_connection) and queues
 *     the ballot to one writer thread (bounded: 503 when full);
 *   - the writer takes every ballot waiting (up to BATCH_MAX), opens one
 *     BEGIN IMMEDIATE transaction, stores each ballot in its own
 *     SAVEPOINT (a refused one is rolled back alone and changes
 *     nothing), commits once with synchronous=FULL (one fsync of the
 *     WAL for the whole batch), and only then resumes every request
 *     with its receipt or its error. If the commit fails, no ballot of
 *     the batch is acknowledged: each gets a 503 and may be sent again
 *     (a retry of a stored ballot gets its receipt back).
 *
 * A ballot sent with its code ({"credential": CODE, "grades": ...}) is
 * numbered, built and signed by the writer, inside the transaction, so
 * that two ballots of one credential in flight are numbered 1 and 2
 * rather than both 1. The code lives in memory only while the request
 * does, and is wiped.
 *
 * No cookie, no session, no CSRF token: the credential is the authority,
 * a ballot is accepted for what it is signed with, never for who sends
 * it, and the handlers read no cookie. A forged cross-site request
 * cannot vote without the code or the key; the body must moreover be
 * application/json, which a cross-origin page can send only after a
 * CORS preflight this server never approves.
 *
 * The board is streamed (MHD_create_response_from_callback) from a
 * connection of its own, in one read transaction, so that 10^6 entries
 * are never held in memory and the entries served end exactly at the
 * head announced in the X-Board-Head header.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "primary.h"
#include "web_auth.h"
#include "web_int.h"

#define BALLOT_QUEUE_MAX 4096 /* ballots accepted and not yet answered */
#define BATCH_MAX 1024	      /* ballots in one transaction */
#define BOARD_STREAMS_MAX 16  /* board downloads at a time */
#define BATCH_SLUGS 8	      /* primaries loaded once per batch */

struct ballot_job {
	struct MHD_Connection *conn;
	char *slug;
	/* a ballot the browser signed: checked on the request thread */
	struct primary_checked b;
	/* or the code and the grades, for the writer to number and sign */
	int by_code;
	char code[PRIMARY_CODE_SYMBOLS + 1];
	struct primary_grade *grades;
	size_t ngrades;
	json_t *request; /* owns the grades' names */
	/* the outcome, set by the writer before it resumes */
	int status;
	int storage; /* 503: the storage is full or read-only */
	const char *code_name;
	char msg[512];
	char head[65];
	struct ballot_job *next;
};

struct ballot_writer {
	char *db_path;
	struct web_server *srv;
	struct agora_db *db;
	pthread_t th;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ballot_job *head, *tail;
	int pending; /* accepted and not yet answered */
	int stop;
	atomic_int streams;
	/* figures for /metrics and the benchmark's notes */
	atomic_uint_fast64_t batches, ballots;
};

/* --------------------------------------------------------------- writer */

static int refusal_status(enum primary_refusal why, const char **code)
{
	switch (why) {
	case PRIMARY_OK:
		*code = "ok";
		return 201;
	case PRIMARY_R_TOOBIG:
		*code = "too_large";
		return 413;
	case PRIMARY_R_MALFORMED:
		*code = "bad_request";
		return 400;
	case PRIMARY_R_INVALID:
		*code = "unprocessable";
		return 422;
	case PRIMARY_R_CONFLICT:
		*code = "conflict";
		return 409;
	case PRIMARY_R_NOTFOUND:
		*code = "not_found";
		return 404;
	case PRIMARY_R_INTERNAL:
		break;
	}
	*code = "internal";
	return 500;
}

static void job_fail(struct ballot_job *j, int status, const char *code,
		     const char *msg)
{
	j->status = status;
	j->code_name = code;
	snprintf(j->msg, sizeof(j->msg), "%.500s", msg);
}

/*
 * The batch is lost: the commit failed, or SQLite ended the transaction
 * by itself (it does on a full disk, and the savepoints went with it).
 * No ballot of it is acknowledged, the refused ones keep their answer.
 */
static void batch_lost(struct ballot_job *list, int storage, const char *why)
{
	struct ballot_job *j;

	for (j = list; j; j = j->next) {
		if (j->status && j->status != 201)
			continue;
		job_fail(j, 503, "unavailable", why);
		j->storage = storage;
	}
}

/*
 * A write connection opened while the storage was read-only stays
 * read-only: reopened before a batch, so that ballots are taken again
 * as soon as the storage is writable. 0 when the connection can write.
 */
static int writer_writable(struct ballot_writer *w, struct agora_error *err)
{
	int rc;

	if (w->db && !db_check_writable(w->db, NULL))
		return 0;
	/* closed first: see web_storage_back() */
	db_close(w->db);
	w->db = NULL;
	if ((rc = db_open(&w->db, w->db_path, 0, err)) ||
	    (rc = primary_db_prepare(w->db, err)) ||
	    (rc = db_exec(w->db, "PRAGMA synchronous=FULL", err)) ||
	    (rc = db_check_writable(w->db, err))) {
		db_close(w->db);
		w->db = NULL;
	}
	return rc;
}

/* After a batch refused for want of storage: no connection is kept
 * while the storage is read-only (see web_storage_back()) */
static void writer_refused(struct ballot_writer *w)
{
	if (web_storage_ro(w->srv)) {
		db_close(w->db);
		w->db = NULL;
	}
}

/* A ballot sent with its code: numbered now, inside the transaction */
static int job_sign(struct agora_db *db, const struct primary_context *x,
		    struct ballot_job *j, struct agora_error *err)
{
	unsigned char sig[64], pk[32], sk[64];
	struct sb body;
	int64_t seq = 1;
	int rc;

	primary_code_keys(j->slug, j->code, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	sb_init(&body, PRIMARY_BALLOT_MAX * 2);
	if ((rc = primary_ballot_next_pk(db, x->p.id, pk, &seq, err)) ||
	    (rc = primary_ballot_make(j->slug, j->code, seq, j->grades,
				      j->ngrades, &body, sig, err))) {
		j->b.refusal = rc == AGORA_EINVAL ? PRIMARY_R_MALFORMED
						  : PRIMARY_R_INTERNAL;
		sb_fini(&body);
		return rc;
	}
	rc = primary_ballot_check(j->slug, body.buf, body.len, sig, &j->b,
				  err);
	sodium_memzero(body.buf, body.len);
	sb_fini(&body);
	return rc;
}

struct slug_ctx {
	const char *slug;
	int rc;
	struct agora_error err;
	struct primary_context x;
};

/* One batch: one transaction, a savepoint per ballot, one fsync */
static void batch_run(struct ballot_writer *w, struct ballot_job *list)
{
	struct slug_ctx sc[BATCH_SLUGS];
	struct agora_error err = {0};
	struct ballot_job *j;
	size_t nsc = 0, i;
	int rc, n = 0, all = 0, lost = 0;

	for (j = list; j; j = j->next)
		all++;
	if ((rc = writer_writable(w, &err)) ||
	    (rc = db_begin_write(w->db, &err))) {
		n = all;
		if (rc == AGORA_ESTORAGE)
			LOG(LOG_ERROR, "ballots: %d refused: %s", n, err.msg);
		batch_lost(list, rc == AGORA_ESTORAGE,
			   rc == AGORA_ESTORAGE
				   ? err.msg
				   : "the database is busy: send the ballot "
				     "again");
		if (rc == AGORA_ESTORAGE)
			writer_refused(w);
		return;
	}
	for (j = list; j; j = j->next, n++) {
		struct slug_ctx *c = NULL;
		const char *code;

		err.msg[0] = 0;
		for (i = 0; i < nsc && !c; i++)
			if (!strcmp(sc[i].slug, j->slug))
				c = &sc[i];
		if (!c && nsc == BATCH_SLUGS) {
			/* many primaries at once: the rest waits a batch */
			job_fail(j, 503, "unavailable",
				 "the server is busy: send the ballot again");
			continue;
		}
		if (!c) {
			c = &sc[nsc++];
			c->slug = j->slug;
			c->rc = primary_context_load(w->db, j->slug, &c->x,
						     &c->err);
		}
		if (c->rc) {
			job_fail(j, c->rc == AGORA_ENOTFOUND ? 404 : 500,
				 c->rc == AGORA_ENOTFOUND ? "not_found"
							  : "internal",
				 c->err.msg);
			continue;
		}
		if (db_exec(w->db, "SAVEPOINT ballot", &err)) {
			job_fail(j, 500, "internal", err.msg);
			continue;
		}
		rc = j->by_code ? job_sign(w->db, &c->x, j, &err) : 0;
		if (!rc)
			rc = primary_ballot_store(w->db, &c->x, &j->b, &err);
		if (rc && !db_in_transaction(w->db)) {
			/*
			 * SQLite rolled the whole transaction back: the
			 * ballots before this one are gone, and a savepoint
			 * now would commit on its own
			 */
			lost = rc;
			break;
		}
		if (rc) {
			/* a refused ballot changes nothing */
			if (db_exec(w->db, "ROLLBACK TO ballot", NULL))
				LOG(LOG_ERROR, "cannot roll a ballot back");
			j->status = refusal_status(j->b.refusal, &code);
			j->code_name = code;
			snprintf(j->msg, sizeof(j->msg), "%.500s", err.msg);
			if (rc == AGORA_ESTORAGE) {
				job_fail(j, 503, "unavailable", err.msg);
				j->storage = 1;
			}
		} else {
			j->status = 201;
		}
		db_exec(w->db, "RELEASE ballot", NULL);
	}
	if (lost) {
		db_rollback(w->db);
		LOG(LOG_ERROR, "ballots: a batch of %d lost: %s", all, err.msg);
		n = all;
		batch_lost(list, lost == AGORA_ESTORAGE,
			   "the ballot could not be stored: send it again");
		if (lost == AGORA_ESTORAGE)
			writer_refused(w);
		goto out;
	}
	for (j = list; j; j = j->next) {
		int64_t seq;

		for (i = 0; i < nsc; i++)
			if (!sc[i].rc && !strcmp(sc[i].slug, j->slug) &&
			    !primary_board_head(w->db, sc[i].x.p.id, &seq,
						j->head, NULL))
				break;
	}
	/* synchronous=FULL on this connection: durable when it returns */
	if ((rc = db_commit(w->db, &err))) {
		db_rollback(w->db);
		LOG(LOG_ERROR, "ballots: commit of %d failed: %s", n, err.msg);
		batch_lost(list, rc == AGORA_ESTORAGE,
			   "the ballot could not be stored: send it again");
		if (rc == AGORA_ESTORAGE)
			writer_refused(w);
	} else {
		web_storage_back(w->srv);
	}
out:
	for (i = 0; i < nsc; i++)
		if (!sc[i].rc)
			primary_context_fini(&sc[i].x);
	atomic_fetch_add(&w->batches, 1);
	atomic_fetch_add(&w->ballots, (uint_fast64_t)n);
}

static void *writer_main(void *p)
{
	struct ballot_writer *w = p;
	struct ballot_job *list, *j, *next, **end;
	int n;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->head && !(w->stop && !w->pending))
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->head) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		/* everything waiting, up to BATCH_MAX */
		list = w->head;
		end = &list;
		for (n = 0, j = list; j && n < BATCH_MAX; j = j->next, n++)
			end = &j->next;
		w->head = *end;
		*end = NULL;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		batch_run(w, list);

		pthread_mutex_lock(&w->lock);
		w->pending -= n;
		pthread_mutex_unlock(&w->lock);
		for (j = list; j; j = next) {
			next = j->next;
			j->next = NULL;
			/* the request owns j again from here */
			MHD_resume_connection(j->conn);
		}
	}
}

int ballot_writer_start(struct ballot_writer **out, const char *db_path,
			struct web_server *srv, struct agora_error *err)
{
	struct ballot_writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w || !(w->db_path = strdup(db_path))) {
		free(w);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	w->srv = srv;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if ((rc = db_open(&w->db, w->db_path, 0, err)) ||
	    (rc = primary_db_prepare(w->db, err)) ||
	    (rc = db_exec(w->db, "PRAGMA synchronous=FULL", err)))
		goto fail;
	if (db_check_writable(w->db, NULL)) {
		/* read-only storage: opened again at the first ballot */
		db_close(w->db);
		w->db = NULL;
	}
	if (pthread_create(&w->th, NULL, writer_main, w)) {
		rc = agora_errorf(err, AGORA_ENOMEM,
				  "cannot start the ballot writer");
		goto fail;
	}
	w->running = 1;
	*out = w;
	return 0;
fail:
	ballot_writer_free(w);
	return rc;
}

void ballot_writer_stop(struct ballot_writer *w)
{
	if (!w || !w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
	w->running = 0;
}

void ballot_writer_free(struct ballot_writer *w)
{
	if (!w)
		return;
	ballot_writer_stop(w);
	db_close(w->db);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->db_path);
	free(w);
}

/* -------------------------------------------------------- the requests */

static int send_json(struct web_req *r, int status, json_t *o)
{
	int rc = api_send(r, o);

	if (!rc)
		r->status = status;
	return rc;
}

/*
 * The primary named in the path, with the board's head for the header;
 * with counts, its numbers of credentials, voters and ballots (they scan
 * indexes: not for every ballot)
 */
static int load_primary(struct web_req *r, struct primary_context *x,
			int counts)
{
	struct primary_info full;
	int64_t seq;
	int rc;

	if ((rc = primary_context_load(r->db, r->param[0], x, &r->err)))
		return rc;
	if (counts &&
	    !(rc = primary_get_counts(r->db, r->param[0], &full, &r->err))) {
		x->p.credentials = full.credentials;
		x->p.voters = full.voters;
		x->p.ballots = full.ballots;
		primary_info_fini(&full);
	}
	if (!rc)
		rc = primary_board_head(r->db, x->p.id, &seq, r->board_head,
					&r->err);
	if (rc)
		primary_context_fini(x);
	return rc;
}

/*
 * "schedule": each phase with its planned date (announced by the
 * organiser, null when none) and the date it began (null until then),
 * ISO 8601 in UTC: the page says them in the visitor's language
 */
static int schedule_json(struct web_req *r, int64_t primary_id, json_t *o)
{
	static const char *const phases[4] = {"declaration", "support", "vote",
					      "closed"};
	struct primary_schedule s;
	json_t *a;
	int rc, i;

	if ((rc = primary_schedule_get(r->db, primary_id, &s, &r->err)))
		return rc;
	a = json_array();
	for (i = 0; i < 4; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:s?, s:s?}", "phase", phases[i],
				     "planned",
				     *s.planned[i] ? s.planned[i] : NULL,
				     "began", *s.began[i] ? s.began[i] : NULL));
	json_object_set_new(o, "schedule", a);
	return 0;
}

int api_primary(struct web_req *r)
{
	struct primary_context x;
	json_t *o, *g, *c;
	int64_t seq;
	size_t i;
	int rc;

	if ((rc = load_primary(r, &x, 1)))
		return rc;
	if ((rc = primary_board_head(r->db, x.p.id, &seq, r->board_head,
				     &r->err))) {
		primary_context_fini(&x);
		return rc;
	}
	g = json_array();
	c = json_array();
	for (i = 0; i < (size_t)x.p.ngrades; i++)
		json_array_append_new(g, json_string(x.p.grades[i]));
	for (i = 0; i < x.nc; i++)
		json_array_append_new(
			c, json_pack("{s:s, s:s, s:s, s:I}", "slug",
				     x.c[i].slug, "name", x.c[i].name,
				     "status", x.c[i].status, "supports",
				     (json_int_t)x.c[i].supports));
	o = json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:{s:i, s:s}, s:b, s:b, s:I, "
		"s:I, s:I, s:{s:s, s:I, s:s}}",
		"slug", x.p.slug, "title", x.p.title, "phase", x.p.phase,
		"grades", g, "candidates", c, "lot", "size", x.p.lot_size,
		"rule",
		x.p.lot_size ? "each credential grades lot.size of the "
			       "qualified candidates, drawn from the "
			       "primary's slug and its public key "
			       "(doc/board.md)"
			     : "each ballot grades every qualified candidate",
		"allow_blank", x.p.allow_blank, "results_public",
		x.p.results_public, "credentials", (json_int_t)x.p.credentials,
		"voters", (json_int_t)x.p.voters, "ballots",
		(json_int_t)x.p.ballots, "board", "head", r->board_head,
		"entries", (json_int_t)(seq + 1), "url", "");
	if (o) {
		struct sb url;

		sb_init(&url, 1024);
		sb_puts(&url, "/primary/");
		url_arg(&url, x.p.slug);
		sb_puts(&url, "/board");
		json_object_set_new(json_object_get(o, "board"), "url",
				    json_string(url.buf));
		sb_fini(&url);
	}
	if (o && (rc = schedule_json(r, x.p.id, o))) {
		json_decref(o);
		primary_context_fini(&x);
		return rc;
	}
	primary_context_fini(&x);
	return send_json(r, 200, o);
}

int api_primary_results(struct web_req *r)
{
	struct primary_context x;
	char *text = NULL, *payload = NULL;
	json_t *o = NULL, *pl = NULL, *res;
	int rc;

	/*
	 * after the close the signed result has every count: nothing to
	 * scan; before it, the signed result does not exist (not worth a
	 * walk down the board) and live results need the voters' count
	 */
	if ((rc = load_primary(r, &x, 0)))
		return rc;
	rc = strcmp(x.p.phase, "closed")
		     ? AGORA_ENOTFOUND
		     : primary_result_signed(r->db, x.p.id, &payload, &r->err);
	if (rc == AGORA_ENOTFOUND && x.p.results_public) {
		struct primary_info full;

		if ((rc = primary_get_counts(r->db, x.p.slug, &full, &r->err)))
			goto out;
		x.p.voters = full.voters;
		primary_info_fini(&full);
		rc = AGORA_ENOTFOUND;
	}
	if (rc == AGORA_ENOTFOUND && !x.p.results_public) {
		api_error(r, 409, "conflict",
			  "the results of this primary are published at the "
			  "close");
		rc = 0;
		goto out;
	}
	if (rc == AGORA_ENOTFOUND)
		rc = primary_result_live(r->db, &x, &text, &r->err);
	if (rc)
		goto out;
	if (payload) {
		pl = json_loads(payload, 0, NULL);
		res = pl ? json_loads(json_string_value(json_object_get(
						  pl, "result")),
				      0, NULL)
			 : NULL;
		o = json_pack("{s:s, s:b, s:o*, s:s?, s:s?}", "primary",
			      x.p.slug, "final", 1, "result", res,
			      "result_text",
			      json_string_value(json_object_get(pl, "result")),
			      "signature",
			      json_string_value(
				      json_object_get(pl, "signature")));
	} else {
		o = json_pack("{s:s, s:b, s:o*, s:s, s:n}", "primary",
			      x.p.slug, "final", 0, "result",
			      json_loads(text, 0, NULL), "result_text", text,
			      "signature");
	}
	rc = send_json(r, 200, o);
out:
	json_decref(pl);
	free(payload);
	free(text);
	primary_context_fini(&x);
	return rc;
}

int api_primary_receipt(struct web_req *r)
{
	struct primary_context x;
	const char *rec = r->param[1];
	int rc, counted = 0;

	if ((rc = load_primary(r, &x, 0)))
		return rc;
	if (strlen(rec) != 64 || strspn(rec, "0123456789abcdef") != 64) {
		api_error(r, 400, "bad_request",
			  "a receipt is 64 lower-case hex digits");
		primary_context_fini(&x);
		return 0;
	}
	rc = primary_receipt_find(r->db, x.p.id, rec, &counted, &r->err);
	primary_context_fini(&x);
	if (rc == AGORA_ENOTFOUND) {
		api_error(r, 404, "not_found",
			  "no ballot of this primary has this receipt");
		return 0;
	}
	if (rc)
		return rc;
	/* nothing else: no date, no credential, nothing about a person */
	return send_json(r, 200,
			 json_pack("{s:s, s:b, s:b}", "receipt", rec, "found",
				   1, "counted", counted));
}

static void job_free(struct ballot_job *j)
{
	const char *code;

	if (!j)
		return;
	sodium_memzero(j->code, sizeof(j->code));
	/* the code as received, in the parsed request: wiped too */
	code = json_string_value(json_object_get(j->request, "credential"));
	if (j->by_code && code)
		sodium_memzero((char *)(uintptr_t)code, strlen(code));
	primary_checked_fini(&j->b);
	json_decref(j->request);
	free(j->grades);
	free(j->slug);
	free(j);
}

/* {"credential": CODE, "grades": {...}}: the writer will sign */
static int parse_by_code(struct web_req *r, struct ballot_job *j, json_t *in)
{
	const char *code = json_string_value(json_object_get(in, "credential"));
	json_t *grades = json_object_get(in, "grades"), *v;
	const char *key;
	size_t i = 0;

	if (!code || !json_is_object(grades) || json_object_size(in) != 2) {
		api_error(r, 400, "bad_request",
			  "send {\"credential\": CODE, \"grades\": {CANDIDATE: "
			  "GRADE, ...}} or {\"ballot\": {...}, \"signature\": "
			  "HEX}");
		return 1;
	}
	if (primary_code_parse(code, j->code, &r->err)) {
		api_error(r, 422, "unprocessable", r->err.msg);
		return 1;
	}
	j->ngrades = json_object_size(grades);
	j->grades = calloc(j->ngrades ? j->ngrades : 1, sizeof(*j->grades));
	if (!j->grades)
		return -1;
	json_object_foreach(grades, key, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 254) {
			api_error(r, 400, "bad_request",
				  "each grade is an integer, 0 for the worst");
			return 1;
		}
		j->grades[i].candidate = key;
		j->grades[i++].grade = (int)json_integer_value(v);
	}
	j->by_code = 1;
	return 0;
}

/* {"ballot": {...}, "signature": HEX}: checked here, on this thread */
static int parse_signed(struct web_req *r, struct ballot_job *j, json_t *in)
{
	json_t *ballot = json_object_get(in, "ballot");
	const char *sighex = json_string_value(json_object_get(in, "signature"));
	unsigned char sig[64];
	const char *code;
	char *body;
	int rc;

	if (!json_is_object(ballot) || !sighex || json_object_size(in) != 2 ||
	    strlen(sighex) != 128 ||
	    sodium_hex2bin(sig, 64, sighex, 128, NULL, NULL, NULL)) {
		api_error(r, 400, "bad_request",
			  "send {\"ballot\": {...}, \"signature\": 128 hex "
			  "digits} or {\"credential\": CODE, \"grades\": "
			  "{...}}");
		return 1;
	}
	/* the canonical form is what the voter signed */
	if (!(body = json_dumps(ballot, JSON_COMPACT | JSON_SORT_KEYS)))
		return -1;
	rc = primary_ballot_check(j->slug, body, strlen(body), sig, &j->b,
				  &r->err);
	free(body);
	if (rc) {
		int status = refusal_status(j->b.refusal, &code);

		if (status >= 500)
			return -1;
		api_error(r, status, code, r->err.msg);
		return 1;
	}
	return 0;
}

int api_primary_ballot(struct web_req *r)
{
	struct ballot_writer *w = web_ballot_writer(r->srv);
	struct ballot_job *j = NULL;
	const char *ct = MHD_lookup_connection_value(
		r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	json_error_t jerr;
	json_t *in = NULL;
	int rc = 0, full;

	if (!r->post) {
		api_error(r, 405, "method_not_allowed",
			  "POST a ballot here (application/json)");
		return 0;
	}
	if (!ct || strncasecmp(ct, "application/json", 16) ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		api_error(r, 415, "unsupported_media_type",
			  "a ballot is sent as application/json");
		return 0;
	}
	in = json_loadb(r->auth ? r->auth->upload.buf : "",
			r->auth ? r->auth->upload.len : 0,
			JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(in)) {
		char m[300];

		snprintf(m, sizeof(m), "the body is not a JSON object (%s)",
			 in ? "another JSON value" : jerr.text);
		api_error(r, 400, "bad_request", m);
		goto out;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->slug = strdup(r->param[0]))) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	rc = json_object_get(in, "ballot") ? parse_signed(r, j, in)
					    : parse_by_code(r, j, in);
	if (rc) {
		rc = rc < 0 ? agora_errorf(&r->err, AGORA_ENOMEM,
					   "out of memory")
			    : 0;
		goto out;
	}
	j->request = in;
	in = NULL;
	pthread_mutex_lock(&w->lock);
	full = w->stop || w->pending >= BALLOT_QUEUE_MAX;
	if (!full)
		w->pending++;
	pthread_mutex_unlock(&w->lock);
	if (full) {
		api_error(r, 503, "unavailable",
			  "too many ballots at once: send it again in a "
			  "moment");
		goto out;
	}
	j->conn = r->conn;
	r->ballot = j;
	r->suspended = 1;
	j = NULL;
out:
	if (in && json_string_value(json_object_get(in, "credential")) &&
	    json_object_get(in, "grades")) {
		const char *code =
			json_string_value(json_object_get(in, "credential"));

		sodium_memzero((char *)(uintptr_t)code, strlen(code));
	}
	json_decref(in);
	job_free(j);
	return rc;
}

void primary_api_enqueue(struct web_req *r)
{
	struct ballot_writer *w = web_ballot_writer(r->srv);
	struct ballot_job *j = r->ballot;

	pthread_mutex_lock(&w->lock);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int primary_api_continue(struct web_req *r)
{
	struct ballot_job *j = r->ballot;

	memcpy(r->board_head, j->head, sizeof(r->board_head));
	sb_reset(&r->body);
	if (j->status == 201)
		return send_json(r, 201,
				 json_pack("{s:s, s:I, s:s}", "receipt",
					   j->b.receipt, "n",
					   (json_int_t)j->b.seq, "board_head",
					   j->head));
	if (j->storage) {
		/* logged once for its whole batch by the writer */
		api_error(r, 503, "unavailable", WEB_STORAGE_MESSAGE);
		return 0;
	}
	if (j->status >= 500 && j->status != 503) {
		LOG(LOG_ERROR, "request %s: ballot: %s", r->id, j->msg);
		snprintf(j->msg, sizeof(j->msg), "internal error (request %s)",
			 r->id);
	}
	api_error(r, j->status, j->code_name ? j->code_name : "internal",
		  j->msg);
	return 0;
}

void primary_api_request_free(struct web_req *r)
{
	job_free(r->ballot);
	r->ballot = NULL;
}

/* ------------------------------------------------------------ the board */

struct board_stream {
	struct ballot_writer *w;
	struct agora_db *db;
	struct primary_board_cursor *cur;
	struct sb line;
	size_t off; /* sent of line */
};

static void board_stream_free(void *p)
{
	struct board_stream *b = p;

	primary_board_close(b->cur);
	if (b->db) {
		db_rollback(b->db);
		db_close(b->db);
	}
	sb_fini(&b->line);
	atomic_fetch_sub(&b->w->streams, 1);
	free(b);
}

static ssize_t board_stream_read(void *p, uint64_t pos, char *buf, size_t max)
{
	struct board_stream *b = p;
	struct agora_error err = {0};
	size_t n = 0, k;
	int rc;

	(void)pos;
	while (n < max) {
		if (b->off == b->line.len) {
			rc = primary_board_next(b->cur, &b->line, &err);
			b->off = 0;
			if (rc < 0) {
				LOG(LOG_ERROR, "board: %s", err.msg);
				b->line.len = 0;
				return n ? (ssize_t)n
					 : MHD_CONTENT_READER_END_WITH_ERROR;
			}
			if (rc == 0) {
				b->line.len = 0;
				return n ? (ssize_t)n
					 : MHD_CONTENT_READER_END_OF_STREAM;
			}
		}
		k = b->line.len - b->off;
		if (k > max - n)
			k = max - n;
		memcpy(buf + n, b->line.buf + b->off, k);
		n += k;
		b->off += k;
	}
	return (ssize_t)n;
}

int page_primary_board(struct web_req *r)
{
	struct ballot_writer *w = web_ballot_writer(r->srv);
	const char *from_s = web_arg(r, "from");
	struct board_stream *b;
	long long from = 0;
	int64_t seq;
	char *end;
	int rc;

	if (from_s) {
		from = strtoll(from_s, &end, 10);
		if (!*from_s || *end || from < 0 || from > INT64_MAX / 2)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "?from= is an entry number, 0 for "
					    "the first");
	}
	if (atomic_fetch_add(&w->streams, 1) >= BOARD_STREAMS_MAX) {
		atomic_fetch_sub(&w->streams, 1);
		return agora_errorf(&r->err, AGORA_EBUSY,
				    "too many board downloads at once");
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		atomic_fetch_sub(&w->streams, 1);
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	}
	b->w = w;
	sb_init(&b->line, PRIMARY_BALLOT_MAX * 4 + (64u << 20));
	/* a connection of its own: the transaction lasts the download */
	if ((rc = db_open(&b->db, w->db_path, DB_OPEN_READONLY, &r->err)) ||
	    (rc = primary_db_prepare(b->db, &r->err)) ||
	    (rc = db_begin(b->db, &r->err)) ||
	    (rc = primary_board_open(b->db, r->param[0], from, &b->cur, &seq,
				     r->board_head, &r->err))) {
		board_stream_free(b);
		return rc;
	}
	r->stream = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 64 * 1024, board_stream_read, b,
		board_stream_free);
	if (!r->stream) {
		board_stream_free(b);
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	}
	snprintf(r->board_entries, sizeof(r->board_entries), "%lld",
		 (long long)(seq + 1));
	r->ctype = "application/x-ndjson";
	return 0;
}
