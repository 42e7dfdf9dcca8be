/*
 * citizen.c - the citizen's side of the primary (issue 5): candidacies
 * declared by accounts, supports, and open-mode credentials.
 *
 * The database holds the rules that matter: one candidacy and one
 * credential per account and primary (unique keys), one support per
 * account and candidate (the primary key), at most max_supports per
 * account (a trigger), and each candidate's count kept exact by
 * triggers in the support's own transaction. This file checks the
 * phase and turns constraint failures into errors a page can explain.
 *
 * An open-mode credential is stored as primary.c stores the roll's: the
 * public key only, published on the board. What links it to the account
 * is only that the account received one, on which day (credential_issued
 * has no key and no credential id): see doc/secrecy.md for what this
 * protects against and what it does not.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

enum citizen_stmt {
	CS_CANDIDACY_ADD,
	CS_CANDIDATE_ADD,
	CS_CANDIDACY_OF,
	CS_WITHDRAW,
	CS_CANDIDATE_FIND,
	CS_SUPPORT_ADD,
	CS_SUPPORT_DEL,
	CS_SUPPORTS_OF,
	CS_ISSUED,
	CS_ISSUED_ADD,
	CS_OPEN_MODE,
	CS_CRED_ADD,
	CS_STATEMENT,
	CS_BOARD_HEAD,
	CS_PHASE_DATE,
	CS__MAX
};

/* clang-format off */
static const char *const citizen_sql[CS__MAX] = {
	[CS_CANDIDACY_ADD] = "INSERT INTO primary_candidacy(candidate_id,"
		" primary_id, user_id) VALUES (?1, ?2, ?3)",
	[CS_CANDIDATE_ADD] = "INSERT INTO primary_candidate(primary_id, slug,"
		" name, statement, registered_by, status)"
		" VALUES (?1, ?2, ?3, ?4, 'citizen', 'declared')",
	[CS_CANDIDACY_OF] = "SELECT c.id, c.slug, c.status"
		" FROM primary_candidacy d JOIN primary_candidate c"
		" ON c.id = d.candidate_id"
		" WHERE d.primary_id = ?1 AND d.user_id = ?2",
	[CS_WITHDRAW] = "UPDATE primary_candidate SET status = 'withdrawn'"
		" WHERE id = ?1 AND status = 'declared'",
	[CS_CANDIDATE_FIND] = "SELECT id, status, registered_by"
		" FROM primary_candidate WHERE primary_id = ?1 AND slug = ?2",
	[CS_SUPPORT_ADD] = "INSERT INTO support(primary_id, candidate_id,"
		" user_id) VALUES (?1, ?2, ?3)",
	[CS_SUPPORT_DEL] = "DELETE FROM support"
		" WHERE candidate_id = ?1 AND user_id = ?2",
	[CS_SUPPORTS_OF] = "SELECT c.slug FROM support s"
		" JOIN primary_candidate c ON c.id = s.candidate_id"
		" WHERE s.primary_id = ?1 AND s.user_id = ?2 ORDER BY c.slug",
	[CS_ISSUED] = "SELECT 1 FROM credential_issued"
		" WHERE primary_id = ?1 AND user_id = ?2",
	[CS_ISSUED_ADD] = "INSERT INTO credential_issued(primary_id, user_id)"
		" VALUES (?1, ?2)",
	[CS_OPEN_MODE] = "SELECT open_mode FROM primary_election WHERE id = ?1",
	[CS_CRED_ADD] = "INSERT INTO credential(primary_id, public_key)"
		" VALUES (?1, ?2)",
	[CS_STATEMENT] = "SELECT statement FROM primary_candidate"
		" WHERE id = ?1",
	[CS_BOARD_HEAD] = "SELECT hash FROM board WHERE primary_id = ?1"
		" ORDER BY seq DESC LIMIT 1",
	[CS_PHASE_DATE] = "SELECT at FROM primary_phase"
		" WHERE primary_id = ?1 AND phase = ?2 ORDER BY seq LIMIT 1",
};
/* clang-format on */

int primary_citizen_db_prepare(struct agora_db *db, struct agora_error *err)
{
	int rc = primary_db_prepare(db, err);

	return rc ? rc
		  : db_prepare_module(db, DB_MOD_CITIZEN, citizen_sql, CS__MAX,
				      err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum citizen_stmt id)
{
	return db_stmt(db, DB_MOD_CITIZEN, id);
}

static int phase_is(const struct primary_info *p, const char *a, const char *b)
{
	return !strcmp(p->phase, a) || (b && !strcmp(p->phase, b));
}

/* Begins the write and reads the primary; on error nothing is open */
static int begin(struct agora_db *db, const char *slug, struct primary_info *p,
		 struct agora_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = db_begin_write(db, err)))
		return rc;
	if ((rc = primary_get(db, slug, p, err))) {
		db_rollback(db);
		return rc;
	}
	return 0;
}

static int finish(struct agora_db *db, struct primary_info *p, int rc,
		  struct agora_error *err)
{
	if (!rc)
		rc = db_commit(db, err);
	if (rc)
		db_rollback(db);
	primary_info_fini(p);
	return rc;
}

