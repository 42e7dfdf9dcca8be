/*
 * editor_pages.c - the editors' pages (issue 4): the review screen of an
 * election (themes confirmed, rejected or added, one by one or for the
 * ticked ones), a proposal's review page (its themes and its context
 * notes), and two public pages: a note's history and an election's
 * editor log. Plain forms: checkboxes with labels, buttons, no script.
 *
 * Editors never change a proposal's text: no form here carries one, and
 * the functions of editor/ only read proposals.
 *
 * The editor log is public: the decisions it lists shape what every
 * voter sees (which proposals a theme shows, which notes sit under a
 * candidate's words), so anyone may check who decided what and when;
 * it names editors by the display name they already sign notes with,
 * never by e-mail address, and account events are not in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "editor.h"
#include "web_auth.h"

#define AUDIT_PAGE 500 /* entries of the editor log page */

/* --------------------------------------------------------- components */

static const char *label_of(const struct web_req *r,
			    const struct editor_theme *t)
{
	return r->lang == LANG_EN && *t->label_en ? t->label_en : t->label_fr;
}

static const char *status_label(struct web_req *r, const char *status)
{
	if (!strcmp(status, "confirmed"))
		return tr(r, "confirmé");
	if (!strcmp(status, "rejected"))
		return tr(r, "rejeté");
	return tr(r, "suggéré");
}

static const char *origin_label(struct web_req *r, const char *origin)
{
	if (!strcmp(origin, "heading"))
		return tr(r, "intitulé de rubrique");
	if (!strcmp(origin, "label"))
		return tr(r, "étiquette du document");
	if (!strcmp(origin, "editor"))
		return tr(r, "ajouté par un éditeur");
	return tr(r, "règle de mots-clés");
}

/* The editor's signature: the display name, else a number */
static void html_editor(struct web_req *r, const char *name, int64_t id)
{
	if (*name) {
		html_text(&r->body, name);
		return;
	}
	html_text(&r->body, tr(r, "éditeur n°"));
	html_num(&r->body, (long long)id);
}

static void html_sources(struct web_req *r, const char *sources)
{
	struct sb *b = &r->body;
	const char *p = sources, *e;

	html_raw(b, "<ul class=\"sources\">\n");
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		html_raw(b, "<li><a rel=\"nofollow noopener\" href=\"");
		/* checked by editor_sources_check(): http(s), no quotes */
		html_textn(b, p, (size_t)(e - p));
		html_raw(b, "\">");
		html_textn(b, p, (size_t)(e - p));
		html_raw(b, "</a></li>\n");
	}
	html_raw(b, "</ul>\n");
}

/* One version of a note, signed */
static void html_note(struct web_req *r, const struct editor_note *n,
		      int history_link)
{
	struct sb *b = &r->body;

	html_raw(b, "<p class=\"note-body\">");
	html_text(b, n->body);
	html_raw(b, "</p>\n<p class=\"note-sources\">");
	html_text(b, tr(r, "Sources :"));
	html_raw(b, "</p>\n");
	html_sources(r, n->sources);
	html_raw(b, "<p class=\"meta signature\">");
	html_text(b, tr(r, "Note signée par"));
	html_raw(b, " <span class=\"editor\">");
	html_editor(r, n->editor_name, n->editor_id);
	html_raw(b, "</span>, ");
	html_date(r, n->at);
	if (n->version > 1) {
		html_raw(b, " (");
		html_text(b, tr(r, "version"));
		html_raw(b, " ");
		html_num(b, n->version);
		html_raw(b, ")");
	}
	if (history_link) {
		html_raw(b, " — <a href=\"/notes/");
		html_num(b, (long long)n->id);
		html_raw(b, "\">");
		html_text(b, tr(r, "Historique de la note"));
		html_raw(b, "</a>");
	}
	html_raw(b, "</p>\n");
}

int web_notes(struct web_req *r, int64_t proposal_id)
{
	struct editor_note_list l;
	struct sb *b = &r->body;
	size_t i;
	int rc;

	if ((rc = editor_notes(r->db, proposal_id, &l, &r->err)))
		return rc;
	for (i = 0; i < l.n; i++) {
		html_raw(b, "<aside class=\"note\" aria-label=\"");
		html_attr(b, tr(r, "Note de contexte"));
		html_raw(b, "\">\n<p class=\"note-title\"><strong>");
		html_text(b, tr(r, "Note de contexte"));
		html_raw(b, "</strong> — ");
		html_text(b, tr(r, "écrite par un éditeur d'agora, pas par le "
				   "candidat"));
		html_raw(b, "</p>\n");
		html_note(r, &l.v[i], 1);
		html_raw(b, "</aside>\n");
	}
	editor_note_list_fini(&l);
	return 0;
}

