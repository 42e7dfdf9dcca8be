/*
 * material.c - campaign material and profiles in the database: the
 * proposals, their moderation and their audit entries. Writers run
 * inside the caller's BEGIN IMMEDIATE transaction; each change and its
 * audit entry commit together or not at all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "material.h"

enum material_stmt {
	MA_SAME,
	MA_INSERT,
	MA_DATA_INSERT,
	MA_LIST,
	MA_GET,
	MA_DATA,
	MA_DECIDE,
	MA_WITHDRAW,
	PR_WITHDRAW,
	PR_INSERT,
	PR_GET,
	PR_CURRENT,
	PR_LIST,
	PR_PENDING,
	PR_DECIDE,
	PR_APPLY,
	MA_VERIFY,
	MA_ELECTION_PHOTOS,
	MA_STMT__MAX
};

/*
 * A withdrawn item keeps its status 'published' in the table (the
 * decision stands, the schema's triggers keep it); readers see it as
 * 'withdrawn', so that a filter on 'published' leaves it out everywhere
 */
#define ITEM_STATUS                                                            \
	"CASE WHEN m.withdrawn_at IS NULL THEN m.status ELSE 'withdrawn' END"

#define ITEM_COLUMNS                                                           \
	"SELECT m.id, m.candidate_id, c.election_id, e.slug, c.slug,"          \
	" trim(c.given_name || ' ' || c.family_name), m.kind, m.media_type,"   \
	" m.caption, m.url, " ITEM_STATUS ", m.reason, m.submitted_at,"        \
	" m.sha256, m.size, m.width, m.height, coalesce(m.submitted_by, 0)"    \
	" FROM material m"                                                     \
	" JOIN candidate c ON c.id = m.candidate_id"                           \
	" JOIN election e ON e.id = c.election_id"

#define PROFILE_COLUMNS                                                        \
	"SELECT p.id, p.candidate_id, c.election_id, e.slug, c.slug,"          \
	" p.given_name, p.family_name, p.party, p.bio, p.links, p.status,"     \
	" p.reason, p.proposed_at, coalesce(p.decided_at, ''),"                \
	" coalesce(p.proposed_by, 0)"                                          \
	" FROM candidate_profile p"                                            \
	" JOIN candidate c ON c.id = p.candidate_id"                           \
	" JOIN election e ON e.id = c.election_id"

static const char *const material_sql[MA_STMT__MAX] = {
	[MA_SAME] = "SELECT id FROM material WHERE candidate_id = ?1"
		    " AND sha256 = ?2 AND status <> 'rejected'"
		    " AND withdrawn_at IS NULL",
	[MA_INSERT] = "INSERT INTO material(candidate_id, kind, media_type,"
		      " caption, url, size, width, height, sha256,"
		      " submitted_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		      " ?9, ?10)",
	[MA_DATA_INSERT] = "INSERT INTO material_data(material_id, data)"
			   " VALUES (?1, ?2)",
	[MA_LIST] = ITEM_COLUMNS " WHERE (?1 = 0 OR m.candidate_id = ?1)"
				 " AND (?2 IS NULL OR " ITEM_STATUS " = ?2)"
				 " ORDER BY m.id",
	[MA_GET] = ITEM_COLUMNS " WHERE m.id = ?1",
	[MA_DATA] = "SELECT data FROM material_data WHERE material_id = ?1",
	[MA_DECIDE] = "UPDATE material SET status = ?2, reason = ?3,"
		      " decided_by = nullif(?4, 0),"
		      " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		      " WHERE id = ?1 AND status = 'pending'",
	[MA_WITHDRAW] = "UPDATE material SET withdrawn_by = nullif(?2, 0),"
			" withdrawn_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
			" WHERE id = ?1 AND status = 'published'"
			" AND withdrawn_at IS NULL",
	[PR_WITHDRAW] = "UPDATE candidate_profile SET status = 'withdrawn',"
			" decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
			" WHERE candidate_id = ?1 AND status = 'pending'",
	[PR_INSERT] = "INSERT INTO candidate_profile(candidate_id, given_name,"
		      " family_name, party, bio, links, proposed_by)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0))",
	[PR_GET] = PROFILE_COLUMNS " WHERE p.id = ?1",
	[PR_CURRENT] = PROFILE_COLUMNS
	" WHERE p.candidate_id = ?1 AND p.status = 'published'"
	" ORDER BY p.decided_at DESC, p.id DESC LIMIT 1",
	[PR_LIST] = PROFILE_COLUMNS " WHERE p.candidate_id = ?1"
				    " ORDER BY p.id DESC",
	[PR_PENDING] = PROFILE_COLUMNS " WHERE p.status = 'pending'"
				       " ORDER BY p.id",
	[PR_DECIDE] = "UPDATE candidate_profile SET status = ?2, reason = ?3,"
		      " decided_by = nullif(?4, 0),"
		      " decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		      " WHERE id = ?1 AND status = 'pending'",
	[PR_APPLY] = "UPDATE candidate SET given_name = ?2, family_name = ?3,"
		     " party = ?4, sort_key = ?5 WHERE id = ?1",
	[MA_VERIFY] = "SELECT m.id, m.sha256, m.size, m.media_type, d.data"
		      " FROM material m"
		      " LEFT JOIN material_data d ON d.material_id = m.id"
		      " WHERE m.kind <> 'video' ORDER BY m.id",
	/* oldest first: the caller keeps each candidate's newest */
	[MA_ELECTION_PHOTOS] = ITEM_COLUMNS " WHERE e.slug = ?1"
			       " AND m.kind = 'photo'"
			       " AND m.status = 'published' ORDER BY m.id",
};

