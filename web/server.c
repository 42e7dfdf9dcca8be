/*
 * server.c - the HTTP server: libmicrohttpd with an epoll thread pool,
 * one database connection per worker thread, the route table, request
 * parsing (strict: a bad escape or an over-long target is a 400), the
 * headers every response carries, static assets, /healthz and /metrics,
 * and a graceful stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "primary.h"
#include "ingest.h"
#include "editor.h"
#include "material.h"
#include "web_auth.h"
#include "web_int.h"

/* ------------------------------------------------------------- metrics */

static const int status_codes[] = {200, 201, 303, 304, 400, 403, 404, 409, 422,
				    405, 413, 415, 429, 500, 503};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]) + 1)

/* seconds; the last bucket, +Inf, is the count */
static const double latency_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				    0.05,   0.1,   0.25,   0.5,	  1,	2.5};
#define NBUCKET (sizeof(latency_le) / sizeof(latency_le[0]))

/* Requests that match no route, or never reach one, are counted here */
enum {
	WEB_R_NOT_FOUND = -1,
	WEB_R_BAD_REQUEST = -2,
	WEB_R_BAD_METHOD = -3,
};
#define NPSEUDO 3

static int page_healthz(struct web_req *r);
static int page_metrics(struct web_req *r);
static int page_static(struct web_req *r);
static int api_openapi(struct web_req *r);

struct route {
	const char *pattern; /* segments; '*' matches one segment */
	web_handler fn;
	const char *name;
	int nodb;  /* needs no database */
	int cache; /* its 200 responses depend only on URL, language, data */
	int form;  /* takes POST (a form) besides GET and HEAD */
};

/* clang-format off */
#define ROUTE(p, f) {p, f, #f, 0, 0, 0}
#define ROUTE_CACHED(p, f) {p, f, #f, 0, 1, 0}
#define ROUTE_NODB(p, f) {p, f, #f, 1, 0, 0}
#define ROUTE_FORM(p, f) {p, f, #f, 0, 0, 1}
/* clang-format on */

static const struct route routes[] = {
	ROUTE_CACHED("", page_home),
	ROUTE_CACHED("e/*", page_election),
	ROUTE_CACHED("e/*/compare", page_compare),
	ROUTE("e/*/export.json", page_export_json),
	ROUTE("e/*/export.csv", page_export_csv),
	ROUTE("e/*/export-candidates.csv", page_export_candidates_csv),
	ROUTE("e/*/export-material.csv", page_export_material_csv),
	ROUTE_CACHED("e/*/c/*", page_candidate),
	ROUTE_CACHED("p/*", page_proposal),
	ROUTE_CACHED("search", page_search),
	ROUTE("healthz", page_healthz),
	ROUTE("metrics", page_metrics),
	ROUTE_NODB("static/*", page_static),
	ROUTE_CACHED("api/v1/elections", api_elections),
	ROUTE_CACHED("api/v1/elections/*", api_election),
	ROUTE_CACHED("api/v1/elections/*/candidates", api_candidates),
	ROUTE_CACHED("api/v1/elections/*/candidates/*/documents",
		     api_documents),
	ROUTE("api/v1/me", api_me),
	ROUTE("api/v1/me/submissions", api_me_submissions),
	ROUTE_FORM("api/v1/me/claims", api_me_claims),
	ROUTE("api/v1/elections/*/moderation", api_moderation_queue),
	ROUTE_FORM("api/v1/moderation/*/*", api_moderation_decide),
	ROUTE_CACHED("api/v1/elections/*/themes", api_themes),
	ROUTE_CACHED("api/v1/elections/*/compare", api_compare),
	ROUTE("api/v1/elections/*/export", api_export),
	ROUTE_CACHED("api/v1/search", api_search),
	ROUTE_CACHED("api/v1/proposals/*", api_proposal),
	ROUTE_NODB("api/v1/openapi.json", api_openapi),
	ROUTE("api/v1/primaries/*", api_primary),
	ROUTE("api/v1/primaries/*/results", api_primary_results),
	ROUTE("api/v1/primaries/*/receipts/*", api_primary_receipt),
	ROUTE_FORM("api/v1/primaries/*/ballots", api_primary_ballot),
	ROUTE_NODB("primary/*/board", page_primary_board),
	ROUTE_FORM("signup", page_signup),
	ROUTE_FORM("signin", page_signin),
	ROUTE_FORM("signout", page_signout),
	ROUTE("verify", page_verify),
	ROUTE_FORM("forgot", page_forgot),
	ROUTE_FORM("reset", page_reset),
	ROUTE("account", page_account),
	ROUTE("admin/users", page_admin_users),
	ROUTE_FORM("submit", page_submit),
	ROUTE("moderation", page_moderation),
	ROUTE_FORM("moderation/*", page_moderate),
	ROUTE("d/*", page_document),
	ROUTE("d/*/changes", page_changes),
	/* campaign material and profiles (material_pages.c) */
	ROUTE_FORM("material", page_material),
	ROUTE_FORM("profile", page_profile),
	ROUTE("m/*", page_media),
	ROUTE_FORM("material/*/withdraw", page_material_withdraw),
	ROUTE_FORM("moderation/material/*", page_moderate_material),
	ROUTE_FORM("moderation/profile/*", page_moderate_profile),
	ROUTE_FORM("account/candidacy", page_claim),
	ROUTE("candidacies", page_claims),
	ROUTE_FORM("candidacies/*", page_claim_decide),
	ROUTE_FORM("e/*/review", page_review),
	ROUTE_FORM("e/*/review/*", page_review_proposal),
	ROUTE("e/*/audit", page_audit),
	ROUTE_CACHED("notes/*", page_note),
	/* the citizen's side of the primary: never cached, live counts */
	ROUTE("primary/*", page_primary),
	ROUTE_FORM("primary/*/declare", page_primary_declare),
	ROUTE_FORM("primary/*/support", page_primary_support),
	ROUTE_FORM("primary/*/admin", page_primary_admin),
	ROUTE_FORM("primary/*/credential", page_primary_credential),
	ROUTE_FORM("primary/*/vote", page_primary_vote),
	ROUTE("primary/*/receipt/*", page_primary_receipt),
	ROUTE("primary/*/results", page_primary_results),
	ROUTE("primary/*/results.csv", page_primary_results_csv),
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

struct web_server {
	struct MHD_Daemon *d;
	char *db_path;
	struct agora_db *keep; /* keeps the WAL files in place */
	/*
	 * 1 while the database is read-only for us (the storage was
	 * read-only at start): no connection is kept between requests,
	 * see web_storage_back()
	 */
	atomic_int ro_storage;
	char url[160];
	unsigned boot;
	atomic_uint_fast64_t seq;
	atomic_int in_flight;
	atomic_uint_fast64_t count[NROUTES + NPSEUDO][NSTATUS];
	atomic_uint_fast64_t bucket[NBUCKET + 1];
	atomic_uint_fast64_t sum_us;
	struct web_i18n i18n; /* read-only once started */
	struct theme_rules *rules; /* the same: ingest's, loaded once */
	struct auth_server *auth;
	struct ballot_writer *ballots;
	/* slow clients (see "deadlines" below) */
	unsigned timeout;
	pthread_mutex_t track_lock;
	pthread_cond_t track_wake;
	struct conn_track *tracks; /* every open connection */
	pthread_t reaper;
	int reaper_started, reaper_stop;
	/* the WAL's bound (see "the WAL" below) */
	pthread_t waller;
	pthread_mutex_t wal_lock;
	pthread_cond_t wal_wake;
	int wal_started, wal_stop;
	struct agora_db *wal_db;
	atomic_uint_fast64_t reaped;
	/* the workers' page caches, for /metrics */
	atomic_uint_fast64_t page_hits;
	atomic_llong page_bytes;
	/* the listening socket and its thread (see "accepting" below) */
	int lfd;
	pthread_t acceptor;
	int acceptor_started;
	atomic_int acceptor_stop;
};

struct auth_server *web_auth_server(struct web_server *s)
{
	return s->auth;
}

struct ballot_writer *web_ballot_writer(struct web_server *s)
{
	return s->ballots;
}

const struct theme_rules *web_theme_rules(struct web_server *s)
{
	return s->rules;
}

/*
 * Storage that was read-only at start, and then became writable (a
 * remount): SQLite shares one wal-index (-shm) mapping among all the
 * connections of a process to one file, and the one it mapped
 * read-only stays read-only while any connection holds it, so even a
 * new connection could not write. Hence, while s->ro_storage is set,
 * readers close their connection after each request and writers after
 * each refusal: once no request is in flight the mapping goes, and the
 * next write maps it again, writable. The first write that commits
 * calls this, and connections are kept again.
 */
static int wal_start(struct web_server *s, struct agora_error *err);

void web_storage_back(struct web_server *s)
{
	struct agora_error err = {0};

	if (!atomic_exchange(&s->ro_storage, 0))
		return;
	LOG(LOG_WARN, "the database '%s' is writable again", s->db_path);
	/* the WAL's bound, which read-only storage went without */
	pthread_mutex_lock(&s->wal_lock);
	if (!s->wal_started && !s->wal_stop && wal_start(s, &err))
		LOG(LOG_WARN, "the WAL will not be bounded: %s", err.msg);
	pthread_mutex_unlock(&s->wal_lock);
}

int web_storage_ro(struct web_server *s)
{
	return atomic_load(&s->ro_storage);
}

/* ------------------------------------------------------------ deadlines */

/*
 * libmicrohttpd's timeout is an idle timeout: a client sending one byte
 * of its headers every few seconds (slowloris), or of its body, would
 * hold its connection for ever, and with it a share of the per-address
 * and total connection limits. So each connection is tracked from its
 * accept: a request's line and headers must arrive within s->timeout
 * seconds of the request's start (the accept, or the end of the
 * previous response on a kept-alive connection), then its body at
 * WEB_MIN_BODY_RATE bytes per second on average after the same grace.
 * Once the response is queued (or the connection suspended for a hash
 * or a ballot) the request is the server's to finish and no deadline
 * applies. The reaper thread shuts down (shutdown(2)) the socket of a
 * request past its deadline: libmicrohttpd then sees the stream end and
 * closes the connection in its own thread, as for a client gone away.
 * It never closes the descriptor itself; the entry leaves the list, under
 * the lock, in the CLOSED notification, which libmicrohttpd sends before
 * it closes the socket, so the number is never one reused by another.
 */
enum conn_phase { CONN_HEAD, CONN_BODY, CONN_ANSWERED };

/*
 * The list (prev, next) is the lock's; the phase and the body's bytes
 * are atomics that the connection's worker writes without it: a lock
 * shared by every worker twice a request made them wait for each
 * other, and for one preempted while holding it.
 */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	/* (ms of CLOCK_MONOTONIC at the phase's start << 2) | phase */
	atomic_uint_fast64_t state;
	atomic_uint_fast64_t body; /* bytes of the body received so far */
};