/* The election of the route's first segment, for an editor of it */
static int editor_election(struct web_req *r, struct election_info *ei,
			   int *done)
{
	int rc;

	*done = 0;
	if ((rc = election_get(r->db, r->param[0], ei, &r->err)))
		return rc;
	*done = auth_require(r, ROLE_EDITOR, ei->id);
	return 0;
}

/* A write transaction on this thread's writable connection */
static int write_begin(struct web_req *r, struct agora_db **db)
{
	int rc;

	if ((rc = auth_write_begin(r, db)))
		return rc;
	if ((rc = editor_db_prepare(*db, &r->err))) {
		db_rollback(*db);
		return rc;
	}
	return 0;
}

/* "confirm:12:economy" -> decision, proposal, theme (points into s) */
static int parse_decision(const char *s, enum editor_decision *d, int64_t *pid,
			  const char **theme)
{
	const char *c1, *c2;
	char num[24];

	if (!s || !(c1 = strchr(s, ':')) || !(c2 = strchr(c1 + 1, ':')))
		return -1;
	if (!strncmp(s, "confirm:", 8) && c1 == s + 7)
		*d = EDITOR_CONFIRM;
	else if (!strncmp(s, "reject:", 7) && c1 == s + 6)
		*d = EDITOR_REJECT;
	else if (!strncmp(s, "add:", 4) && c1 == s + 3)
		*d = EDITOR_ADD;
	else
		return -1;
	if ((size_t)(c2 - c1 - 1) >= sizeof(num))
		return -1;
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = '\0';
	if (web_parse_id(num, pid) || !c2[1])
		return -1;
	*theme = c2 + 1;
	return 0;
}

/*
 * Applies the theme decisions of the posted form, all in one
 * transaction: the button "one" (a single decision), or "action" over
 * the ticked boxes ("pt": proposal:theme for confirm and reject, "p": a
 * proposal for add, with add_theme). *n receives how many changed.
 */
static int apply_decisions(struct web_req *r, int64_t election_id, size_t *n)
{
	struct web_auth *w = r->auth;
	const char *one = auth_form(r, "one"), *action = auth_form(r, "action");
	const char *add = auth_form(r, "add_theme");
	struct agora_db *db;
	enum editor_decision d;
	int64_t pid;
	const char *theme;
	char buf[200];
	size_t i;
	int rc, changed;

	*n = 0;
	if ((rc = write_begin(r, &db)))
		return rc;
	if (one) {
		if (parse_decision(one, &d, &pid, &theme)) {
			rc = agora_errorf(&r->err, AGORA_EINVAL,
					  "malformed decision");
			goto fail;
		}
		if ((rc = editor_theme_decide(db, election_id, w->user.id, pid,
					      theme, d, &changed, &r->err)))
			goto fail;
		*n += (size_t)changed;
		return auth_write_commit(r, db);
	}
	if (!action || (strcmp(action, "confirm") && strcmp(action, "reject") &&
			strcmp(action, "add"))) {
		rc = agora_errorf(&r->err, AGORA_EINVAL, "no action chosen");
		goto fail;
	}
	for (i = 0; i < w->nform; i++) {
		const char *k = w->form[i].key, *v = w->form[i].val;

		if (!strcmp(action, "add") && !strcmp(k, "p")) {
			if (!add || !*add) {
				rc = agora_errorf(&r->err, AGORA_EINVAL,
						  "choose a theme to add");
				goto fail;
			}
			snprintf(buf, sizeof(buf), "add:%s:%s", v, add);
		} else if (strcmp(action, "add") && !strcmp(k, "pt")) {
			snprintf(buf, sizeof(buf), "%s:%s", action, v);
		} else {
			continue;
		}
		if (parse_decision(buf, &d, &pid, &theme)) {
			rc = agora_errorf(&r->err, AGORA_EINVAL,
					  "malformed selection '%s'", v);
			goto fail;
		}
		if ((rc = editor_theme_decide(db, election_id, w->user.id, pid,
					      theme, d, &changed, &r->err)))
			goto fail;
		*n += (size_t)changed;
	}
	return auth_write_commit(r, db);
fail:
	db_rollback(db);
	return rc;
}

