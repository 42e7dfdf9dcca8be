/*
 * account.c - users, roles, sessions and one-time links in the
 * database. Writers call these inside their own BEGIN IMMEDIATE
 * transaction; nothing here begins or commits.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"

enum auth_stmt {
	AU_USER_INSERT,
	AU_USER_BY_EMAIL,
	AU_USER_SET_PASSWORD,
	AU_USER_SET_VERIFIED,
	AU_USER_LIST,
	AU_GRANTS,
	AU_GRANT_INSERT,
	AU_ELECTION_ID,
	AU_CANDIDATE_ID,
	AU_CAN,
	AU_SESSION_INSERT,
	AU_SESSION_USER,
	AU_SESSION_DELETE,
	AU_SESSION_DELETE_USER,
	AU_SESSION_EXPIRE,
	AU_LINK_INSERT,
	AU_LINK_GET,
	AU_LINK_USE,
	AU_SECRET,
	AU_AUDIT_LAST,
	AU_AUDIT_INSERT,
	AU_AUDIT_ALL,
	AU_USER_MAILTO,
	AU_USER_SET_LANGUAGE,
	AUTH_STMT__MAX
};

/* The roles of a user as bits, for one row of a listing */
#define ROLE_BITS(uid)                                                         \
	"(SELECT coalesce(sum(DISTINCT CASE r.role"                            \
	" WHEN 'citizen' THEN 1 WHEN 'candidate' THEN 2"                       \
	" WHEN 'editor' THEN 4 WHEN 'administrator' THEN 8 END), 0)"           \
	" FROM (SELECT DISTINCT role FROM user_role WHERE user_id = " uid      \
	") r)"

static const char *const auth_sql[AUTH_STMT__MAX] = {
	[AU_USER_INSERT] = "INSERT INTO user(email, display_name,"
			   " password_hash, email_verified)"
			   " VALUES (?1, ?2, ?3, ?4)",
	[AU_USER_BY_EMAIL] = "SELECT id, email, display_name, email_verified,"
			     " password_hash FROM user WHERE email = ?1",
	[AU_USER_SET_PASSWORD] = "UPDATE user SET password_hash = ?2"
				 " WHERE id = ?1",
	[AU_USER_SET_VERIFIED] = "UPDATE user SET email_verified = 1"
				 " WHERE id = ?1",
	[AU_USER_MAILTO] = "SELECT email, language FROM user WHERE id = ?1",
	[AU_USER_SET_LANGUAGE] = "UPDATE user SET language = ?2 WHERE id = ?1"
				 " AND language <> ?2",
	[AU_USER_LIST] = "SELECT u.id, u.email, u.display_name,"
			 " u.email_verified, u.created_at," ROLE_BITS(
				 "u.id") " FROM user u ORDER BY u.email",
	[AU_GRANTS] = "SELECT r.role, e.slug, c.slug FROM user_role r"
		      " LEFT JOIN election e ON e.id = r.election_id"
		      " LEFT JOIN candidate c ON c.id = r.candidate_id"
		      " WHERE r.user_id = ?1"
		      " ORDER BY r.role, e.slug, c.slug",
	[AU_GRANT_INSERT] = "INSERT INTO user_role(user_id, role,"
			    " election_id, candidate_id)"
			    " VALUES (?1, ?2, ?3, ?4)",
	[AU_ELECTION_ID] = "SELECT id FROM election WHERE slug = ?1",
	[AU_CANDIDATE_ID] = "SELECT id FROM candidate"
			    " WHERE election_id = ?1 AND slug = ?2",
	[AU_CAN] = "SELECT 1 FROM user_role WHERE user_id = ?1"
		   " AND (role = 'administrator' OR (role = ?2"
		   "  AND (?3 = 0 OR election_id IS NULL"
		   "   OR election_id = ?3))) LIMIT 1",
	[AU_SESSION_INSERT] = "INSERT INTO session(token_hash, user_id,"
			      " created_at, expires_at)"
			      " VALUES (?1, ?2, ?3, ?4)",
	[AU_SESSION_USER] = "SELECT u.id, u.email, u.display_name,"
			    " u.email_verified, u.password_hash IS NOT NULL"
			    " FROM session s JOIN user u ON u.id = s.user_id"
			    " WHERE s.token_hash = ?1 AND s.expires_at > ?2",
	[AU_SESSION_DELETE] = "DELETE FROM session WHERE token_hash = ?1",
	[AU_SESSION_DELETE_USER] = "DELETE FROM session WHERE user_id = ?1",
	[AU_SESSION_EXPIRE] = "DELETE FROM session WHERE expires_at <= ?1",
	[AU_LINK_INSERT] = "INSERT INTO user_link(token_hash, user_id,"
			   " purpose, expires_at) VALUES (?1, ?2, ?3, ?4)",
	[AU_LINK_GET] = "SELECT user_id FROM user_link WHERE token_hash = ?1"
			" AND purpose = ?2 AND used_at IS NULL"
			" AND expires_at > ?3",
	[AU_LINK_USE] = "UPDATE user_link SET used_at = ?2"
			" WHERE token_hash = ?1 AND used_at IS NULL",
	[AU_SECRET] = "SELECT value FROM secret WHERE name = ?1",
	[AU_AUDIT_LAST] = "SELECT seq, hash FROM audit"
			  " ORDER BY seq DESC LIMIT 1",
	[AU_AUDIT_INSERT] = "INSERT INTO audit(seq, at, actor, action,"
			    " object, detail, prev_hash, hash)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[AU_AUDIT_ALL] = "SELECT seq, at, coalesce(actor, 0), action,"
			 " object, detail, prev_hash, hash"
			 " FROM audit ORDER BY seq",
};

