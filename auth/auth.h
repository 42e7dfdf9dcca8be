/*
 * auth.h - accounts, roles, sessions and one-time links (issue 4), the
 * secrets they rest on (random tokens stored hashed, Argon2id password
 * hashes, CSRF tokens), a rate limiter and the e-mail outbox.
 *
 * auth/ depends on core/ only. Like every module it takes a database
 * handle, returns 0 or an AGORA_E* code with a message, and never
 * prints; web/ and cli/ render.
 */
#ifndef AGORA_AUTH_H
#define AGORA_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core.h"

int auth_db_prepare(struct agora_db *db, struct agora_error *err);

/* ----------------------------------------------------------------- roles */

/* A bit each, so that a user's roles fit in an int */
enum auth_role {
	ROLE_CITIZEN = 1,
	ROLE_CANDIDATE = 2,
	ROLE_EDITOR = 4,
	ROLE_ADMIN = 8,
};
/* "administrator", "editor", "candidate", "citizen"; NULL if unknown */
const char *auth_role_name(int role);
/* The role named s, or 0 */
int auth_role_parse(const char *s);

/* ---------------------------------------------------------------- tokens */

#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_CHARS 43 /* base64url without padding */
#define AUTH_HASH_BYTES 32  /* SHA-256 */

/* A new random token, base64url, NUL-terminated */
void auth_token_new(char out[AUTH_TOKEN_CHARS + 1]);
/*
 * SHA-256 of a token as received; -1 (nothing written) when s is not
 * exactly a token's shape, so a hostile cookie never reaches the
 * database.
 */
int auth_token_hash(const char *s, unsigned char out[AUTH_HASH_BYTES]);

/*
 * CSRF tokens: base64url(HMAC-SHA-256(key, binding)), binding being the
 * session token's hash when signed in, or a random pre-session cookie
 * before. auth_csrf_check compares in constant time; 1 when it matches.
 */
#define AUTH_CSRF_CHARS 43
void auth_csrf_make(const unsigned char key[32], const void *binding, size_t n,
		    char out[AUTH_CSRF_CHARS + 1]);
int auth_csrf_check(const unsigned char key[32], const void *binding, size_t n,
		    const char *given);
/* The CSRF key stored in the database (table secret) */
int auth_csrf_key(struct agora_db *db, unsigned char key[32],
		  struct agora_error *err);

/* ------------------------------------------------------------- passwords */

#define AUTH_PASSWORD_MIN 8    /* bytes */
#define AUTH_PASSWORD_MAX 1024 /* bytes: hashing cost stays bounded */
#define AUTH_PWHASH_BYTES 128  /* crypto_pwhash_STRBYTES */

/* The password policy: length and valid UTF-8; AGORA_EINVAL with why */
int auth_password_ok(const char *pw, struct agora_error *err);
/*
 * Argon2id with libsodium's interactive limits, unless the environment
 * variable AGORA_PWHASH_LIMITS="OPS,MEMBYTES" is set (for tests), which
 * is clamped to libsodium's minimums. *overridden is set when it is.
 */
void auth_pwhash_limits(unsigned long long *ops, size_t *mem, int *overridden);
/* Slow on purpose (~0.1 s, 64 MiB): keep it off request threads */
int auth_password_hash(const char *pw, char out[AUTH_PWHASH_BYTES],
		       struct agora_error *err);
/* 1 when pw matches hash (a crypto_pwhash_str string) */
int auth_password_verify(const char *hash, const char *pw);
/* A valid hash of no password anyone knows: to spend the same time */
const char *auth_password_dummy(void);

/* --------------------------------------------------------------- e-mail */

/* Trims, lower-cases and checks an e-mail address; caller frees *out */
int auth_email_normalize(const char *in, char **out, struct agora_error *err);

/* ---------------------------------------------------------------- users */

struct auth_user {
	int64_t id;
	char *email, *display_name;
	int verified;
	int has_password;
};
void auth_user_fini(struct auth_user *u);

/* AGORA_EEXIST when the e-mail is taken; hash may be NULL */
int auth_user_create(struct agora_db *db, const char *email,
		     const char *display_name, const char *hash, int verified,
		     int64_t *id, struct agora_error *err);