/* The error page of a refused form: 400 or 404 with the message */
static int refuse(struct web_req *r, int rc)
{
	if (rc == AGORA_EINVAL || rc == AGORA_ENOTFOUND) {
		auth_page_error(r, rc == AGORA_EINVAL ? 400 : 404, r->err.msg);
		return 0;
	}
	return rc;
}

/* A checkbox theme row with its buttons */
static void theme_row(struct web_req *r, int64_t pid,
		      const struct editor_theme *t)
{
	struct sb *b = &r->body;
	char id[120], val[120];

	snprintf(id, sizeof(id), "pt-%lld-%s", (long long)pid, t->key);
	snprintf(val, sizeof(val), "%lld:%s", (long long)pid, t->key);
	html_raw(b, "<li data-status=\"");
	html_attr(b, t->status);
	html_raw(b, "\" data-theme=\"");
	html_attr(b, t->key);
	html_raw(b, "\"><input type=\"checkbox\" name=\"pt\" id=\"");
	html_attr(b, id);
	html_raw(b, "\" value=\"");
	html_attr(b, val);
	html_raw(b, "\"> <label for=\"");
	html_attr(b, id);
	html_raw(b, "\">");
	html_text(b, label_of(r, t));
	html_raw(b, "</label> <span class=\"meta\">");
	html_text(b, status_label(r, t->status));
	html_raw(b, " · ");
	html_text(b, origin_label(r, t->origin));
	html_raw(b, " · ");
	html_text(b, tr(r, "confiance"));
	html_raw(b, " ");
	html_num(b, (long long)(t->confidence * 100 + 0.5));
	html_raw(b, " %</span>");
	if (strcmp(t->status, "confirmed")) {
		html_raw(b, " <button type=\"submit\" name=\"one\" "
			    "value=\"confirm:");
		html_attr(b, val);
		html_raw(b, "\">");
		html_text(b, tr(r, "Confirmer"));
		html_raw(b, "</button>");
	}
	if (strcmp(t->status, "rejected")) {
		html_raw(b, " <button type=\"submit\" name=\"one\" "
			    "value=\"reject:");
		html_attr(b, val);
		html_raw(b, "\">");
		html_text(b, tr(r, "Rejeter"));
		html_raw(b, "</button>");
	}
	html_raw(b, "</li>\n");
}

static void theme_options(struct web_req *r,
			  const struct theme_coverage_list *tl,
			  const char *selected, int any)
{
	struct sb *b = &r->body;
	size_t i;

	if (any) {
		html_raw(b, "<option value=\"\">");
		html_text(b, tr(r, "Tous"));
		html_raw(b, "</option>\n");
	}
	for (i = 0; i < tl->n; i++) {
		if (tl->v[i].is_group)
			continue;
		html_raw(b, "<option value=\"");
		html_attr(b, tl->v[i].key);
		html_raw(b, selected && !strcmp(selected, tl->v[i].key)
				    ? "\" selected>"
				    : "\">");
		html_text(b, theme_label(r, &tl->v[i]));
		html_raw(b, "</option>\n");
	}
}

/* One proposal under review, inside the review form */
static void review_item(struct web_req *r, const char *e,
			const struct editor_item *it, int detail_link)
{
	struct sb *b = &r->body;
	size_t i;

	html_raw(b, "<article class=\"review-item\" id=\"p");
	html_num(b, (long long)it->id);
	html_raw(b, "\">\n<h2><input type=\"checkbox\" name=\"p\" id=\"sel-");
	html_num(b, (long long)it->id);
	html_raw(b, "\" value=\"");
	html_num(b, (long long)it->id);
	html_raw(b, "\"> <label for=\"sel-");
	html_num(b, (long long)it->id);
	html_raw(b, "\">");
	html_text(b, it->given_name);
	if (*it->given_name)
		html_raw(b, " ");
	html_text(b, it->family_name);
	html_raw(b, " — ");
	html_text(b, tr(r, "Proposition"));
	html_raw(b, " ");
	html_num(b, (long long)it->id);
	html_raw(b, "</label></h2>\n");
	if (*it->heading_path) {
		html_raw(b, "<p class=\"path\">");
		html_text(b, it->heading_path);
		html_raw(b, "</p>\n");
	}
	html_raw(b, "<blockquote class=\"text\">");
	html_text(b, it->text);
	html_raw(b, "</blockquote>\n<ul class=\"review-themes\">\n");
	for (i = 0; i < it->nt; i++)
		theme_row(r, it->id, &it->t[i]);
	if (!it->nt) {
		html_raw(b, "<li class=\"meta\">");
		html_text(b, tr(r, "Aucun thème suggéré"));
		html_raw(b, "</li>\n");
	}
	html_raw(b, "</ul>\n<p class=\"meta\">");
	if (detail_link) {
		html_raw(b, "<a href=\"/e/");
		url_arg(b, e);
		html_raw(b, "/review/");
		html_num(b, (long long)it->id);
		html_raw(b, "\">");
		html_text(b, tr(r, "Notes de contexte et détail"));
		html_raw(b, "</a> · ");
	}
	html_raw(b, "<a href=\"/p/");
	html_num(b, (long long)it->id);
	html_raw(b, "\">");
	html_text(b, tr(r, "Page publique"));
	html_raw(b, "</a></p>\n</article>\n");
}

