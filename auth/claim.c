/*
 * claim.c - candidacy claims: an account asks to be linked to a
 * candidate of an election, an administrator or an editor of that
 * election confirms (granting the candidate role for that candidacy) or
 * refuses with a reason. Callers hold the write transaction; every
 * change is logged in the audit chain in that same transaction, so a
 * claim, its decision and its role never exist without their entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

enum claim_stmt {
	CL_CANDIDATE,
	CL_HOLDS,
	CL_PENDING_SAME,
	CL_PENDING_COUNT,
	CL_INSERT,
	CL_GET,
	CL_BY_USER,
	CL_QUEUE,
	CL_DECIDE,
	CLAIM_STMT__MAX
};

#define CLAIM_COLUMNS                                                          \
	"SELECT k.id, k.user_id, k.candidate_id, c.election_id, e.slug,"       \
	" c.slug, trim(c.given_name || ' ' || c.family_name), u.email,"        \
	" u.display_name, k.message, k.status, k.reason, k.created_at,"        \
	" coalesce(k.decided_at, '')"                                          \
	" FROM candidacy_claim k JOIN candidate c ON c.id = k.candidate_id"    \
	" JOIN election e ON e.id = c.election_id"                             \
	" JOIN user u ON u.id = k.user_id"

static const char *const claim_sql[CLAIM_STMT__MAX] = {
	[CL_CANDIDATE] = "SELECT c.id FROM candidate c JOIN election e"
			 " ON e.id = c.election_id"
			 " WHERE e.slug = ?1 AND c.slug = ?2",
	[CL_HOLDS] = "SELECT 1 FROM user_role WHERE user_id = ?1"
		     " AND role = 'candidate' AND candidate_id = ?2",
	[CL_PENDING_SAME] = "SELECT 1 FROM candidacy_claim WHERE user_id = ?1"
			    " AND candidate_id = ?2 AND status = 'pending'",
	[CL_PENDING_COUNT] = "SELECT count(*) FROM candidacy_claim"
			     " WHERE user_id = ?1 AND status = 'pending'",
	[CL_INSERT] = "INSERT INTO candidacy_claim(user_id, candidate_id,"
		      " message) VALUES (?1, ?2, ?3)",
	[CL_GET] = CLAIM_COLUMNS " WHERE k.id = ?1",
	[CL_BY_USER] = CLAIM_COLUMNS " WHERE k.user_id = ?1"
				     " ORDER BY k.id DESC",
	[CL_QUEUE] = CLAIM_COLUMNS " WHERE k.status = 'pending'"
				   " ORDER BY k.id",
	[CL_DECIDE] = "UPDATE candidacy_claim SET status = ?2, reason = ?3,"
		      " decided_by = ?4,"
		      " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		      " WHERE id = ?1 AND status = 'pending'",
};

int auth_claim_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_CLAIM, claim_sql, CLAIM_STMT__MAX,
				 err);
}

static sqlite3_stmt *stmt(struct agora_db *db, int id)
{
	return db_stmt(db, DB_MOD_CLAIM, id);
}

void auth_claim_fini(struct auth_claim *c)
{
	free(c->election);
	free(c->candidate);
	free(c->candidate_name);
	free(c->email);
	free(c->display_name);
	free(c->message);
	free(c->status);
	free(c->reason);
	free(c->created_at);
	free(c->decided_at);
	memset(c, 0, sizeof(*c));
}

static int claim_read(sqlite3_stmt *st, struct auth_claim *c,
		      struct agora_error *err)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->user_id = sqlite3_column_int64(st, 1);
	c->candidate_id = sqlite3_column_int64(st, 2);
	c->election_id = sqlite3_column_int64(st, 3);
	c->election = db_col_dup(st, 4);
	c->candidate = db_col_dup(st, 5);
	c->candidate_name = db_col_dup(st, 6);
	c->email = db_col_dup(st, 7);
	c->display_name = db_col_dup(st, 8);
	c->message = db_col_dup(st, 9);
	c->status = db_col_dup(st, 10);
	c->reason = db_col_dup(st, 11);
	c->created_at = db_col_dup(st, 12);
	c->decided_at = db_col_dup(st, 13);
	if (!c->election || !c->candidate || !c->candidate_name || !c->email ||
	    !c->display_name || !c->message || !c->status || !c->reason ||
	    !c->created_at || !c->decided_at) {
		auth_claim_fini(c);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

/* One integer from a statement bound with ?1 and ?2 (or -1 unbound) */
static int query_int(struct agora_db *db, int id, int64_t a, int64_t b,
		     int64_t *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, id);
	int rc;

	sqlite3_bind_int64(st, 1, a);
	if (b >= 0)
		sqlite3_bind_int64(st, 2, b);
	rc = db_step(db, st, err);
	*out = rc > 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc;
}

int auth_claim_file(struct agora_db *db, int64_t user_id, const char *election,
		    const char *candidate, const char *message, int64_t *id,
		    struct agora_error *err)
{
	sqlite3_stmt *st;
	int64_t cid = 0, n;
	char object[48], detail[600];
	int rc;