int material_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_MATERIAL, material_sql,
				 MA_STMT__MAX, err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum material_stmt id)
{
	return db_stmt(db, DB_MOD_MATERIAL, id);
}

static int nomem(struct agora_error *err)
{
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* Steps a statement that returns no row, then resets it */
static int exec_stmt(struct agora_db *db, sqlite3_stmt *st,
		     struct agora_error *err)
{
	int rc = db_step(db, st, err);

	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

static int audit(struct agora_db *db, int64_t actor, const char *action,
		 const char *kind, int64_t id, const char *detail,
		 struct agora_error *err)
{
	char object[64];

	snprintf(object, sizeof(object), "%s:%lld", kind, (long long)id);
	return auth_audit(db, actor, action, object, detail, err);
}

/* ------------------------------------------------------- the material */

void material_item_fini(struct material_item *m)
{
	free(m->election);
	free(m->candidate);
	free(m->candidate_name);
	free(m->kind);
	free(m->media_type);
	free(m->caption);
	free(m->url);
	free(m->status);
	free(m->reason);
	free(m->submitted_at);
	free(m->sha256);
	memset(m, 0, sizeof(*m));
}

static int item_read(sqlite3_stmt *st, struct material_item *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->candidate_id = sqlite3_column_int64(st, 1);
	m->election_id = sqlite3_column_int64(st, 2);
	m->election = db_col_dup(st, 3);
	m->candidate = db_col_dup(st, 4);
	m->candidate_name = db_col_dup(st, 5);
	m->kind = db_col_dup(st, 6);
	m->media_type = db_col_dup(st, 7);
	m->caption = db_col_dup(st, 8);
	m->url = db_col_dup(st, 9);
	m->status = db_col_dup(st, 10);
	m->reason = db_col_dup(st, 11);
	m->submitted_at = db_col_dup(st, 12);
	m->sha256 = db_col_dup(st, 13);
	m->size = sqlite3_column_int64(st, 14);
	m->width = (unsigned)sqlite3_column_int(st, 15);
	m->height = (unsigned)sqlite3_column_int(st, 16);
	m->submitted_by = sqlite3_column_int64(st, 17);
	return m->election && m->candidate && m->candidate_name && m->kind &&
			       m->media_type && m->caption && m->url &&
			       m->status && m->reason && m->submitted_at &&
			       m->sha256
		       ? 0
		       : AGORA_ENOMEM;
}

static int caption_check(const char *caption, struct agora_error *err)
{
	return text_check("the caption", caption ? caption : "", 1,
			  MATERIAL_CAPTION_MAX, 0, err);
}

static int insert_item(struct agora_db *db, int64_t candidate_id,
		       const char *kind, const char *media_type,
		       const char *caption, const char *url, size_t size,
		       unsigned w, unsigned h, const char *sha, int64_t user_id,
		       int64_t *id, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_INSERT);
	int rc;

	sqlite3_bind_int64(st, 1, candidate_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, media_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, caption, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)size);
	sqlite3_bind_int(st, 7, (int)w);
	sqlite3_bind_int(st, 8, (int)h);
	sqlite3_bind_text(st, 9, sha, -1, SQLITE_STATIC);
	if (user_id)
		sqlite3_bind_int64(st, 10, user_id);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	return 0;
}

