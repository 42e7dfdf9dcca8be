/*
 * web_int.h - private to web/: the request, the route handlers, the
 * escaping writer, and the languages (translations, dates, numbers).
 * Nothing outside web/ includes it, except web/'s tests (unit, fuzz).
 */
#ifndef AGORA_WEB_INT_H
#define AGORA_WEB_INT_H

#include <locale.h>
#include <stdint.h>
#include <time.h>

#include "compare.h"
#include "core.h"
#include "web.h"

#define WEB_MAX_URI 4096       /* request target, bytes: longer is a 400 */
#define WEB_MAX_ARGS 64	       /* query arguments */
#define WEB_MAX_SEGS 8	       /* path segments */
#define WEB_MAX_BODY 65536     /* request body: larger is a 413 */
/*
 * libmicrohttpd's memory pool per connection: the request line and
 * headers, and the response's headers. libmicrohttpd 0.9.75 zeroes the
 * whole pool between two requests on a kept-alive connection, so its
 * size is paid on every request: 64 KiB were half of a cached page's
 * instructions. 32 KiB takes at least 16 KiB of headers, as Node.js
 * and more than nginx's usual 8 KiB; measured, nearly all of it: a
 * 31,957-byte header is served, 31,966-32,000 bytes get the
 * connection closed with no answer, 33,000 a 431 (README, "Hostile
 * clients").
 */
#ifndef WEB_CONN_MEMORY
#define WEB_CONN_MEMORY 32768
#endif
/* an upload (submit.c): a document of at most 20 MiB and its form */
#define WEB_MAX_UPLOAD_FILE ((size_t)20 << 20)
#define WEB_MAX_UPLOAD (WEB_MAX_UPLOAD_FILE + 65536)
/* campaign material (material_pages.c): MATERIAL_FILE_MAX, 10 MiB */
#define WEB_MAX_MATERIAL_FILE ((size_t)10 << 20)
#define WEB_MAX_PAGE (8 << 20) /* a response body */
#define WEB_MAX_QUERY 1000     /* a search query, bytes */
#define WEB_MAX_THEMES 8       /* themes on one compare page or answer */
#define WEB_MAX_CANDIDATES 64  /* candidates on one compare page or answer */

/* An election's export (export.c): larger than a page, still capped */
#define WEB_MAX_EXPORT (64 << 20)

/* The languages of the pages; French, the first, is the default */
enum web_lang { LANG_FR, LANG_EN, LANG__MAX };

/*
 * What this server can render, found at start-up (lang.c) and read-only
 * afterwards, shared by every worker thread.
 */
struct web_i18n {
	/* the language's locale, or (locale_t)0 when it is not installed */
	locale_t loc[LANG__MAX];
	/* pages can be rendered in it: the msgids' language always, any
	 * other with its locale and its catalog */
	int avail[LANG__MAX];
	char localedir[1024]; /* where the catalogs were looked for */
};

struct web_arg {
	char *key, *val;
};

struct web_req {
	char id[24]; /* the request id, in X-Request-Id and logs */
	struct web_server *srv;
	const struct web_i18n *i18n; /* the server's languages */
	struct MHD_Connection *conn;
	struct agora_db *db; /* this thread's connection, in a read tx */
	struct timespec t0;
	int started; /* the access handler has been called once */
	int head;    /* HEAD: the body is not sent */
	int post;    /* POST: a form, for the routes that take one */
	int bad_method;
	int suspended;		/* waiting for a password hash (auth.c) */
	struct web_auth *auth;	/* session, form, cookies (auth.c), or NULL */
	size_t body_len;
	int upload_too_big; /* the uploaded file crossed its cap: 413 */
	int close;	    /* the connection is closed after the response */
	char *uri;		 /* the request target as received */
	int bad_uri;		 /* AGORA_EINVAL message in err when set */
	char *seg[WEB_MAX_SEGS]; /* the path, split and decoded */
	size_t nseg;
	int parsed; /* seg and arg hold the whole target */
	struct web_arg arg[WEB_MAX_ARGS]; /* the query, decoded */
	size_t narg;
	const char *param[4]; /* the route's '*' segments */
	int route;	      /* index in the route table, or a WEB_R_* */
	int lang;	      /* enum web_lang, one of i18n->avail */
	int set_lang_cookie;  /* ?lang= chose it: remember it */
	int api;	      /* errors as JSON */