/* The bulk buttons: confirm or reject the ticked themes, add a theme */
static void bulk_actions(struct web_req *r,
			 const struct theme_coverage_list *tl)
{
	struct sb *b = &r->body;

	html_raw(b, "<fieldset class=\"bulk\">\n<legend>");
	html_text(b, tr(r, "Pour les cases cochées"));
	html_raw(b, "</legend>\n<button type=\"submit\" name=\"action\" "
		    "value=\"confirm\">");
	html_text(b, tr(r, "Confirmer les thèmes cochés"));
	html_raw(b, "</button>\n<button type=\"submit\" name=\"action\" "
		    "value=\"reject\">");
	html_text(b, tr(r, "Rejeter les thèmes cochés"));
	html_raw(b, "</button>\n<label for=\"add-theme\">");
	html_text(b, tr(r, "Thème à ajouter"));
	html_raw(b, "</label>\n<select id=\"add-theme\" name=\"add_theme\">\n");
	theme_options(r, tl, NULL, 0);
	html_raw(b, "</select>\n<button type=\"submit\" name=\"action\" "
		    "value=\"add\">");
	html_text(b, tr(r, "Ajouter aux propositions cochées"));
	html_raw(b, "</button>\n</fieldset>\n");
}

/* The filters of the review screen, from the query or the form */
static const char *filter_arg(struct web_req *r, const char *key)
{
	const char *v = r->post ? auth_form(r, key) : web_arg(r, key);

	return v && *v ? v : NULL;
}

/* The review screen's address with its filters, for links and redirects */
static void review_url(struct sb *u, const char *e, const char *cand,
		       const char *theme, int unreviewed, size_t page)
{
	sb_puts(u, "/e/");
	url_arg(u, e);
	sb_puts(u, "/review?");
	if (cand) {
		sb_puts(u, "candidate=");
		url_arg(u, cand);
		sb_puts(u, "&");
	}
	if (theme) {
		sb_puts(u, "theme=");
		url_arg(u, theme);
		sb_puts(u, "&");
	}
	if (unreviewed)
		sb_puts(u, "unreviewed=1&");
	if (page)
		sb_printf(u, "page=%zu&", page);
	if (!sb_error(u) && u->len)
		u->buf[--u->len] = '\0'; /* the last '&' or '?' */
}

static void hidden(struct sb *b, const char *name, const char *value)
{
	if (!value)
		return;
	html_raw(b, "<input type=\"hidden\" name=\"");
	html_attr(b, name);
	html_raw(b, "\" value=\"");
	html_attr(b, value);
	html_raw(b, "\">\n");
}

