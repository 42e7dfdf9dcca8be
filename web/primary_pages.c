/*
 * primary_pages.c - the citizen's side of the primary, in HTML that
 * works without JavaScript (issue 5): the primary's page, declaring a
 * candidacy, supports, the open-mode credential, the voting form, the
 * receipt and the results with their merit-profile chart.
 *
 * None of these pages is cached (their routes are plain ROUTE or
 * ROUTE_FORM): counts are live, and most show one visitor's state. Every
 * change is a POST with its CSRF token, answered by a redirect (303) or
 * a page; refusals change nothing (the module's transaction is rolled
 * back). Votes need no account: the credential code is the right to
 * vote, and no page or log line ties an account to a code or a ballot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ingest.h"
#include "material.h"
#include "primary.h"
#include "web_auth.h"

/* ---------------------------------------------------------- helpers */

struct primary_page {
	struct primary_info p;
	struct primary_candidate *c;
	size_t nc, nq; /* candidates, and how many are qualified (first) */
};

static void primary_page_fini(struct primary_page *pp)
{
	primary_candidates_free(pp->c, pp->nc);
	primary_info_fini(&pp->p);
}

static int primary_page_load(struct web_req *r, struct primary_page *pp)
{
	int rc;
	size_t i;

	memset(pp, 0, sizeof(*pp));
	if ((rc = primary_citizen_db_prepare(r->db, &r->err)) ||
	    (rc = primary_get(r->db, r->param[0], &pp->p, &r->err)))
		return rc;
	if ((rc = primary_candidates(r->db, pp->p.id, &pp->c, &pp->nc,
				     &r->err)))
		return rc;
	for (i = 0; i < pp->nc; i++)
		if (!strcmp(pp->c[i].status, "qualified"))
			pp->nq++;
	return 0;
}

static void primary_link(struct web_req *r, const char *slug, const char *sub)
{
	html_raw(&r->body, "/primary/");
	url_arg(&r->body, slug);
	html_raw(&r->body, sub);
}

/*
 * The candidates' photos: the newest published photo of the comparator
 * candidate of the same slug in the primary's election (declared with
 * the candidacy, or sent later through /material), once an editor has
 * published it. One per candidate of pp->c, id 0 when none.
 */
struct photo {
	int64_t id;
	unsigned width, height;
};

struct photo_map {
	const struct primary_page *pp;
	struct photo *v;
};

static int photo_row(void *ctx, const struct material_item *m)
{
	struct photo_map *pm = ctx;
	size_t i;

	for (i = 0; i < pm->pp->nc; i++)
		if (!strcmp(pm->pp->c[i].slug, m->candidate)) {
			pm->v[i].id = m->id;
			pm->v[i].width = m->width;
			pm->v[i].height = m->height;
		}
	return 0;
}

static int photos_load(struct web_req *r, const struct primary_page *pp,
		       struct photo **out)
{
	struct photo_map pm = {pp, calloc(pp->nc ? pp->nc : 1,
					  sizeof(struct photo))};
	int rc;

	*out = NULL;
	if (!pm.v)
		return agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	if ((rc = material_election_photos(r->db, pp->p.slug, photo_row, &pm,
					   &r->err))) {
		free(pm.v);
		return rc;
	}
	*out = pm.v;
	return 0;
}

/* The portrait, sized by its own proportions (the CSS caps its width) */
static void photo_img(struct web_req *r, const struct photo *ph,
		      const char *name)
{
	struct sb *b = &r->body;

	if (!ph->id)
		return;
	html_raw(b, "<img class=\"portrait\" src=\"/m/");
	html_num(b, ph->id);
	html_raw(b, "\" alt=\"");
	html_attr(b, name);
	html_raw(b, "\" width=\"");
	html_num(b, ph->width);
	html_raw(b, "\" height=\"");
	html_num(b, ph->height);
	html_raw(b, "\" loading=\"lazy\">");
}

static void page_head(struct web_req *r, const struct primary_page *pp,
		      const char *title)
{
	struct sb *b = &r->body;

	page_begin(r, title);
	html_raw(b, "<p class=\"crumbs\"><a href=\"");
	primary_link(r, pp->p.slug, "");
	html_raw(b, "\">");
	html_text(b, pp->p.title);
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, title);
	html_raw(b, "</h1>\n");
}

static void para(struct web_req *r, const char *cls, const char *text)
{
	html_raw(&r->body, cls ? "<p class=\"" : "<p>");
	if (cls) {
		html_attr(&r->body, cls);
		html_raw(&r->body, "\">");
	}
	html_text(&r->body, text);
	html_raw(&r->body, "</p>\n");
}

static void form_begin(struct web_req *r, const char *slug, const char *sub,
		       const char *cls)
{
	html_raw(&r->body, "<form class=\"");
	html_attr(&r->body, cls);
	html_raw(&r->body, "\" method=\"post\" action=\"");
	primary_link(r, slug, sub);
	html_raw(&r->body, "\">\n");
	auth_csrf_field(r);
}

static void hidden(struct web_req *r, const char *name, const char *value)
{
	html_raw(&r->body, "<input type=\"hidden\" name=\"");
	html_attr(&r->body, name);
	html_raw(&r->body, "\" value=\"");
	html_attr(&r->body, value);
	html_raw(&r->body, "\">\n");
}

static void button(struct web_req *r, const char *text)
{
	html_raw(&r->body, "<button type=\"submit\">");
	html_text(&r->body, text);
	html_raw(&r->body, "</button>\n");
}

static const char *phase_label(struct web_req *r, const char *phase)
{
	if (!strcmp(phase, "declaration"))
		return tr(r, "déclaration des candidatures");
	if (!strcmp(phase, "support"))
		return tr(r, "parrainages");
	if (!strcmp(phase, "vote"))
		return tr(r, "vote");
	return tr(r, "clos");
}

static const char *status_label(struct web_req *r, const char *status)
{
	if (!strcmp(status, "qualified"))
		return tr(r, "qualifié");
	if (!strcmp(status, "withdrawn"))
		return tr(r, "retiré");
	return tr(r, "déclaré");
}

/*
 * The account rule of candidacies, supports and credentials: signed in
 * with a verified e-mail address. 0 when it holds; otherwise the
 * response is made (sign-in redirect or 403) and it returns 1.
 */
static int citizen_required(struct web_req *r)
{
	if (!auth_signed_in(r)) {
		auth_redirect(r, "/signin");
		return 1;
	}
	if (!r->auth->user.verified) {
		auth_page_error(r, 403,
				tr(r, "Confirmez d'abord votre adresse "
				      "électronique : le lien est dans le "
				      "courriel reçu à l'inscription."));
		return 1;
	}
	return 0;
}

/* A module's refusal as a page: what was refused, and why */
static int refused(struct web_req *r, int rc, const char *what)
{
	int status;
	char m[1400];

	switch (rc) {
	case AGORA_EEXIST:
		status = 409;
		break;
	case AGORA_ENOTFOUND:
		status = 404;
		break;
	case AGORA_EINVAL:
	case AGORA_ETOOBIG:
		status = 400;
		break;
	default:
		return rc; /* internal: server.c logs it, 500 */
	}
	snprintf(m, sizeof(m), "%s (%s)", what, r->err.msg);
	auth_page_error(r, status, m);
	return 0;
}

static int write_db(struct web_req *r, struct agora_db **db)
{
	int rc = auth_write_db(r, db);

	return rc ? rc : primary_citizen_db_prepare(*db, &r->err);
}

/* 1 when the visitor is an administrator, 0 when not, <0 on error */
static int is_admin(struct web_req *r)
{
	if (!auth_signed_in(r))
		return 0;
	return auth_user_can(r->db, r->auth->user.id, ROLE_ADMIN, 0,
			     &r->err);
}

/*
 * A planned date (UTC, "YYYY-MM-DDTHH:MM:SSZ"): "planned for" the day
 * in the visitor's language and the hour, said to be UTC
 */
static void planned_date(struct web_req *r, const char *at)
{
	struct sb *b = &r->body;

	html_raw(b, "<span class=\"planned\" data-at=\"");
	html_attr(b, at);
	html_raw(b, "\">");
	html_text(b, tr(r, "prévue le"));
	html_raw(b, " ");
	html_date(r, at);
	/* TRANSLATORS: the hour after a date, in UTC: ", 09:00 UTC" */
	html_textf(b, tr(r, ", %.5s UTC"), at + 11);
	html_raw(b, "</span>");
}