	/* the response */
	int status;
	const char *ctype;
	struct sb body;
	const char *etag; /* for static assets */
	int immutable;
	char disposition[128]; /* Content-Disposition, or "" */
	const char *csp; /* a Content-Security-Policy of its own, or NULL */
	const char *licence;   /* a Link rel="license" URL, or NULL */
	struct agora_error err;

	/* the primary's API and board (primary_api.c) */
	struct ballot_job *ballot;    /* a ballot waiting for the writer */
	struct MHD_Response *stream;  /* a streamed 200 response, or NULL */
	struct page_body *page;	      /* a cached page's body, referenced */
	char board_head[65];	      /* X-Board-Head, or "" */
	char board_entries[24];	      /* X-Board-Entries, or "" */

	/* the visitor's shuffled order (web_order()) */
	int no_store;	       /* depends on the visitor: never cached */
	char seed_cookie[128]; /* a Set-Cookie value to send, or "" */
};

/*
 * server.c: r->uri split into decoded segments and query arguments
 * (0, or AGORA_EINVAL with a message in r->err); then the index of the
 * route whose pattern matches the segments, with its '*' segments in
 * r->param, or -1; and that route's pattern, or NULL.
 * tests/fuzz/fuzz_target.c drives them with any bytes.
 */
int web_parse_target(struct web_req *r);
int web_route_find(struct web_req *r);
const char *web_route_pattern(int route);
/* server.c: the query's first value for key, or NULL */
const char *web_arg(const struct web_req *r, const char *key);
/* server.c: ETag of an embedded file, "\"<16 hex>\"" */
const char *web_etag(const struct embedded_file *f);

/* ------------------------------------------------- escaping writer, html.c */

/*
 * Every byte of variable text reaches a page through html_text(),
 * html_attr(), url_arg() or html_marked(); html_raw() is for constant
 * markup only, as its name says.
 */
void html_raw(struct sb *b, const char *markup);
void html_text(struct sb *b, const char *s);
void html_textn(struct sb *b, const char *s, size_t n);
void html_attr(struct sb *b, const char *s);
void html_num(struct sb *b, long long v);
/* Percent-encodes s for a URL's query or path segment (safe in HTML) */
void url_arg(struct sb *b, const char *s);
/* Escapes a snippet, its \x02...\x03 marks becoming <mark>...</mark> */
void html_marked(struct sb *b, const char *snippet);
#if defined(__GNUC__)
#define HTML_SENTINEL __attribute__((sentinel))
#else
#define HTML_SENTINEL
#endif
/*
 * A table's opening and its row of column heads, the texts (escaped)
 * ending at NULL, "" an empty cell; cls NULL: no class. html_thead()
 * writes <thead> with scope="col" and opens the <tbody>; the plain
 * html_table_head() (the candidates' and editors' form pages) a first
 * row of <th>.
 */
void html_thead(struct sb *b, const char *cls, ...) HTML_SENTINEL;
void html_table_head(struct sb *b, const char *cls, ...) HTML_SENTINEL;
/*
 * A programme's heading path as an <h3>, when it differs from *last,
 * the one written before (a strdup'ed copy, NULL at first; the caller
 * frees it): proposals read in order under their headings. 0, or
 * AGORA_ENOMEM.
 */
int html_path_heading(struct sb *b, char **last, const char *path);

/* ---------------------------------------------- languages, lang.c */

/*
 * The pages' texts are gettext msgids in French, marked by tr() and
 * tr_n() (po/ has the catalogs and the workflow). Both return the text
 * in the request's language, or the msgid itself for French, for a
 * missing catalog or a missing translation. They translate under
 * uselocale() for the length of the call only: the thread's locale is
 * never left changed, and no setlocale() happens.
 */
const char *tr(const struct web_req *r, const char *msgid)
	__attribute__((format_arg(2)));
/* The singular or plural form for n: French "1 candidat", "2 candidats" */
const char *tr_n(const struct web_req *r, const char *one, const char *many,
		 unsigned long long n)
	__attribute__((format_arg(2), format_arg(3)));
/* The label of a theme in the request's language */
const char *theme_label(const struct web_req *r,
			const struct theme_coverage *t);
/* "fr", "en": the html lang, ?lang= and the cookie's value */
const char *web_lang_code(int lang);
/* The language's own name, "Français", "English" */
const char *web_lang_name(int lang);
/* The language for a code ("fr", "EN"), or -1 */
int web_lang_find(const char *code);

