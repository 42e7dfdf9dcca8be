/*
 * web_int.h - private to web/: the request, the route handlers, the
 * escaping writer and the message table. Nothing outside web/ includes
 * it.
 */
#ifndef AGORA_WEB_INT_H
#define AGORA_WEB_INT_H

#include <stdint.h>
#include <time.h>

#include "compare.h"
#include "core.h"
#include "web.h"

#define WEB_MAX_URI 4096       /* request target, bytes: longer is a 400 */
#define WEB_MAX_ARGS 64	       /* query arguments */
#define WEB_MAX_SEGS 8	       /* path segments */
#define WEB_MAX_BODY 65536     /* request body: larger is a 413 */
#define WEB_MAX_PAGE (8 << 20) /* a response body */
#define WEB_MAX_QUERY 1000     /* a search query, bytes */

/* An election's export (export.c): larger than a page, still capped */
#define WEB_MAX_EXPORT (64 << 20)

enum web_lang { LANG_FR, LANG_EN };

struct web_arg {
	char *key, *val;
};

struct web_req {
	char id[24]; /* the request id, in X-Request-Id and logs */
	struct web_server *srv;
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
	char *uri;		 /* the request target as received */
	int bad_uri;		 /* AGORA_EINVAL message in err when set */
	char *seg[WEB_MAX_SEGS]; /* the path, split and decoded */
	size_t nseg;
	struct web_arg arg[WEB_MAX_ARGS]; /* the query, decoded */
	size_t narg;
	const char *param[4]; /* the route's '*' segments */
	int route;	      /* index in the route table, or a WEB_R_* */
	int lang;	      /* enum web_lang */
	int set_lang_cookie;  /* ?lang= chose it: remember it */
	int api;	      /* errors as JSON */

	/* the response */
	int status;
	const char *ctype;
	struct sb body;
	const char *etag; /* for static assets */
	int immutable;
	char disposition[128]; /* Content-Disposition, or "" */
	const char *licence;   /* a Link rel="license" URL, or NULL */
	struct agora_error err;
};

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

/* --------------------------------------------------- messages, html.c */

enum msg_id {
	M_SITE_TAGLINE,
	M_HOME,
	M_SEARCH,
	M_ELECTIONS,
	M_NO_ELECTION,
	M_CANDIDATES,
	M_CANDIDATES_N,
	M_PROPOSALS_N,
	M_THEMES,
	M_THEME,
	M_SEARCH_LABEL,
	M_SEARCH_BUTTON,
	M_COMPARE,
	M_COMPARE_BUTTON,
	M_COMPARE_PICK,
	M_COMPARE_TWO,
	M_ORDER_RULE,
	M_EMPTY_THEME,
	M_PERMALINK,
	M_HEADING,
	M_DOCUMENTS,
	M_DOC_TITLE,
	M_DOC_VERSION,
	M_DOC_DATE,
	M_DOC_SOURCE,
	M_DOC_SHA,
	M_PROGRAMME,
	M_PROPOSAL,
	M_CANDIDATE,
	M_ELECTION,
	M_DOCUMENT,
	M_VERIFY,
	M_VERIFY_TEXT,
	M_NOT_CURRENT,
	M_RESULTS,
	M_RESULTS_PER_CANDIDATE,
	M_NO_RESULT,
	M_ALL,
	M_PREV,
	M_NEXT,
	M_PAGE,
	M_NOT_FOUND,
	M_BAD_REQUEST,
	M_ERROR,
	M_LANG_SWITCH,
	M_WHOLE_GROUP,
	M_SPEAK,
	M_OFFSETS,
	M_SKIP,
	M_OPEN_DATA,
	M_OPEN_DATA_TEXT,
	M_EXPORT_JSON,
	M_EXPORT_CSV,
	M__MAX
};
const char *msg(const struct web_req *r, enum msg_id id);
/* The label of a theme in the request's language */
const char *theme_label(const struct web_req *r,
			const struct theme_coverage *t);

/* Starts a page: doctype, head, the site header; title is escaped */
void page_begin(struct web_req *r, const char *title);
void page_end(struct web_req *r);
/* A whole error page in the site's style */
void page_error(struct web_req *r, int status, const char *message);

/* ------------------------------------------------ handlers, pages.c, api.c */

typedef int (*web_handler)(struct web_req *r);

int page_home(struct web_req *r);
int page_election(struct web_req *r);
int page_compare(struct web_req *r);
int page_candidate(struct web_req *r);
int page_proposal(struct web_req *r);
int page_search(struct web_req *r);

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
int api_export(struct web_req *r);
/* An error as {"error":{"code":...,"message":...}} */
void api_error(struct web_req *r, int status, const char *code,
	       const char *message);

#endif