/* AGORA_ENOTFOUND when there is none; *hash (may be NULL) the caller
 * frees, NULL when no password is set */
int auth_user_by_email(struct agora_db *db, const char *email,
		       struct auth_user *out, char **hash,
		       struct agora_error *err);
int auth_user_set_password(struct agora_db *db, int64_t user_id,
			   const char *hash, struct agora_error *err);
int auth_user_set_verified(struct agora_db *db, int64_t user_id,
			   struct agora_error *err);
/*
 * Where to write to an account: its address (*email, the caller frees)
 * and its language ("fr", "en"; "" when not known yet).
 * AGORA_ENOTFOUND when there is no such account.
 */
int auth_user_mailto(struct agora_db *db, int64_t user_id, char **email,
		     char lang[3], struct agora_error *err) AGORA_WUR;
/* The account's language (two lower-case letters), in the caller's tx */
int auth_user_set_language(struct agora_db *db, int64_t user_id,
			   const char *code, struct agora_error *err) AGORA_WUR;

struct auth_grant {
	int role;
	char *election;	 /* slug, or NULL */
	char *candidate; /* slug, or NULL */
};
struct auth_grant_list {
	struct auth_grant *v;
	size_t n;
	int roles; /* the union of the roles, as bits */
};
void auth_grant_list_fini(struct auth_grant_list *l);
int auth_user_grants(struct agora_db *db, int64_t user_id,
		     struct auth_grant_list *out, struct agora_error *err);
/*
 * Grants a role; election and candidate are slugs or NULL (an editor of
 * one election, a candidate of one candidacy). AGORA_EEXIST if held,
 * AGORA_ENOTFOUND for an unknown election or candidate.
 */
int auth_grant(struct agora_db *db, int64_t user_id, int role,
	       const char *election, const char *candidate,
	       struct agora_error *err);
/*
 * 1 when the user holds role: an editor of election_id (0: of any),
 * or an administrator, who may do everything an editor may.
 */
int auth_user_can(struct agora_db *db, int64_t user_id, int role,
		  int64_t election_id, struct agora_error *err);

/* Every user, by e-mail, with their roles as bits */
struct auth_user_row {
	int64_t id;
	char *email, *display_name, *created_at;
	int verified, roles;
};
struct auth_user_list {
	struct auth_user_row *v;
	size_t n;
};
void auth_user_list_fini(struct auth_user_list *l);
int auth_user_list(struct agora_db *db, struct auth_user_list *out,
		   struct agora_error *err);

/* ------------------------------------------------------------ audit log */

/*
 * Appends an entry to the hash-chained audit log, in the caller's write
 * transaction. actor is a user id, or 0 for the command line; object
 * names what changed ("user:12"), detail says how ("role=editor
 * election=ville-2026").
 */
int auth_audit(struct agora_db *db, int64_t actor, const char *action,
	       const char *object, const char *detail,
	       struct agora_error *err);
/*
 * Recomputes the chain, calling on_failure with one line per broken
 * entry (a gap in seq, a prev_hash that is not the previous hash, a hash
 * that does not match the fields). *entries receives the count.
 * AGORA_ECHECK when anything failed.
 */
int auth_audit_verify(struct agora_db *db,
		      void (*on_failure)(void *ctx, const char *line),
		      void *ctx, size_t *entries, struct agora_error *err);
/* The hash of an entry, as the log stores it (for tests) */
void auth_audit_hash(const char *prev_hash, int64_t seq, const char *at,
		     int64_t actor, const char *action, const char *object,
		     const char *detail, char out[65]);

/* ------------------------------------------------- candidacy claims */

/*
 * A claim: an account asks to be linked to one candidate of an election
 * (the candidate role for that candidacy); an administrator or an editor
 * of the election confirms it or refuses it with a reason. Every step is
 * one audit entry, written in the caller's write transaction with the
 * change itself. auth_db_prepare() prepares these statements too.
 */