#define REAPER_PERIOD_MS 500

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void notify_connection_cb(void *cls, struct MHD_Connection *conn,
				 void **socket_context,
				 enum MHD_ConnectionNotificationCode code)
{
	struct web_server *s = cls;
	struct conn_track *t = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		/* untracked without memory: the idle timeout still applies */
		if (!info || !(t = calloc(1, sizeof(*t))))
			return;
		t->fd = info->connect_fd;
		atomic_init(&t->state, now_ms() << 2 | CONN_HEAD);
		atomic_init(&t->body, 0);
		pthread_mutex_lock(&s->track_lock);
		t->next = s->tracks;
		if (s->tracks)
			s->tracks->prev = t;
		s->tracks = t;
		pthread_mutex_unlock(&s->track_lock);
		*socket_context = t;
		return;
	}
	if (!t)
		return;
	pthread_mutex_lock(&s->track_lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		s->tracks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&s->track_lock);
	free(t);
	*socket_context = NULL;
}

static struct conn_track *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* The request on conn enters a phase; its clock starts again */
static void track_phase(struct MHD_Connection *conn, enum conn_phase phase)
{
	struct conn_track *t = track_of(conn);

	if (!t)
		return;
	/* the phase, then the count: see track_late() */
	atomic_store(&t->state, now_ms() << 2 | phase);
	atomic_store(&t->body, 0);
}

static void track_body(struct MHD_Connection *conn, size_t n)
{
	struct conn_track *t = track_of(conn);

	if (!t)
		return;
	atomic_fetch_add(&t->body, n);
}

/*
 * 1 when the request tracked by t is past its deadline at now (ms);
 * *state receives the state it judged. The count is read before the
 * phase, which its worker writes first: a count of 0 (reset) is always
 * seen with the new phase, never with the previous phase's start.
 */
static int track_late(const struct web_server *s, struct conn_track *t,
		      uint64_t now, uint64_t *state)
{
	uint64_t body = atomic_load(&t->body);
	uint64_t st = atomic_load(&t->state), t0 = st >> 2;
	double dt = now > t0 ? (double)(now - t0) / 1000 : 0;

	*state = st;
	if ((st & 3) == CONN_HEAD)
		return dt > s->timeout;
	if ((st & 3) == CONN_BODY)
		return dt > s->timeout + (double)body / WEB_MIN_BODY_RATE;
	return 0;
}

static void *reaper_main(void *arg)
{
	struct web_server *s = arg;
	struct conn_track *t;
	struct timespec wake;
	uint64_t now, st;
	unsigned n;

	pthread_mutex_lock(&s->track_lock);
	while (!s->reaper_stop) {
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_nsec += REAPER_PERIOD_MS * 1000000L;
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->track_wake, &s->track_lock, &wake);
		now = now_ms();
		n = 0;
		for (t = s->tracks; t; t = t->next) {
			if (!track_late(s, t, now, &st))
				continue;
			shutdown(t->fd, SHUT_RDWR);
			/* once, unless its worker moved it on meanwhile */
			atomic_compare_exchange_strong(
				&t->state, &st, (st & ~(uint64_t)3) |
							CONN_ANSWERED);
			n++;
		}
		if (n) {
			atomic_fetch_add(&s->reaped, n);
			LOG(LOG_INFO,
			    "closed %u connection(s) too slow to send their "
			    "request (over %u s, or a body under %d bytes/s)",
			    n, s->timeout, WEB_MIN_BODY_RATE);
		}
	}
	pthread_mutex_unlock(&s->track_lock);
	return NULL;
}

/* ------------------------------------------------------------- the WAL */

/*
 * Readers that always overlap keep SQLite from starting the WAL over,
 * and it then grows by every commit (core/db.c, db_wal_bound()). A
 * thread of its own, on a connection of its own, bounds it once a
 * second: the workers cannot (each commits on its write connection while
 * its read-only one holds the request's read transaction, which the
 * checkpoint would wait for), nor should the ballot writer (suspended
 * ballots wait for its commit). Not on read-only storage, where nothing
 * is written: it starts when the storage is writable again.
 */
#define WAL_PERIOD_MS 1000

static void *wal_main(void *arg)
{
	struct web_server *s = arg;
	struct timespec wake;

	pthread_mutex_lock(&s->wal_lock);
	while (!s->wal_stop) {
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_sec += WAL_PERIOD_MS / 1000;
		pthread_cond_timedwait(&s->wal_wake, &s->wal_lock, &wake);
		if (s->wal_stop)
			break;
		pthread_mutex_unlock(&s->wal_lock);
		(void)db_wal_bound(s->wal_db);
		pthread_mutex_lock(&s->wal_lock);
	}
	pthread_mutex_unlock(&s->wal_lock);
	return NULL;
}

static int wal_start(struct web_server *s, struct agora_error *err)
{
	int rc;

	if ((rc = db_open(&s->wal_db, s->db_path, 0, err)))
		return rc;
	if ((errno = pthread_create(&s->waller, NULL, wal_main, s))) {
		db_close(s->wal_db);
		s->wal_db = NULL;
		return agora_errorf(err, AGORA_EIO,
				    "cannot start a thread: %s",
				    strerror(errno));
	}
	s->wal_started = 1;
	return 0;
}