int material_add_file(struct agora_db *db, int64_t candidate_id,
		      int64_t user_id, const char *caption, const void *p,
		      size_t n, struct material_file *file, int64_t *id,
		      int *duplicate, struct agora_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char sha[2 * crypto_hash_sha256_BYTES + 1];
	struct material_file f0, *f = file ? file : &f0;
	const char *kind;
	sqlite3_stmt *st;
	size_t max;
	int rc;

	*duplicate = 0;
	if ((rc = material_sniff(p, n, f, err)))
		return rc;
	kind = f->type == MATERIAL_PDF ? "leaflet" : "photo";
	max = f->type == MATERIAL_PDF ? MATERIAL_LEAFLET_MAX
				      : MATERIAL_PHOTO_MAX;
	if (n > max)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "the %s is %zu bytes: a %s is %zu MiB at "
				    "most",
				    f->label, n,
				    f->type == MATERIAL_PDF ? "leaflet"
							    : "photo",
				    max >> 20);
	if ((rc = caption_check(caption, err)))
		return rc;
	crypto_hash_sha256(hash, p, n);
	sodium_bin2hex(sha, sizeof(sha), hash, sizeof(hash));
	st = stmt(db, MA_SAME);
	sqlite3_bind_int64(st, 1, candidate_id);
	sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc > 0) {
		*id = sqlite3_column_int64(st, 0);
		*duplicate = 1;
	}
	sqlite3_reset(st);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if ((rc = insert_item(db, candidate_id, kind, f->media_type, caption,
			      "", n, f->width, f->height, sha, user_id, id,
			      err)))
		return rc;
	st = stmt(db, MA_DATA_INSERT);
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_blob64(st, 2, p, n, SQLITE_STATIC);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	return audit(db, user_id, "material.submit", "material", *id,
		     f->media_type, err);
}

int material_add_video(struct agora_db *db, int64_t candidate_id,
		       int64_t user_id, const char *caption, const char *url,
		       int64_t *id, struct agora_error *err)
{
	int rc;

	if ((rc = material_url_check("the video link", url ? url : "", err)) ||
	    (rc = caption_check(caption, err)) ||
	    (rc = insert_item(db, candidate_id, "video", "", caption, url, 0, 0,
			      0, "", user_id, id, err)))
		return rc;
	return audit(db, user_id, "material.submit", "material", *id, url, err);
}

/* Steps st, its parameters bound, calling fn with each item read */
static int each_item(struct agora_db *db, sqlite3_stmt *st, material_fn fn,
		     void *ctx, struct agora_error *err)
{
	struct material_item m;
	int rc;

	while ((rc = db_step(db, st, err)) > 0) {
		memset(&m, 0, sizeof(m));
		rc = item_read(st, &m) ? nomem(err) : fn(ctx, &m);
		material_item_fini(&m);
		if (rc)
			break;
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

int material_list(struct agora_db *db, int64_t candidate_id, const char *status,
		  material_fn fn, void *ctx, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_LIST);

	sqlite3_bind_int64(st, 1, candidate_id);
	if (status)
		sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	return each_item(db, st, fn, ctx, err);
}

int material_election_photos(struct agora_db *db, const char *election,
			     material_fn fn, void *ctx,
			     struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_ELECTION_PHOTOS);

	sqlite3_bind_text(st, 1, election, -1, SQLITE_STATIC);
	return each_item(db, st, fn, ctx, err);
}

