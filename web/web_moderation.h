/*
 * web_moderation.h - editors' decisions, shared by the moderation
 * pages and the JSON API (moderation.c, moderation_api.c).
 */
#ifndef AGORA_WEB_MODERATION_H
#define AGORA_WEB_MODERATION_H

#include <stdint.h>

#include "web_int.h"

enum web_decision_kind {
	WEB_DECIDE_DOCUMENT, /* a programme submission */
	WEB_DECIDE_MATERIAL, /* a photo, a leaflet, a video link */
	WEB_DECIDE_PROFILE,  /* a profile proposal */
	WEB_DECIDE_CLAIM,    /* an account's claim on a candidacy */
	WEB_DECIDE__MAX
};

/* What a decision is about, read from the database */
struct web_decision_target {
	int kind;
	int64_t id, election_id;
	int64_t account; /* who sent it, told of the decision; 0: nobody */
	char *status;	 /* pending, published, rejected, confirmed... */
	char *title;	 /* a title, a caption, a name */
	char *candidate_name, *election; /* a name, a slug */
};
void web_decision_target_fini(struct web_decision_target *t);

/* "document", "material", "profile", "claim" */
const char *web_decision_kind_name(int kind);

/* The request kind/id; AGORA_ENOTFOUND when there is none */
int web_decision_target(struct agora_db *db, int kind, int64_t id,
			struct web_decision_target *t, struct agora_error *err);

/*
 * Publishes (confirms, for a claim) or rejects with a reason the
 * request kind/id as the signed-in account, in one write transaction
 * with its audit entry and the mail to its sender (see moderation.c).
 * The permission is the caller's. The module's refusals come back:
 * AGORA_ENOTFOUND, AGORA_EEXIST when already decided, AGORA_EINVAL for
 * a missing or bad reason, AGORA_ESTORAGE when the database or the
 * outbox cannot be written; nothing is changed or mailed then.
 */
int web_decide(struct web_req *r, int kind, int64_t id, int accept,
	       const char *reason);

#endif