int auth_db_prepare(struct agora_db *db, struct agora_error *err)
{
	int rc = db_prepare_module(db, DB_MOD_AUTH, auth_sql, AUTH_STMT__MAX,
				   err);

	return rc ? rc : auth_claim_db_prepare(db, err);
}

static sqlite3_stmt *stmt(struct agora_db *db, int id)
{
	return db_stmt(db, DB_MOD_AUTH, id);
}

/* Steps a statement that returns no row, and resets it */
static int exec_stmt(struct agora_db *db, sqlite3_stmt *st,
		     struct agora_error *err)
{
	int rc = db_step(db, st, err);

	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

static const char *purpose_name(int purpose)
{
	return purpose == AUTH_LINK_RESET ? "reset" : "verify";
}

int auth_csrf_key(struct agora_db *db, unsigned char key[32],
		  struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_SECRET);
	int rc;

	sqlite3_bind_text(st, 1, "csrf", -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) <= 0 ||
	    sqlite3_column_bytes(st, 0) != 32) {
		sqlite3_reset(st);
		return rc < 0 ? rc
			      : agora_errorf(err, AGORA_EDB,
					     "the database has no CSRF key");
	}
	memcpy(key, sqlite3_column_blob(st, 0), 32);
	sqlite3_reset(st);
	return 0;
}

/* ---------------------------------------------------------------- users */

void auth_user_fini(struct auth_user *u)
{
	free(u->email);
	free(u->display_name);
	memset(u, 0, sizeof(*u));
}

int auth_user_create(struct agora_db *db, const char *email,
		     const char *display_name, const char *hash, int verified,
		     int64_t *id, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_INSERT);
	int rc;

	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, display_name ? display_name : "", -1,
			  SQLITE_STATIC);
	if (hash)
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, !!verified);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT &&
	    rc != SQLITE_CONSTRAINT_COMMITHOOK)
		return agora_errorf(err, AGORA_EEXIST,
				    "there is already an account for '%s'",
				    email);
	if (rc != SQLITE_DONE)
		return db_error(db, err, "cannot create the account");
	*id = sqlite3_last_insert_rowid(db_handle(db));
	return auth_grant(db, *id, ROLE_CITIZEN, NULL, NULL, err);
}

int auth_user_by_email(struct agora_db *db, const char *email,
		       struct auth_user *out, char **hash,
		       struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_BY_EMAIL);
	int rc;

	memset(out, 0, sizeof(*out));
	if (hash)
		*hash = NULL;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) <= 0) {
		sqlite3_reset(st);
		return rc < 0 ? rc
			      : agora_errorf(err, AGORA_ENOTFOUND,
					     "no account for '%s'", email);
	}
	out->id = sqlite3_column_int64(st, 0);
	out->email = db_col_dup(st, 1);
	out->display_name = db_col_dup(st, 2);
	out->verified = sqlite3_column_int(st, 3);
	out->has_password = sqlite3_column_type(st, 4) != SQLITE_NULL;
	if (hash && out->has_password)
		*hash = db_col_dup(st, 4);
	sqlite3_reset(st);
	if (!out->email || !out->display_name ||
	    (hash && out->has_password && !*hash)) {
		auth_user_fini(out);
		if (hash) {
			free(*hash);
			*hash = NULL;
		}
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * A new password also ends every session of the account: whoever knew
 * the old one is signed out.
 */
int auth_user_set_password(struct agora_db *db, int64_t user_id,
			   const char *hash, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_SET_PASSWORD);
	int rc;

	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	st = stmt(db, AU_SESSION_DELETE_USER);
	sqlite3_bind_int64(st, 1, user_id);
	return exec_stmt(db, st, err);
}