/* started at start, or by web_storage_back(): under wal_lock */
static void wal_stop(struct web_server *s)
{
	int started;

	pthread_mutex_lock(&s->wal_lock);
	s->wal_stop = 1; /* and none starts from now on */
	started = s->wal_started;
	pthread_cond_signal(&s->wal_wake);
	pthread_mutex_unlock(&s->wal_lock);
	if (!started)
		return;
	pthread_join(s->waller, NULL);
	db_close(s->wal_db);
	s->wal_db = NULL;
	s->wal_started = 0;
}

/* ---------------------------------------------------- per-thread database */

enum web_stmt {
	WEB_HEALTH,
	WEB_DB_SIZE,
	WEB_STMT__MAX,
};

static const char *const web_sql[WEB_STMT__MAX] = {
	[WEB_HEALTH] = "SELECT count(*) FROM election",
	[WEB_DB_SIZE] = "SELECT page_count * page_size"
			" FROM pragma_page_count(), pragma_page_size()",
};

static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

static void db_key_free(void *p)
{
	db_close(p);
}

static void db_key_make(void)
{
	if (pthread_key_create(&db_key, db_key_free))
		abort(); /* only with no keys left: nothing works then */
}

/*
 * Each worker thread opens its own read-only connection on first use
 * (SQLite connections are opened NOMUTEX, one per thread), prepares
 * every module's statements once, and keeps it until the thread ends.
 */
static struct agora_db *thread_db(struct web_server *s, struct agora_error *err)
{
	struct agora_db *db = pthread_getspecific(db_key);

	if (db)
		return db;
	if (db_open(&db, s->db_path, DB_OPEN_READONLY, err) ||
	    compare_db_prepare(db, err) || auth_db_prepare(db, err) ||
	    primary_db_prepare(db, err) ||
	    ingest_db_prepare(db, err) ||
	    editor_db_prepare(db, err) || material_db_prepare(db, err) ||
	    primary_citizen_db_prepare(db, err) ||
	    db_prepare_module(db, DB_MOD_WEB, web_sql, WEB_STMT__MAX, err)) {
		db_close(db);
		return NULL;
	}
	if (pthread_setspecific(db_key, db)) {
		db_close(db);
		agora_errorf(err, AGORA_ENOMEM, "out of memory");
		return NULL;
	}
	return db;
}

/* ---------------------------------------------------------- page cache */

/*
 * Each worker keeps the pages it rendered, keyed by request target and
 * language (all a page depends on besides the data: its language switch
 * is made from the target, its dates and numbers from the language),
 * valid while meta.search_generation (bumped with every new
 * document) has not moved: a compare page costs a grid query and
 * rendering, a copy from memory costs a memcpy. Only routes whose 200
 * responses depend on nothing else are cached (not exports, not
 * responses that set the language cookie, not an order shuffled for
 * one visitor: r->no_store). Editors' theme decisions and notes bump
 * the generation too (triggers in core/schema.c), so voters see them at
 * once.
 */
#define PAGE_CACHE_SLOTS 256 /* a power of two */
/*
 * Bytes of one page, and of all the pages one worker keeps. A full
 * programme is a big page: "L'Avenir en commun" (81 chapters, 553
 * proposals) makes a candidate page of 319 kB, which took 5-12 ms to
 * render again on every request when pages over 256 KiB were not kept.
 * Past the budget, a clock hand drops pages until the new one fits.
 */
#define PAGE_CACHE_MAX ((size_t)4 << 20)
#define PAGE_CACHE_BYTES ((size_t)16 << 20)
/* so that dropping every other page always makes room */
_Static_assert(PAGE_CACHE_MAX <= PAGE_CACHE_BYTES, "a page fits the budget");

/*
 * A cached page's bytes, shared by the cache and the responses that
 * send them: replacing a slot while a slow client still reads the old
 * page must not free it under libmicrohttpd, and copying 20 KB into
 * every response was a fifth of a cached page's work.
 */
struct page_body {
	atomic_uint refs;
	size_t len;
	/*
	 * Its validator: the generation and a hash of the bytes. Pages are
	 * sent with "no-cache", so a browser asks again each time; with
	 * If-None-Match it gets a 304 without the page while nothing
	 * changed.
	 */
	char etag[48];
	char data[];
};

static void page_body_release(void *p)
{
	struct page_body *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

struct page_slot {
	char *key;
	int lang;
	int64_t gen;
	const char *ctype; /* a static string */
	struct page_body *body;
};

struct page_cache {
	struct page_slot s[PAGE_CACHE_SLOTS];
	/*
	 * The generation this worker last read in a transaction, and the
	 * database's mark taken just before that transaction began: while
	 * the mark holds (nothing committed since), the generation is
	 * still this one, and a cached page is served without opening a
	 * transaction. That saved a file lock, an fstat and a mutex shared
	 * by the workers on every cached page (bench/README.md, "Web").
	 */
	struct db_mark mark;
	int64_t gen;
	size_t bytes;	    /* of the pages kept, at most PAGE_CACHE_BYTES */
	unsigned hand;	    /* the next slot to drop when over */
	atomic_llong *total; /* the server's sum over its workers */
};

static void slot_drop(struct page_cache *c, struct page_slot *p)
{
	if (p->body) {
		c->bytes -= p->body->len;
		atomic_fetch_sub_explicit(c->total, (long long)p->body->len,
					  memory_order_relaxed);
	}
	free(p->key);
	page_body_release(p->body); /* responses still sending it keep it */
	p->key = NULL;
	p->body = NULL;
}

static void page_cache_free(void *p)
{
	struct page_cache *c = p;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < PAGE_CACHE_SLOTS; i++)
		slot_drop(c, &c->s[i]);
	free(c);
}

/* FNV-1a: the cache's slot of a target, a page's ETag */
static uint64_t fnv1a64(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ull;
	return h;
}

/* The slot of r's target and language */
static struct page_slot *slot_of(struct page_cache *c,
				 const struct web_req *r)
{
	uint64_t h = fnv1a64(r->uri, strlen(r->uri)) ^ (uint64_t)r->lang;

	return &c->s[h & (PAGE_CACHE_SLOTS - 1)];
}

static struct page_slot *page_slot(struct web_req *r, int64_t *gen,
				   const struct db_mark *mark)
{
	struct page_cache *c = db_module_data(r->db, DB_MOD_WEB);

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return NULL;
		c->total = &r->srv->page_bytes;
		db_set_module_data(r->db, DB_MOD_WEB, c, page_cache_free);
	}
	if ((*gen = db_generation(r->db)) < 0)
		return NULL;
	c->mark = *mark;
	c->gen = *gen;
	return slot_of(c, r);
}

static int page_cached(const struct page_slot *p, const struct web_req *r,
		       int64_t gen)
{
	return p->key && p->gen == gen && p->lang == r->lang &&
	       !strcmp(p->key, r->uri);
}

/* Puts the cached page p in r's response */
static void page_send(struct web_req *r, const struct page_slot *p)
{
	r->ctype = p->ctype;
	r->page = p->body;
	atomic_fetch_add(&r->page->refs, 1);
	atomic_fetch_add_explicit(&r->srv->page_hits, 1,
				  memory_order_relaxed);
}

/*
 * 1 when r's page was served from the cache with no transaction: the
 * database's mark has not moved since this worker last read the
 * generation, so the generation is still that one
 */
static int page_unchanged(struct web_req *r)
{
	struct page_cache *c = db_module_data(r->db, DB_MOD_WEB);
	const struct page_slot *p;

	if (!c || !db_mark_same(r->db, &c->mark))
		return 0;
	p = slot_of(c, r);
	if (!page_cached(p, r, c->gen))
		return 0;
	page_send(r, p);
	return 1;
}

