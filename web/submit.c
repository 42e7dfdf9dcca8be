/*
 * submit.c - candidates' programmes on the web: a candidate uploads a
 * programme (multipart/form-data, streamed and capped in server.c and
 * auth.c) for one of their own candidacies; it waits, pending and not
 * searchable, in the moderation queue; an editor of its election (or an
 * administrator) previews the extracted proposals and publishes it or
 * rejects it with a reason the candidate reads. A published version
 * replaces the previous one in the comparator, which stays readable,
 * and /d/ID/changes shows what changed between the two.
 *
 * Every page here is personal (who is signed in, a CSRF token): never
 * cached. Permissions are checked on every request, GET and POST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_page.h"
#include "ingest.h"

/* ---------------------------------------------------------- shared bits */

static void status_label(struct web_req *r, const char *status)
{
	form_status(r, status,
		    !strcmp(status, "pending")
			    ? tr(r, "en attente de modération")
		    : !strcmp(status, "published") ? tr(r, "publié")
		    : !strcmp(status, "rejected")  ? tr(r, "refusé")
						   : status);
}

/*
 * What the bytes are, from their first bytes (never the name), for the
 * message that refuses them: the formats a programme may have are
 * text (HTML, Markdown, plain text, XML, checked as UTF-8) and PDF.
 */