int material_get(struct agora_db *db, int64_t id, struct material_item *out,
		 struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, err);
	if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND, "no material %lld",
				  (long long)id);
	else if (rc > 0 && item_read(st, out))
		rc = nomem(err);
	else if (rc > 0)
		rc = 0;
	sqlite3_reset(st);
	if (rc)
		material_item_fini(out);
	return rc;
}

int material_data(struct agora_db *db, int64_t id, struct sb *out,
		  struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_DATA);
	int rc;

	sqlite3_bind_int64(st, 1, id);
	rc = db_step(db, st, err);
	if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND,
				  "no stored file for material %lld",
				  (long long)id);
	else if (rc > 0)
		rc = sb_append(out, sqlite3_column_blob(st, 0),
			       (size_t)sqlite3_column_bytes(st, 0))
			     ? agora_errorf(err, sb_error(out),
					    "material %lld: too large",
					    (long long)id)
			     : 0;
	sqlite3_reset(st);
	return rc;
}

static int decide(struct agora_db *db, enum material_stmt sid, const char *what,
		  int64_t id, int publish, const char *reason, int64_t user_id,
		  struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, sid);
	int rc;

	if (!reason)
		reason = "";
	if (!publish && !*reason)
		return agora_errorf(err, AGORA_EINVAL,
				    "a rejection needs a reason, which the "
				    "candidate reads");
	if ((rc = text_check("the reason", reason, 0, 2000, 1, err)))
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, publish ? "published" : "rejected", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, user_id);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	if (sqlite3_changes(db_handle(db)) != 1)
		return agora_errorf(err, AGORA_EINVAL,
				    "%s %lld is not waiting for moderation",
				    what, (long long)id);
	return 0;
}

int material_moderate(struct agora_db *db, int64_t id, int publish,
		      const char *reason, int64_t user_id,
		      struct agora_error *err)
{
	struct material_item m;
	int rc;

	if ((rc = material_get(db, id, &m, err)))
		return rc;
	material_item_fini(&m);
	if ((rc = decide(db, MA_DECIDE, "material", id, publish, reason,
			 user_id, err)))
		return rc;
	return audit(db, user_id,
		     publish ? "material.publish" : "material.reject",
		     "material", id, reason ? reason : "", err);
}

int material_withdraw(struct agora_db *db, int64_t id, int64_t user_id,
		      struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, MA_WITHDRAW);
	int rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = exec_stmt(db, st, err)))
		return rc;
	if (sqlite3_changes(db_handle(db)) != 1)
		return agora_errorf(err, AGORA_EINVAL,
				    "material %lld is not published: only "
				    "published material is withdrawn",
				    (long long)id);
	return audit(db, user_id, "material.withdraw", "material", id, "", err);
}

/* ------------------------------------------------------- the profile */

void material_profile_fini(struct material_profile *p)
{
	free(p->election);
	free(p->candidate);
	free(p->given_name);
	free(p->family_name);
	free(p->party);
	free(p->bio);
	free(p->links);
	free(p->status);
	free(p->reason);
	free(p->proposed_at);
	free(p->decided_at);
	memset(p, 0, sizeof(*p));
}

static int profile_read(sqlite3_stmt *st, struct material_profile *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->candidate_id = sqlite3_column_int64(st, 1);
	p->election_id = sqlite3_column_int64(st, 2);
	p->election = db_col_dup(st, 3);
	p->candidate = db_col_dup(st, 4);
	p->given_name = db_col_dup(st, 5);
	p->family_name = db_col_dup(st, 6);
	p->party = db_col_dup(st, 7);
	p->bio = db_col_dup(st, 8);
	p->links = db_col_dup(st, 9);
	p->status = db_col_dup(st, 10);
	p->reason = db_col_dup(st, 11);
	p->proposed_at = db_col_dup(st, 12);
	p->decided_at = db_col_dup(st, 13);
	p->proposed_by = sqlite3_column_int64(st, 14);
	return p->election && p->candidate && p->given_name && p->family_name &&
			       p->party && p->bio && p->links && p->status &&
			       p->reason && p->proposed_at && p->decided_at
		       ? 0
		       : AGORA_ENOMEM;
}