/* Stores r's page in p when it may be shared; the stored body or NULL */
static struct page_body *page_store(struct page_slot *p,
				    const struct web_req *r, int64_t gen)
{
	struct page_cache *c = db_module_data(r->db, DB_MOD_WEB);
	struct page_body *body;
	char *key;

	if (!c || r->status != 200 || r->body.len > PAGE_CACHE_MAX ||
	    r->disposition[0] || r->licence || r->set_lang_cookie ||
	    r->no_store || auth_personal(r))
		return NULL;
	key = strdup(r->uri);
	body = malloc(sizeof(*body) + r->body.len);
	if (!key || !body) {
		free(key);
		free(body);
		return NULL;
	}
	atomic_init(&body->refs, 1);
	body->len = r->body.len;
	memcpy(body->data, r->body.buf, r->body.len);
	snprintf(body->etag, sizeof(body->etag), "\"%llx-%d-%016llx\"",
		 (unsigned long long)gen, r->lang,
		 (unsigned long long)fnv1a64(body->data, body->len));
	slot_drop(c, p);
	while (c->bytes + body->len > PAGE_CACHE_BYTES) /* < 256 turns */
		slot_drop(c, &c->s[c->hand++ & (PAGE_CACHE_SLOTS - 1)]);
	c->bytes += body->len;
	atomic_fetch_add_explicit(c->total, (long long)body->len,
				  memory_order_relaxed);
	p->key = key;
	p->body = body;
	p->lang = r->lang;
	p->gen = gen;
	p->ctype = r->ctype;
	return body;
}

/* ------------------------------------------------------------- requests */

const char *web_arg(const struct web_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->narg; i++)
		if (!strcmp(r->arg[i].key, key))
			return r->arg[i].val;
	return NULL;
}

/* Splits the request target into decoded path segments and arguments */
int web_parse_target(struct web_req *r)
{
	const char *u = r->uri, *q, *end, *p, *e;
	size_t n;
	char *v;
	int rc;

	if (r->bad_uri)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "the request is longer than %d bytes",
				    WEB_MAX_URI);
	if (u[0] != '/')
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "the request target must start with '/'");
	q = strchr(u, '?');
	end = q ? q : u + strlen(u);
	for (p = u + 1; p < end || (p == end && r->nseg && p[-1] == '/');) {
		e = memchr(p, '/', (size_t)(end - p));
		if (!e)
			e = end;
		if (r->nseg == WEB_MAX_SEGS) {
			r->route = WEB_R_NOT_FOUND;
			return 0; /* no route is that deep */
		}
		if ((rc = web_pct_decode(p, (size_t)(e - p), 0, &v)))
			goto fail;
		r->seg[r->nseg++] = v;
		if (e == end)
			break;
		p = e + 1;
	}
	for (p = q ? q + 1 : end; p < u + strlen(u); p = e + 1) {
		const char *eq;

		e = strchr(p, '&');
		if (!e)
			e = u + strlen(u);
		if (e == p)
			continue;
		if (r->narg == WEB_MAX_ARGS)
			return agora_errorf(&r->err, AGORA_EINVAL,
					    "more than %d query arguments",
					    WEB_MAX_ARGS);
		eq = memchr(p, '=', (size_t)(e - p));
		n = (size_t)((eq ? eq : e) - p);
		if ((rc = web_pct_decode(p, n, 1, &r->arg[r->narg].key)))
			goto fail;
		rc = eq ? web_pct_decode(eq + 1, (size_t)(e - eq - 1), 1,
				     &r->arg[r->narg].val)
			: web_pct_decode("", 0, 1, &r->arg[r->narg].val);
		r->narg++; /* counted now so that the key is freed */
		if (rc)
			goto fail;
	}
	r->parsed = 1;
	return 0;
fail:
	if (rc == AGORA_EINVAL)
		return agora_errorf(&r->err, rc,
				    "malformed request: a bad %%-escape or "
				    "invalid UTF-8 in the address");
	return agora_errorf(&r->err, rc, "out of memory");
}

/* Matches the segments against a pattern, capturing the '*' segments */
static int route_match(struct web_req *r, const char *pat)
{
	size_t i = 0, np = 0, len;
	const char *e;

	if (!*pat)
		return r->nseg == 0;
	for (;; pat = e + 1) {
		e = strchr(pat, '/');
		len = e ? (size_t)(e - pat) : strlen(pat);
		if (i == r->nseg)
			return 0;
		if (len == 1 && *pat == '*') {
			if (!*r->seg[i] || np == 4)
				return 0;
			r->param[np++] = r->seg[i];
		} else if (strlen(r->seg[i]) != len ||
			   memcmp(r->seg[i], pat, len)) {
			return 0;
		}
		i++;
		if (!e)
			break;
	}
	return i == r->nseg;
}

int web_route_find(struct web_req *r)
{
	size_t i;

	for (i = 0; i < NROUTES; i++)
		if (route_match(r, routes[i].pattern))
			return (int)i;
	return WEB_R_NOT_FOUND;
}

const char *web_route_pattern(int route)
{
	return route >= 0 && (size_t)route < NROUTES ? routes[route].pattern
						     : NULL;
}

/*
 * The language, among those the server can render: ?lang= (remembered
 * in a cookie), then the cookie, then Accept-Language with its weights
 * (lang_accept), then French.
 */
static void choose_lang(struct web_req *r)
{
	const int *avail = r->srv->i18n.avail;
	const char *l = r->parsed ? web_arg(r, "lang") : NULL;
	int k;

	r->lang = LANG_FR;
	if (l && (k = web_lang_find(l)) >= 0 && avail[k]) {
		r->lang = k;
		r->set_lang_cookie = 1;
		return;
	}
	l = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "lang");
	if (l && (k = web_lang_find(l)) >= 0 && avail[k]) {
		r->lang = k;
		return;
	}
	l = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	if ((k = lang_accept(l, avail)) >= 0)
		r->lang = k;
}

/* ------------------------------------------------------------ responses */

static int status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (status_codes[i] == status)
			return (int)i;
	return (int)NSTATUS - 1;
}

static void metrics_record(struct web_server *s, struct web_req *r)
{
	struct timespec t1;
	uint64_t us;
	size_t b;
	int ri = r->route >= 0 ? r->route : (int)NROUTES - r->route - 1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (uint64_t)((t1.tv_sec - r->t0.tv_sec) * 1000000 +
			(t1.tv_nsec - r->t0.tv_nsec) / 1000);
	atomic_fetch_add_explicit(&s->count[ri][status_index(r->status)], 1,
				  memory_order_relaxed);
	for (b = 0; b < NBUCKET; b++)
		if ((double)us / 1e6 <= latency_le[b])
			break;
	atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
}

/* The headers every response carries, whatever its route or status */
static void add_common_headers(struct MHD_Response *resp, struct web_req *r)
{
	MHD_add_response_header(
		resp, "Content-Security-Policy",
		r->csp ? r->csp
		       : "default-src 'none'; style-src 'self'; img-src "
			 "'self'; form-action 'self'; base-uri 'none'; "
			 "frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
}

static const char *etag_match_header(struct web_req *r)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_IF_NONE_MATCH);
}

/*
 * Queues r's response. Called on the access handler's second call (or
 * later), never the first: that keeps the connection alive.
 */