int page_review(struct web_req *r)
{
	struct election_info ei = {0};
	struct candidate_list cl = {0};
	struct theme_coverage_list tl = {0};
	struct editor_review rv = {0};
	struct editor_filter f = {0};
	struct sb *b = &r->body, u, title;
	const char *e = r->param[0], *pg;
	size_t i, changed;
	int rc, done;

	sb_init(&u, 4096);
	sb_init(&title, 1024);
	if ((rc = editor_election(r, &ei, &done)) || done)
		goto out;
	/* a post's filters are in its form, parsed by auth_post_ok() */
	if (r->post && auth_post_ok(r))
		goto out;
	f.candidate = filter_arg(r, "candidate");
	f.theme = filter_arg(r, "theme");
	f.unreviewed = filter_arg(r, "unreviewed") != NULL;
	pg = filter_arg(r, "page");
	if (pg)
		f.page = strtoul(pg, NULL, 10) % 100000;
	if (r->post) {
		if ((rc = apply_decisions(r, ei.id, &changed))) {
			rc = refuse(r, rc);
			goto out;
		}
		review_url(&u, e, f.candidate, f.theme, f.unreviewed, f.page);
		if (sb_error(&u)) {
			rc = AGORA_ENOMEM;
			goto out;
		}
		auth_redirect(r, u.buf);
		goto out;
	}
	if ((rc = candidate_list(r->db, e, &cl, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)) ||
	    (rc = editor_review_list(r->db, ei.id, &f, &rv, &r->err)))
		goto out;
	sb_printf(&title, "%s — %s", tr(r, "Relecture"), ei.title);
	page_begin(r, title.buf);
	html_raw(b, "<p class=\"crumbs\"><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "\">");
	html_text(b, ei.title);
	html_raw(b, "</a> · <a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/audit\">");
	html_text(b, tr(r, "Journal des éditeurs"));
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, title.buf);
	html_raw(b,
		 "</h1>\n<form class=\"filters\" method=\"get\" action=\"/e/");
	url_arg(b, e);
	html_raw(b, "/review\">\n<label for=\"f-candidate\">");
	html_text(b, tr(r, "Candidat"));
	html_raw(b, "</label>\n<select id=\"f-candidate\" name=\"candidate\">\n"
		    "<option value=\"\">");
	html_text(b, tr(r, "Tous"));
	html_raw(b, "</option>\n");
	for (i = 0; i < cl.n; i++) {
		html_raw(b, "<option value=\"");
		html_attr(b, cl.v[i].slug);
		html_raw(b, f.candidate && !strcmp(f.candidate, cl.v[i].slug)
				    ? "\" selected>"
				    : "\">");
		html_text(b, cl.v[i].given_name);
		if (*cl.v[i].given_name)
			html_raw(b, " ");
		html_text(b, cl.v[i].family_name);
		html_raw(b, "</option>\n");
	}
	html_raw(b, "</select>\n<label for=\"f-theme\">");
	html_text(b, tr(r, "Thème"));
	html_raw(b, "</label>\n<select id=\"f-theme\" name=\"theme\">\n");
	theme_options(r, &tl, f.theme, 1);
	html_raw(b, "</select>\n<input type=\"checkbox\" id=\"f-unreviewed\" "
		    "name=\"unreviewed\" value=\"1\"");
	html_raw(b, f.unreviewed ? " checked>" : ">");
	html_raw(b, " <label for=\"f-unreviewed\">");
	html_text(b, tr(r, "Non relues seulement"));
	html_raw(b, "</label>\n<button type=\"submit\">");
	html_text(b, tr(r, "Filtrer"));
	html_raw(b, "</button>\n</form>\n");
	if (!rv.n) {
		html_raw(b, "<p class=\"empty\">");
		html_text(b, tr(r, "Aucune proposition ne correspond à ces "
				   "filtres."));
		html_raw(b, "</p>\n");
		page_end(r);
		goto out;
	}
	html_raw(b, "<form class=\"review\" method=\"post\" action=\"/e/");
	url_arg(b, e);
	html_raw(b, "/review\">\n");
	auth_csrf_field(r);
	hidden(b, "candidate", f.candidate);
	hidden(b, "theme", f.theme);
	hidden(b, "unreviewed", f.unreviewed ? "1" : NULL);
	hidden(b, "page", pg);
	bulk_actions(r, &tl);
	for (i = 0; i < rv.n; i++)
		review_item(r, e, &rv.v[i], 1);
	html_raw(b, "</form>\n<p class=\"pages\">");
	if (f.page) {
		sb_reset(&u);
		review_url(&u, e, f.candidate, f.theme, f.unreviewed,
			   f.page - 1);
		html_raw(b, "<a rel=\"prev\" href=\"");
		html_attr(b, u.buf);
		html_raw(b, "\">");
		html_text(b, tr(r, "Page précédente"));
		html_raw(b, "</a> ");
	}
	if (rv.more) {
		sb_reset(&u);
		review_url(&u, e, f.candidate, f.theme, f.unreviewed,
			   f.page + 1);
		html_raw(b, "<a rel=\"next\" href=\"");
		html_attr(b, u.buf);
		html_raw(b, "\">");
		html_text(b, tr(r, "Page suivante"));
		html_raw(b, "</a>");
	}
	html_raw(b, "</p>\n");
	page_end(r);
out:
	sb_fini(&u);
	sb_fini(&title);
	election_info_fini(&ei);
	candidate_list_fini(&cl);
	theme_coverage_list_fini(&tl);
	editor_review_fini(&rv);
	return rc;
}

/* ------------------------------------------------ one proposal's review */