static const char *sniff_binary(const unsigned char *p, size_t n)
{
	if (n >= 3 && !memcmp(p, "\xff\xd8\xff", 3))
		return "JPEG";
	if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return "PNG";
	if (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return "WebP";
	if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
		return "GIF";
	if (n >= 4 && !memcmp(p, "PK\x03\x04", 4))
		return "ZIP (DOCX, ODT)";
	if (n >= 8 && !memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
		return "Microsoft Office (DOC)";
	return NULL;
}

/* ------------------------------------------------------- candidate side */

struct doc_rows {
	struct web_req *r;
	size_t n;
};

static int doc_row(void *ctx, const struct ingest_doc_info *d)
{
	struct doc_rows *dr = ctx;
	struct web_req *r = dr->r;
	struct sb *b = &r->body;

	dr->n++;
	html_raw(b, "<tr><td>");
	html_text(b, d->title);
	html_raw(b, "</td><td>");
	html_num(b, d->version);
	html_raw(b, "</td><td>");
	html_text(b, d->format);
	html_raw(b, "</td><td>");
	html_date(r, d->submitted_at);
	html_raw(b, "</td><td>");
	status_label(r, d->status);
	form_reason(r, d->reason);
	html_raw(b, "</td><td>");
	if (!strcmp(d->status, "published") && d->previous_id) {
		html_raw(b, "<a href=\"/d/");
		html_num(b, d->id);
		html_raw(b, "/changes\">");
		html_text(b, tr(r, "Ce qui a changé"));
		html_raw(b, "</a>");
	}
	html_raw(b, "</td></tr>\n");
	return 0;
}

/* A candidacy's programmes, and the form that adds one */
static int submit_section(struct web_req *r, const struct auth_grant *g,
			  int64_t cid)
{
	struct sb *b = &r->body;
	struct doc_rows dr = {r, 0};
	int rc;

	html_table_head(&r->body, "documents", tr(r, "Titre"), tr(r, "Version"),
			tr(r, "Format"), tr(r, "Déposé le"), tr(r, "État"), "",
			NULL);
	if ((rc = ingest_document_list(r->db, 0, cid, doc_row, &dr, &r->err)))
		return rc;
	html_raw(b, "</table>\n");
	html_raw(b, "<form class=\"submit\" method=\"post\" "
		    "action=\"/submit\" enctype=\"multipart/form-data\">\n");
	auth_csrf_field(r);
	form_candidacy_field(r, g);
	html_raw(b, "<p><label for=\"title\">");
	html_text(b, tr(r, "Titre du document (le même titre remplace "
			   "la version précédente)"));
	html_raw(b, "</label><br>\n<input type=\"text\" id=\"title\" "
		    "name=\"title\" maxlength=\"500\" value=\"Programme\" "
		    "required></p>\n<p><label for=\"source_url\">");
	html_text(b, tr(r, "Adresse où le document est publié"));
	html_raw(b, "</label><br>\n<input type=\"url\" id=\"source_url\" "
		    "name=\"source_url\" maxlength=\"2000\" required>"
		    "</p>\n<p><label for=\"file\">");
	html_text(b, tr(r, "Fichier (HTML, Markdown, texte, XML ou PDF, "
			   "20 Mo au plus)"));
	html_raw(b, "</label><br>\n<input type=\"file\" id=\"file\" "
		    "name=\"file\" required accept=\".html,.htm,.md,"
		    ".markdown,.txt,.xml,.pdf\"></p>\n<p><button "
		    "type=\"submit\">");
	html_text(b, tr(r, "Envoyer pour modération"));
	html_raw(b, "</button></p>\n</form>\n");
	return 0;
}

static int submit_page(struct web_req *r, const struct auth_grant_list *gl,
		       int status, const char *message, const char *done)
{
	struct sb *b = &r->body;
	int rc;

	form_page_begin(r, status, tr(r, "Déposer un programme"));
	html_raw(b, "<p><a href=\"/material\">");
	html_text(b, tr(r, "Documents de campagne"));
	html_raw(b, "</a> · <a href=\"/profile\">");
	html_text(b, tr(r, "Modifier le profil"));
	html_raw(b, "</a></p>\n");
	form_notices(r, message, done);
	if ((rc = form_candidacies(r, gl, 1, submit_section)))
		return rc;
	page_end(r);
	return 0;
}

/* Refuses what is not a programme before any write, from the bytes */
static const char *check_type(struct web_req *r, const struct sb *file)
{
	const char *bin =
		sniff_binary((const unsigned char *)file->buf, file->len);
	size_t bad;

	if (ingest_is_pdf(file->buf, file->len))
		return NULL;
	if (bin || !utf8_valid(file->buf, file->len, &bad))
		return tr(r,
			  "Type de fichier non pris en charge : un programme "
			  "est un fichier HTML, Markdown, texte (UTF-8), "
			  "XML ou PDF.");
	return NULL;
}

static int submit_post(struct web_req *r, const struct auth_grant_list *gl)
{
	struct web_auth *w = r->auth;
	struct ingest_request req = {0};
	struct ingest_result res;
	struct agora_db *db;
	struct agora_error ierr = {0};
	const struct auth_grant *g;
	const char *title = auth_form(r, "title");
	const char *url = auth_form(r, "source_url");
	const char *msg;
	int rc, status;

	if (!(g = form_candidacy(r, gl, &status, &msg))) {
		if (status == 400)
			return submit_page(r, gl, status, msg, NULL);
		auth_page_error(r, status, msg);
		return 0;
	}
	if (!w->has_file || !w->file.len)
		return submit_page(r, gl, 400,
				   tr(r, "Choisissez le fichier du programme."),
				   NULL);
	if (!url || !*url)
		return submit_page(r, gl, 400,
				   tr(r, "Indiquez l'adresse où le document "
					 "est publié."),
				   NULL);
	if ((msg = check_type(r, &w->file)))
		return submit_page(r, gl, 415, msg, NULL);
	req.election = g->election;
	req.candidate_slug = g->candidate;
	req.source_url = url;
	req.title = title && *title ? title : "Programme";
	req.format = INGEST_AUTO;
	ingest_limits_default(&req.limits);
	req.limits.max_bytes = WEB_MAX_UPLOAD_FILE;
	req.pending = 1;
	req.submitted_by = w->user.id;
	if ((rc = auth_write_db(r, &db)))
		return rc;
	/* one write transaction: a refused document leaves no row */
	rc = ingest_document(db, web_theme_rules(r->srv), &req, w->file.buf,
			     w->file.len, &res, &ierr);
	if (rc == AGORA_EINVAL || rc == AGORA_ETOOBIG ||
	    rc == AGORA_ENOTFOUND) {
		LOG(LOG_INFO, "request %s: submission refused: %s", r->id,
		    ierr.msg);
		return submit_page(r, gl, rc == AGORA_ETOOBIG ? 413 : 400,
				   ierr.msg, NULL);
	}
	if (rc) {
		r->err = ierr;
		return rc;
	}
	LOG(LOG_INFO, "request %s: document %lld submitted by user %lld", r->id,
	    (long long)res.document_id, (long long)w->user.id);
	/*
	 * Redirected, so that the list is read after the write (this
	 * request's read transaction predates it) and a reload does not
	 * post again.
	 */
	auth_redirect(r,
		      res.duplicate ? "/submit?sent=same" : "/submit?sent=1");
	return 0;
}

int page_submit(struct web_req *r)
{
	const struct form_sent sent[] = {
		{"same", tr(r, "Ce document est déjà enregistré : rien n'a "
			       "changé.")},
		{NULL, tr(r, "Document reçu : il attend la modération.")},
	};
	const struct form_page p = {
		.role = ROLE_CANDIDATE,
		.sent = sent,
		.render = submit_page,
		.post = submit_post,
	};

	return form_page_run(r, &p);
}

/* ------------------------------------------------------------ moderation */

static int queue_row(void *ctx, const struct ingest_doc_info *d)
{
	struct doc_rows *dr = ctx;
	struct web_req *r = dr->r;
	struct sb *b = &r->body;
	int rc;

	if ((rc = form_editor_of(r, d->election_id)) <= 0)
		return rc; /* another election's, or an error */
	dr->n++;
	html_raw(b, "<tr><td><a href=\"/moderation/");
	html_num(b, d->id);
	html_raw(b, "\">");
	html_text(b, d->title);
	html_raw(b, "</a></td><td>");
	html_text(b, d->candidate_name);
	html_raw(b, "</td><td>");
	html_text(b, d->election);
	html_raw(b, "</td><td>");
	html_num(b, d->version);
	html_raw(b, "</td><td>");
	html_date(r, d->submitted_at);
	html_raw(b, "</td></tr>\n");
	return 0;
}

int page_moderation(struct web_req *r)
{
	struct doc_rows dr = {r, 0};
	struct sb *b = &r->body;
	int rc;

	if (auth_require(r, ROLE_EDITOR, 0))
		return 0;
	page_begin(r, tr(r, "Modération"));
	html_raw(b, "<h1>");
	html_text(b, tr(r, "Modération"));
	html_raw(b, "</h1>\n<p><a href=\"/candidacies\">");
	html_text(b, tr(r, "Demandes de candidats"));
	html_raw(b, "</a></p>\n");
	html_table_head(&r->body, "queue", tr(r, "Titre"), tr(r, "Candidat"),
			tr(r, "Élection"), tr(r, "Version"), tr(r, "Déposé le"),
			NULL);
	if ((rc = ingest_document_list(r->db, 0, 0, queue_row, &dr, &r->err)))
		return rc;
	html_raw(b, "</table>\n");
	form_empty(r, dr.n, tr(r, "Aucun document en attente."));
	if ((rc = web_material_queue(r)))
		return rc;
	page_end(r);
	return 0;
}

struct preview {
	struct web_req *r;
	const char *last;
	char *last_buf;
};

static int preview_row(void *ctx, int64_t id, const char *path,
		       const char *text, int page)
{
	struct preview *pv = ctx;
	struct sb *b = &pv->r->body;

	(void)id;
	if (html_path_heading(b, &pv->last_buf, path))
		return AGORA_ENOMEM;
	html_raw(b, "<blockquote class=\"text\">");
	html_text(b, text);
	html_raw(b, "</blockquote>\n");
	if (page > 0) {
		html_raw(b, "<p class=\"meta\">");
		html_textf(b, tr(pv->r, "page %d"), page);
		html_raw(b, "</p>\n");
	}
	return 0;
}

static const struct form_decision document_decision = {
	.kind = DECIDE_PUBLISH,
	.what = "document",
	.path = "/moderation/",
	.back = "/moderation",
	.decide = WEB_DECIDE_DOCUMENT,
};

int page_moderate(struct web_req *r)
{
	struct ingest_doc_info d = {0};
	struct preview pv = {r, NULL, NULL};
	struct sb *b = &r->body;
	int64_t id;
	int rc, done;

	if ((rc = form_decision_id(r, &document_decision, &id, &done)) || done)
		return rc;
	if ((rc = ingest_document_info(r->db, id, &d, &r->err)))
		return rc;
	if ((rc = form_decision_gate(r, &document_decision, d.election_id, id,
				     &done)) ||
	    done)
		goto out;
	form_decision_head(r, &document_decision, d.title);
	html_raw(b, "<p>");
	html_text(b, d.candidate_name);
	html_raw(b, " — ");
	html_text(b, d.election);
	html_raw(b, " — ");
	html_textf(b, tr(r, "version %d"), d.version);
	html_raw(b, " — ");
	status_label(r, d.status);
	html_raw(b, "</p>\n<p>");
	form_source_link(r, d.source_url);
	html_raw(b, "</p>\n");
	if (!strcmp(d.status, "pending"))
		form_decision_form(r, &document_decision, d.id);
	else if (*d.reason) {
		html_raw(b, "<p class=\"reason\">");
		html_text(b, tr(r, "Motif :"));
		html_raw(b, " ");
		html_text(b, d.reason);
		html_raw(b, "</p>\n");
	}
	html_raw(b, "<section>\n<h2>");
	html_textf(b,
		   tr_n(r, "%zu proposition extraite",
			"%zu propositions extraites", d.proposals),
		   d.proposals);
	html_raw(b, "</h2>\n");
	rc = ingest_document_proposals(r->db, id, preview_row, &pv, &r->err);
	free(pv.last_buf);
	if (rc)
		goto out;
	html_raw(b, "</section>\n");
	page_end(r);
out:
	ingest_doc_info_fini(&d);
	return rc;
}

/* --------------------------------------------------------- what changed */

struct prop {
	char *path, *text;
	int used;
};

struct prop_list {
	struct prop *v;
	size_t n, cap;
};

static int prop_add(void *ctx, int64_t id, const char *path, const char *text,
		    int page)
{
	struct prop_list *l = ctx;
	struct prop *v;

	(void)id;
	(void)page;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;

		if (!(v = realloc(l->v, cap * sizeof(*v))))
			return AGORA_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n];
	v->used = 0;
	v->path = strdup(path);
	v->text = strdup(text);
	if (!v->path || !v->text) {
		free(v->path);
		free(v->text);
		return AGORA_ENOMEM;
	}
	l->n++;
	return 0;
}

static void prop_list_fini(struct prop_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].text);
	}
	free(l->v);
}