/*
 * The links, one a line, blank lines and surrounding spaces dropped,
 * each checked; *out (the caller frees) joins them with newlines.
 */
static int links_check(const char *text, char **out, struct agora_error *err)
{
	struct sb b;
	char what[32];
	const char *s = text ? text : "", *e;
	size_t n, k = 0;
	char *line;
	int rc = 0;

	sb_init(&b, MATERIAL_LINKS_MAX * (MATERIAL_URL_MAX + 1) + 1);
	*out = NULL;
	for (; *s; s = *e ? e + 1 : e) {
		e = s + strcspn(s, "\n");
		n = (size_t)(e - s);
		while (n && strchr(" \t\r", s[n - 1]))
			n--;
		while (n && strchr(" \t", *s)) {
			s++;
			n--;
		}
		if (!n)
			continue;
		if (++k > MATERIAL_LINKS_MAX) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "more than %d links",
					  MATERIAL_LINKS_MAX);
			break;
		}
		if (!(line = strndup(s, n))) {
			rc = nomem(err);
			break;
		}
		snprintf(what, sizeof(what), "link %zu", k);
		rc = material_url_check(what, line, err);
		if (!rc) {
			if (b.len)
				sb_putc(&b, '\n');
			sb_puts(&b, line);
		}
		free(line);
		if (rc)
			break;
	}
	if (!rc && sb_error(&b))
		rc = nomem(err);
	if (!rc && !(*out = sb_detach(&b, NULL)))
		rc = nomem(err);
	sb_fini(&b);
	return rc;
}

int material_profile_propose(struct agora_db *db, int64_t candidate_id,
			     int64_t user_id, const char *given,
			     const char *family, const char *party,
			     const char *bio, const char *links, int64_t *id,
			     struct agora_error *err)
{
	sqlite3_stmt *st;
	char *lk = NULL;
	int rc;

	given = given ? given : "";
	party = party ? party : "";
	bio = bio ? bio : "";
	if ((rc = text_check("the given name", given, 0, MATERIAL_NAME_MAX, 0,
			     err)) ||
	    (rc = text_check("the family name", family ? family : "", 1,
			     MATERIAL_NAME_MAX, 0, err)) ||
	    (rc = text_check("the party or list", party, 0, MATERIAL_NAME_MAX,
			     0, err)) ||
	    (rc = text_check("the biography", bio, 0, MATERIAL_BIO_MAX, 1,
			     err)) ||
	    (rc = links_check(links, &lk, err)))
		return rc;
	st = stmt(db, PR_WITHDRAW);
	sqlite3_bind_int64(st, 1, candidate_id);
	if ((rc = exec_stmt(db, st, err)))
		goto out;
	st = stmt(db, PR_INSERT);
	sqlite3_bind_int64(st, 1, candidate_id);
	sqlite3_bind_text(st, 2, given, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, family, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, party, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, bio, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, lk, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, user_id);
	if ((rc = exec_stmt(db, st, err)))
		goto out;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	rc = audit(db, user_id, "profile.propose", "profile", *id, "", err);
out:
	free(lk);
	return rc;
}

static int profile_one(struct agora_db *db, enum material_stmt sid, int64_t key,
		       struct material_profile *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, sid);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, key);
	rc = db_step(db, st, err);
	if (rc == 0)
		rc = agora_errorf(err, AGORA_ENOTFOUND, "no profile %lld",
				  (long long)key);
	else if (rc > 0 && profile_read(st, out))
		rc = nomem(err);
	else if (rc > 0)
		rc = 0;
	sqlite3_reset(st);
	if (rc)
		material_profile_fini(out);
	return rc;
}

int material_profile_get(struct agora_db *db, int64_t id,
			 struct material_profile *out, struct agora_error *err)
{
	return profile_one(db, PR_GET, id, out, err);
}

int material_profile_current(struct agora_db *db, int64_t candidate_id,
			     struct material_profile *out,
			     struct agora_error *err)
{
	return profile_one(db, PR_CURRENT, candidate_id, out, err);
}