/* A note's form: a new note (n NULL) or a new version of n */
static void note_form(struct web_req *r, const char *e, int64_t pid,
		      const struct editor_note *n, const char *body,
		      const char *sources, const char *error)
{
	struct sb *b = &r->body;
	char id[32];

	snprintf(id, sizeof(id), "%lld", n ? (long long)n->id : 0LL);
	html_raw(b, "<form class=\"note-form\" method=\"post\" action=\"/e/");
	url_arg(b, e);
	html_raw(b, "/review/");
	html_num(b, (long long)pid);
	html_raw(b, "\">\n");
	auth_csrf_field(r);
	if (n)
		hidden(b, "note", id);
	if (error) {
		html_raw(b, "<p class=\"error\" role=\"alert\">");
		html_text(b, error);
		html_raw(b, "</p>\n");
	}
	html_raw(b, "<p><label for=\"body-");
	html_attr(b, id);
	html_raw(b, "\">");
	html_text(b, tr(r, "Texte de la note (factuel)"));
	html_raw(b, "</label><br>\n<textarea id=\"body-");
	html_attr(b, id);
	html_raw(b, "\" name=\"body\" rows=\"5\" cols=\"70\" required>");
	html_text(b, body ? body : n ? n->body : "");
	html_raw(b, "</textarea></p>\n<p><label for=\"sources-");
	html_attr(b, id);
	html_raw(b, "\">");
	html_text(b, tr(r, "Sources (une adresse http ou https par ligne, "
			   "une au moins)"));
	html_raw(b, "</label><br>\n<textarea id=\"sources-");
	html_attr(b, id);
	html_raw(b, "\" name=\"sources\" rows=\"3\" cols=\"70\" required>");
	html_text(b, sources ? sources : n ? n->sources : "");
	html_raw(b, "</textarea></p>\n<p><button type=\"submit\">");
	html_text(b, n ? tr(r, "Enregistrer une nouvelle version")
		       : tr(r, "Publier la note"));
	html_raw(b, "</button></p>\n</form>\n");
}

/*
 * The review page of one proposal; a failed note comes back with what
 * was typed and why (error, for note err_note: 0 the new one).
 */
static int review_proposal_page(struct web_req *r,
				const struct election_info *ei, int64_t pid,
				const char *error, int64_t err_note,
				const char *body, const char *sources)
{
	struct theme_coverage_list tl = {0};
	struct editor_review rv = {0};
	struct editor_note_list nl = {0};
	struct sb *b = &r->body, title;
	const char *e = ei->slug;
	size_t i;
	int rc;

	sb_init(&title, 1024);
	if ((rc = editor_review_item(r->db, ei->id, pid, &rv, &r->err)) ||
	    (rc = compare_theme_coverage(r->db, NULL, &tl, &r->err)) ||
	    (rc = editor_notes(r->db, pid, &nl, &r->err)))
		goto out;
	sb_reset(&r->body);
	if (error)
		r->status = 400;
	sb_printf(&title, "%s — %s %lld", tr(r, "Relecture"),
		  tr(r, "Proposition"), (long long)pid);
	page_begin(r, title.buf);
	html_raw(b, "<p class=\"crumbs\"><a href=\"/e/");
	url_arg(b, e);
	html_raw(b, "/review\">");
	html_text(b, tr(r, "Relecture"));
	html_raw(b, " — ");
	html_text(b, ei->title);
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, title.buf);
	html_raw(b, "</h1>\n<form class=\"review\" method=\"post\" "
		    "action=\"/e/");
	url_arg(b, e);
	html_raw(b, "/review/");
	html_num(b, (long long)pid);
	html_raw(b, "\">\n");
	auth_csrf_field(r);
	review_item(r, e, &rv.v[0], 0);
	html_raw(b, "<p><label for=\"add-theme\">");
	html_text(b, tr(r, "Thème à ajouter"));
	html_raw(b, "</label>\n<select id=\"add-theme\" name=\"add_theme\">\n");
	theme_options(r, &tl, NULL, 0);
	html_raw(b, "</select>\n<button type=\"submit\" name=\"action\" "
		    "value=\"add\">");
	html_text(b, tr(r, "Ajouter ce thème"));
	html_raw(b, "</button></p>\n</form>\n<section>\n<h2>");
	html_text(b, tr(r, "Notes de contexte"));
	html_raw(b, "</h2>\n<p>");
	html_text(b, tr(r, "Une note est factuelle et sourcée. Elle paraît "
			   "sous la proposition, séparée des mots du "
			   "candidat, signée de votre nom ; chaque "
			   "modification garde la version précédente."));
	html_raw(b, "</p>\n");
	for (i = 0; i < nl.n; i++) {
		html_raw(b, "<article class=\"note\">\n");
		html_note(r, &nl.v[i], 1);
		if (err_note == nl.v[i].id)
			note_form(r, e, pid, &nl.v[i], body, sources, error);
		else
			note_form(r, e, pid, &nl.v[i], NULL, NULL, NULL);
		html_raw(b, "</article>\n");
	}
	html_raw(b, "<h3>");
	html_text(b, tr(r, "Nouvelle note"));
	html_raw(b, "</h3>\n");
	if (!err_note && error)
		note_form(r, e, pid, NULL, body, sources, error);
	else
		note_form(r, e, pid, NULL, NULL, NULL, NULL);
	html_raw(b, "</section>\n");
	page_end(r);