static enum MHD_Result respond(struct web_server *s, struct web_req *r,
			       const struct embedded_file *file)
{
	struct page_body *page = r->page;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *inm;
	size_t len;
	char *buf;

	track_phase(r->conn, CONN_ANSWERED);
	if (file && (inm = etag_match_header(r)) && strstr(inm, r->etag))
		r->status = 304;
	if (page && r->status == 200 && (inm = etag_match_header(r)) &&
	    strstr(inm, page->etag))
		r->status = 304;
	/*
	 * A 304 is the page's or the file's own response, of which
	 * libmicrohttpd sends the headers only: its Content-Length must be
	 * theirs or absent (RFC 9110, 8.6), and an empty one would say 0
	 */
	if (r->stream && r->status == 200) {
		resp = r->stream; /* streamed (primary_api.c) */
		r->stream = NULL;
	} else if (page && (r->status == 200 || r->status == 304)) {
		/* a cached page: the response holds the reference */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			page->len, page->data, page_body_release, page);
		if (resp)
			r->page = NULL;
	} else if (r->status == 304 && !file) {
		resp = MHD_create_response_from_buffer(0, NULL,
						       MHD_RESPMEM_PERSISTENT);
	} else if (file) {
		resp = MHD_create_response_from_buffer(
			file->len, (void *)(uintptr_t)file->data,
			MHD_RESPMEM_PERSISTENT);
	} else if (sb_error(&r->body)) {
		static const char oom[] = "internal error\n";

		r->status = 500;
		r->ctype = "text/plain; charset=utf-8";
		LOG(LOG_ERROR, "request %s: %.200s: response too large", r->id,
		    r->uri ? r->uri : "");
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1,
						       (void *)(uintptr_t)oom,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		buf = sb_detach(&r->body, &len);
		resp = MHD_create_response_from_buffer(len, buf,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(buf);
	}
	if (!resp)
		return MHD_NO;
	add_common_headers(resp, r);
	if (r->board_head[0])
		MHD_add_response_header(resp, "X-Board-Head", r->board_head);
	if (r->board_entries[0])
		MHD_add_response_header(resp, "X-Board-Entries",
					r->board_entries);
	if (r->ctype && r->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->ctype);
	if (r->etag) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					"public, max-age=31536000, immutable");
	} else {
		/* a shared page's validator (the response holds page) */
		if (page)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG,
						page->etag);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					auth_personal(r) ? "private, no-store"
							 : "no-cache");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
					"Accept-Language, Cookie");
	}
	if (r->disposition[0] && r->status == 200)
		MHD_add_response_header(resp, "Content-Disposition",
					r->disposition);
	if (r->licence && r->status == 200) {
		char link[256];

		snprintf(link, sizeof(link), "<%s>; rel=\"license\"",
			 r->licence);
		MHD_add_response_header(resp, "Link", link);
	}
	if (r->set_lang_cookie) {
		char cookie[80];

		snprintf(cookie, sizeof(cookie),
			 "lang=%s; Path=/; Max-Age=31536000; SameSite=Lax",
			 web_lang_code(r->lang));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
					cookie);
	}
	if (r->seed_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
					r->seed_cookie);
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					r->route >= 0 && routes[r->route].form
						? "GET, HEAD, POST"
						: "GET, HEAD");
	auth_add_headers(r, resp);
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
					"close");
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	metrics_record(s, r);
	return ret;
}

/* Renders an error in the route's kind (JSON under /api/, else HTML) */
void web_render_error(struct web_req *r, int status, const char *message)
{
	static const struct {
		int status;
		const char *code;
	} codes[] = {
		{400, "bad_request"},	     {403, "forbidden"},
		{404, "not_found"},	     {405, "method_not_allowed"},
		{409, "conflict"},	     {410, "gone"},
		{413, "too_large"},	     {415, "unsupported_media_type"},
		{429, "too_many_requests"},  {503, "unavailable"},
	};
	const char *code = "internal";
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].status == status)
			code = codes[i].code;
	if (r->api)
		api_error(r, status, code, message);
	else
		page_error(r, status, message);
}

/*
 * A write refused for want of storage (disk full, storage read-only):
 * 503, one log line that says which file and why, and a page that says
 * what the visitor can do. Nothing was written (the transaction rolled
 * back); reading goes on; the next write tries again, so the server
 * recovers by itself once space is back (README, "Reliability").
 */
void web_storage_refused(struct web_req *r)
{
	auth_write_drop(r);
	LOG(LOG_ERROR, "request %s: %.200s: 503: %s", r->id,
	    r->uri ? r->uri : "", r->err.msg);
	if (r->api)
		web_render_error(r, 503, WEB_STORAGE_MESSAGE);
	else
		web_render_error(
			r, 503,
			tr(r, "Le serveur ne peut rien enregistrer pour "
			      "l'instant (son stockage est plein ou en "
			      "lecture seule) : rien n'a été modifié. La "
			      "consultation fonctionne toujours ; réessayez "
			      "plus tard."));
}

/* Maps a module error to a status, logs it, renders its page */
static void fail(struct web_req *r, int code)
{
	char m[1200];
	int status;

	switch (code) {
	case AGORA_EINVAL:
	case AGORA_ETOOBIG:
		status = 400;
		break;
	case AGORA_ENOTFOUND:
		status = 404;
		break;
	case AGORA_EEXIST: /* as core.h says: a decision already taken... */
		status = 409;
		break;
	case AGORA_EBUSY:
		status = 503;
		break;
	case AGORA_ESTORAGE:
		web_storage_refused(r);
		return;
	default:
		status = 500;
	}
	if (status >= 500) {
		LOG(LOG_ERROR, "request %s: %.200s: %d: %s", r->id, r->uri,
		    status, r->err.msg);
		snprintf(m, sizeof(m), "internal error (request %s)", r->id);
	} else {
		LOG(LOG_INFO, "request %s: %.200s: %d: %s", r->id, r->uri,
		    status, r->err.msg);
		snprintf(m, sizeof(m), "%s", r->err.msg);
	}
	web_render_error(r, status, m);
}

/* Parses, routes and runs one request; the response is then in r */
static const struct embedded_file *handle(struct web_server *s,
					  struct web_req *r)
{
	const struct route *rt;
	struct db_mark mark;
	int rc, cache;

	r->status = 200;
	if (r->bad_method) {
		r->route = WEB_R_BAD_METHOD;
		web_render_error(r, 405, "only GET, HEAD and POST (for forms) are "
				     "allowed");
		return NULL;
	}
	if ((rc = web_parse_target(r))) {
		r->route = WEB_R_BAD_REQUEST;
		choose_lang(r);
		fail(r, rc);
		return NULL;
	}
	choose_lang(r);
	r->api = r->nseg > 0 && !strcmp(r->seg[0], "api");
	if (r->route != WEB_R_NOT_FOUND)
		r->route = web_route_find(r);
	if (r->route == WEB_R_NOT_FOUND) {
		web_render_error(r, 404,
				 r->api ? "no such address in the API"
					: tr(r, "il n'y a pas de page ici"));
		return NULL;
	}
	rt = &routes[r->route];
	if (r->post && !rt->form) {
		web_render_error(r, 405, "this address takes GET and HEAD only");
		return NULL;
	}
	/* a page anyone may share: no language to set (sign-in below) */
	cache = rt->cache && !r->set_lang_cookie && r->uri;
	mark.set = 0;
	if (!rt->nodb) {
		if (!(r->db = thread_db(s, &r->err))) {
			fail(r, AGORA_EBUSY);
			return NULL;
		}
		/* with no session cookie, no one to look up first */
		if (cache && !auth_cookie(r)) {
			if (page_unchanged(r)) {
				r->db = NULL;
				return NULL;
			}
			db_mark(r->db, &mark); /* before the transaction */
		}
		if ((rc = db_begin(r->db, &r->err))) {
			fail(r, rc == AGORA_EBUSY ? rc : AGORA_EBUSY);
			return NULL;
		}
		/* who is signed in, before the cache: they never share it */
		if ((rc = auth_request_begin(r))) {
			db_rollback(r->db);
			fail(r, rc);
			return NULL;
		}
	}
	if (cache && !auth_signed_in(r)) {
		int64_t gen;
		struct page_slot *slot = page_slot(r, &gen, &mark);

		if (slot && page_cached(slot, r, gen)) {
			db_rollback(r->db);
			page_send(r, slot);
			return NULL;
		}
		rc = rt->fn(r);
		if (!rc && slot && (r->page = page_store(slot, r, gen)))
			atomic_fetch_add(&r->page->refs, 1); /* sent from there */
	} else {
		rc = rt->fn(r);
	}
	if (r->db)
		db_rollback(r->db);
	if (rc) {
		fail(r, rc);
		return NULL;
	}
	if (rt->fn == page_static && r->status == 200)
		return web_data_find(r->param[0]);
	return NULL;
}

/*
 * The cap of the uploaded file of the request's route, multipart
 * only: WEB_MAX_UPLOAD_FILE for a programme (/submit),
 * WEB_MAX_MATERIAL_FILE for campaign material (/material),
 * MATERIAL_PHOTO_MAX for a candidacy's photo (/primary/SLUG/declare); 0
 * for every other route. The body's cap is the file's plus the form's
 * share, WEB_MAX_BODY without a file. Known from the target before the
 * route table is walked, since the body arrives before the handler
 * runs.
 */