static int is_in(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* ------------------------------------------------------ home page */

/*
 * The home page's list of primaries, each with its phase and a link to
 * its page. The home page is cached: a new primary (its election row)
 * and a phase change bump the cache generation (triggers, core/schema.c).
 */
int primary_home_section(struct web_req *r)
{
	struct primary_summary *v = NULL;
	struct sb *b = &r->body;
	size_t n, i;
	int rc;

	if ((rc = primary_db_prepare(r->db, &r->err)) ||
	    (rc = primary_list(r->db, &v, &n, &r->err)))
		return rc;
	if (n) {
		html_raw(b, "<section class=\"primaries\" id=\"primaries\">"
			    "\n<h2>");
		html_text(b, tr(r, "Primaires citoyennes"));
		html_raw(b, "</h2>\n<ul class=\"primaries\">\n");
	}
	for (i = 0; i < n; i++) {
		html_raw(b, "<li><a href=\"");
		primary_link(r, v[i].slug, "");
		html_raw(b, "\">");
		html_text(b, v[i].title);
		html_raw(b, "</a> <span class=\"meta\" data-phase=\"");
		html_attr(b, v[i].phase);
		html_raw(b, "\">");
		html_text(b, tr(r, "phase :"));
		html_raw(b, " ");
		html_text(b, phase_label(r, v[i].phase));
		html_raw(b, "</span></li>\n");
	}
	if (n)
		html_raw(b, "</ul>\n</section>\n");
	primary_summaries_free(v, n);
	return 0;
}

/* ------------------------------------------------ /primary/{slug} */

int page_primary(struct web_req *r)
{
	static const char *const phases[] = {"declaration", "support", "vote",
					     "closed"};
	struct primary_citizen me = {0};
	struct photo *photos = NULL;
	struct primary_schedule plan;
	struct primary_page pp;
	struct sb *b = &r->body;
	char head[65], num[LANG_NUM_MAX];
	int rc, open = 0, citizen, can_support;
	size_t i;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if ((rc = primary_open_mode(r->db, pp.p.id, &open, &r->err)))
		goto out;
	citizen = auth_signed_in(r) && r->auth->user.verified;
	if (citizen &&
	    (rc = primary_citizen_get(r->db, pp.p.id, r->auth->user.id, &me,
				      &r->err)))
		goto out;
	can_support = citizen && (!strcmp(pp.p.phase, "declaration") ||
				  !strcmp(pp.p.phase, "support"));
	page_begin(r, pp.p.title);
	html_raw(b, "<p class=\"crumbs\"><a href=\"/#primaries\">");
	html_text(b, tr(r, "Primaires citoyennes"));
	html_raw(b, "</a></p>\n<h1>");
	html_text(b, pp.p.title);
	html_raw(b, "</h1>\n<section class=\"phase\">\n<p>");
	html_text(b, tr(r, "Phase en cours :"));
	html_raw(b, " <strong data-phase=\"");
	html_attr(b, pp.p.phase);
	html_raw(b, "\">");
	html_text(b, phase_label(r, pp.p.phase));
	html_raw(b, "</strong></p>\n<ol class=\"phases\">\n");
	if ((rc = primary_schedule_get(r->db, pp.p.id, &plan, &r->err)))
		goto out;
	for (i = 0; i < 4; i++) {
		html_raw(b, "<li data-phase=\"");
		html_attr(b, phases[i]);
		html_raw(b, "\">");
		html_text(b, phase_label(r, phases[i]));
		if (*plan.began[i]) {
			html_raw(b, " — <span class=\"began\">");
			html_text(b, tr(r, "depuis le"));
			html_raw(b, " ");
			html_date(r, plan.began[i]);
			html_raw(b, "</span>");
		}
		if (*plan.planned[i]) {
			html_raw(b, *plan.began[i] ? " (" : " — ");
			planned_date(r, plan.planned[i]);
			html_raw(b, *plan.began[i] ? ")" : "");
		}
		html_raw(b, "</li>\n");
	}
	html_raw(b, "</ol>\n");
	if ((rc = is_admin(r)) < 0)
		goto out;
	if (rc) {
		html_raw(b, "<p class=\"organiser\"><a href=\"");
		primary_link(r, pp.p.slug, "/admin");
		html_raw(b, "\">");
		html_text(b, tr(r, "Organiser : phases et calendrier"));
		html_raw(b, "</a></p>\n");
	}
	rc = 0;
	html_raw(b, "<p>");
	/* two sentences, each with its own plural ("1 parrainage") */
	html_textf(b,
		   tr_n(r, "Un candidat déclaré est qualifié pour le vote "
			   "avec %s parrainage.",
			"Un candidat déclaré est qualifié pour le vote "
			"avec %s parrainages.",
			(unsigned long long)pp.p.support_threshold),
		   web_num(r, pp.p.support_threshold, num));
	html_raw(b, " ");
	html_textf(b,
		   tr_n(r, "Chaque citoyen parraine au plus %d candidat, et "
			   "peut retirer son parrainage jusqu'à la fin de la "
			   "phase des parrainages.",
			"Chaque citoyen parraine au plus %d candidats, et "
			"peut retirer un parrainage jusqu'à la fin de la "
			"phase des parrainages.",
			(unsigned long long)pp.p.max_supports),
		   pp.p.max_supports);
	html_raw(b, "</p>\n</section>\n");

	/* how to take part */
	html_raw(b, "<section class=\"take-part\">\n<h2>");
	html_text(b, tr(r, "Participer"));
	html_raw(b, "</h2>\n<ul>\n");
	if (!citizen) {
		html_raw(b, "<li>");
		html_text(b, tr(r, "Pour déclarer une candidature, parrainer "
				   "ou recevoir un code de vote, il faut un "
				   "compte dont l'adresse est confirmée."));
		html_raw(b, " <a href=\"/signin\">");
		html_text(b, tr(r, "Se connecter"));
		html_raw(b, "</a></li>\n");
	}
	if (!strcmp(pp.p.phase, "declaration")) {
		html_raw(b, "<li><a href=\"");
		primary_link(r, pp.p.slug, "/declare");
		html_raw(b, "\">");
		html_text(b, tr(r, "Déclarer sa candidature"));
		html_raw(b, "</a></li>\n");
	}
	if (open && strcmp(pp.p.phase, "closed")) {
		html_raw(b, "<li><a href=\"");
		primary_link(r, pp.p.slug, "/credential");
		html_raw(b, "\">");
		html_text(b, tr(r, "Recevoir mon code de vote"));
		html_raw(b, "</a></li>\n");
	}
	if (!strcmp(pp.p.phase, "vote")) {
		html_raw(b, "<li><a href=\"");
		primary_link(r, pp.p.slug, "/vote");
		html_raw(b, "\">");
		html_text(b, tr(r, "Voter"));
		html_raw(b, "</a></li>\n");
	}
	if (!strcmp(pp.p.phase, "closed") || pp.p.results_public) {
		html_raw(b, "<li><a href=\"");
		primary_link(r, pp.p.slug, "/results");
		html_raw(b, "\">");
		html_text(b, tr(r, "Résultats"));
		html_raw(b, "</a></li>\n");
	}
	html_raw(b, "</ul>\n");
	if (citizen && can_support) {
		html_raw(b, "<p class=\"mine\">");
		html_textf(b,
			   tr(r, "Vous parrainez %zu candidats sur %d "
				 "possibles."),
			   me.nsupports, pp.p.max_supports);
		html_raw(b, "</p>\n");
	}
	html_raw(b, "</section>\n");

	/* the candidates */
	html_raw(b, "<section class=\"candidates\">\n<h2>");
	html_text(b, tr(r, "Candidats"));
	html_raw(b, "</h2>\n");
	if (!pp.nc)
		para(r, "meta", tr(r, "Aucune candidature pour l'instant."));
	if ((rc = photos_load(r, &pp, &photos)))
		goto out;
	for (i = 0; i < pp.nc; i++) {
		const struct primary_candidate *c = &pp.c[i];
		char *statement = NULL;

		if ((rc = primary_statement(r->db, c->id, &statement, &r->err)))
			goto out;
		html_raw(b, "<article class=\"candidacy\" id=\"c-");
		html_attr(b, c->slug);
		html_raw(b, "\" data-status=\"");
		html_attr(b, c->status);
		html_raw(b, "\">\n");
		photo_img(r, &photos[i], c->name);
		html_raw(b, "<h3>");
		html_text(b, c->name);
		html_raw(b, "</h3>\n<p class=\"meta\">");
		html_text(b, status_label(r, c->status));
		if (!strcmp(c->registered_by, "citizen")) {
			html_raw(b, " · <span class=\"supports\" "
				    "data-supports=\"");
			html_num(b, (long long)c->supports);
			html_raw(b, "\">");
			html_textf(b,
				   tr_n(r, "%s parrainage", "%s parrainages",
					(unsigned long long)c->supports),
				   web_num(r, c->supports, num));
			html_raw(b, "</span>");
		}
		html_raw(b, "</p>\n");
		if (*statement) {
			html_raw(b, "<blockquote class=\"statement\">");
			html_text(b, statement);
			html_raw(b, "</blockquote>\n");
		}
		free(statement);
		if (can_support && !strcmp(c->registered_by, "citizen") &&
		    (!strcmp(c->status, "declared") ||
		     is_in(me.supports, me.nsupports, c->slug))) {
			int mine = is_in(me.supports, me.nsupports, c->slug);

			form_begin(r, pp.p.slug, "/support", "support");
			hidden(r, "candidate", c->slug);
			hidden(r, "action", mine ? "revoke" : "support");
			button(r, mine ? tr(r, "Retirer mon parrainage")
				       : tr(r, "Parrainer"));
			html_raw(b, "</form>\n");
		}
		html_raw(b, "</article>\n");
	}
	html_raw(b, "</section>\n");

	/* the board */
	html_raw(b, "<section class=\"board\">\n<h2>");
	html_text(b, tr(r, "Le tableau d'affichage public"));
	html_raw(b, "</h2>\n<p>");
	rc = primary_board_head_hash(r->db, pp.p.id, head, &r->err);
	if (rc == AGORA_ENOTFOUND) {
		html_text(b, tr(r, "Le tableau est encore vide."));
		rc = 0;
	} else if (rc) {
		goto out;
	} else {
		html_text(b, tr(r, "Dernière empreinte du tableau (notez-la "
				   "pour vérifier plus tard que rien n'a été "
				   "réécrit) :"));
		html_raw(b, " <code class=\"hash\">");
		html_text(b, head);
		html_raw(b, "</code>");
	}
	html_raw(b, " <a href=\"");
	primary_link(r, pp.p.slug, "/board");
	html_raw(b, "\">");
	html_text(b, tr(r, "Lire le tableau"));
	html_raw(b, "</a></p>\n</section>\n");
	page_end(r);
out:
	free(photos);
	primary_citizen_fini(&me);
	primary_page_fini(&pp);
	return rc;
}

/* --------------------------------------- /primary/{slug}/support */

int page_primary_support(struct web_req *r)
{
	const char *cand, *action;
	struct agora_db *db;
	struct sb to;
	int rc;

	if (!r->post) {
		/* a GET has nothing to do here: back to the primary */
		sb_init(&to, 1024);
		sb_puts(&to, "/primary/");
		url_arg(&to, r->param[0]);
		auth_redirect(r, sb_error(&to) ? "/" : to.buf);
		sb_fini(&to);
		return 0;
	}
	if (auth_post_ok(r) || citizen_required(r))
		return 0;
	cand = auth_form(r, "candidate");
	action = auth_form(r, "action");
	if (!cand || !action ||
	    (strcmp(action, "support") && strcmp(action, "revoke"))) {
		auth_page_error(r, 400, tr(r, "Formulaire incomplet."));
		return 0;
	}
	if ((rc = write_db(r, &db)))
		return rc;
	rc = primary_support(db, r->param[0], r->auth->user.id, cand,
			     !strcmp(action, "support"), &r->err);
	if (rc)
		return refused(r, rc,
			       tr(r, "Ce parrainage est refusé et rien n'a "
				     "changé."));
	sb_init(&to, 1024);
	sb_puts(&to, "/primary/");
	url_arg(&to, r->param[0]);
	sb_puts(&to, "#c-");
	url_arg(&to, cand);
	auth_redirect(r, sb_error(&to) ? "/" : to.buf);
	sb_fini(&to);
	return 0;
}

/* ----------------------------------------- /primary/{slug}/admin */

/* What moving to phase does, for the confirmation */
static const char *phase_effect(struct web_req *r, const char *phase)
{
	if (!strcmp(phase, "support"))
		return tr(r, "Les citoyens pourront parrainer les candidats "
			     "déclarés.");
	if (!strcmp(phase, "vote"))
		return tr(r, "La liste des candidats qualifiés sera figée et "
			     "le vote ouvert.");
	return tr(r, "Le vote sera clos et le résultat, signé, publié sur "
		     "le tableau d'affichage.");
}

/*
 * The planned dates of the phases still to come, each a datetime-local
 * field read as UTC (said next to it); an emptied field withdraws that
 * date. Phases already reached show the date they began instead.
 */
static int schedule_form(struct web_req *r, const struct primary_page *pp)
{
	static const char *const phases[4] = {"declaration", "support", "vote",
					      "closed"};
	static const char *const fields[4] = {"", "support", "vote", "close"};
	struct primary_schedule plan;
	struct sb *b = &r->body;
	int rc, i, have = 0;

	if ((rc = primary_schedule_get(r->db, pp->p.id, &plan, &r->err)))
		return rc;
	html_raw(b, "<h2>");
	html_text(b, tr(r, "Calendrier annoncé"));
	html_raw(b, "</h2>\n");
	para(r, "meta",
	     tr(r, "Les dates prévues sont annoncées sur la page de la "
		   "primaire et dans son API. Elles ne changent pas la phase "
		   "d'elles-mêmes : chaque passage reste votre décision, "
		   "ci-dessous. Heures en UTC ; un champ vidé retire la "
		   "date."));
	form_begin(r, pp->p.slug, "/admin", "schedule");
	hidden(r, "action", "schedule");
	html_raw(b, "<ul class=\"schedule\">\n");
	for (i = 0; i < 4; i++)
		if (!strcmp(phases[i], pp->p.phase))
			have = i;
	for (i = 1; i < 4; i++) {
		html_raw(b, "<li>");
		if (i <= have) {
			html_text(b, phase_label(r, phases[i]));
			html_raw(b, " — ");
			html_text(b, tr(r, "depuis le"));
			html_raw(b, " ");
			html_date(r, plan.began[i]);
			html_raw(b, "</li>\n");
			continue;
		}
		html_raw(b, "<label for=\"");
		html_attr(b, fields[i]);
		html_raw(b, "\">");
		html_text(b, phase_label(r, phases[i]));
		html_raw(b, " (UTC)</label> <input type=\"datetime-local\" "
			    "id=\"");
		html_attr(b, fields[i]);
		html_raw(b, "\" name=\"");
		html_attr(b, fields[i]);
		html_raw(b, "\" value=\"");
		html_textn(b, plan.planned[i], *plan.planned[i] ? 16 : 0);
		html_raw(b, "\"></li>\n");
	}
	html_raw(b, "</ul>\n");
	if (strcmp(pp->p.phase, "closed"))
		button(r, tr(r, "Annoncer ces dates"));
	html_raw(b, "</form>\n");
	return 0;
}

/*
 * The schedule's post: the fields of the phases still to come (a field
 * absent keeps its date, an empty one withdraws it); the change and its
 * audit entry are one transaction, a refusal changes nothing.
 */
static int schedule_post(struct web_req *r)
{
	const char *dates[4] = {NULL, auth_form(r, "support"),
				auth_form(r, "vote"), auth_form(r, "close")};
	struct agora_db *db;
	struct sb to;
	int rc;

	if ((rc = write_db(r, &db)))
		return rc;
	rc = primary_schedule_set(db, r->param[0], dates, r->auth->user.id,
				  NULL, &r->err);
	if (rc)
		return refused(r, rc,
			       tr(r, "Ce calendrier est refusé et rien n'a "
				     "changé."));
	sb_init(&to, 1024);
	sb_puts(&to, "/primary/");
	url_arg(&to, r->param[0]);
	auth_redirect(r, sb_error(&to) ? "/" : to.buf);
	sb_fini(&to);
	return 0;
}

static int admin_form(struct web_req *r, const struct primary_page *pp)
{
	const char *next = primary_next_phase(pp->p.phase);
	struct sb *b = &r->body;
	int rc;

	page_head(r, pp, tr(r, "Organiser la primaire"));
	html_raw(b, "<p>");
	html_text(b, tr(r, "Phase en cours :"));
	html_raw(b, " <strong data-phase=\"");
	html_attr(b, pp->p.phase);
	html_raw(b, "\">");
	html_text(b, phase_label(r, pp->p.phase));
	html_raw(b, "</strong></p>\n");
	if (!next) {
		para(r, "meta",
		     tr(r, "La primaire est close : il n'y a plus de phase "
			   "suivante."));
		page_end(r);
		return 0;
	}
	if ((rc = schedule_form(r, pp)))
		return rc;
	html_raw(b, "<h2>");
	html_text(b, tr(r, "Changer de phase"));
	html_raw(b, "</h2>\n");
	form_begin(r, pp->p.slug, "/admin", "phase-change");
	hidden(r, "phase", next);
	html_raw(b, "<p>");
	html_text(b, tr(r, "Phase suivante :"));
	html_raw(b, " <strong class=\"next-phase\" data-phase=\"");
	html_attr(b, next);
	html_raw(b, "\">");
	html_text(b, phase_label(r, next));
	html_raw(b, "</strong>. ");
	html_text(b, phase_effect(r, next));
	html_raw(b, " ");
	html_text(b, tr(r, "Les phases ne reviennent jamais en arrière ; le "
			   "changement est daté, publié et inscrit au "
			   "journal d'audit."));
	html_raw(b, "</p>\n<p><label><input type=\"checkbox\" "
		    "name=\"confirm\" value=\"1\" required> ");
	html_text(b, tr(r, "Je confirme le passage à la phase suivante."));
	html_raw(b, "</label></p>\n");
	button(r, tr(r, "Changer de phase"));
	html_raw(b, "</form>\n");
	page_end(r);
	return 0;
}

/*
 * The organiser's page: the next phase, confirmed, for administrators
 * only. The change and its audit entry are one transaction
 * (primary_set_phase); a move that is not forward is a conflict (409)
 * and changes nothing.
 */
int page_primary_admin(struct web_req *r)
{
	const char *phase, *confirm;
	struct primary_page pp;
	struct agora_db *db;
	struct sb to;
	int rc;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if ((r->post && auth_post_ok(r)) || auth_require(r, ROLE_ADMIN, 0))
		goto out;
	if (!r->post) {
		rc = admin_form(r, &pp);
		goto out;
	}
	confirm = auth_form(r, "action");
	if (confirm && !strcmp(confirm, "schedule")) {
		rc = schedule_post(r);
		goto out;
	}
	phase = auth_form(r, "phase");
	confirm = auth_form(r, "confirm");
	if (!phase || !confirm || strcmp(confirm, "1")) {
		auth_page_error(r, 400,
				tr(r, "Formulaire incomplet : cochez la case "
				      "de confirmation."));
		goto out;
	}
	if (!primary_next_phase(phase) && strcmp(phase, "closed")) {
		auth_page_error(r, 400,
				tr(r, "Phase inconnue : declaration, support, "
				      "vote ou closed."));
		goto out;
	}
	if ((rc = write_db(r, &db)))
		goto out;
	/* known: the module's only remaining refusal is a move back */
	rc = primary_set_phase(db, r->param[0], phase, r->auth->user.id,
			       &r->err);
	if (rc == AGORA_EINVAL) {
		char m[1400];

		snprintf(m, sizeof(m), "%s (%s)",
			 tr(r, "Ce changement de phase est refusé et rien "
			       "n'a changé."),
			 r->err.msg);
		auth_page_error(r, 409, m);
		rc = 0;
		goto out;
	}
	if (rc) {
		rc = refused(r, rc,
			     tr(r, "Ce changement de phase est refusé et "
				   "rien n'a changé."));
		goto out;
	}
	sb_init(&to, 1024);
	sb_puts(&to, "/primary/");
	url_arg(&to, r->param[0]);
	auth_redirect(r, sb_error(&to) ? "/" : to.buf);
	sb_fini(&to);
out:
	primary_page_fini(&pp);
	return rc;
}

/* --------------------------------------- /primary/{slug}/declare */

/*
 * A refused photo: 415 when it is not an image type accepted (typed
 * from its bytes, never its name), 413 over the photo's limit, 400 when
 * it is malformed, truncated or a polyglot; the message says that
 * nothing was kept, the candidacy included
 */
static void photo_refused(struct web_req *r, int rc,
			  const struct material_file *f,
			  const struct agora_error *e)
{
	char m[1400];
	int status = rc == AGORA_ETOOBIG	  ? 413
		     : f->type == MATERIAL_NONE ? 415
		     : f->type == MATERIAL_PDF	  ? 415
						  : 400;

	snprintf(m, sizeof(m), "%s (%s)",
		 tr(r, "Photo refusée : rien n'est enregistré, pas même la "
		       "candidature. Une photo est un fichier JPEG, PNG ou "
		       "WebP de 5 Mo au plus ; le type est lu dans le "
		       "contenu, pas dans le nom."),
		 f->type == MATERIAL_PDF ? "PDF" : e->msg);
	auth_page_error(r, status, m);
}

/*
 * A candidacy declared with its photo: the candidacy, the comparator
 * candidate the photo belongs to and the photo (pending, through the
 * editors' moderation like any campaign material, with its audit
 * entry) in one write transaction, so that a refused photo leaves no
 * candidacy behind and a refused candidacy no photo. The response is
 * made for a refusal (*done set); 0 with slug filled on success.
 */
static int declare_with_photo(struct web_req *r, const struct primary_page *pp,
			      const char *name, const char *statement,
			      struct sb *slug, int *done)
{
	struct web_auth *w = r->auth;
	struct material_file f = {0};
	struct agora_error e = {0};
	struct agora_db *db;
	int64_t cid, id;
	int rc, created, dup = 0;

	/* a leaflet is campaign material, not a portrait */
	if (!material_sniff(w->file.buf, w->file.len, &f, &e) &&
	    f.type == MATERIAL_PDF) {
		photo_refused(r, AGORA_EINVAL, &f, &e);
		*done = 1;
		return 0;
	}
	if ((rc = write_db(r, &db)) ||
	    (rc = material_db_prepare(db, &r->err)) ||
	    (rc = db_begin_write(db, &r->err)))
		return rc;
	rc = primary_declare_in(db, pp->p.slug, w->user.id, name, statement,
				slug, &r->err);
	if (!rc)
		rc = ingest_candidate_ensure(db, pp->p.slug, slug->buf, name,
					     &cid, &created, &r->err);
	if (rc) {
		db_rollback(db);
		*done = 1;
		return refused(r, rc, tr(r, "Refusé ; rien n'a changé."));
	}
	rc = material_add_file(db, cid, w->user.id, name, w->file.buf,
			       w->file.len, &f, &id, &dup, &e);
	if (rc) {
		db_rollback(db);
		if (rc != AGORA_EINVAL && rc != AGORA_ETOOBIG) {
			r->err = e;
			return rc;
		}
		photo_refused(r, rc, &f, &e);
		*done = 1;
		return 0;
	}
	if ((rc = claim_declarant(r, db, pp->p.slug, slug->buf, name))) {
		db_rollback(db);
		return rc;
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO,
	    "request %s: candidacy %s/%s declared with photo %lld (pending)",
	    r->id, pp->p.slug, slug->buf, (long long)id);
	return 0;
}

/*
 * A candidacy declared without a photo: the candidacy and the
 * declarant's request to be linked to it (claim_declarant) in one
 * write transaction, so that a failed write leaves neither. The
 * response is made for a refusal (*done set); 0 with slug filled on
 * success.
 */
static int declare_plain(struct web_req *r, const struct primary_page *pp,
			 const char *name, const char *statement,
			 struct sb *slug, int *done)
{
	struct agora_db *db;
	int rc;

	if ((rc = write_db(r, &db)) || (rc = db_begin_write(db, &r->err)))
		return rc;
	rc = primary_declare_in(db, pp->p.slug, r->auth->user.id, name,
				statement, slug, &r->err);
	if (rc) {
		db_rollback(db);
		*done = 1;
		return refused(r, rc, tr(r, "Refusé ; rien n'a changé."));
	}
	if ((rc = claim_declarant(r, db, pp->p.slug, slug->buf, name))) {
		db_rollback(db);
		return rc;
	}
	if ((rc = auth_write_commit(r, db)))
		return rc;
	LOG(LOG_INFO, "request %s: candidacy %s/%s declared by user %lld",
	    r->id, pp->p.slug, slug->buf, (long long)r->auth->user.id);
	return 0;
}

int page_primary_declare(struct web_req *r)
{
	struct primary_citizen me = {0};
	struct primary_page pp;
	struct sb *b = &r->body, slug;
	struct agora_db *db;
	int rc;

	sb_init(&slug, 1024);
	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if (r->post && auth_post_ok(r))
		goto out;
	if (citizen_required(r))
		goto out;
	if (r->post) {
		const char *action = auth_form(r, "action");
		const char *name = auth_form(r, "name");
		const char *statement = auth_form(r, "statement");

		int photo = r->auth->multipart && r->auth->has_file &&
			    r->auth->file.len;

		if (action && !strcmp(action, "withdraw")) {
			if ((rc = write_db(r, &db)))
				goto out;
			rc = primary_withdraw(db, pp.p.slug, r->auth->user.id,
					      &r->err);
			if (rc) {
				rc = refused(r, rc,
					     tr(r, "Refusé ; rien n'a "
						   "changé."));
				goto out;
			}
		} else {
			int done = 0;

			if ((rc = (photo ? declare_with_photo : declare_plain)(
				     r, &pp, name ? name : "",
				     statement ? statement : "", &slug,
				     &done)) ||
			    done)
				goto out;
		}
		sb_reset(&slug);
		sb_puts(&slug, "/primary/");
		url_arg(&slug, pp.p.slug);
		auth_redirect(r, sb_error(&slug) ? "/" : slug.buf);
		goto out;
	}
	if ((rc = primary_citizen_get(r->db, pp.p.id, r->auth->user.id, &me,
				      &r->err)))
		goto out;
	page_head(r, &pp, tr(r, "Déclarer sa candidature"));
	if (me.candidacy) {
		size_t i;
		const char *status = "declared";

		for (i = 0; i < pp.nc; i++)
			if (!strcmp(pp.c[i].slug, me.candidacy))
				status = pp.c[i].status;
		html_raw(b, "<p>");
		html_text(b, tr(r, "Votre candidature :"));
		html_raw(b, " <a href=\"");
		primary_link(r, pp.p.slug, "#c-");
		url_arg(b, me.candidacy);
		html_raw(b, "\">");
		html_text(b, me.candidacy);
		html_raw(b, "</a> (");
		html_text(b, status_label(r, status));
		html_raw(b, ")</p>\n");
		if (!strcmp(status, "declared") &&
		    (!strcmp(pp.p.phase, "declaration") ||
		     !strcmp(pp.p.phase, "support"))) {
			form_begin(r, pp.p.slug, "/declare", "withdraw");
			hidden(r, "action", "withdraw");
			para(r, NULL,
			     tr(r, "Un retrait est définitif : une seule "
				   "candidature par compte et par primaire."));
			button(r, tr(r, "Retirer ma candidature"));
			html_raw(b, "</form>\n");
		}
	} else if (strcmp(pp.p.phase, "declaration")) {
		para(r, "meta",
		     tr(r, "La déclaration des candidatures est close."));
	} else {
		html_raw(b, "<form class=\"declare\" method=\"post\" "
			    "enctype=\"multipart/form-data\" action=\"");
		primary_link(r, pp.p.slug, "/declare");
		html_raw(b, "\">\n");
		auth_csrf_field(r);
		hidden(r, "action", "declare");
		html_raw(b, "<p><label for=\"name\">");
		html_text(b, tr(r, "Nom tel qu'il apparaîtra"));
		html_raw(b, "</label><br>\n<input id=\"name\" name=\"name\" "
			    "maxlength=\"200\" required></p>\n"
			    "<p><label for=\"statement\">");
		html_text(b, tr(r, "Déclaration de candidature"));
		html_raw(b, "</label><br>\n<textarea id=\"statement\" "
			    "name=\"statement\" rows=\"8\" maxlength=\"4000\">"
			    "</textarea></p>\n<p><label for=\"file\">");
		html_text(b, tr(r, "Photo (facultative : JPEG, PNG ou WebP, 5 Mo "
				   "au plus ; publiée après relecture par "
				   "l'équipe éditoriale)"));
		html_raw(b, "</label><br>\n<input id=\"file\" name=\"file\" "
			    "type=\"file\" "
			    "accept=\"image/jpeg,image/png,image/webp\"></p>\n"
			    "<p>");
		button(r, tr(r, "Déclarer"));
		html_raw(b, "</p>\n</form>\n");
	}
	html_raw(b, "<p class=\"meta\">");
	html_text(b, tr(r, "Le programme ne se dépose pas ici : déclarer "
			   "une candidature inscrit aussi le candidat au "
			   "comparateur de programmes, sous l'élection de "
			   "même nom, et demande à l'équipe éditoriale d'y "
			   "relier votre compte ; une fois la demande "
			   "confirmée, vous déposez le programme, tel quel, "
			   "depuis « Déposer un programme » (/submit)."));
	html_raw(b, " <a href=\"/account/candidacy\">");
	html_text(b, tr(r, "Mes demandes"));
	html_raw(b, "</a>");
	html_raw(b, " <a href=\"/e/");
	url_arg(b, pp.p.slug);
	html_raw(b, "\">");
	html_text(b, tr(r, "Les programmes de cette primaire"));
	html_raw(b, "</a></p>\n");
	page_end(r);
out:
	primary_citizen_fini(&me);
	primary_page_fini(&pp);
	sb_fini(&slug);
	return rc;
}

/* ------------------------------------- /primary/{slug}/credential */

/* The voting form's first step, with the code filled in */
static void vote_code_form(struct web_req *r, const char *slug,
			   const char *code)
{
	struct sb *b = &r->body;

	form_begin(r, slug, "/vote", "vote-code");
	hidden(r, "step", "code");
	html_raw(b, "<p><label for=\"code\">");
	html_text(b, tr(r, "Code de vote"));
	html_raw(b, "</label><br>\n<input id=\"code\" name=\"code\" "
		    "autocomplete=\"off\" spellcheck=\"false\" required");
	if (code) {
		html_raw(b, " value=\"");
		html_attr(b, code);
		html_raw(b, "\"");
	}
	html_raw(b, "></p>\n<p>");
	button(r, tr(r, "Continuer"));
	html_raw(b, "</p>\n</form>\n");
}

int page_primary_credential(struct web_req *r)
{
	struct primary_citizen me = {0};
	struct primary_page pp;
	struct sb *b = &r->body;
	char code[PRIMARY_CODE_SIZE] = "";
	struct agora_db *db;
	int rc, open = 0;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if (r->post && auth_post_ok(r))
		goto out;
	if (citizen_required(r))
		goto out;
	if ((rc = primary_open_mode(r->db, pp.p.id, &open, &r->err)))
		goto out;
	if (r->post) {
		if ((rc = write_db(r, &db)))
			goto out;
		rc = primary_credential_issue(db, pp.p.slug, r->auth->user.id,
					      code, &r->err);
		if (rc) {
			rc = refused(r, rc,
				     tr(r, "Aucun nouveau code n'est donné."));
			goto out;
		}
		page_head(r, &pp, tr(r, "Votre code de vote"));
		para(r, "warning",
		     tr(r, "Ce code ne sera plus jamais affiché : recopiez-le "
			   "sur papier maintenant. Le serveur ne garde que sa "
			   "clé publique ; sans le code, personne ne peut "
			   "voter à votre place, et vous non plus."));
		html_raw(b, "<p class=\"code\"><code id=\"credential\">");
		html_text(b, code);
		html_raw(b, "</code></p>\n");
		if (!strcmp(pp.p.phase, "vote"))
			vote_code_form(r, pp.p.slug, code);
		else
			para(r, NULL,
			     tr(r, "Vous voterez avec ce code quand le vote "
				   "sera ouvert."));
		sodium_memzero(code, sizeof(code));
		page_end(r);
		goto out;
	}
	if ((rc = primary_citizen_get(r->db, pp.p.id, r->auth->user.id, &me,
				      &r->err)))
		goto out;
	page_head(r, &pp, tr(r, "Recevoir mon code de vote"));
	if (!open) {
		para(r, NULL,
		     tr(r, "Cette primaire ne donne pas de code sur le site : "
			   "les codes sont remis par l'organisateur, sur la "
			   "liste électorale."));
	} else if (me.credential) {
		para(r, "meta",
		     tr(r, "Ce compte a déjà reçu son code pour cette "
			   "primaire. Il n'est conservé nulle part et ne peut "
			   "pas être affiché à nouveau."));
	} else if (!strcmp(pp.p.phase, "closed")) {
		para(r, "meta", tr(r, "La primaire est close."));
	} else {
		para(r, NULL,
		     tr(r, "Un seul code par compte et par primaire. Il "
			   "s'affichera une seule fois : préparez de quoi le "
			   "noter. Le site retient que ce compte a reçu un "
			   "code (et le jour), jamais lequel."));
		form_begin(r, pp.p.slug, "/credential", "credential");
		button(r, tr(r, "Recevoir mon code"));
		html_raw(b, "</form>\n");
	}
	page_end(r);
out:
	sodium_memzero(code, sizeof(code));
	primary_citizen_fini(&me);
	primary_page_fini(&pp);
	return rc;
}

/* ------------------------------------------- /primary/{slug}/vote */

/* The candidates of the code's ballot: indices into pp->c, by slug */
static int vote_lot(struct web_req *r, const struct primary_page *pp,
		    const char *code, size_t *idx, size_t *n)
{
	char norm[PRIMARY_CODE_SYMBOLS + 1];
	unsigned char pk[32], sk[64];
	int rc;

	if ((rc = primary_code_parse(code, norm, &r->err)))
		return rc;
	primary_code_keys(pp->p.slug, norm, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(norm, sizeof(norm));
	*n = primary_lot(pp->p.slug, pk, pp->nq, pp->p.lot_size, idx);
	return 0;
}

static int vote_grades_form(struct web_req *r, const struct primary_page *pp,
			    const char *code, const size_t *idx, size_t n)
{
	struct sb *b = &r->body;
	struct photo *photos;
	size_t i;
	int g, rc;

	if ((rc = photos_load(r, pp, &photos)))
		return rc;

	para(r, NULL,
	     tr(r, "Donnez une mention à chaque candidat. Un nouveau vote "
		   "avec le même code remplacera celui-ci."));
	form_begin(r, pp->p.slug, "/vote", "ballot");
	hidden(r, "step", "cast");
	hidden(r, "code", code);
	for (i = 0; i < n; i++) {
		const struct primary_candidate *c = &pp->c[idx[i]];

		html_raw(b, "<fieldset class=\"grades\">\n<legend>");
		html_text(b, c->name);
		html_raw(b, "</legend>\n");
		photo_img(r, &photos[idx[i]], c->name);
		for (g = pp->p.ngrades - 1; g >= 0; g--) {
			char id[320];

			snprintf(id, sizeof(id), "g-%s-%d", c->slug, g);
			html_raw(b, "<label><input type=\"radio\" name=\"g_");
			html_attr(b, c->slug);
			html_raw(b, "\" value=\"");
			html_num(b, g);
			html_raw(b, "\" id=\"");
			html_attr(b, id);
			html_raw(b, "\" required> ");
			html_text(b, pp->p.grades[g]);
			html_raw(b, "</label>\n");
		}
		html_raw(b, "</fieldset>\n");
	}
	free(photos);
	html_raw(b, "<p>");
	button(r, tr(r, "Voter"));
	html_raw(b, "</p>\n</form>\n");
	if (!pp->p.allow_blank)
		return 0;
	/* offered only where the organiser allowed it (--allow-blank) */
	form_begin(r, pp->p.slug, "/vote", "blank");
	hidden(r, "step", "cast");
	hidden(r, "code", code);
	hidden(r, "blank", "1");
	para(r, NULL,
	     tr(r, "Cette primaire accepte le vote blanc : un bulletin blanc "
		   "ne donne de mention à aucun candidat ; il compte parmi "
		   "les votants."));
	html_raw(b, "<p>");
	button(r, tr(r, "Voter blanc"));
	html_raw(b, "</p>\n</form>\n");
	return 0;
}

/* Makes, signs and casts the ballot of the form; the receipt page */
static int vote_cast(struct web_req *r, const struct primary_page *pp,
		     const char *code, const size_t *idx, size_t n)
{
	struct primary_grade *g = NULL;
	unsigned char sig[64];
	char receipt[65], key[300];
	struct agora_db *db;
	struct sb body, *b = &r->body;
	int64_t seq;
	size_t i;
	int rc;

	sb_init(&body, PRIMARY_BALLOT_MAX);
	if (!(g = calloc(n ? n : 1, sizeof(*g)))) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if (auth_form(r, "blank")) {
		if (!pp->p.allow_blank) {
			auth_page_error(r, 400,
					tr(r, "Le vote blanc n'est pas permis "
					      "dans cette primaire : le "
					      "bulletin n'a pas été "
					      "enregistré."));
			rc = 0;
			goto out;
		}
		n = 0; /* grades nobody: the module checks it again */
	}
	for (i = 0; i < n; i++) {
		const char *v;
		char *end;
		long grade;

		snprintf(key, sizeof(key), "g_%s", pp->c[idx[i]].slug);
		v = auth_form(r, key);
		grade = v ? strtol(v, &end, 10) : -1;
		if (!v || !*v || *end || grade < 0 || grade >= pp->p.ngrades) {
			auth_page_error(r, 400,
					tr(r, "Chaque candidat doit recevoir "
					      "une mention : le bulletin n'a "
					      "pas été enregistré."));
			rc = 0;
			goto out;
		}
		g[i].candidate = pp->c[idx[i]].slug;
		g[i].grade = (int)grade;
	}
	if ((rc = write_db(r, &db)) ||
	    (rc = primary_ballot_next(db, pp->p.slug, code, &seq, &r->err)) ||
	    (rc = primary_ballot_make(pp->p.slug, code, seq, g, n, &body, sig,
				      &r->err)) ||
	    (rc = primary_ballot_cast(db, pp->p.slug, body.buf, body.len, sig,
				      receipt, &r->err))) {
		rc = refused(r, rc,
			     tr(r, "Le bulletin est refusé et rien n'a "
				   "changé."));
		goto out;
	}
	/* the receipt is this visitor's: never kept by any cache */
	if (auth_of(r))
		auth_of(r)->personal = 1;
	page_head(r, pp, tr(r, "Bulletin enregistré"));
	para(r, NULL,
	     tr(r, "Votre bulletin est enregistré et publié, sans votre nom, "
		   "sur le tableau d'affichage. Gardez ce reçu pour l'y "
		   "retrouver :"));
	html_raw(b, "<p><code class=\"receipt\" id=\"receipt\">");
	html_text(b, receipt);
	html_raw(b, "</code></p>\n<p><a href=\"");
	primary_link(r, pp->p.slug, "/receipt/");
	html_attr(b, receipt);
	html_raw(b, "\">");
	html_text(b, tr(r, "Vérifier ce reçu"));
	html_raw(b, "</a></p>\n");
	para(r, "meta",
	     tr(r, "Vous pouvez voter à nouveau avec le même code jusqu'à la "
		   "clôture : seul le dernier bulletin compte."));
	page_end(r);
out:
	sodium_memzero(sig, sizeof(sig));
	free(g);
	sb_fini(&body);
	return rc;
}

int page_primary_vote(struct web_req *r)
{
	struct primary_page pp;
	const char *code, *step;
	size_t *idx = NULL, n = 0;
	int rc;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if (r->post && auth_post_ok(r))
		goto out;
	if (strcmp(pp.p.phase, "vote")) {
		auth_page_error(r, r->post ? 400 : 200,
				tr(r, "Le vote n'est pas ouvert."));
		goto out;
	}
	if (!r->post) {
		page_head(r, &pp, tr(r, "Voter"));
		para(r, NULL,
		     tr(r, "Entrez votre code de vote. Il ne vous identifie "
			   "pas : le site ne sait pas à qui il a été "
			   "remis."));
		vote_code_form(r, pp.p.slug, NULL);
		page_end(r);
		goto out;
	}
	code = auth_form(r, "code");
	step = auth_form(r, "step");
	if (!(idx = calloc(pp.nq ? pp.nq : 1, sizeof(*idx)))) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if (!code || vote_lot(r, &pp, code, idx, &n)) {
		auth_page_error(r, 400,
				tr(r, "Ce code de vote n'est pas valide : "
				      "vérifiez-le (les tirets et les espaces "
				      "ne comptent pas)."));
		goto out;
	}
	if (step && !strcmp(step, "cast")) {
		rc = vote_cast(r, &pp, code, idx, n);
		goto out;
	}
	page_head(r, &pp, tr(r, "Voter"));
	if ((rc = vote_grades_form(r, &pp, code, idx, n)))
		goto out;
	page_end(r);
out:
	free(idx);
	primary_page_fini(&pp);
	return rc;
}

/* --------------------------------- /primary/{slug}/receipt/{receipt} */

int page_primary_receipt(struct web_req *r)
{
	struct primary_page pp;
	const char *receipt = r->param[1];
	int rc, counted = 0;
	size_t i;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	for (i = 0; receipt[i]; i++)
		if (!strchr("0123456789abcdef", receipt[i]))
			break;
	if (receipt[i] || i != 64) {
		auth_page_error(r, 404,
				tr(r, "Un reçu a 64 chiffres hexadécimaux."));
		goto out;
	}
	rc = primary_receipt_find(r->db, pp.p.id, receipt, &counted, &r->err);
	if (rc && rc != AGORA_ENOTFOUND)
		goto out;
	r->status = rc ? 404 : 200;
	page_head(r, &pp, tr(r, "Reçu"));
	html_raw(&r->body, "<p><code class=\"receipt\">");
	html_text(&r->body, receipt);
	html_raw(&r->body, "</code></p>\n");
	if (rc)
		para(r, "error",
		     tr(r, "Aucun bulletin de cette primaire ne "
			   "porte ce reçu."));
	else if (counted)
		para(r, "found counted",
		     tr(r, "Ce bulletin est sur le tableau et il est compté."));
	else
		para(r, "found replaced",
		     tr(r, "Ce bulletin est sur le tableau ; un bulletin "
			   "ultérieur du même code l'a remplacé, c'est lui "
			   "qui compte."));
	rc = 0;
	page_end(r);
out:
	primary_page_fini(&pp);
	return rc;
}

/* ------------------------------------------ /primary/{slug}/results */

/*
 * n / total as a percentage with one decimal, exact integers; the decimal
 * comma in French, the point otherwise
 */
static void percent(struct web_req *r, uint64_t n, uint64_t total)
{
	uint64_t pm = total ? (n * 1000 + total / 2) / total : 0;

	sb_printf(&r->body, "%llu%c%llu %%", (unsigned long long)(pm / 10),
		  r->lang == LANG_FR ? ',' : '.',
		  (unsigned long long)(pm % 10));
}

/* The palette class of grade g of ng: 0 (worst) to 9 (best) */
static int grade_class(int g, int ng)
{
	return ng > 1 ? (g * 9 + (ng - 1) / 2) / (ng - 1) : 0;
}

/*
 * One horizontal stacked bar per candidate, worst grade on the left, the
 * 50 % line marked: colours from a sequential palette (agora.css, .mj-gN)
 * that stays ordered in grey and for colour-blind readers, and each
 * segment wide enough carries its grade's number, which the legend
 * names: the chart reads without colour. No style attributes (the CSP
 * forbids them): geometry in presentation attributes, colours by class.
 */
static void merit_chart(struct web_req *r, const struct primary_page *pp,
			const uint64_t *counts, const size_t *order,
			const struct mj_result *res)
{
	const int w = 600, label = 0, row = 46, bar = 24;
	struct sb *b = &r->body;
	int ng = pp->p.ngrades, g;
	size_t k;

	html_raw(b, "<figure class=\"merit\">\n<svg class=\"merit-chart\" "
		    "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
		    "viewBox=\"0 0 ");
	html_num(b, w + 2);
	html_raw(b, " ");
	html_num(b, (long long)(pp->nq * row + 8));
	html_raw(b, "\" aria-labelledby=\"merit-title\">\n<title "
		    "id=\"merit-title\">");
	html_text(b, tr(r, "Profils de mérite"));
	html_raw(b, "</title>\n");
	for (k = 0; k < pp->nq; k++) {
		const uint64_t *row_c = counts + order[k] * (size_t)ng;
		uint64_t total = res[order[k]].total, acc = 0;
		int y = (int)k * row + 20;

		/* the name above its bar, so that any length fits */
		html_raw(b,
			 "<g class=\"merit-row\">\n<text class=\"merit-name\" "
			 "x=\"1\" y=\"");
		html_num(b, y - 5);
		html_raw(b, "\">");
		html_text(b, pp->c[order[k]].name);
		html_raw(b, "</text>\n");
		for (g = 0; g < ng && total; g++) {
			int x0 = (int)(acc * (uint64_t)w / total);
			int x1;

			acc += row_c[g];
			x1 = (int)(acc * (uint64_t)w / total);
			if (x1 <= x0)
				continue;
			html_raw(b, "<rect class=\"mj-g");
			html_num(b, grade_class(g, ng));
			html_raw(b, "\" x=\"");
			html_num(b, label + x0 + 1);
			html_raw(b, "\" y=\"");
			html_num(b, y);
			html_raw(b, "\" width=\"");
			html_num(b, x1 - x0);
			html_raw(b, "\" height=\"");
			html_num(b, bar);
			html_raw(b, "\"><title>");
			html_text(b, pp->p.grades[g]);
			html_raw(b, " : ");
			percent(r, row_c[g], total);
			html_raw(b, "</title></rect>\n");
			if (x1 - x0 >= 18) {
				html_raw(b, "<text class=\"mj-t");
				html_num(b, grade_class(g, ng));
				html_raw(b, "\" x=\"");
				html_num(b, label + x0 + 9);
				html_raw(b, "\" y=\"");
				html_num(b, y + 17);
				html_raw(b, "\">");
				html_num(b, g + 1);
				html_raw(b, "</text>\n");
			}
		}
		html_raw(b, "</g>\n");
	}
	html_raw(b, "<line class=\"merit-mid\" x1=\"");
	html_num(b, label + w / 2 + 1);
	html_raw(b, "\" x2=\"");
	html_num(b, label + w / 2 + 1);
	html_raw(b, "\" y1=\"4\" y2=\"");
	html_num(b, (long long)(pp->nq * row + 4));
	html_raw(b, "\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n"
		    "</svg>\n<figcaption>");
	html_text(b,
		  tr(r, "Chaque barre va de la pire mention (à gauche) "
			"à la meilleure ; le trait pointillé marque la "
			"moitié des votants : la mention majoritaire est "
			"celle qu'il traverse. Les barres sont dans l'ordre du "
			"classement."));
	html_raw(b, "</figcaption>\n<ol class=\"merit-legend\">\n");
	for (g = 0; g < ng; g++) {
		html_raw(b, "<li><span class=\"swatch mj-g");
		html_num(b, grade_class(g, ng));
		html_raw(b, "\">");
		html_num(b, g + 1);
		html_raw(b, "</span> ");
		html_text(b, pp->p.grades[g]);
		html_raw(b, "</li>\n");
	}
	html_raw(b, "</ol>\n</figure>\n");
}

static void mention(struct web_req *r, const struct primary_page *pp,
		    const struct mj_result *res)
{
	char sign = mj_sign_shown(res, pp->p.ngrades);

	if (res->grade < 0) {
		html_text(&r->body, tr(r, "aucun vote"));
		return;
	}
	html_text(&r->body, pp->p.grades[res->grade]);
	if (sign == '+')
		html_raw(&r->body, " +");
	else if (sign == '-')
		html_raw(&r->body, " −");
}

static void explain_pair(struct web_req *r, const struct primary_page *pp,
			 const uint64_t *counts, size_t a, size_t c)
{
	struct sb *b = &r->body;
	struct agora_error err = {0};
	struct mj_why why;
	int ng = pp->p.ngrades;
	char share[32];

	if (mj_explain(counts + a * (size_t)ng, counts + c * (size_t)ng, ng,
		       &why, &err))
		return;
	html_raw(b, "<li>");
	if (!why.cmp) {
		html_textf(b,
			   tr(r, "%s et %s ont le même profil de mérite : "
				 "ils partagent leur rang."),
			   pp->c[a].name, pp->c[c].name);
		html_raw(b, "</li>\n");
		return;
	}
	snprintf(share, sizeof(share), "%.1f %%", why.from_middle * 100);
	/* the decimal comma in French, as percent() writes it */
	if (r->lang == LANG_FR && strchr(share, '.'))
		*strchr(share, '.') = ',';
	html_textf(b,
		   why.above
			   ? tr(r, "%s devance %s : en retirant les mentions "
				   "du milieu, la première différence est à "
				   "%s du milieu, au-dessus de la médiane, où "
				   "l'un a « %s » et l'autre « %s ».")
			   : tr(r, "%s devance %s : en retirant les mentions "
				   "du milieu, la première différence est à "
				   "%s du milieu, en dessous de la médiane, où "
				   "l'un a « %s » et l'autre « %s »."),
		   pp->c[why.cmp > 0 ? a : c].name,
		   pp->c[why.cmp > 0 ? c : a].name, share,
		   pp->p.grades[why.cmp > 0 ? why.grade_a : why.grade_b],
		   pp->p.grades[why.cmp > 0 ? why.grade_b : why.grade_a]);
	if (why.by_gauge) {
		html_raw(b, " ");
		html_text(b, tr(r, "C'est la jauge majoritaire : le plus grand "
				   "des groupes au-dessus et en dessous de la "
				   "mention majoritaire."));
	}
	html_raw(b, "</li>\n");
}

/*
 * The number of voters of the results. After the close it is in the
 * signed result (the board's last entry: one row read); before it, a
 * count of the counted ballots, which scans them (public results
 * during the vote). The results page's cost otherwise does not grow
 * with the ballots: the counts are the live counters, one row per
 * candidate and grade (bench/README.md, "results").
 */
static int results_voters(struct web_req *r, struct primary_info *p)
{
	struct primary_info full;
	json_t *pl, *res;
	char *payload = NULL;
	int rc;

	if (!strcmp(p->phase, "closed")) {
		if ((rc = primary_result_signed(r->db, p->id, &payload,
						&r->err)))
			return rc;
		pl = json_loads(payload, 0, NULL);
		res = pl ? json_loads(json_string_value(
					      json_object_get(pl, "result")),
				      0, NULL)
			 : NULL;
		free(payload);
		rc = json_is_integer(json_object_get(res, "voters"))
			     ? 0
			     : agora_errorf(&r->err, AGORA_ECHECK,
					    "the signed result of '%s' has no "
					    "voters",
					    p->slug);
		p->voters = json_integer_value(json_object_get(res, "voters"));
		json_decref(res);
		json_decref(pl);
		return rc;
	}
	if ((rc = primary_get_counts(r->db, p->slug, &full, &r->err)))
		return rc;
	p->voters = full.voters;
	primary_info_fini(&full);
	return 0;
}

int page_primary_results(struct web_req *r)
{
	struct primary_page pp;
	struct mj_result *res = NULL;
	struct mj_secondary sec;
	uint64_t *counts = NULL;
	size_t *order = NULL, k;
	struct sb *b = &r->body;
	char num[LANG_NUM_MAX];
	int rc, g, ng;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if (strcmp(pp.p.phase, "closed") && !pp.p.results_public) {
		page_head(r, &pp, tr(r, "Résultats"));
		para(r, "meta",
		     tr(r, "Les résultats seront publiés à la clôture du "
			   "vote."));
		page_end(r);
		goto out;
	}
	ng = pp.p.ngrades;
	if ((rc = primary_counts(r->db, &pp.p, pp.c, pp.nq, 0, &counts,
				 &r->err)))
		goto out;
	res = calloc(pp.nq ? pp.nq : 1, sizeof(*res));
	order = calloc(pp.nq ? pp.nq : 1, sizeof(*order));
	if (!res || !order) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if (pp.nq && (rc = mj_rank(counts, pp.nq, ng, res, order, &r->err)))
		goto out;
	if ((rc = results_voters(r, &pp.p)))
		goto out;
	page_head(r, &pp, tr(r, "Résultats"));
	if (strcmp(pp.p.phase, "closed"))
		para(r, "warning",
		     tr(r, "Résultats provisoires : le vote n'est pas clos."));
	html_raw(b, "<p class=\"voters\">");
	html_textf(b,
		   tr_n(r, "%s votant", "%s votants",
			(unsigned long long)pp.p.voters),
		   web_num(r, pp.p.voters, num));
	html_raw(b, "</p>\n<table class=\"results\">\n<thead><tr>"
		    "<th scope=\"col\">");
	html_text(b, tr(r, "Rang"));
	html_raw(b, "</th><th scope=\"col\">");
	html_text(b, tr(r, "Candidat"));
	html_raw(b, "</th><th scope=\"col\">");
	html_text(b, tr(r, "Mention majoritaire"));
	html_raw(b, "</th>");
	for (g = ng - 1; g >= 0; g--) {
		html_raw(b, "<th scope=\"col\">");
		html_text(b, pp.p.grades[g]);
		html_raw(b, "</th>");
	}
	html_raw(b, "</tr></thead>\n<tbody>\n");
	for (k = 0; k < pp.nq; k++) {
		size_t i = order[k];

		html_raw(b, "<tr data-candidate=\"");
		html_attr(b, pp.c[i].slug);
		html_raw(b, "\"><td>");
		html_num(b, (long long)res[i].rank);
		html_raw(b, "</td><th scope=\"row\">");
		html_text(b, pp.c[i].name);
		html_raw(b, "</th><td class=\"mention\">");
		mention(r, &pp, &res[i]);
		html_raw(b, "</td>");
		for (g = ng - 1; g >= 0; g--) {
			uint64_t n = counts[i * (size_t)ng + (size_t)g];

			html_raw(b, "<td class=\"num\">");
			html_text(b, web_num(r, (long long)n, num));
			html_raw(b, " <span class=\"meta\">(");
			percent(r, n, res[i].total);
			html_raw(b, ")</span></td>");
		}
		html_raw(b, "</tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n<p class=\"exports\">");
	html_text(b, tr(r, "Télécharger les résultats :"));
	html_raw(b, " <a href=\"");
	primary_link(r, pp.p.slug, "/results.csv");
	html_raw(b, "\">CSV</a> · <a href=\"/api/v1/primaries/");
	url_arg(b, pp.p.slug);
	html_raw(b, "/results\">JSON</a></p>\n");
	if (pp.nq)
		merit_chart(r, &pp, counts, order, res);

	html_raw(b, "<section class=\"tie-breaks\">\n<h2>");
	html_text(b, tr(r, "Départager les mentions égales"));
	html_raw(b, "</h2>\n<ul>\n");
	for (k = 0, g = 0; k + 1 < pp.nq; k++)
		if (res[order[k]].grade >= 0 &&
		    res[order[k]].grade == res[order[k + 1]].grade) {
			explain_pair(r, &pp, counts, order[k], order[k + 1]);
			g++;
		}
	html_raw(b, "</ul>\n");
	if (!g)
		para(r, "meta",
		     tr(r, "Aucun candidat n'a la même mention majoritaire "
			   "que son voisin de classement : rien à "
			   "départager."));
	html_raw(b, "</section>\n");

	html_raw(b, "<details class=\"secondary\">\n<summary>");
	html_text(b, tr(r, "Pour information : les jugements secondaires de "
			   "Fabre (ils ne changent pas le classement)"));
	html_raw(b, "</summary>\n");
	html_thead(b, NULL, tr(r, "Candidat"), tr(r, "typique"), tr(r, "usuel"),
		   tr(r, "central"),
		   tr(r, "votants à la mention majoritaire ou au-dessus"),
		   NULL);
	for (k = 0; k < pp.nq; k++) {
		size_t i = order[k];

		if (mj_secondary_of(&res[i], &sec))
			continue;
		html_raw(b, "<tr><th scope=\"row\">");
		html_text(b, pp.c[i].name);
		html_raw(b, "</th>");
		sb_printf(b,
			  "<td class=\"num\">%.3f</td><td class=\"num\">"
			  "%.3f</td><td class=\"num\">%.3f</td>"
			  "<td class=\"num\">",
			  sec.typical, sec.usual, sec.central);
		percent(r, res[i].total - res[i].below, res[i].total);
		html_raw(b, "</td></tr>\n");
	}
	html_raw(b, "</tbody>\n</table>\n</details>\n");
	page_end(r);
out:
	free(res);
	free(order);
	free(counts);
	primary_page_fini(&pp);
	return rc;
}

/* -------------------------------------- /primary/{slug}/results.csv */

/* One CSV field: quoted when it holds a comma, a quote or a line break */
static void csv_field(struct sb *b, const char *v, int last)
{
	if (strpbrk(v, ",\"\r\n")) {
		sb_putc(b, '"');
		for (; *v; v++) {
			if (*v == '"')
				sb_putc(b, '"');
			sb_putc(b, *v);
		}
		sb_putc(b, '"');
	} else {
		sb_puts(b, v);
	}
	sb_puts(b, last ? "\r\n" : ",");
}

/*
 * The results as CSV (RFC 4180), under the same rule as the page (after
 * the close, or at once with --public-results): one row per qualified
 * candidate in rank order, its rank, slug, name, majority grade, the
 * mention's sign as shown, then the counts of each grade, worst first,
 * each column named by its grade.
 */
int page_primary_results_csv(struct web_req *r)
{
	struct primary_page pp;
	struct mj_result *res = NULL;
	uint64_t *counts = NULL;
	size_t *order = NULL, k;
	struct sb *b = &r->body;
	char num[32];
	int rc, g, ng;

	if ((rc = primary_page_load(r, &pp)))
		goto out;
	if (strcmp(pp.p.phase, "closed") && !pp.p.results_public) {
		auth_page_error(r, 409,
				tr(r, "Les résultats seront publiés à la "
				      "clôture du vote."));
		goto out;
	}
	ng = pp.p.ngrades;
	if ((rc = primary_counts(r->db, &pp.p, pp.c, pp.nq, 0, &counts,
				 &r->err)))
		goto out;
	res = calloc(pp.nq ? pp.nq : 1, sizeof(*res));
	order = calloc(pp.nq ? pp.nq : 1, sizeof(*order));
	if (!res || !order) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	if (pp.nq && (rc = mj_rank(counts, pp.nq, ng, res, order, &r->err)))
		goto out;
	sb_puts(b, "rank,candidate,name,majority_grade,sign,");
	for (g = 0; g < ng; g++)
		csv_field(b, pp.p.grades[g], g == ng - 1);
	for (k = 0; k < pp.nq; k++) {
		size_t i = order[k];
		char sign[2] = {mj_sign_shown(&res[i], ng), 0};

		snprintf(num, sizeof(num), "%zu", res[i].rank);
		csv_field(b, num, 0);
		csv_field(b, pp.c[i].slug, 0);
		csv_field(b, pp.c[i].name, 0);
		csv_field(b, res[i].grade < 0 ? "" : pp.p.grades[res[i].grade],
			  0);
		csv_field(b, sign, 0);
		for (g = 0; g < ng; g++) {
			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)
					 counts[i * (size_t)ng + (size_t)g]);
			csv_field(b, num, g == ng - 1);
		}
	}
	if (sb_error(b)) {
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	r->ctype = "text/csv; charset=utf-8; header=present";
	/* a stored primary's slug: [a-z0-9-] only, safe in a header */
	snprintf(r->disposition, sizeof(r->disposition),
		 "attachment; filename=\"%s-results.csv\"", pp.p.slug);
out:
	free(res);
	free(order);
	free(counts);
	primary_page_fini(&pp);
	return rc;
}