/*
 * Finds the locales and the catalogs (AGORA_LOCALEDIR, else the build
 * tree's po/ when agora runs from its build tree, else the installed
 * locale directory), logging a warning for each language that cannot
 * be rendered. Never fails: French is always available, at worst with
 * ISO dates and ungrouped numbers.
 */
void web_i18n_init(struct web_i18n *t);
void web_i18n_fini(struct web_i18n *t);

/*
 * The best of the available languages for an Accept-Language header
 * (RFC 9110 12.5.4, matching as RFC 4647 basic filtering, a tag's
 * primary language being enough: "fr-CA" asks for French): the highest
 * weight wins, q=0 refuses a language, "*" stands for the others, a tie
 * goes to the range listed first. When no language has a weight above
 * 0, the first available one not refused. -1 when every available
 * language is refused, the header is absent, or nothing in it parses.
 */
int lang_accept(const char *header, const int avail[LANG__MAX]);

/*
 * n with the locale's digit grouping, "1 234" (U+202F NARROW NO-BREAK
 * SPACE, as glibc's fr_FR and French typography have it) or "1,234";
 * ungrouped digits when loc is (locale_t)0. Writes at most size bytes,
 * NUL included.
 */
void lang_format_number(locale_t loc, long long n, char *buf, size_t size);
/*
 * The date of an ISO 8601 timestamp ("2027-04-22", or with a time,
 * which is not shown) through strftime_l(fmt) in loc: "22 avril 2027";
 * fmt_first for the first day of a month, "1er avril 2027" (French
 * writes the ordinal, which no strftime conversion gives). When loc is
 * (locale_t)0 or iso is not a date, buf gets the date part as stored,
 * "2027-04-22", or iso itself.
 */
void lang_format_date(locale_t loc, const char *fmt, const char *fmt_first,
		      const char *iso, char *buf, size_t size);

/* A count in the request's language, escaped */
void html_number(struct web_req *r, long long n);
/* A date in the request's language, in <time datetime="iso"> */
void html_date(struct web_req *r, const char *iso);
/*
 * Formats, then escapes the result: for translated formats such as
 * tr_n(r, "%s candidat", "%s candidats", n)
 */
void html_textf(struct sb *b, const char *fmt, ...) AGORA_PRINTF(2, 3);
/* Room for a formatted number, NUL included */
#define LANG_NUM_MAX 48
/* n formatted in the request's language into buf, returned */
const char *web_num(const struct web_req *r, long long n,
		    char buf[LANG_NUM_MAX]);

/* Starts a page: doctype, head, the site header; title is escaped */
void page_begin(struct web_req *r, const char *title);
void page_end(struct web_req *r);
/* A whole error page in the site's style */
void page_error(struct web_req *r, int status, const char *message);

/* --------------------------------------- order and themes, pages.c */

/*
 * Puts cl (alphabetical) in election e's order for this visitor. For a
 * shuffled election the seed is the API's ?seed= (16 hex digits), else
 * the visitor's cookie, else a fresh random one, which a page keeps in
 * a cookie (HttpOnly, SameSite=Lax) so that the visitor's next pages
 * agree; *seed_hex (ORDER_SEED_HEX + 1 bytes, may be NULL) receives it,
 * or "" when the order is alphabetical. The response is then never
 * cached: it belongs to one visitor. A bad ?seed= is AGORA_EINVAL.
 */
int web_order(struct web_req *r, const struct election_info *e,
	      struct candidate_list *cl, char *seed_hex);
/* The sentence that states e's order rule, in the request's language */
const char *web_order_rule(const struct web_req *r,
			   const struct election_info *e);

/*
 * Search results filtered to one shuffled election: the counts per
 * candidate in the visitor's order too (web_order()); otherwise they
 * stay alphabetical. An unknown election changes nothing. seed_hex,
 * when not NULL (ORDER_SEED_HEX + 1 bytes), gets the seed of that
 * order, or "" when none was drawn.
 */
int web_order_counts(struct web_req *r, const char *election,
		     struct search_result *res, char *seed_hex);

/* The themes asked for: every theme=a&theme=b and theme=a,b, deduplicated */
struct theme_sel {
	char *buf;
	const char *v[WEB_MAX_THEMES];
	size_t n;
};
/* More than WEB_MAX_THEMES distinct themes is AGORA_EINVAL */
int web_themes(struct web_req *r, struct theme_sel *s);
void theme_sel_fini(struct theme_sel *s);

/* ------------------------------------------------ handlers, pages.c, api.c */

typedef int (*web_handler)(struct web_req *r);