/* The next space-separated word of *s, its length in *n; NULL at the end */
static const char *next_word(const char **s, size_t *n)
{
	const char *w = *s;

	while (*w == ' ')
		w++;
	if (!*w)
		return NULL;
	*n = strcspn(w, " ");
	*s = w + *n;
	return w;
}

/*
 * How alike two proposals are, in percent: twice the words they share
 * over the words of both (Dice), each word of b used once. Proposals
 * are a few dozen words: quadratic is fine, and bounded by the cap.
 */
static int likeness(const char *a, const char *b)
{
	const char *p = a, *q, *w, *v;
	size_t na = 0, nb = 0, common = 0, n, m;
	unsigned char used[256] = {0};
	size_t k;

	for (q = b; next_word(&q, &m);)
		nb++;
	while ((w = next_word(&p, &n))) {
		na++;
		for (q = b, k = 0; (v = next_word(&q, &m)) && k < 256; k++)
			if (!used[k] && m == n && !memcmp(v, w, n)) {
				used[k] = 1;
				common++;
				break;
			}
	}
	return na + nb ? (int)(200 * common / (na + nb)) : 0;
}

static void change_item(struct web_req *r, const char *cls, const char *path,
			const char *text)
{
	struct sb *b = &r->body;

	html_raw(b, "<li class=\"");
	html_attr(b, cls);
	html_raw(b, "\">");
	if (*path) {
		html_raw(b, "<span class=\"path\">");
		html_text(b, path);
		html_raw(b, "</span> ");
	}
	html_raw(b, "<blockquote class=\"text\">");
	html_text(b, text);
	html_raw(b, "</blockquote></li>\n");
}