int material_profile_list(struct agora_db *db, int64_t candidate_id,
			  material_profile_fn fn, void *ctx,
			  struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, candidate_id ? PR_LIST : PR_PENDING);
	struct material_profile p;
	int rc;

	if (candidate_id)
		sqlite3_bind_int64(st, 1, candidate_id);
	while ((rc = db_step(db, st, err)) > 0) {
		memset(&p, 0, sizeof(p));
		rc = profile_read(st, &p) ? nomem(err) : fn(ctx, &p);
		material_profile_fini(&p);
		if (rc)
			break;
	}
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

/* The candidate takes the published profile's names and party */
static int profile_apply(struct agora_db *db, const struct material_profile *p,
			 struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, PR_APPLY);
	struct sb key;
	int rc;

	/* the alphabetical rule, as ingest writes it */
	sb_init(&key, 4 * MATERIAL_NAME_MAX + 8);
	text_fold(&key, p->family_name, strlen(p->family_name), 0);
	sb_putc(&key, '\x1f');
	text_fold(&key, p->given_name, strlen(p->given_name), 0);
	if (sb_error(&key)) {
		sb_fini(&key);
		return nomem(err);
	}
	sqlite3_bind_int64(st, 1, p->candidate_id);
	sqlite3_bind_text(st, 2, p->given_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->family_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->party, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, key.buf, (int)key.len, SQLITE_STATIC);
	rc = exec_stmt(db, st, err);
	sb_fini(&key);
	return rc;
}

int material_profile_moderate(struct agora_db *db, int64_t id, int publish,
			      const char *reason, int64_t user_id,
			      struct agora_error *err)
{
	struct material_profile p;
	int rc;

	if ((rc = material_profile_get(db, id, &p, err)))
		return rc;
	if (!(rc = decide(db, PR_DECIDE, "profile", id, publish, reason,
			  user_id, err)) &&
	    publish)
		rc = profile_apply(db, &p, err);
	material_profile_fini(&p);
	if (rc)
		return rc;
	return audit(db, user_id,
		     publish ? "profile.publish" : "profile.reject", "profile",
		     id, reason ? reason : "", err);
}

/* ------------------------------------------------------------ verify */

static void failuref(void (*fn)(void *, const char *), void *ctx,
		     const char *fmt, ...) AGORA_PRINTF(3, 4);

static void failuref(void (*fn)(void *, const char *), void *ctx,
		     const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ctx, line);
}

int material_verify(struct agora_db *db,
		    void (*on_failure)(void *ctx, const char *line), void *ctx,
		    size_t *items, size_t *failures, struct agora_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char sha[2 * crypto_hash_sha256_BYTES + 1];
	sqlite3_stmt *st = stmt(db, MA_VERIFY);
	struct material_file f;
	struct agora_error serr;
	const void *p;
	size_t n;
	int64_t id;
	int rc;

	*items = *failures = 0;
	while ((rc = db_step(db, st, err)) > 0) {
		id = sqlite3_column_int64(st, 0);
		(*items)++;
		if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
			(*failures)++;
			failuref(on_failure, ctx,
				 "material %lld: its bytes are missing",
				 (long long)id);
			continue;
		}
		p = sqlite3_column_blob(st, 4);
		n = (size_t)sqlite3_column_bytes(st, 4);
		crypto_hash_sha256(hash, p, n);
		sodium_bin2hex(sha, sizeof(sha), hash, sizeof(hash));
		if (strcmp(sha, db_col_text(st, 1)) ||
		    (sqlite3_int64)n != sqlite3_column_int64(st, 2)) {
			(*failures)++;
			failuref(on_failure, ctx,
				 "material %lld: the stored bytes do not match "
				 "their SHA-256 or size",
				 (long long)id);
			continue;
		}
		if (material_sniff(p, n, &f, &serr) ||
		    strcmp(f.media_type, db_col_text(st, 3))) {
			(*failures)++;
			failuref(on_failure, ctx,
				 "material %lld: the bytes are no longer "
				 "accepted as %s",
				 (long long)id, db_col_text(st, 3));
		}
	}
	sqlite3_reset(st);
	if (rc < 0)
		return rc;
	return *failures ? AGORA_ECHECK : 0;
}