out:
	sb_fini(&title);
	editor_review_fini(&rv);
	theme_coverage_list_fini(&tl);
	editor_note_list_fini(&nl);
	return rc;
}

/* Writes the posted note; AGORA_EINVAL keeps r->err's message */
static int write_note(struct web_req *r, int64_t election_id, int64_t pid,
		      int64_t note_id, const char *body, const char *sources)
{
	struct agora_db *db;
	int rc;

	if ((rc = write_begin(r, &db)))
		return rc;
	if (note_id)
		rc = editor_note_edit(db, election_id, r->auth->user.id,
				      note_id, body, sources, &r->err);
	else
		rc = editor_note_add(db, election_id, r->auth->user.id, pid,
				     body, sources, NULL, &r->err);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	return auth_write_commit(r, db);
}

int page_review_proposal(struct web_req *r)
{
	struct election_info ei = {0};
	struct sb u;
	int64_t pid, note_id = 0;
	const char *note;
	size_t changed;
	int rc, done;

	sb_init(&u, 1024);
	if ((rc = editor_election(r, &ei, &done)) || done)
		goto out;
	if (web_parse_id(r->param[1], &pid)) {
		rc = agora_errorf(&r->err, AGORA_ENOTFOUND, "no proposal '%s'",
				  r->param[1]);
		goto out;
	}
	if (!r->post) {
		rc = review_proposal_page(r, &ei, pid, NULL, 0, NULL, NULL);
		goto out;
	}
	if (auth_post_ok(r))
		goto out;
	if (auth_form(r, "body") || auth_form(r, "sources")) {
		note = auth_form(r, "note");
		if (note && web_parse_id(note, &note_id)) {
			rc = refuse(r, agora_errorf(&r->err, AGORA_ENOTFOUND,
						    "no note '%s'", note));
			goto out;
		}
		rc = write_note(r, ei.id, pid, note_id, auth_form(r, "body"),
				auth_form(r, "sources"));
		if (rc == AGORA_EINVAL) {
			char *msg = strdup(r->err.msg);

			if (!msg) {
				rc = AGORA_ENOMEM;
				goto out;
			}
			rc = review_proposal_page(r, &ei, pid, msg, note_id,
						  auth_form(r, "body"),
						  auth_form(r, "sources"));
			free(msg);
			goto out;
		}
	} else {
		rc = apply_decisions(r, ei.id, &changed);
	}
	if (rc) {
		rc = refuse(r, rc);
		goto out;
	}
	sb_puts(&u, "/e/");
	url_arg(&u, ei.slug);
	sb_printf(&u, "/review/%lld", (long long)pid);
	if (sb_error(&u)) {
		rc = AGORA_ENOMEM;
		goto out;
	}
	auth_redirect(r, u.buf);
out:
	sb_fini(&u);
	election_info_fini(&ei);
	return rc;
}

/* ------------------------------------------------------ public pages */