int auth_user_set_verified(struct agora_db *db, int64_t user_id,
			   struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_SET_VERIFIED);

	sqlite3_bind_int64(st, 1, user_id);
	return exec_stmt(db, st, err);
}

int auth_user_mailto(struct agora_db *db, int64_t user_id, char **email,
		     char lang[3], struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_MAILTO);
	const char *l;
	int rc;

	*email = NULL;
	lang[0] = '\0';
	sqlite3_bind_int64(st, 1, user_id);
	if ((rc = db_step(db, st, err)) <= 0) {
		sqlite3_reset(st);
		return rc < 0 ? rc
			      : agora_errorf(err, AGORA_ENOTFOUND,
					     "no account %lld",
					     (long long)user_id);
	}
	*email = db_col_dup(st, 0);
	l = (const char *)sqlite3_column_text(st, 1);
	if (l && strlen(l) == 2)
		memcpy(lang, l, 3);
	sqlite3_reset(st);
	return *email ? 0 : agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

int auth_user_set_language(struct agora_db *db, int64_t user_id,
			   const char *code, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_SET_LANGUAGE);

	if (strlen(code) != 2 || !islower((unsigned char)code[0]) ||
	    !islower((unsigned char)code[1]))
		return agora_errorf(err, AGORA_EINVAL,
				    "'%s' is not a language code", code);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	return exec_stmt(db, st, err);
}

void auth_user_list_fini(struct auth_user_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].email);
		free(l->v[i].display_name);
		free(l->v[i].created_at);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int auth_user_list(struct agora_db *db, struct auth_user_list *out,
		   struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_USER_LIST);
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = db_step(db, st, err)) > 0) {
		struct auth_user_row *u;

		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *v = realloc(out->v, ncap * sizeof(*out->v));

			if (!v)
				goto oom;
			out->v = v;
			cap = ncap;
		}
		u = &out->v[out->n++];
		memset(u, 0, sizeof(*u));
		u->id = sqlite3_column_int64(st, 0);
		u->email = db_col_dup(st, 1);
		u->display_name = db_col_dup(st, 2);
		u->verified = sqlite3_column_int(st, 3);
		u->created_at = db_col_dup(st, 4);
		u->roles = sqlite3_column_int(st, 5);
		if (!u->email || !u->display_name || !u->created_at)
			goto oom;
	}
	sqlite3_reset(st);
	if (rc < 0)
		auth_user_list_fini(out);
	return rc < 0 ? rc : 0;
oom:
	sqlite3_reset(st);
	auth_user_list_fini(out);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- roles */

void auth_grant_list_fini(struct auth_grant_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].election);
		free(l->v[i].candidate);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int auth_user_grants(struct agora_db *db, int64_t user_id,
		     struct auth_grant_list *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_GRANTS);
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = db_step(db, st, err)) > 0) {
		struct auth_grant *g;

		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			void *v = realloc(out->v, ncap * sizeof(*out->v));

			if (!v)
				goto oom;
			out->v = v;
			cap = ncap;
		}
		g = &out->v[out->n++];
		memset(g, 0, sizeof(*g));
		g->role = auth_role_parse(db_col_text(st, 0));
		out->roles |= g->role;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    !(g->election = db_col_dup(st, 1)))
			goto oom;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    !(g->candidate = db_col_dup(st, 2)))
			goto oom;
	}
	sqlite3_reset(st);
	if (rc < 0)
		auth_grant_list_fini(out);
	return rc < 0 ? rc : 0;
oom:
	sqlite3_reset(st);
	auth_grant_list_fini(out);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* The id of a slug through statement id, bound after ?1 = parent */
