/*
 * moderation.c - an editor's decision on one request, the same for the
 * pages and the JSON API (moderation_api.c): a programme submission, a
 * campaign material item, a profile proposal or an account's claim on
 * a candidacy, published (confirmed) or rejected (refused) with a
 * reason.
 *
 * One write transaction holds the decision and its audit entry (the
 * modules write both), and the e-mail that tells the candidate: written
 * to the outbox under a hidden name inside the transaction, renamed to
 * its .eml name once the transaction is committed, removed if it is
 * not. So a decision that fails sends nothing, and a full or read-only
 * outbox refuses the decision (503) rather than lose its mail, as for
 * a sign-up. The mail is in the account's language (the one it last
 * signed in with), French when it is not known.
 *
 * Who may decide (an editor of the election, or an administrator) is
 * the caller's check: web_decision_target() gives the election.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "material.h"
#include "web_auth.h"
#include "web_moderation.h"

static const char *const kind_names[WEB_DECIDE__MAX] = {
	[WEB_DECIDE_DOCUMENT] = "document",
	[WEB_DECIDE_MATERIAL] = "material",
	[WEB_DECIDE_PROFILE] = "profile",
	[WEB_DECIDE_CLAIM] = "claim",
};

const char *web_decision_kind_name(int kind)
{
	return kind >= 0 && kind < WEB_DECIDE__MAX ? kind_names[kind] : "?";
}

void web_decision_target_fini(struct web_decision_target *t)
{
	free(t->status);
	free(t->title);
	free(t->candidate_name);
	free(t->election);
	memset(t, 0, sizeof(*t));
}

/* Moves the strings of a module's row into t; ENOMEM when one is NULL */
static int take(struct web_decision_target *t, const char *status,
		const char *title, const char *name, const char *election,
		struct agora_error *err)
{
	t->status = strdup(status ? status : "");
	t->title = strdup(title ? title : "");
	t->candidate_name = strdup(name ? name : "");
	t->election = strdup(election ? election : "");
	if (!t->status || !t->title || !t->candidate_name || !t->election) {
		web_decision_target_fini(t);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

int web_decision_target(struct agora_db *db, int kind, int64_t id,
			struct web_decision_target *t, struct agora_error *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->id = id;
	switch (kind) {
	case WEB_DECIDE_DOCUMENT: {
		struct ingest_doc_info d = {0};

		if ((rc = ingest_document_info(db, id, &d, err)))
			return rc;
		t->election_id = d.election_id;
		t->account = d.submitted_by;
		rc = take(t, d.status, d.title, d.candidate_name, d.election,
			  err);
		ingest_doc_info_fini(&d);
		return rc;
	}
	case WEB_DECIDE_MATERIAL: {
		struct material_item m = {0};

		if ((rc = material_get(db, id, &m, err)))
			return rc;
		t->election_id = m.election_id;
		t->account = m.submitted_by;
		rc = take(t, m.status, m.caption, m.candidate_name, m.election,
			  err);
		material_item_fini(&m);
		return rc;
	}
	case WEB_DECIDE_PROFILE: {
		struct material_profile p = {0};
		struct sb name;

		if ((rc = material_profile_get(db, id, &p, err)))
			return rc;
		sb_init(&name, 1024);
		sb_printf(&name, "%s%s%s", p.given_name,
			  *p.given_name ? " " : "", p.family_name);
		t->election_id = p.election_id;
		t->account = p.proposed_by;
		rc = sb_error(&name)
			     ? agora_errorf(err, AGORA_ENOMEM, "out of memory")
			     : take(t, p.status, name.buf, name.buf, p.election,
				    err);
		sb_fini(&name);
		material_profile_fini(&p);
		return rc;
	}
	case WEB_DECIDE_CLAIM: {
		struct auth_claim c = {0};

		if ((rc = auth_claim_get(db, id, &c, err)))
			return rc;
		t->election_id = c.election_id;
		t->account = c.user_id;
		rc = take(t, c.status, c.candidate_name, c.candidate_name,
			  c.election, err);
		auth_claim_fini(&c);
		return rc;
	}
	}
	return agora_errorf(err, AGORA_EINVAL, "no such kind of request");
}

/* ------------------------------------------------------------- the mail */

/* Where the candidate reads their requests and their state */
static const char *const kind_paths[WEB_DECIDE__MAX] = {
	[WEB_DECIDE_DOCUMENT] = "submit",
	[WEB_DECIDE_MATERIAL] = "material",
	[WEB_DECIDE_PROFILE] = "profile",
	[WEB_DECIDE_CLAIM] = "account/candidacy",
};

static const char *subject(struct web_req *r, int kind, int accept)
{
	switch (kind) {
	case WEB_DECIDE_DOCUMENT:
		return accept ? tr(r, "Votre programme est publié sur agora")
			      : tr(r, "Votre programme est refusé sur agora");
	case WEB_DECIDE_MATERIAL:
		return accept ? tr(r, "Votre document de campagne est publié "
				      "sur agora")
			      : tr(r, "Votre document de campagne est refusé "
				      "sur agora");
	case WEB_DECIDE_PROFILE:
		return accept ? tr(r, "Votre profil de candidat est publié "
				      "sur agora")
			      : tr(r, "Votre profil de candidat est refusé "
				      "sur agora");
	default:
		return accept ? tr(r, "Votre compte agora est lié à votre "
				      "candidature")
			      : tr(r, "Votre demande de lien avec une "
				      "candidature est refusée");
	}
}

/* The mail's text, in the request's language (r->lang) */
static void mail_text(struct web_req *r, struct sb *b,
		      const struct web_decision_target *t, int accept,
		      const char *reason)
{
	sb_puts(b, tr(r, "Bonjour,"));
	sb_puts(b, "\n\n");
	switch (t->kind) {
	case WEB_DECIDE_DOCUMENT:
		sb_printf(b,
			  accept ? tr(r, "Un éditeur d'agora a publié votre "
					 "programme « %s » (%s, %s).")
				 : tr(r, "Un éditeur d'agora a refusé votre "
					 "programme « %s » (%s, %s)."),
			  t->title, t->candidate_name, t->election);
		break;
	case WEB_DECIDE_MATERIAL:
		sb_printf(b,
			  accept ? tr(r, "Un éditeur d'agora a publié votre "
					 "document de campagne « %s » (%s, "
					 "%s).")
				 : tr(r, "Un éditeur d'agora a refusé votre "
					 "document de campagne « %s » (%s, "
					 "%s)."),
			  t->title, t->candidate_name, t->election);
		break;
	case WEB_DECIDE_PROFILE:
		sb_printf(b,
			  accept ? tr(r, "Un éditeur d'agora a publié le "
					 "profil que vous avez proposé pour "
					 "%s (%s).")
				 : tr(r, "Un éditeur d'agora a refusé le "
					 "profil que vous avez proposé pour "
					 "%s (%s)."),
			  t->candidate_name, t->election);
		break;
	default:
		sb_printf(b,
			  accept ? tr(r, "Un éditeur d'agora a confirmé que "
					 "votre compte représente %s (%s) : "
					 "vous pouvez maintenant soumettre son "
					 "programme et ses documents de "
					 "campagne.")
				 : tr(r, "Un éditeur d'agora a refusé de lier "
					 "votre compte à la candidature de %s "
					 "(%s)."),
			  t->candidate_name, t->election);
	}
	if (reason && *reason) {
		sb_puts(b, "\n\n");
		sb_puts(b, tr(r, "Motif :"));
		sb_puts(b, "\n\n");
		sb_puts(b, reason);
	}
	sb_puts(b, "\n\n");
	sb_puts(b, tr(r, "Vos demandes et leur état :"));
}

/*
 * The mail to the account behind t, prepared in db's transaction and
 * published by auth_write_commit() (auth_mail_notice()): in its
 * language (French when unknown). No account (a command-line ingest):
 * no mail.
 */
static int mail_prepare(struct web_req *r, struct agora_db *db,
			const struct web_decision_target *t, int accept,
			const char *reason)
{
	int saved = r->lang, k, rc;
	char code[3], *to = NULL;
	struct sb text;

	if (!t->account)
		return 0;
	if ((rc = auth_user_mailto(db, t->account, &to, code, &r->err)))
		return rc;
	k = *code ? web_lang_find(code) : -1;
	r->lang = k >= 0 && r->i18n && r->i18n->avail[k] ? k : LANG_FR;
	sb_init(&text, 65536);
	mail_text(r, &text, t, accept, reason);
	if (sb_error(&text))
		rc = agora_errorf(&r->err, AGORA_ENOMEM, "out of memory");
	else
		rc = auth_mail_notice(r, to, subject(r, t->kind, accept),
				      text.buf, kind_paths[t->kind]);
	r->lang = saved;
	sb_fini(&text);
	free(to);
	return rc;
}

/* ---------------------------------------------------------- the decision */

/* The module's decision and its audit entry, in db's transaction */
static int decide(struct web_req *r, struct agora_db *db, int kind, int64_t id,
		  int accept, const char *reason)
{
	int64_t actor = r->auth->user.id;
	char object[64];
	int rc;

	switch (kind) {
	case WEB_DECIDE_DOCUMENT:
		snprintf(object, sizeof(object), "document:%lld",
			 (long long)id);
		if ((rc = ingest_moderate(db, id, accept, reason, actor,
					  &r->err)))
			return rc;
		return auth_audit(db, actor,
				  accept ? "document.publish"
					 : "document.reject",
				  object, reason ? reason : "", &r->err);
	case WEB_DECIDE_MATERIAL:
		return material_moderate(db, id, accept, reason, actor,
					 &r->err);
	case WEB_DECIDE_PROFILE:
		return material_profile_moderate(db, id, accept, reason, actor,
						 &r->err);
	default:
		return auth_claim_decide(db, id, actor, accept, reason,
					 &r->err);
	}
}

int web_decide(struct web_req *r, int kind, int64_t id, int accept,
	       const char *reason)
{
	struct web_decision_target t = {0};
	struct agora_db *db;
	int rc;

	if (kind < 0 || kind >= WEB_DECIDE__MAX)
		return agora_errorf(&r->err, AGORA_EINVAL,
				    "no such kind of request");
	if ((rc = auth_write_begin(r, &db)))
		return rc;
	if ((rc = material_db_prepare(db, &r->err)) ||
	    (rc = web_decision_target(db, kind, id, &t, &r->err)))
		goto fail;
	if (strcmp(t.status, "pending")) {
		rc = agora_errorf(&r->err, AGORA_EEXIST,
				  "%s %lld is not waiting for moderation: "
				  "already %s",
				  web_decision_kind_name(kind), (long long)id,
				  t.status);
		goto fail;
	}
	if ((rc = mail_prepare(r, db, &t, accept, reason)) ||
	    (rc = decide(r, db, kind, id, accept, reason)))
		goto fail;
	/* publishes the mail once committed, drops it otherwise */
	if ((rc = auth_write_commit(r, db)))
		goto out; /* rolled back */
	LOG(LOG_INFO, "request %s: %s %lld %s by user %lld", r->id,
	    web_decision_kind_name(kind), (long long)id,
	    accept ? "accepted" : "rejected", (long long)r->auth->user.id);
	goto out;
fail:
	db_rollback(db);
	auth_mail_end(r, 0);
out:
	web_decision_target_fini(&t);
	return rc;
}