int page_home(struct web_req *r);
int page_election(struct web_req *r);
int page_compare(struct web_req *r);
int page_candidate(struct web_req *r);
int page_proposal(struct web_req *r);
int page_search(struct web_req *r);
/*
 * editor_pages.c: the context notes of a proposal, each apart from the
 * candidate's words, signed and sourced, with a link to its history
 */
int web_notes(struct web_req *r, int64_t proposal_id);

int api_elections(struct web_req *r);
int api_election(struct web_req *r);
int api_candidates(struct web_req *r);
int api_themes(struct web_req *r);
int api_compare(struct web_req *r);
int api_search(struct web_req *r);
int api_proposal(struct web_req *r);

/* export.c: an election's open data, downloaded or through the API */
int page_export_json(struct web_req *r);
int page_export_csv(struct web_req *r);
int page_export_candidates_csv(struct web_req *r);
int page_export_material_csv(struct web_req *r);
int api_export(struct web_req *r);
/*
 * primary_api.c: the primary's JSON API and its board. Ballots are
 * stored by one writer thread in batches (group commit), their requests
 * suspended meanwhile.
 */
struct ballot_writer;
/* see web_storage_back() in server.c */
void web_storage_back(struct web_server *s);
int web_storage_ro(struct web_server *s);
int ballot_writer_start(struct ballot_writer **out, const char *db_path,
			struct web_server *srv, struct agora_error *err);
/* Answers every ballot accepted, then stops the thread */
void ballot_writer_stop(struct ballot_writer *w);
void ballot_writer_free(struct ballot_writer *w);
/* server.c: the server's writer */
struct ballot_writer *web_ballot_writer(struct web_server *s);
/*
 * server.c: ingest's theme rules, loaded once when the server starts
 * (about 13 million instructions to stem the rule words) and shared by
 * every worker: theme_suggest() only reads them
 */
struct theme_rules;
const struct theme_rules *web_theme_rules(struct web_server *s);
/* primary_pages.c: the home page's list of primaries */
int primary_home_section(struct web_req *r);
int api_primary(struct web_req *r);
int api_primary_results(struct web_req *r);
int api_primary_receipt(struct web_req *r);
int api_primary_ballot(struct web_req *r);
int page_primary_board(struct web_req *r);
/* After MHD_suspend_connection: hands r->ballot to the writer */
void primary_api_enqueue(struct web_req *r);
/* After the resume: the receipt or the error */
int primary_api_continue(struct web_req *r);
void primary_api_request_free(struct web_req *r);

/* An error as {"error":{"code":...,"message":...}} */
/* api.c: o serialised into the response body, and released */
struct json_t;
int api_send(struct web_req *r, struct json_t *o);
void api_error(struct web_req *r, int status, const char *code,
	       const char *message);
/* A module's refusal (EINVAL 400, ENOTFOUND 404, EEXIST 409, ETOOBIG 429)
 * as its JSON error, then 0; any other rc is returned as it is */
int api_refusal(struct web_req *r, int rc);
/* 0 when signed in; else a 401 JSON error is made and it returns 1 */
int api_signed_in(struct web_req *r);

/* server.c: an error as JSON under /api/, else as a page */
void web_render_error(struct web_req *r, int status, const char *message);
/* 503 for a write refused for want of storage (r->err says why), with
 * one log line */
void web_storage_refused(struct web_req *r);
#define WEB_STORAGE_MESSAGE                                                    \
	"the server cannot store anything now (its storage is full or "        \
	"read-only): nothing was changed, reading still works; send it "      \
	"again later"

/* pages.c: an id in a path, 1 to 18 digits, no leading 0; else -1 */
int web_parse_id(const char *s, int64_t *id);

/*
 * material_pages.c: what voters see of a candidate's profile and
 * campaign material, published only: the biography and links, then
 * the photos, leaflets and video links, on the candidate page; the
 * same as "biography", "links" and "material" members of o, the
 * candidate's object in the API.
 */
int web_candidate_profile(struct web_req *r, int64_t candidate_id);
int web_candidate_material(struct web_req *r, int64_t candidate_id);
struct json_t;
int web_candidate_json(struct web_req *r, int64_t candidate_id,
		       struct json_t *o);

/*
 * form.c: percent-decodes s[0..n) ('+' as a space when plus) into a new
 * string; a bad escape, a NUL byte or invalid UTF-8 is AGORA_EINVAL
 */
int web_pct_decode(const char *s, size_t n, int plus, char **out);

#endif