static int lookup_id(struct agora_db *db, int id, int64_t parent,
		     const char *slug, int64_t *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, id);
	int rc;

	if (id == AU_CANDIDATE_ID) {
		sqlite3_bind_int64(st, 1, parent);
		sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	}
	rc = db_step(db, st, err);
	if (rc > 0)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == 0)
		return agora_errorf(
			err, AGORA_ENOTFOUND, "no %s '%s'",
			id == AU_CANDIDATE_ID ? "candidate" : "election", slug);
	return rc < 0 ? rc : 0;
}

int auth_grant(struct agora_db *db, int64_t user_id, int role,
	       const char *election, const char *candidate,
	       struct agora_error *err)
{
	sqlite3_stmt *st;
	int64_t eid = 0, cid = 0;
	int rc;

	if (!auth_role_name(role))
		return agora_errorf(err, AGORA_EINVAL, "unknown role");
	if (candidate && !election)
		return agora_errorf(err, AGORA_EINVAL,
				    "a candidate is named within an election");
	if (election &&
	    (rc = lookup_id(db, AU_ELECTION_ID, 0, election, &eid, err)))
		return rc;
	if (candidate &&
	    (rc = lookup_id(db, AU_CANDIDATE_ID, eid, candidate, &cid, err)))
		return rc;
	st = stmt(db, AU_GRANT_INSERT);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, auth_role_name(role), -1, SQLITE_STATIC);
	if (eid)
		sqlite3_bind_int64(st, 3, eid);
	if (cid)
		sqlite3_bind_int64(st, 4, cid);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT &&
	    rc != SQLITE_CONSTRAINT_COMMITHOOK)
		return agora_errorf(err, AGORA_EEXIST,
				    "the account already has this role");
	if (rc != SQLITE_DONE)
		return db_error(db, err, "cannot grant the role");
	return 0;
}

int auth_user_can(struct agora_db *db, int64_t user_id, int role,
		  int64_t election_id, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_CAN);
	int rc;

	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, auth_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, election_id);
	rc = db_step(db, st, err);
	sqlite3_reset(st);
	return rc;
}

/* ------------------------------------------------------------- sessions */

int auth_session_create(struct agora_db *db, int64_t user_id, time_t now,
			char token[AUTH_TOKEN_CHARS + 1],
			struct agora_error *err)
{
	unsigned char h[AUTH_HASH_BYTES];
	sqlite3_stmt *st;
	int rc;

	/* sign-ins are rare next to page views: sweep expired ones here */
	st = stmt(db, AU_SESSION_EXPIRE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	auth_token_new(token);
	auth_token_hash(token, h);
	st = stmt(db, AU_SESSION_INSERT);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now + AUTH_SESSION_TTL);
	return exec_stmt(db, st, err);
}

int auth_session_user(struct agora_db *db,
		      const unsigned char hash[AUTH_HASH_BYTES], time_t now,
		      struct auth_user *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_SESSION_USER);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_blob(st, 1, hash, AUTH_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if ((rc = db_step(db, st, err)) <= 0) {
		sqlite3_reset(st);
		return rc < 0 ? rc
			      : agora_errorf(err, AGORA_ENOTFOUND,
					     "no such session");
	}
	out->id = sqlite3_column_int64(st, 0);
	out->email = db_col_dup(st, 1);
	out->display_name = db_col_dup(st, 2);
	out->verified = sqlite3_column_int(st, 3);
	out->has_password = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	if (!out->email || !out->display_name) {
		auth_user_fini(out);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

int auth_session_delete(struct agora_db *db,
			const unsigned char hash[AUTH_HASH_BYTES],
			struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_SESSION_DELETE);

	sqlite3_bind_blob(st, 1, hash, AUTH_HASH_BYTES, SQLITE_STATIC);
	return exec_stmt(db, st, err);
}

/* ---------------------------------------------------- one-time links */

int auth_link_create(struct agora_db *db, int64_t user_id, int purpose,
		     time_t now, time_t ttl, char token[AUTH_TOKEN_CHARS + 1],
		     struct agora_error *err)
{
	unsigned char h[AUTH_HASH_BYTES];
	sqlite3_stmt *st = stmt(db, AU_LINK_INSERT);

	auth_token_new(token);
	auth_token_hash(token, h);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, purpose_name(purpose), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(now + ttl));
	return exec_stmt(db, st, err);
}