#define AUTH_CLAIM_MESSAGE_MAX 2000 /* bytes */
#define AUTH_CLAIM_REASON_MAX 2000  /* bytes */
#define AUTH_CLAIM_PENDING_MAX 10   /* pending claims per account */

struct auth_claim {
	int64_t id, user_id, candidate_id, election_id;
	char *election, *candidate, *candidate_name; /* slugs, then name */
	char *email, *display_name;		     /* the account's */
	char *message, *status, *reason, *created_at;
	char *decided_at; /* "" while pending */
};
void auth_claim_fini(struct auth_claim *c);
/* The claims' statements (auth_db_prepare calls it) */
int auth_claim_db_prepare(struct agora_db *db, struct agora_error *err);

/*
 * Files user_id's claim on candidate (slugs). AGORA_ENOTFOUND for an
 * unknown election or candidate; AGORA_EEXIST when the account already
 * holds that candidacy or has a pending claim on it; AGORA_ETOOBIG past
 * AUTH_CLAIM_PENDING_MAX pending claims; AGORA_EINVAL for a bad message.
 * *id (may be NULL) receives the claim's id.
 */
int auth_claim_file(struct agora_db *db, int64_t user_id,
		    const char *election, const char *candidate,
		    const char *message, int64_t *id,
		    struct agora_error *err) AGORA_WUR;
/* AGORA_ENOTFOUND when there is no such claim */
int auth_claim_get(struct agora_db *db, int64_t id, struct auth_claim *out,
		   struct agora_error *err) AGORA_WUR;
/*
 * Calls fn for each claim of user_id, newest first, or, with user_id 0,
 * for each pending claim, oldest first (the queue). A non-zero return
 * from fn stops and is returned.
 */
int auth_claim_list(struct agora_db *db, int64_t user_id,
		    int (*fn)(void *ctx, const struct auth_claim *c),
		    void *ctx, struct agora_error *err) AGORA_WUR;
/*
 * Decides a pending claim as actor: confirm grants the candidate role
 * for the claim's candidacy; a refusal needs a reason. AGORA_EEXIST for
 * a claim already decided, AGORA_EINVAL for a missing or bad reason,
 * AGORA_ENOTFOUND for no such claim; the permission
 * (auth_user_can ROLE_EDITOR of the claim's election) is the caller's.
 */
