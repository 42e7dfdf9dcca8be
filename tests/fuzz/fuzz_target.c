/*
 * fuzz_target.c - libFuzzer target for the request target of every web
 * request (web/server.c: web_parse_target, web_route_find; web/pages.c:
 * web_parse_id, which reads the ids of /p/ID, /notes/ID, /d/ID/changes),
 * and the values the pages read from it and from cookies: the shuffle
 * seed (?seed= and the seed cookie: order_seed_parse) and the language
 * (?lang= and the lang cookie: web_lang_find). Any bytes up to the first
 * NUL, as libmicrohttpd hands them over.
 *
 * Invariants: a refusal says why; a target over WEB_MAX_URI is refused;
 * at most WEB_MAX_SEGS segments and WEB_MAX_ARGS arguments, each valid
 * UTF-8; the segments and arguments, percent-encoded again (url_arg) and
 * parsed, give the same ones (parse, serialise, parse); a matched route
 * is its pattern with its '*' segments filled by r->param, each not
 * empty; an id accepted by web_parse_id is positive and prints back as
 * the same digits, an accepted seed as the same hex digits (in lower
 * case); a language is one the server knows or -1.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void req_fini(struct web_req *r)
{
	size_t i;

	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	for (i = 0; i < r->narg; i++) {
		free(r->arg[i].key);
		free(r->arg[i].val);
	}
	free(r->uri);
	memset(r, 0, sizeof(*r));
}

static int parse(struct web_req *r, const char *uri, size_t n)
{
	struct agora_error none = {0};
	int rc;

	memset(r, 0, sizeof(*r));
	r->route = 0;
	r->bad_uri = n > WEB_MAX_URI; /* as uri_cb() */
	if (!(r->uri = strndup(uri, r->bad_uri ? 200 : n)))
		return AGORA_ENOMEM;
	r->err = none;
	rc = web_parse_target(r);
	if (rc && !r->err.msg[0])
		abort(); /* a refusal says why */
	if (r->bad_uri && rc != AGORA_EINVAL)
		abort();
	return rc;
}

/* The segments and arguments written back as a request target */
static void serialise(const struct web_req *r, struct sb *b)
{
	size_t i;

	if (!r->nseg)
		sb_putc(b, '/');
	for (i = 0; i < r->nseg; i++) {
		sb_putc(b, '/');
		url_arg(b, r->seg[i]);
	}
	for (i = 0; i < r->narg; i++) {
		sb_putc(b, i ? '&' : '?');
		url_arg(b, r->arg[i].key);
		sb_putc(b, '=');
		url_arg(b, r->arg[i].val);
	}
}

static void check_route(struct web_req *r)
{
	const char *pat, *e;
	size_t i = 0, np = 0, len;
	int route = web_route_find(r);

	if (route < 0)
		return;
	if (!(pat = web_route_pattern(route)))
		abort();
	if (!*pat) {
		if (r->nseg)
			abort();
		return;
	}
	for (;; pat = e + 1, i++) {
		e = strchr(pat, '/');
		len = e ? (size_t)(e - pat) : strlen(pat);
		if (i >= r->nseg)
			abort();
		if (len == 1 && *pat == '*') {
			if (np >= 4 || r->param[np] != r->seg[i] ||
			    !r->seg[i][0])
				abort();
			np++;
		} else if (strlen(r->seg[i]) != len ||
			   memcmp(r->seg[i], pat, len)) {
			abort();
		}
		if (!e)
			break;
	}
	if (i + 1 != r->nseg)
		abort();
}

/*
 * A decoded value as the pages read it: an id (/p/ID), a shuffle seed
 * (?seed=, or the same bytes in the seed cookie), a language (?lang=, or
 * the lang cookie)
 */
static void check_value(const char *s)
{
	char back[32];
	uint64_t seed;
	int64_t id;
	size_t i;
	int k;

	if (!web_parse_id(s, &id)) {
		snprintf(back, sizeof(back), "%" PRId64, id);
		if (id <= 0 || strcmp(back, s))
			abort();
	}
	if (!order_seed_parse(s, &seed)) {
		order_seed_format(seed, back);
		for (i = 0; s[i]; i++)
			if (tolower((unsigned char)s[i]) != back[i])
				abort();
		if (i != ORDER_SEED_HEX)
			abort();
	}
	k = web_lang_find(s);
	if (k < -1 || k >= LANG__MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_req r, again;
	struct sb b;
	size_t n = strnlen((const char *)data, size), i;

	if (parse(&r, (const char *)data, n))
		goto out;
	if (!r.parsed) { /* deeper than any route */
		if (r.nseg != WEB_MAX_SEGS)
			abort();
		goto out;
	}
	if (r.nseg > WEB_MAX_SEGS || r.narg > WEB_MAX_ARGS)
		abort();
	for (i = 0; i < r.nseg; i++) {
		if (!utf8_valid(r.seg[i], strlen(r.seg[i]), NULL))
			abort();
		check_value(r.seg[i]);
	}
	for (i = 0; i < r.narg; i++) {
		if (!utf8_valid(r.arg[i].key, strlen(r.arg[i].key), NULL) ||
		    !utf8_valid(r.arg[i].val, strlen(r.arg[i].val), NULL))
			abort();
		check_value(r.arg[i].val);
	}
	check_route(&r);
	sb_init(&b, 8 * WEB_MAX_URI);
	serialise(&r, &b);
	if (!sb_error(&b) && b.len <= WEB_MAX_URI) {
		if (parse(&again, b.buf, b.len) || !again.parsed ||
		    again.nseg != r.nseg || again.narg != r.narg)
			abort();
		for (i = 0; i < r.nseg; i++)
			if (strcmp(again.seg[i], r.seg[i]))
				abort();
		for (i = 0; i < r.narg; i++)
			if (strcmp(again.arg[i].key, r.arg[i].key) ||
			    strcmp(again.arg[i].val, r.arg[i].val))
				abort();
		req_fini(&again);
	}
	sb_fini(&b);
out:
	req_fini(&r);
	return 0;
}