int auth_link_check(struct agora_db *db, const char *token, int purpose,
		    time_t now, int use, int64_t *user_id,
		    struct agora_error *err)
{
	unsigned char h[AUTH_HASH_BYTES];
	sqlite3_stmt *st;
	int rc;

	if (!token || auth_token_hash(token, h))
		goto gone;
	st = stmt(db, AU_LINK_GET);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_text(st, 2, purpose_name(purpose), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	rc = db_step(db, st, err);
	if (rc > 0)
		*user_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (rc == 0)
		goto gone;
	if (!use)
		return 0;
	st = stmt(db, AU_LINK_USE);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	if (sqlite3_changes(db_handle(db)) != 1)
		goto gone;
	return 0;
gone:
	return agora_errorf(err, AGORA_ENOTFOUND,
			    "this link is unknown, already used or expired");
}

/* ------------------------------------------------------------ audit log */

static const char genesis[65] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Each field as "<length>:<bytes>\n": no two entries hash the same */
static void field_hash(crypto_hash_sha256_state *st, const char *s)
{
	char len[24];

	snprintf(len, sizeof(len), "%zu:", strlen(s));
	crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
	crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_update(st, (const unsigned char *)"\n", 1);
}

void auth_audit_hash(const char *prev_hash, int64_t seq, const char *at,
		     int64_t actor, const char *action, const char *object,
		     const char *detail, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	char num[24];

	crypto_hash_sha256_init(&st);
	field_hash(&st, prev_hash);
	snprintf(num, sizeof(num), "%lld", (long long)seq);
	field_hash(&st, num);
	field_hash(&st, at);
	snprintf(num, sizeof(num), "%lld", (long long)actor);
	field_hash(&st, num);
	field_hash(&st, action);
	field_hash(&st, object);
	field_hash(&st, detail);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int auth_audit(struct agora_db *db, int64_t actor, const char *action,
	       const char *object, const char *detail, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_AUDIT_LAST);
	char prev[65], hash[65], at[32];
	time_t now = time(NULL);
	int64_t seq = 1;
	struct tm tm;
	int rc;

	memcpy(prev, genesis, sizeof(prev));
	if ((rc = db_step(db, st, err)) > 0) {
		seq = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", db_col_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	auth_audit_hash(prev, seq, at, actor, action, object, detail, hash);
	st = stmt(db, AU_AUDIT_INSERT);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	if (actor)
		sqlite3_bind_int64(st, 3, actor);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	return exec_stmt(db, st, err);
}

int auth_audit_verify(struct agora_db *db,
		      void (*on_failure)(void *ctx, const char *line),
		      void *ctx, size_t *entries, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, AU_AUDIT_ALL);
	char prev[65], want[65], line[256];
	int64_t expect = 1, seq;
	size_t failures = 0;
	int rc;

	*entries = 0;
	memcpy(prev, genesis, sizeof(prev));
	while ((rc = db_step(db, st, err)) > 0) {
		const char *stored_prev = db_col_text(st, 6);
		const char *stored = db_col_text(st, 7);

		seq = sqlite3_column_int64(st, 0);
		(*entries)++;
		if (seq != expect) {
			snprintf(line, sizeof(line),
				 "audit entry %lld: expected entry %lld (an "
				 "entry is missing)",
				 (long long)seq, (long long)expect);
			on_failure(ctx, line);
			failures++;
		}
		if (strcmp(stored_prev, prev)) {
			snprintf(line, sizeof(line),
				 "audit entry %lld: prev_hash is not the "
				 "previous entry's hash",
				 (long long)seq);
			on_failure(ctx, line);
			failures++;
		}
		auth_audit_hash(stored_prev, seq, db_col_text(st, 1),
				sqlite3_column_int64(st, 2), db_col_text(st, 3),
				db_col_text(st, 4), db_col_text(st, 5), want);
		if (strcmp(stored, want)) {
			snprintf(line, sizeof(line),
				 "audit entry %lld: its hash does not match "
				 "its contents",
				 (long long)seq);
			on_failure(ctx, line);
			failures++;
		}
		snprintf(prev, sizeof(prev), "%s", stored);
		expect = seq + 1;
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	if (failures)
		return agora_errorf(err, AGORA_ECHECK,
				    "%zu audit log failure%s", failures,
				    failures == 1 ? "" : "s");
	return 0;
}