static size_t upload_cap(struct web_req *r)
{
	const char *u = r->uri ? r->uri : "";
	size_t n = strcspn(u, "?");

	if (!auth_is_multipart(r))
		return 0;
	if (n == 7 && !memcmp(u, "/submit", 7))
		return WEB_MAX_UPLOAD_FILE;
	if (n == 9 && !memcmp(u, "/material", 9))
		return WEB_MAX_MATERIAL_FILE;
	/* a candidacy's photo: a photo's limit (primary_pages.c) */
	if (n > 17 && !memcmp(u, "/primary/", 9) &&
	    !memcmp(u + n - 8, "/declare", 8) && !memchr(u + 9, '/', n - 17))
		return MATERIAL_PHOTO_MAX;
	return 0;
}

static int upload_route(struct web_req *r)
{
	return upload_cap(r) != 0;
}

static size_t body_max(struct web_req *r)
{
	size_t cap = upload_cap(r);

	return cap ? cap + WEB_MAX_BODY : WEB_MAX_BODY;
}

/* 0 when the announced body is over the cap (chunked bodies are counted
 * as they come) */
static int content_length_ok(struct web_req *r)
{
	const char *cl = MHD_lookup_connection_value(
		r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return !cl || strtoull(cl, NULL, 10) <= body_max(r);
}

/*
 * Request smuggling: a request whose body two HTTP parsers could frame
 * differently (a proxy in front and this server) is refused before its
 * body is read, and libmicrohttpd closes the connection after the 400,
 * so no byte of that body is ever read as a next request. Refused:
 * more than one Content-Length, one that is not plain digits, any
 * Transfer-Encoding but a single "chunked" (RFC 9112 6.1: the server
 * answers 400 or 501 for a coding it does not know, and 6.3 lets it
 * refuse Transfer-Encoding with Content-Length), Transfer-Encoding in
 * HTTP/1.0, a header name with a space (RFC 9112 5.1: MUST 400), and
 * a header whose name starts with either but is not it (obs-fold).
 */
struct framing {
	int ncl, nte;
	const char *why;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	struct framing *f = cls;
	size_t n;

	(void)kind;
	if (!key || !value)
		return MHD_YES;
	if (strpbrk(key, " \t")) {
		f->why = "a space in a header name";
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		n = strspn(value, "0123456789");
		if (++f->ncl > 1)
			f->why = "more than one Content-Length";
		else if (!n || value[n] || n > 18)
			f->why = "a malformed Content-Length";
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		if (++f->nte > 1 || strcasecmp(value, "chunked"))
			f->why = "a Transfer-Encoding other than one "
				 "'chunked'";
	} else if (!strncasecmp(key, "Content-Length", 14) ||
		   !strncasecmp(key, "Transfer-Encoding", 17)) {
		/*
		 * libmicrohttpd 0.9.75 reads "Content-Length:" folded onto
		 * a second line " 2" (obs-fold) as a header named
		 * "Content-Length2" with no value, and so no body, where a
		 * proxy unfolding it would send two bytes of body.
		 */
		f->why = "a Content-Length or Transfer-Encoding folded over "
			 "two lines, or misspelt";
	}
	return MHD_YES;
}

static const char *framing_error(struct MHD_Connection *conn,
				 const char *version)
{
	struct framing f = {0};

	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.why)
		return f.why;
	if (f.nte && f.ncl)
		return "both Content-Length and Transfer-Encoding";
	if (f.nte && strcmp(version, MHD_HTTP_VERSION_1_1))
		return "Transfer-Encoding before HTTP/1.1";
	return NULL;
}

static enum MHD_Result refuse_framing(struct web_server *s,
				      struct web_req *r, const char *why)
{
	char m[160];

	choose_lang(r);
	r->route = WEB_R_BAD_REQUEST;
	/* the body's bytes are never read as the next request */
	r->close = 1;
	snprintf(m, sizeof(m), "malformed request: %s", why);
	LOG(LOG_INFO, "request %s: %.200s: 400: %s", r->id, r->uri, m);
	web_render_error(r, 400, m);
	return respond(s, r, NULL);
}

/*
 * 413 for a body over the cap. This answers before the body is read,
 * so libmicrohttpd closes the connection afterwards: right for a client
 * that sends too much.
 */
static enum MHD_Result refuse_body(struct web_server *s, struct web_req *r)
{
	choose_lang(r);
	r->route = r->bad_method ? WEB_R_BAD_METHOD : WEB_R_BAD_REQUEST;
	web_render_error(r, 413, "the request body is too large");
	return respond(s, r, NULL);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct web_server *s = cls;
	struct web_req *r = *con_cls;
	const struct embedded_file *f;
	const char *why;

	(void)url;
	(void)upload;
	if (!r)
		return MHD_NO; /* out of memory in uri_cb */
	if (!r->started) {
		r->started = 1;
		r->conn = conn;
		r->head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
		r->post = !strcmp(method, MHD_HTTP_METHOD_POST);
		r->bad_method = !r->head && !r->post &&
				strcmp(method, MHD_HTTP_METHOD_GET);
		if ((why = framing_error(conn, version)))
			return refuse_framing(s, r, why);
		if (!content_length_ok(r))
			return refuse_body(s, r);
		track_phase(conn, CONN_BODY);
		return MHD_YES; /* respond on the second call */
	}
	if (r->suspended) { /* resumed: the hash or the ballot is done */
		int rc;

		r->suspended = 0;
		if ((rc = r->ballot ? primary_api_continue(r) : auth_continue(r)))
			fail(r, rc);
		return respond(s, r, NULL);
	}
	if (r->status) { /* already answered: discard the rest */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		track_body(conn, *upload_size);
		r->body_len += *upload_size;
		if (r->body_len > body_max(r)) {
			*upload_size = 0;
			return refuse_body(s, r);
		}
		if (upload_route(r)) {
			/* streamed: the file part is capped as it comes */
			int rc = auth_upload_multipart(r, upload, *upload_size,
						       upload_cap(r));

			*upload_size = 0;
			/*
			 * libmicrohttpd 0.9.75 cannot queue a response while
			 * the body is arriving: the rest is dropped unread
			 * into no buffer, at most 64 KiB (the form's share of
			 * the announced length), and the 413 follows.
			 */
			if (rc == AGORA_ETOOBIG)
				r->upload_too_big = 1;
			if (rc == AGORA_ENOMEM) {
				r->status = 200;
				fail(r, AGORA_ENOMEM);
				return respond(s, r, NULL);
			}
			/* malformed: auth_post_ok() answers 400 */
			return MHD_YES;
		}
		/* a form is kept for its handler; other bodies are dropped */
		if (r->post && auth_upload(r, upload, *upload_size)) {
			*upload_size = 0;
			r->status = 200;
			fail(r, AGORA_ENOMEM);
			return respond(s, r, NULL);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->upload_too_big)
		return refuse_body(s, r);
	/* the request is all in: the rest is the server's to do */
	track_phase(conn, CONN_ANSWERED);
	f = handle(s, r);
	if (r->suspended) {
		/* suspended first, then queued: the worker may resume at once */
		MHD_suspend_connection(conn);
		if (r->ballot)
			primary_api_enqueue(r);
		else
			auth_enqueue(r);
		return MHD_YES;
	}
	return respond(s, r, f);
}

/* Called once per request with the target as received: r starts here */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct web_server *s = cls;
	struct web_req *r = calloc(1, sizeof(*r));
	size_t n = strlen(uri);

	(void)conn;
	if (!r)
		return NULL;
	r->srv = s;
	r->i18n = &s->i18n;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	snprintf(r->id, sizeof(r->id), "%08x%08llx", s->boot,
		 (unsigned long long)atomic_fetch_add(&s->seq, 1));
	sb_init(&r->body, WEB_MAX_PAGE);
	r->bad_uri = n > WEB_MAX_URI;
	/*
	 * An API client gets its errors in JSON from the first one: a bad
	 * method, framing or body is refused before the target is parsed
	 * (handle() decides again from the parsed path)
	 */
	r->api = !strncmp(uri, "/api", 4) &&
		 (!uri[4] || uri[4] == '/' || uri[4] == '?');
	r->uri = strndup(uri, r->bad_uri ? 200 : n);
	if (!r->uri) {
		sb_fini(&r->body);
		free(r);
		return NULL;
	}
	atomic_fetch_add(&s->in_flight, 1);
	return r;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct web_server *s = cls;
	struct web_req *r = *con_cls;
	size_t i;