/*
 * The proposals added, removed and changed between a published version
 * and the one before it. A proposal whose exact text is in both is
 * unchanged (wherever it moved); of the others, an added one and the
 * removed one under the same heading that shares the most words with
 * it, at least half (Dice), are a change (old text, then new); the
 * rest are removed or added.
 */
int page_changes(struct web_req *r)
{
	struct ingest_doc_info d = {0};
	struct prop_list a = {0}, n = {0};
	struct sb *b = &r->body;
	size_t i, k, nadd = 0, ndel = 0, nchg = 0;
	int rc;

	if ((rc = web_published_document(r, &d)))
		return rc;
	if (d.previous_id &&
	    (rc = ingest_document_proposals(r->db, d.previous_id, prop_add, &a,
					    &r->err)))
		goto out;
	if ((rc = ingest_document_proposals(r->db, d.id, prop_add, &n,
					    &r->err)))
		goto out;
	for (i = 0; i < n.n; i++)
		for (k = 0; k < a.n; k++)
			if (!a.v[k].used && !strcmp(a.v[k].text, n.v[i].text)) {
				a.v[k].used = n.v[i].used = 1;
				break;
			}
	form_candidate_head(r, tr(r, "Ce qui a changé"), d.election,
			    d.candidate, d.candidate_name);
	html_raw(b, "<p>");
	html_text(b, d.title);
	html_raw(b, " — ");
	html_textf(b, tr(r, "version %d"), d.version);
	html_raw(b, "</p>\n<section>\n<h2>");
	html_text(b, tr(r, "Modifiées"));
	html_raw(b, "</h2>\n<ul class=\"changed\">\n");
	for (i = 0; i < n.n; i++) {
		size_t best = a.n;
		int score, best_score = 49;

		if (n.v[i].used)
			continue;
		for (k = 0; k < a.n; k++) {
			if (a.v[k].used || strcmp(a.v[k].path, n.v[i].path))
				continue;
			score = likeness(a.v[k].text, n.v[i].text);
			if (score > best_score) {
				best_score = score;
				best = k;
			}
		}
		if ((k = best) == a.n)
			continue;
		a.v[k].used = n.v[i].used = 2;
		nchg++;
		change_item(r, "old", a.v[k].path, a.v[k].text);
		change_item(r, "new", n.v[i].path, n.v[i].text);
	}
	html_raw(b, "</ul>\n</section>\n<section>\n<h2>");
	html_text(b, tr(r, "Ajoutées"));
	html_raw(b, "</h2>\n<ul class=\"added\">\n");
	for (i = 0; i < n.n; i++)
		if (!n.v[i].used) {
			nadd++;
			change_item(r, "added", n.v[i].path, n.v[i].text);
		}
	html_raw(b, "</ul>\n</section>\n<section>\n<h2>");
	html_text(b, tr(r, "Retirées"));
	html_raw(b, "</h2>\n<ul class=\"removed\">\n");
	for (k = 0; k < a.n; k++)
		if (!a.v[k].used) {
			ndel++;
			change_item(r, "removed", a.v[k].path, a.v[k].text);
		}
	html_raw(b, "</ul>\n</section>\n<p class=\"meta\">");
	html_textf(b, tr(r, "%zu ajoutées, %zu retirées, %zu modifiées"), nadd,
		   ndel, nchg);
	html_raw(b, "</p>\n");
	page_end(r);
out:
	prop_list_fini(&a);
	prop_list_fini(&n);
	ingest_doc_info_fini(&d);
	return rc;
}