int primary_declare_in(struct agora_db *db, const char *slug,
		       int64_t user_id, const char *name,
		       const char *statement, struct sb *out,
		       struct agora_error *err)
{
	struct primary_info p = {0};
	sqlite3_stmt *st;
	size_t base;
	int rc, i;

	sb_reset(out);
	if ((rc = text_check("the name", name, 1, MJ_LABEL_MAX, 0, err)) ||
	    (rc = text_check("the statement", statement, 0,
			     PRIMARY_STATEMENT_MAX, 1, err)))
		return rc;
	if (slugify(out, name) || (!out->len && sb_puts(out, "candidat")) ||
	    sb_error(out))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	base = out->len;
	if ((rc = primary_get(db, slug, &p, err)))
		return rc;
	if (!phase_is(&p, "declaration", NULL)) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "candidacies are declared during the "
				  "declaration phase only");
		goto out;
	}
	/* a free slug: name, name-2, name-3... */
	for (i = 2;; i++) {
		st = stmt(db, CS_CANDIDATE_FIND);
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_text(st, 2, out->buf, (int)out->len,
				  SQLITE_STATIC);
		if ((rc = db_step(db, st, err)) < 0)
			goto out;
		sqlite3_reset(st);
		if (!rc)
			break;
		out->len = base;
		if (sb_printf(out, "-%d", i)) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto out;
		}
	}
	st = stmt(db, CS_CANDIDATE_ADD);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_text(st, 2, out->buf, (int)out->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, statement, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto out;
	st = stmt(db, CS_CANDIDACY_ADD);
	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(db_handle(db)));
	sqlite3_bind_int64(st, 2, p.id);
	sqlite3_bind_int64(st, 3, user_id);
	if ((rc = db_step(db, st, err)) < 0 &&
	    sqlite3_extended_errcode(db_handle(db)) == SQLITE_CONSTRAINT_UNIQUE)
		rc = agora_errorf(err, AGORA_EEXIST,
				  "this account already declared a candidacy "
				  "in this primary");
out:
	primary_info_fini(&p);
	return rc < 0 ? rc : 0;
}

int primary_declare(struct agora_db *db, const char *slug, int64_t user_id,
		    const char *name, const char *statement, struct sb *out,
		    struct agora_error *err)
{
	int rc;

	if ((rc = db_begin_write(db, err)))
		return rc;
	rc = primary_declare_in(db, slug, user_id, name, statement, out, err);
	if (!rc)
		rc = db_commit(db, err);
	if (rc)
		db_rollback(db);
	return rc;
}

int primary_withdraw(struct agora_db *db, const char *slug, int64_t user_id,
		     struct agora_error *err)
{
	struct primary_info p;
	sqlite3_stmt *st;
	int rc;

	if ((rc = begin(db, slug, &p, err)))
		return rc;
	if (!phase_is(&p, "declaration", "support")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the list of candidates is frozen");
		goto out;
	}
	st = stmt(db, CS_CANDIDACY_OF);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = db_step(db, st, err)) <= 0) {
		if (!rc)
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "this account has no candidacy "
					  "here");
		goto out;
	}
	{
		int64_t id = sqlite3_column_int64(st, 0);

		sqlite3_reset(st);
		st = stmt(db, CS_WITHDRAW);
		sqlite3_bind_int64(st, 1, id);
		if ((rc = db_step(db, st, err)) < 0)
			goto out;
		if (sqlite3_changes(db_handle(db)) != 1)
			rc = agora_errorf(err, AGORA_EINVAL,
					  "this candidacy was already "
					  "withdrawn");
	}
out:
	return finish(db, &p, rc, err);
}

int primary_support(struct agora_db *db, const char *slug, int64_t user_id,
		    const char *cand, int on, struct agora_error *err)
{
	struct primary_info p;
	sqlite3_stmt *st;
	int64_t cid;
	int rc;

	if ((rc = begin(db, slug, &p, err)))
		return rc;
	if (!phase_is(&p, "declaration", "support")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "supports are given and taken back until "
				  "the support phase ends");
		goto out;
	}
	st = stmt(db, CS_CANDIDATE_FIND);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_text(st, 2, cand, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) <= 0) {
		if (!rc)
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "no candidate '%s'", cand);
		goto out;
	}
	cid = sqlite3_column_int64(st, 0);
	rc = on && (strcmp(db_col_text(st, 1), "declared") ||
		    strcmp(db_col_text(st, 2), "citizen"));
	sqlite3_reset(st);
	if (rc) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "only declared candidacies are supported");
		goto out;
	}
	if (on) {
		st = stmt(db, CS_SUPPORT_ADD);
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_int64(st, 2, cid);
		sqlite3_bind_int64(st, 3, user_id);
		if ((rc = db_step(db, st, err)) < 0) {
			int x = sqlite3_extended_errcode(db_handle(db));

			if (x == SQLITE_CONSTRAINT_PRIMARYKEY)
				rc = agora_errorf(err, AGORA_EEXIST,
						  "this support was already "
						  "given");
			else if (x == SQLITE_CONSTRAINT_TRIGGER)
				rc = agora_errorf(err, AGORA_ETOOBIG,
						  "at most %d supports",
						  p.max_supports);
		}
	} else {
		st = stmt(db, CS_SUPPORT_DEL);
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_int64(st, 2, user_id);
		if ((rc = db_step(db, st, err)) >= 0 &&
		    sqlite3_changes(db_handle(db)) != 1)
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "no such support");
	}