int auth_claim_decide(struct agora_db *db, int64_t id, int64_t actor,
		      int confirm, const char *reason,
		      struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------------------- sessions */

#define AUTH_SESSION_TTL (14 * 24 * 3600) /* seconds */

/* A new session: the token (for the cookie) is written to token */
int auth_session_create(struct agora_db *db, int64_t user_id, time_t now,
			char token[AUTH_TOKEN_CHARS + 1],
			struct agora_error *err);
/* The user of a live session; AGORA_ENOTFOUND if none or expired */
int auth_session_user(struct agora_db *db,
		      const unsigned char hash[AUTH_HASH_BYTES], time_t now,
		      struct auth_user *out, struct agora_error *err);
int auth_session_delete(struct agora_db *db,
			const unsigned char hash[AUTH_HASH_BYTES],
			struct agora_error *err);

/* ---------------------------------------------------- one-time links */

enum auth_link_purpose { AUTH_LINK_VERIFY, AUTH_LINK_RESET };
#define AUTH_VERIFY_TTL (3 * 24 * 3600)
#define AUTH_RESET_TTL 3600

int auth_link_create(struct agora_db *db, int64_t user_id, int purpose,
		     time_t now, time_t ttl, char token[AUTH_TOKEN_CHARS + 1],
		     struct agora_error *err);
/*
 * The user of an unused, unexpired link; with use, marks it used (in
 * the caller's write transaction). AGORA_ENOTFOUND otherwise, with a
 * message that does not say which of unknown, used or expired.
 */
int auth_link_check(struct agora_db *db, const char *token, int purpose,
		    time_t now, int use, int64_t *user_id,
		    struct agora_error *err);

/* --------------------------------------------------------- rate limits */

/*
 * Token buckets keyed by strings ("ip:1.2.3.4", "login:a@b.c"), in a
 * fixed table (an old key is forgotten when a new one takes its slot,
 * which errs on the side of allowing). Thread-safe.
 */
struct ratelimit;
struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/*
 * Takes one token from key's bucket, which holds at most burst and
 * gains one every interval seconds. 1: allowed; 0: limited, with
 * *retry_after (may be NULL) the seconds until a token is back.
 */
int ratelimit_take(struct ratelimit *rl, const char *key, double burst,
		   double interval, double now, unsigned *retry_after);

/* Forgets key's bucket (a sign-in that succeeded clears its account's) */
void ratelimit_reset(struct ratelimit *rl, const char *key);

/* --------------------------------------------------------------- outbox */

/*
 * Writes one message as DIR/<UTC time>-<random>.eml (RFC 5322, UTF-8,
 * mode 0600: it holds a secret link), atomically (a temporary name,
 * then rename). The folder is created if missing. *path (may be NULL)
 * receives the file's path; the caller frees it.
 */
int outbox_write(const char *dir, const char *from, const char *to,
		 const char *subject, const char *body, char **path,
		 struct agora_error *err);

/*
 * The same in two steps, for mail about a write: outbox_prepare()
 * writes and syncs the message under a hidden temporary name in DIR;
 * once the write is committed, outbox_publish() renames it to its .eml
 * name (m->path, which the caller then frees); if the write fails,
 * outbox_discard() removes it. Storage errors are AGORA_ESTORAGE.
 */
struct outbox_msg {
	char *tmp, *path, *dir;
};
int outbox_prepare(const char *dir, const char *from, const char *to,
		   const char *subject, const char *body,
		   struct outbox_msg *out, struct agora_error *err) AGORA_WUR;
int outbox_publish(struct outbox_msg *m, struct agora_error *err) AGORA_WUR;
void outbox_discard(struct outbox_msg *m);
/*
 * Removes the ".tmp-" files of dir older than max_age seconds at now:
 * mail a crashed process prepared and never published. How many.
 */
#define OUTBOX_TMP_MAX_AGE 3600
size_t outbox_sweep(const char *dir, time_t now, time_t max_age);

/* ------------------------------------------------------------ SMTP relay */

/*
 * Checks an SMTP relay's URL: smtp:// or smtps://, a host, no user or
 * password in it. *require_tls: smtp:// to a host that is not loopback
 * must use STARTTLS. AGORA_EINVAL with why.
 */
int smtp_url_check(const char *url, int *require_tls,
		   struct agora_error *err);

struct smtp_config {
	const char *url;
	const char *user, *password; /* both NULL: no authentication */
	const char *from;	     /* "agora@example.org" or "Name <...>" */
	const char *outbox;	     /* where sent messages move (sent/) */
	unsigned max_tries;	     /* 0: 8 */
	double first_delay, max_delay; /* seconds; 0: 30 s and one hour */
};

/*
 * The relay and its sending thread (libcurl). smtp_relay_send() queues
 * an .eml already in the outbox for the address to: it returns at once;
 * the thread sends it, moves it to outbox/sent/ once accepted, retries
 * a failure after first_delay, doubling up to max_delay, and logs each
 * failure; after max_tries the file stays in the outbox. AGORA_ETOOBIG
 * when 1024 messages are waiting (the file stays in the outbox).
 * smtp_relay_free() stops the thread (a transfer in progress is
 * abandoned); unsent messages stay in the outbox, each one logged.
 */
struct smtp_relay;
int smtp_relay_new(struct smtp_relay **out, const struct smtp_config *cfg,
		   struct agora_error *err) AGORA_WUR;
int smtp_relay_send(struct smtp_relay *s, const char *path, const char *to,
		    struct agora_error *err);
/*
 * Queues every message already in the outbox (left by an earlier run
 * whose relay failed or stopped, or written without a relay): the
 * server calls it at start. *queued receives how many.
 */
int smtp_relay_send_outbox(struct smtp_relay *s, size_t *queued,
			   struct agora_error *err);
void smtp_relay_stats(struct smtp_relay *s, unsigned long *sent,
		      unsigned long *failed, size_t *waiting);
void smtp_relay_free(struct smtp_relay *s);

#endif
