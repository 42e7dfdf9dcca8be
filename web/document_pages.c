/*
 * document_pages.c - /d/{id}: one published version of a candidate's
 * document, current or replaced: its facts (version, date, source), the
 * list of every published version of that title with their "what
 * changed" links, and its proposals verbatim, each linking to its
 * permalink. Pending and rejected documents are not public: 404, as
 * for /p/{id} and the API. The candidate page links here, so that a
 * replaced version stays readable, as the issue asks.
 */
#include <stdlib.h>
#include <string.h>

#include "form_page.h"
#include "ingest.h"

struct versions {
	struct web_req *r;
	const char *title;
	int64_t shown;
	size_t n;
};

static int version_item(void *ctx, const struct ingest_doc_info *d)
{
	struct versions *v = ctx;
	struct sb *b = &v->r->body;

	if (strcmp(d->status, "published") || strcmp(d->title, v->title))
		return 0;
	html_raw(b, v->n++ ? "<li>" : "<li class=\"current\">");
	if (d->id == v->shown) {
		html_raw(b, "<strong>");
		html_textf(b, tr(v->r, "version %d"), d->version);
		html_raw(b, "</strong>");
	} else {
		html_raw(b, "<a href=\"/d/");
		html_num(b, d->id);
		html_raw(b, "\">");
		html_textf(b, tr(v->r, "version %d"), d->version);
		html_raw(b, "</a>");
	}
	html_raw(b, " — ");
	html_date(v->r, d->submitted_at);
	if (d->previous_id) {
		html_raw(b, " — <a href=\"/d/");
		html_num(b, d->id);
		html_raw(b, "/changes\">");
		html_text(b, tr(v->r, "Ce qui a changé"));
		html_raw(b, "</a>");
	}
	html_raw(b, "</li>\n");
	return 0;
}

struct props {
	struct web_req *r;
	char *last;
};

static int proposal_item(void *ctx, int64_t id, const char *path,
			 const char *text, int page)
{
	struct props *p = ctx;
	struct sb *b = &p->r->body;

	if (html_path_heading(b, &p->last, path))
		return AGORA_ENOMEM;
	html_raw(b, "<blockquote class=\"text\" id=\"p");
	html_num(b, id);
	html_raw(b, "\">");
	html_text(b, text);
	html_raw(b, " <a class=\"permalink\" href=\"/p/");
	html_num(b, id);
	html_raw(b, "\">#</a>");
	if (page > 0) {
		html_raw(b, " <span class=\"meta\">");
		html_textf(b, tr(p->r, "page %d"), page);
		html_raw(b, "</span>");
	}
	html_raw(b, "</blockquote>\n");
	return 0;
}

int web_published_document(struct web_req *r, struct ingest_doc_info *d)
{
	int64_t id;
	int rc;

	if (web_parse_id(r->param[0], &id))
		return agora_errorf(&r->err, AGORA_ENOTFOUND,
				    "no document '%s'", r->param[0]);
	if ((rc = ingest_document_info(r->db, id, d, &r->err)))
		return rc;
	if (!strcmp(d->status, "published"))
		return 0;
	ingest_doc_info_fini(d);
	return agora_errorf(&r->err, AGORA_ENOTFOUND,
			    "no published document %lld", (long long)id);
}

int page_document(struct web_req *r)
{
	struct ingest_doc_info d = {0};
	struct versions v = {r, NULL, 0, 0};
	struct props p = {r, NULL};
	struct sb *b = &r->body;
	int rc;

	if ((rc = web_published_document(r, &d)))
		return rc;
	form_candidate_head(r, d.title, d.election, d.candidate,
			    d.candidate_name);
	html_raw(b, "<p>");
	html_textf(b, tr(r, "version %d"), d.version);
	html_raw(b, " — ");
	html_date(r, d.submitted_at);
	html_raw(b, " — ");
	form_source_link(r, d.source_url);
	html_raw(b, "</p>\n<section>\n<h2>");
	html_text(b, tr(r, "Versions publiées"));
	html_raw(b, "</h2>\n<ul class=\"versions\">\n");
	v.title = d.title;
	v.shown = d.id;
	if ((rc = ingest_document_list(r->db, 0, d.candidate_id, version_item,
				       &v, &r->err)))
		goto out;
	html_raw(b, "</ul>\n</section>\n<section>\n<h2>");
	html_textf(b,
		   tr_n(r, "%zu proposition", "%zu propositions", d.proposals),
		   d.proposals);
	html_raw(b, "</h2>\n");
	rc = ingest_document_proposals(r->db, d.id, proposal_item, &p, &r->err);
	free(p.last);
	if (rc)
		goto out;
	html_raw(b, "</section>\n");
	page_end(r);
out:
	ingest_doc_info_fini(&d);
	return rc;
}