	if ((rc = text_check("the message", message, 0, AUTH_CLAIM_MESSAGE_MAX,
			     1, err)))
		return rc;
	if (strlen(election) > 200 || strlen(candidate) > 200)
		return agora_errorf(err, AGORA_ENOTFOUND, "no such candidate");
	st = stmt(db, CL_CANDIDATE);
	sqlite3_bind_text(st, 1, election, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, candidate, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc > 0)
		cid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (!rc)
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no candidate '%s' in election '%s'",
				    candidate, election);
	if ((rc = query_int(db, CL_HOLDS, user_id, cid, &n, err)) < 0)
		return rc;
	if (rc)
		return agora_errorf(err, AGORA_EEXIST,
				    "this account is already linked to "
				    "this candidacy");
	if ((rc = query_int(db, CL_PENDING_SAME, user_id, cid, &n, err)) < 0)
		return rc;
	if (rc)
		goto waiting;
	if ((rc = query_int(db, CL_PENDING_COUNT, user_id, -1, &n, err)) < 0)
		return rc;
	if (n >= AUTH_CLAIM_PENDING_MAX)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "this account already has %d claims "
				    "waiting for a decision",
				    AUTH_CLAIM_PENDING_MAX);
	st = stmt(db, CL_INSERT);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, cid);
	sqlite3_bind_text(st, 3, message, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	/* the index holds it too, should two requests race */
	if (rc != SQLITE_DONE &&
	    sqlite3_extended_errcode(db_handle(db)) == SQLITE_CONSTRAINT_UNIQUE)
		goto waiting;
	if (rc != SQLITE_DONE)
		return db_error(db, err, "cannot file the claim");
	n = sqlite3_last_insert_rowid(db_handle(db));
	if (id)
		*id = n;
	snprintf(object, sizeof(object), "claim:%lld", (long long)n);
	snprintf(detail, sizeof(detail), "user=%lld election=%s candidate=%s",
		 (long long)user_id, election, candidate);
	return auth_audit(db, user_id, "claim.file", object, detail, err);
waiting:
	return agora_errorf(err, AGORA_EEXIST,
			    "this account already asked for this candidacy: "
			    "the request waits for an editor");
}

int auth_claim_get(struct agora_db *db, int64_t id, struct auth_claim *out,
		   struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CL_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, err);
	if (rc > 0)
		rc = claim_read(st, out, err);
	else if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND, "no claim %lld",
				  (long long)id);
	sqlite3_reset(st);
	return rc;
}

int auth_claim_list(struct agora_db *db, int64_t user_id,
		    int (*fn)(void *ctx, const struct auth_claim *c), void *ctx,
		    struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, user_id ? CL_BY_USER : CL_QUEUE);
	struct auth_claim c;
	int rc;

	if (user_id)
		sqlite3_bind_int64(st, 1, user_id);
	while ((rc = db_step(db, st, err)) > 0) {
		if ((rc = claim_read(st, &c, err)))
			break;
		rc = fn(ctx, &c);
		auth_claim_fini(&c);
		if (rc)
			break;
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

int auth_claim_decide(struct agora_db *db, int64_t id, int64_t actor,
		      int confirm, const char *reason, struct agora_error *err)
{
	struct auth_claim c;
	sqlite3_stmt *st;
	char object[48];
	struct sb detail;
	int rc;

	if (!reason)
		reason = "";
	if (!confirm && !*reason)
		return agora_errorf(err, AGORA_EINVAL,
				    "a refusal needs a reason: the account "
				    "reads it");
	if ((rc = text_check("the reason", reason, 0, AUTH_CLAIM_REASON_MAX, 1,
			     err)))
		return rc;
	if ((rc = auth_claim_get(db, id, &c, err)))
		return rc;
	if (strcmp(c.status, "pending")) {
		rc = agora_errorf(err, AGORA_EEXIST, "claim %lld is already %s",
				  (long long)id, c.status);
		goto out;
	}
	st = stmt(db, CL_DECIDE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, confirm ? "confirmed" : "refused", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if (actor)
		sqlite3_bind_int64(st, 4, actor);
	rc = db_step(db, st, err);
	sqlite3_reset(st);
	if (rc < 0)
		goto out;
	/* the role may have been granted since (the command line): fine */
	if (confirm &&
	    (rc = auth_grant(db, c.user_id, ROLE_CANDIDATE, c.election,
			     c.candidate, err)) &&
	    rc != AGORA_EEXIST)
		goto out;
	snprintf(object, sizeof(object), "claim:%lld", (long long)id);
	sb_init(&detail, 4096);
	sb_printf(&detail, "user=%lld election=%s candidate=%s",
		  (long long)c.user_id, c.election, c.candidate);
	if (!confirm)
		sb_printf(&detail, " reason=%s", reason);
	rc = sb_error(&detail)
		     ? agora_errorf(err, AGORA_ENOMEM, "out of memory")
		     : auth_audit(db, actor,
				  confirm ? "claim.confirm" : "claim.refuse",
				  object, detail.buf, err);
	sb_fini(&detail);
out:
	auth_claim_fini(&c);
	return rc;
}
