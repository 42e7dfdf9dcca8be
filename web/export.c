/*
 * export.c - an election's open data on the web: /e/{slug}/export.json
 * and /e/{slug}/export.csv as downloads, /api/v1/elections/{e}/export
 * as the API's JSON. The body is the same stream as `agora export`,
 * gathered in the response buffer under its own, larger cap; the
 * licence travels in a Link rel="license" header as well as in the
 * data (JSON "licence", the CSV's licence column).
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

/* The export's write callback: into the response body */
static int body_write(void *ctx, const char *p, size_t n)
{
	struct web_req *r = ctx;

	return sb_append(&r->body, p, n) ? sb_error(&r->body) : 0;
}

/*
 * Streams the export into the body. Past WEB_MAX_EXPORT it says so
 * with a 500 that names the CLI, rather than fail()'s 400: the request
 * was fine, the server's limit is what stopped it.
 */
static int send_export(struct web_req *r, enum export_format fmt,
		       const char *ctype, const char *filename_suffix)
{
	const char *e = r->param[0];
	char m[300];
	int rc;

	r->body.max = WEB_MAX_EXPORT;
	rc = compare_export(r->db, e, fmt, body_write, r, &r->err);
	if (rc == AGORA_ETOOBIG) {
		LOG(LOG_ERROR, "request %s: %.200s: export over %d bytes",
		    r->id, r->uri, WEB_MAX_EXPORT);
		snprintf(m, sizeof(m),
			 "the export of '%s' is larger than this server "
			 "serves (%d MiB): use 'agora export'",
			 e, WEB_MAX_EXPORT >> 20);
		if (r->api)
			api_error(r, 500, "too_large", m);
		else
			page_error(r, 500, m);
		return 0;
	}
	if (rc) {
		sb_reset(&r->body);
		return rc;
	}
	r->ctype = ctype;
	r->licence = EXPORT_LICENCE_URL;
	/* e is a stored election's slug: [a-z0-9-] only, safe in a header */
	if (filename_suffix)
		snprintf(r->disposition, sizeof(r->disposition),
			 "attachment; filename=\"%s%s\"", e, filename_suffix);
	return 0;
}

int page_export_json(struct web_req *r)
{
	return send_export(r, EXPORT_JSON, "application/json; charset=utf-8",
			   ".json");
}

int page_export_csv(struct web_req *r)
{
	return send_export(r, EXPORT_CSV,
			   "text/csv; charset=utf-8; header=present",
			   "-proposals.csv");
}

int page_export_candidates_csv(struct web_req *r)
{
	return send_export(r, EXPORT_CSV_CANDIDATES,
			   "text/csv; charset=utf-8; header=present",
			   "-candidates.csv");
}

int page_export_material_csv(struct web_req *r)
{
	return send_export(r, EXPORT_CSV_MATERIAL,
			   "text/csv; charset=utf-8; header=present",
			   "-material.csv");
}

int api_export(struct web_req *r)
{
	return send_export(r, EXPORT_JSON, "application/json; charset=utf-8",
			   NULL);
}