out:
	return finish(db, &p, rc < 0 ? rc : 0, err);
}

void primary_citizen_fini(struct primary_citizen *c)
{
	size_t i;

	free(c->candidacy);
	for (i = 0; i < c->nsupports; i++)
		free(c->supports[i]);
	free(c->supports);
	memset(c, 0, sizeof(*c));
}

int primary_citizen_get(struct agora_db *db, int64_t primary_id,
			int64_t user_id, struct primary_citizen *c,
			struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(c, 0, sizeof(*c));
	st = stmt(db, CS_CANDIDACY_OF);
	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = db_step(db, st, err)) < 0)
		goto fail;
	if (rc && !(c->candidacy = db_col_dup(st, 1))) {
		sqlite3_reset(st);
		goto oom;
	}
	sqlite3_reset(st);
	st = stmt(db, CS_ISSUED);
	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = db_step(db, st, err)) < 0)
		goto fail;
	c->credential = rc;
	sqlite3_reset(st);
	st = stmt(db, CS_SUPPORTS_OF);
	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_int64(st, 2, user_id);
	while ((rc = db_step(db, st, err)) > 0) {
		char **v =
			realloc(c->supports, (c->nsupports + 1) * sizeof(*v));

		if (!v)
			goto oom;
		c->supports = v;
		if (!(v[c->nsupports] = db_col_dup(st, 0))) {
			sqlite3_reset(st);
			goto oom;
		}
		c->nsupports++;
	}
	if (rc < 0)
		goto fail;
	return 0;
oom:
	rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
fail:
	primary_citizen_fini(c);
	return rc;
}

int primary_open_mode(struct agora_db *db, int64_t primary_id, int *on,
		      struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CS_OPEN_MODE);
	int rc;

	sqlite3_bind_int64(st, 1, primary_id);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	*on = rc ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

int primary_credential_issue(struct agora_db *db, const char *slug,
			     int64_t user_id, char code[PRIMARY_CODE_SIZE],
			     struct agora_error *err)
{
	char norm[PRIMARY_CODE_SYMBOLS + 1], pkhex[65];
	unsigned char pk[32], sk[64];
	struct primary_info p;
	sqlite3_stmt *st;
	int rc, open = 0;

	code[0] = 0;
	if ((rc = begin(db, slug, &p, err)))
		return rc;
	if ((rc = primary_open_mode(db, p.id, &open, err)))
		goto out;
	if (!open || !strcmp(p.phase, "closed")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "this primary gives no credential on the "
				  "web");
		goto out;
	}
	st = stmt(db, CS_ISSUED_ADD);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_int64(st, 2, user_id);
	if ((rc = db_step(db, st, err)) < 0) {
		if (sqlite3_extended_errcode(db_handle(db)) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = agora_errorf(err, AGORA_EEXIST,
					  "this account already received "
					  "its credential");
		goto out;
	}
	primary_code_new(code);
	if ((rc = primary_code_parse(code, norm, err)))
		goto out;
	primary_code_keys(slug, norm, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(norm, sizeof(norm));
	st = stmt(db, CS_CRED_ADD);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto out;
	/* published as the roll's keys are (primary.c), one entry */
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
	rc = board_append_json(db, p.id, "credentials",
			       json_pack("{s:[s]}", "keys", pkhex), err);
out:
	rc = finish(db, &p, rc < 0 ? rc : 0, err);
	if (rc)
		sodium_memzero(code, PRIMARY_CODE_SIZE);
	return rc;
}

int primary_statement(struct agora_db *db, int64_t candidate_id, char **out,
		      struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CS_STATEMENT);
	int rc;

	sqlite3_bind_int64(st, 1, candidate_id);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	*out = rc ? db_col_dup(st, 0) : strdup("");
	sqlite3_reset(st);
	return *out ? 0 : agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

int primary_board_head_hash(struct agora_db *db, int64_t primary_id,
			    char hash[65], struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CS_BOARD_HEAD);
	int rc;

	sqlite3_bind_int64(st, 1, primary_id);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (!rc)
		return AGORA_ENOTFOUND;
	snprintf(hash, 65, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

int primary_phase_date(struct agora_db *db, int64_t primary_id,
		       const char *phase, char **at, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CS_PHASE_DATE);
	int rc;

	*at = NULL;
	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_text(st, 2, phase, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) <= 0)
		return rc;
	*at = db_col_dup(st, 0);
	sqlite3_reset(st);
	if (!*at)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	return 0;
}