	(void)toe;
	/* a kept-alive connection's next request starts now */
	track_phase(conn, CONN_HEAD);
	if (!r)
		return;
	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	for (i = 0; i < r->narg; i++) {
		free(r->arg[i].key);
		free(r->arg[i].val);
	}
	auth_request_free(r);
	primary_api_request_free(r);
	if (r->stream)
		MHD_destroy_response(r->stream);
	page_body_release(r->page);
	sb_fini(&r->body);
	free(r->uri);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
	if (atomic_load(&s->ro_storage)) {
		/* see web_storage_back() */
		struct agora_db *db = pthread_getspecific(db_key);

		if (db) {
			pthread_setspecific(db_key, NULL);
			db_close(db);
		}
	}
}

/* ------------------------------------------------- health, metrics, assets */

/* 200 "ok" when the database answers a query, else 503 */
static int page_healthz(struct web_req *r)
{
	sqlite3_stmt *st = db_stmt(r->db, DB_MOD_WEB, WEB_HEALTH);
	int rc = db_step(r->db, st, &r->err);

	sqlite3_reset(st);
	r->ctype = "text/plain; charset=utf-8";
	if (rc < 0) {
		LOG(LOG_ERROR, "request %s: healthz: %s", r->id, r->err.msg);
		r->status = 503;
		sb_puts(&r->body, "database unavailable\n");
		return 0;
	}
	sb_puts(&r->body, "ok\n");
	return 0;
}

static void metric_head(struct sb *b, const char *name, const char *type,
			const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Prometheus text format, version 0.0.4 */
static int page_metrics(struct web_req *r)
{
	struct web_server *s = r->srv;
	struct sb *b = &r->body;
	sqlite3_stmt *st;
	uint64_t cum = 0, n;
	size_t i, k;
	int rc;

	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	metric_head(b, "agora_http_requests_total", "counter",
		    "HTTP requests by route and status");
	for (i = 0; i < NROUTES + NPSEUDO; i++) {
		const char *name = i < NROUTES	      ? routes[i].name
				   : i == NROUTES     ? "not_found"
				   : i == NROUTES + 1 ? "bad_request"
						      : "bad_method";

		for (k = 0; k < NSTATUS; k++) {
			n = atomic_load_explicit(&s->count[i][k],
						 memory_order_relaxed);
			if (!n)
				continue;
			if (k < NSTATUS - 1)
				sb_printf(b,
					  "agora_http_requests_total{route=\"%"
					  "s\","
					  "code=\"%d\"} %llu\n",
					  name, status_codes[k],
					  (unsigned long long)n);
			else
				sb_printf(b,
					  "agora_http_requests_total{route=\"%"
					  "s\","
					  "code=\"other\"} %llu\n",
					  name, (unsigned long long)n);
		}
	}
	metric_head(b, "agora_http_request_duration_seconds", "histogram",
		    "time from the request line to the queued response");
	for (i = 0; i <= NBUCKET; i++) {
		cum += atomic_load_explicit(&s->bucket[i],
					    memory_order_relaxed);
		if (i < NBUCKET)
			sb_printf(b,
				  "agora_http_request_duration_seconds_bucket"
				  "{le=\"%g\"} %llu\n",
				  latency_le[i], (unsigned long long)cum);
		else
			sb_printf(b,
				  "agora_http_request_duration_seconds_bucket"
				  "{le=\"+Inf\"} %llu\n",
				  (unsigned long long)cum);
	}
	sb_printf(b, "agora_http_request_duration_seconds_sum %.6f\n",
		  (double)atomic_load(&s->sum_us) / 1e6);
	sb_printf(b, "agora_http_request_duration_seconds_count %llu\n",
		  (unsigned long long)cum);
	metric_head(b, "agora_http_slow_connections_closed_total", "counter",
		    "connections closed for sending their request too slowly");
	sb_printf(b, "agora_http_slow_connections_closed_total %llu\n",
		  (unsigned long long)atomic_load(&s->reaped));
	metric_head(b, "agora_page_cache_hits_total", "counter",
		    "pages served from a worker's cache");
	sb_printf(b, "agora_page_cache_hits_total %llu\n",
		  (unsigned long long)atomic_load_explicit(
			  &s->page_hits, memory_order_relaxed));
	metric_head(b, "agora_page_cache_bytes", "gauge",
		    "bytes of the pages the workers keep");
	sb_printf(b, "agora_page_cache_bytes %lld\n",
		  (long long)atomic_load_explicit(&s->page_bytes,
						  memory_order_relaxed));
	metric_head(b, "agora_http_requests_in_flight", "gauge",
		    "requests being served");
	sb_printf(b, "agora_http_requests_in_flight %d\n",
		  atomic_load(&s->in_flight));
	st = db_stmt(r->db, DB_MOD_WEB, WEB_DB_SIZE);
	if ((rc = db_step(r->db, st, &r->err)) < 0)
		return rc;
	metric_head(b, "agora_database_size_bytes", "gauge",
		    "size of the database file (pages in use)");
	sb_printf(b, "agora_database_size_bytes %lld\n",
		  (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	return 0;
}

const char *web_etag(const struct embedded_file *f)
{
	static char tags[4][20];
	static const struct embedded_file *files[4];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char hex[65];
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < 4 && files[i] && files[i] != f; i++)
		;
	if (i == 4) {
		pthread_mutex_unlock(&lock);
		return "\"0\"";
	}
	if (!files[i]) {
		sha256_hex(f->data, f->len, hex);
		snprintf(tags[i], sizeof(tags[i]), "\"%.16s\"", hex);
		files[i] = f;
	}
	pthread_mutex_unlock(&lock);
	return tags[i];
}

/* /static/NAME: the embedded stylesheet and icon, cached for a year
 * (their URLs carry their hash) */
static int page_static(struct web_req *r)
{
	const struct embedded_file *f = web_data_find(r->param[0]);
	size_t n = strlen(r->param[0]);
	int css = n > 4 && !strcmp(r->param[0] + n - 4, ".css");
	int svg = n > 4 && !strcmp(r->param[0] + n - 4, ".svg");

	if (!f || (!css && !svg))
		return agora_errorf(&r->err, AGORA_ENOTFOUND, "no file '%s'",
				    r->param[0]);
	r->ctype = css ? "text/css; charset=utf-8" : "image/svg+xml";
	r->etag = web_etag(f);
	return 0;
}

static int api_openapi(struct web_req *r)
{
	const struct embedded_file *f = web_data_find("openapi.json");

	r->ctype = "application/json; charset=utf-8";
	sb_append(&r->body, f->data, f->len);
	return 0;
}

/* ------------------------------------------------------- start and stop */

/* Parses "ADDR:PORT" or "[ADDR6]:PORT" into a socket address */
static int parse_listen(const char *listen, struct sockaddr_storage *ss,
			socklen_t *sslen, struct agora_error *err)
{
	struct addrinfo hints = {0}, *ai = NULL;
	const char *colon = strrchr(listen, ':');
	char host[256], *end;
	unsigned long port;
	size_t n;
	int rc;

	if (!colon || colon == listen)
		return agora_errorf(err, AGORA_EINVAL,
				    "bad address '%s': expected ADDR:PORT",
				    listen);
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		return agora_errorf(err, AGORA_EINVAL,
				    "bad port in '%s': 0 to 65535", listen);
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && colon[-1] == ']') {
		listen++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return agora_errorf(err, AGORA_EINVAL, "bad address '%s'",
				    listen);
	memcpy(host, listen, n);
	host[n] = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) || !ai)
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot resolve '%s': %s", host,
				    gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return 0;
}

/* ------------------------------------------------------------ accepting */

/*
 * agora accepts the connections itself and hands each to
 * libmicrohttpd with MHD_add_connection(), which gives it to the worker
 * its descriptor's number points at: a burst of new connections is
 * spread evenly over the workers. When every worker polled the
 * listening socket, whichever was awake took what arrived (57/43 of
 * the work under wrk's 64 connections), and the busier worker's
 * clients waited longer.
 */