int page_note(struct web_req *r)
{
	struct editor_note_list h = {0};
	struct sb *b = &r->body, title;
	int64_t id;
	size_t i;
	int rc;

	sb_init(&title, 256);
	if (web_parse_id(r->param[0], &id)) {
		rc = agora_errorf(&r->err, AGORA_ENOTFOUND, "no note '%s'",
				  r->param[0]);
		goto out;
	}
	if ((rc = editor_note_history(r->db, id, &h, &r->err)))
		goto out;
	sb_printf(&title, "%s %lld", tr(r, "Historique de la note"),
		  (long long)id);
	page_begin(r, title.buf);
	html_raw(b, "<h1>");
	html_text(b, title.buf);
	html_raw(b, "</h1>\n<p><a href=\"/p/");
	html_num(b, (long long)h.v[0].proposal_id);
	html_raw(b, "\">");
	html_text(b, tr(r, "La proposition annotée"));
	html_raw(b, "</a></p>\n<p>");
	html_text(b, tr(r, "Chaque version de cette note, la plus récente "
			   "d'abord. Une note de contexte est écrite par un "
			   "éditeur d'agora, pas par le candidat."));
	html_raw(b, "</p>\n");
	for (i = 0; i < h.n; i++) {
		html_raw(b, "<article class=\"note\" id=\"v");
		html_num(b, h.v[i].version);
		html_raw(b, "\">\n<h2>");
		html_text(b, tr(r, "Version"));
		html_raw(b, " ");
		html_num(b, h.v[i].version);
		if (!i) {
			html_raw(b, " (");
			html_text(b, tr(r, "actuelle"));
			html_raw(b, ")");
		}
		html_raw(b, "</h2>\n");
		html_note(r, &h.v[i], 0);
		html_raw(b, "</article>\n");
	}
	page_end(r);
out:
	sb_fini(&title);
	editor_note_list_fini(&h);
	return rc;
}

static const char *action_label(struct web_req *r, const char *action)
{
	if (!strcmp(action, "theme.confirm"))
		return tr(r, "thème confirmé");
	if (!strcmp(action, "theme.reject"))
		return tr(r, "thème rejeté");
	if (!strcmp(action, "theme.add"))
		return tr(r, "thème ajouté");
	if (!strcmp(action, "note.add"))
		return tr(r, "note écrite");
	if (!strcmp(action, "note.edit"))
		return tr(r, "note modifiée");
	return action;
}

int page_audit(struct web_req *r)
{
	struct election_info ei = {0};
	struct editor_audit_list al = {0};
	struct sb *b = &r->body, title;
	size_t i;
	int rc;

	sb_init(&title, 1024);
	if ((rc = election_get(r->db, r->param[0], &ei, &r->err)) ||
	    (rc = editor_audit(r->db, ei.id, AUDIT_PAGE, &al, &r->err)))
		goto out;
	sb_printf(&title, "%s — %s", tr(r, "Journal des éditeurs"), ei.title);
	page_begin(r, title.buf);
	html_raw(b, "<p class=\"crumbs\"><a href=\"/e/");
	url_arg(b, ei.slug);
	html_raw(b, "\">");
	html_text(b, ei.title);
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, title.buf);
	html_raw(b, "</h1>\n<p>");
	html_text(b, tr(r, "Chaque décision des éditeurs sur les thèmes et les "
			   "notes de cette élection, la plus récente d'abord. "
			   "Le journal est chaîné par empreintes : la commande "
			   "« agora verify » le vérifie."));
	html_raw(b, "</p>\n");
	if (!al.n) {
		html_raw(b, "<p class=\"empty\">");
		html_text(b, tr(r, "Aucune décision pour l'instant."));
		html_raw(b, "</p>\n");
		page_end(r);
		goto out;
	}
	html_raw(b, "<div class=\"grid\" tabindex=\"0\" role=\"region\" "
		    "aria-label=\"");
	html_attr(b, tr(r, "Journal des éditeurs"));
	html_raw(b, "\">\n");
	html_thead(b, "audit", "n°", tr(r, "Date"), tr(r, "Éditeur"),
		   tr(r, "Action"), tr(r, "Objet"), tr(r, "Avant et après"),
		   NULL);
	for (i = 0; i < al.n; i++) {
		const struct editor_audit_entry *a = &al.v[i];

		html_raw(b, "<tr data-action=\"");
		html_attr(b, a->action);
		html_raw(b, "\"><td>");
		html_num(b, (long long)a->seq);
		html_raw(b, "</td><td><time datetime=\"");
		html_attr(b, a->at);
		html_raw(b, "\">");
		html_text(b, a->at);
		html_raw(b, "</time></td><td>");
		html_editor(r, a->actor_name, a->actor);
		html_raw(b, "</td><td>");
		html_text(b, action_label(r, a->action));
		html_raw(b, "</td><td><a href=\"/p/");
		/* "proposal:N", as editor/ writes it */
		html_text(b, a->object + strlen("proposal:"));
		html_raw(b, "\">");
		html_text(b, a->object);
		html_raw(b, "</a></td><td><code>");
		html_text(b, a->detail);
		html_raw(b, "</code></td></tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n</div>\n");
	page_end(r);
out:
	sb_fini(&title);
	election_info_fini(&ei);
	editor_audit_list_fini(&al);
	return rc;
}