static int listen_on(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, e;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 511)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void *acceptor_main(void *arg)
{
	struct web_server *s = arg;
	struct timespec pause = {0, 50 * 1000 * 1000};

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept(s->lfd, (struct sockaddr *)&sa, &len);

		if (atomic_load(&s->acceptor_stop)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd >= 0) {
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			(void)fcntl(fd, F_SETFL, O_NONBLOCK);
			/* closes fd itself when it cannot take it */
			MHD_add_connection(s->d, fd, (struct sockaddr *)&sa,
					   len);
			continue;
		}
		switch (errno) {
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* out of descriptors: let some connections close */
			LOG(LOG_WARN, "cannot accept a connection: %s",
			    strerror(errno));
			nanosleep(&pause, NULL);
			break;
		case EBADF:
		case EINVAL:
		case ENOTSOCK:
		case EOPNOTSUPP:
			LOG(LOG_ERROR, "the listening socket failed: %s",
			    strerror(errno));
			return NULL;
		default: /* EINTR, ECONNABORTED, a network error: the next */
			break;
		}
	}
}

/* Stops accepting: new connections are refused, open ones go on */
static void acceptor_stop(struct web_server *s)
{
	atomic_store(&s->acceptor_stop, 1);
	if (s->lfd >= 0)
		shutdown(s->lfd, SHUT_RDWR); /* wakes accept() */
	if (s->acceptor_started)
		pthread_join(s->acceptor, NULL);
	s->acceptor_started = 0;
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

int web_server_start(const struct web_config *cfg, struct web_server **out,
		     struct agora_error *err)
{
	struct web_server *s;
	struct sockaddr_storage ss, bound;
	socklen_t sslen = 0, boundlen = sizeof(bound);
	unsigned port;
	char host[INET6_ADDRSTRLEN];
	unsigned threads = cfg->threads;
	struct MHD_OptionItem pool[] = {
		{MHD_OPTION_THREAD_POOL_SIZE, 0, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_NO_LISTEN_SOCKET;
	int rc;

	*out = NULL;
	if ((rc = parse_listen(cfg->listen, &ss, &sslen, err)))
		return rc;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 && n < 256 ? (unsigned)n : 1;
	}
	pthread_once(&db_key_once, db_key_make);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->db_path = strdup(cfg->db_path))) {
		free(s);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	s->boot = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	s->lfd = -1;
	s->timeout = cfg->timeout ? cfg->timeout : WEB_DEFAULT_TIMEOUT;
	pthread_mutex_init(&s->track_lock, NULL);
	pthread_cond_init(&s->track_wake, NULL);
	pthread_mutex_init(&s->wal_lock, NULL);
	pthread_cond_init(&s->wal_wake, NULL);
	web_i18n_init(&s->i18n);
	if (db_fault_write())
		LOG(LOG_WARN,
		    "test build: write statement %d of every write "
		    "transaction fails (AGORA_FAULT_WRITE)",
		    db_fault_write());
	if (db_fault_commit())
		LOG(LOG_WARN, "test build: the COMMIT of every write "
			      "transaction fails (AGORA_FAULT_COMMIT)");
	/* migrates if needed, and proves the database can be read */
	if ((rc = theme_rules_load(&s->rules, err)) ||
	    (rc = db_open(&s->keep, s->db_path, 0, err)) ||
	    (rc = auth_server_start(&s->auth, cfg, s->keep, err)) ||
	    (rc = ballot_writer_start(&s->ballots, s->db_path, s, err)))
		goto fail;
	if (db_check_writable(s->keep, NULL)) {
		/* serve what can be read; refuse writes with 503 */
		LOG(LOG_WARN,
		    "the database '%s' is on read-only storage: serving pages, "
		    "answering writes with 503 until it is writable",
		    s->db_path);
		atomic_store(&s->ro_storage, 1);
		db_close(s->keep);
		s->keep = NULL;
	} else {
		pthread_mutex_lock(&s->wal_lock);
		rc = wal_start(s, err);
		pthread_mutex_unlock(&s->wal_lock);
		if (rc)
			goto fail;
	}
	if ((s->lfd = listen_on(&ss, sslen)) < 0) {
		rc = agora_errorf(err, AGORA_EIO, "cannot listen on '%s': %s",
				  cfg->listen, strerror(errno));
		goto fail;
	}
	/* one worker is no pool: libmicrohttpd warns on stderr if given 1 */
	if (threads > 1)
		pool[0].value = threads;
	else
		pool[0].option = MHD_OPTION_END;
	s->d = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_ARRAY, pool,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)1000, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)256, MHD_OPTION_CONNECTION_TIMEOUT, s->timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONN_MEMORY,
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection_cb, s,
		MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s, MHD_OPTION_END);
	if (!s->d) {
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot start the HTTP server: %s",
				  strerror(errno));
		goto fail;
	}
	if ((errno = pthread_create(&s->reaper, NULL, reaper_main, s))) {
		rc = agora_errorf(err, AGORA_EIO, "cannot start a thread: %s",
				  strerror(errno));
		MHD_stop_daemon(s->d);
		goto fail;
	}
	s->reaper_started = 1;
	if ((errno = pthread_create(&s->acceptor, NULL, acceptor_main, s))) {
		rc = agora_errorf(err, AGORA_EIO, "cannot start a thread: %s",
				  strerror(errno));
		pthread_mutex_lock(&s->track_lock);
		s->reaper_stop = 1;
		pthread_cond_signal(&s->track_wake);
		pthread_mutex_unlock(&s->track_lock);
		pthread_join(s->reaper, NULL);
		MHD_stop_daemon(s->d);
		goto fail;
	}
	s->acceptor_started = 1;
	if (getsockname(s->lfd, (struct sockaddr *)&bound, &boundlen))
		port = 0;
	else if (bound.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
	else
		port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), NULL,
			0, NI_NUMERICHOST))
		snprintf(host, sizeof(host), "localhost");
	snprintf(s->url, sizeof(s->url),
		 ss.ss_family == AF_INET6 ? "http://[%s]:%u/" : "http://%s:%u/",
		 host, port);
	auth_server_set_url(s->auth, s->url);
	*out = s;
	return 0;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	wal_stop(s);
	ballot_writer_free(s->ballots);
	auth_server_free(s->auth);
	db_close(s->keep);
	theme_rules_free(s->rules);
	web_i18n_fini(&s->i18n);
	pthread_cond_destroy(&s->track_wake);
	pthread_mutex_destroy(&s->track_lock);
	pthread_cond_destroy(&s->wal_wake);
	pthread_mutex_destroy(&s->wal_lock);
	free(s->db_path);
	free(s);
	return rc;
}

const char *web_server_url(const struct web_server *s)
{
	return s->url;
}

void web_server_stop(struct web_server *s, unsigned grace_ms)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	unsigned waited = 0;

	if (!s)
		return;
	acceptor_stop(s);
	while (atomic_load(&s->in_flight) > 0 && waited < grace_ms) {
		nanosleep(&tick, NULL);
		waited += 10;
	}
	/*
	 * The hashing worker finishes its queue and resumes every suspended
	 * connection: libmicrohttpd must not be stopped with one suspended.
	 */
	auth_server_stop(s->auth);
	ballot_writer_stop(s->ballots);
	pthread_mutex_lock(&s->track_lock);
	s->reaper_stop = 1;
	pthread_cond_signal(&s->track_wake);
	pthread_mutex_unlock(&s->track_lock);
	if (s->reaper_started)
		pthread_join(s->reaper, NULL);
	wal_stop(s);
	MHD_stop_daemon(s->d); /* sends the last CLOSED notifications */
	ballot_writer_free(s->ballots);
	auth_server_free(s->auth);
	db_close(s->keep);
	theme_rules_free(s->rules);
	web_i18n_fini(&s->i18n);
	pthread_cond_destroy(&s->track_wake);
	pthread_mutex_destroy(&s->track_lock);
	pthread_cond_destroy(&s->wal_wake);
	pthread_mutex_destroy(&s->wal_lock);
	free(s->db_path);
	free(s);
}
