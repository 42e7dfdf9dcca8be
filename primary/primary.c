/*
 * primary.c - the open citizen primary: phases, candidates, credentials
 * and signed majority-judgment ballots, stored so that nothing links a
 * voter to a ballot (DESIGN.md, "Secret and verifiable ballots").
 *
 * A credential is a code of 27 random base-32 symbols (135 bits) and a
 * check symbol, written in groups of four ("7K2D-..."). Its Ed25519 key
 * pair is derived from the primary's slug and the code; the database
 * keeps the public key only. A ballot is the canonical JSON object
 *
 *   {"credential":"<hex public key>","grades":{"<candidate>":G,...},
 *    "n":N,"primary":"<slug>","version":1}
 *
 * (keys sorted, no spaces, UTF-8), signed with the credential's key. The
 * server checks the signature over the exact bytes it received and that
 * the bytes are the canonical form of what they say, so one ballot has
 * one spelling and one receipt: the SHA-256 of the body followed by the
 * 64 bytes of signature.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "primary.h"
#include "primary_int.h"

enum primary_stmt {
	PS_GET,
	PS_GET_SCAN,
	PS_GET_BARE,
	PS_RECEIPT,
	PS_ELECTION_ADD,
	PS_PRIMARY_ADD,
	PS_PHASE_LOG,
	PS_PHASE_SET,
	PS_QUALIFY,
	PS_CAND_ADD,
	PS_CANDS,
	PS_CRED_ADD,
	PS_CRED_FIND,
	PS_BALLOT_PREV,
	PS_BALLOT_SEQ,
	PS_BALLOT_UNCOUNT,
	PS_BALLOT_ADD,
	PS_TALLY_ADD,
	PS_TALLY_SUB,
	PS_TALLY_GET,
	PS_BALLOTS_COUNTED,
	PS_BALLOTS_GRADES,
	PS_SECRET_ADD,
	PS_SECRET_GET,
	PS_LIST,
	PS__MAX
};

/* clang-format off */
static const char *const primary_sql[PS__MAX] = {
	/* the counts kept by triggers (migration_primary_counts): one row */
	[PS_GET] = "SELECT id, slug, title, phase, grades, support_threshold,"
		" max_supports, coalesce(lot_size, 0), allow_blank,"
		" results_public, coalesce(n.credentials, 0),"
		" coalesce(n.voters, 0), coalesce(n.ballots, 0)"
		" FROM primary_election p"
		" LEFT JOIN primary_count n ON n.primary_id = p.id"
		" WHERE slug = ?1",
	/* the same counts from a scan: what `agora verify` checks them with */
	[PS_GET_SCAN] = "SELECT id, slug, title, phase, grades,"
		" support_threshold, max_supports, coalesce(lot_size, 0),"
		" allow_blank, results_public,"
		" (SELECT count(*) FROM credential c WHERE c.primary_id = p.id),"
		" (SELECT count(*) FROM ballot b"
		"  WHERE b.primary_id = p.id AND b.counted = 1),"
		" (SELECT count(*) FROM ballot b WHERE b.primary_id = p.id)"
		" FROM primary_election p WHERE slug = ?1",
	/* the same without the counts, which scan: once per ballot batch */
	[PS_GET_BARE] = "SELECT id, slug, title, phase, grades,"
		" support_threshold, max_supports, coalesce(lot_size, 0),"
		" allow_blank, results_public, 0, 0, 0"
		" FROM primary_election p WHERE slug = ?1",
	[PS_RECEIPT] = "SELECT counted FROM ballot"
		" WHERE receipt = ?2 AND primary_id = ?1",
	[PS_ELECTION_ADD] = "INSERT INTO election(slug, title, kind)"
		" VALUES (?1, ?2, 'primary')",
	[PS_PRIMARY_ADD] = "INSERT INTO primary_election(slug, title,"
		" election_id, grades, support_threshold, max_supports,"
		" lot_size, allow_blank, results_public, public_key, open_mode)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8, ?9, ?10,"
		" ?11)",
	[PS_PHASE_LOG] = "INSERT INTO primary_phase(primary_id, seq, phase)"
		" VALUES (?1, (SELECT count(*) FROM primary_phase"
		"  WHERE primary_id = ?1), ?2)",
	[PS_PHASE_SET] = "UPDATE primary_election SET phase = ?2"
		" WHERE id = ?1",
	/* the frozen list: declared candidates with enough supports */
	[PS_QUALIFY] = "UPDATE primary_candidate SET status = 'qualified'"
		" WHERE primary_id = ?1 AND status = 'declared'"
		" AND supports >= ?2",
	[PS_CAND_ADD] = "INSERT INTO primary_candidate(primary_id, slug, name,"
		" registered_by, status)"
		" VALUES (?1, ?2, ?3, 'organiser', 'qualified')",
	[PS_CANDS] = "SELECT id, slug, name, status, registered_by, supports"
		" FROM primary_candidate WHERE primary_id = ?1"
		" ORDER BY status <> 'qualified', slug",
	[PS_CRED_ADD] = "INSERT INTO credential(primary_id, public_key)"
		" VALUES (?1, ?2)",
	[PS_CRED_FIND] = "SELECT id FROM credential"
		" WHERE primary_id = ?1 AND public_key = ?2",
	[PS_BALLOT_PREV] = "SELECT id, body, receipt FROM ballot"
		" WHERE credential_id = ?1 AND counted = 1",
	[PS_BALLOT_SEQ] = "SELECT count(*) FROM ballot b JOIN credential c"
		" ON c.id = b.credential_id"
		" WHERE c.primary_id = ?1 AND c.public_key = ?2",
	[PS_BALLOT_UNCOUNT] = "UPDATE ballot SET counted = 0 WHERE id = ?1",
	[PS_BALLOT_ADD] = "INSERT INTO ballot(primary_id, credential_id,"
		" receipt, body, signature, grades)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[PS_TALLY_ADD] = "INSERT INTO tally(primary_id, candidate_id, grade,"
		" count) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (candidate_id, grade)"
		" DO UPDATE SET count = count + excluded.count",
	[PS_TALLY_SUB] = "UPDATE tally SET count = count - 1"
		" WHERE candidate_id = ?2 AND grade = ?3 AND primary_id = ?1"
		" AND count > 0",
	[PS_TALLY_GET] = "SELECT candidate_id, grade, count FROM tally"
		" WHERE primary_id = ?1",
	[PS_BALLOTS_COUNTED] = "SELECT body, grades FROM ballot"
		" WHERE primary_id = ?1 AND counted = 1",
	[PS_BALLOTS_GRADES] = "SELECT grades FROM ballot"
		" WHERE primary_id = ?1 AND counted = 1",
	[PS_SECRET_ADD] = "INSERT INTO primary_secret(primary_id, secret_key)"
		" VALUES (?1, ?2)",
	[PS_SECRET_GET] = "SELECT secret_key FROM primary_secret"
		" WHERE primary_id = ?1",
	/* the home page's list: newest first */
	[PS_LIST] = "SELECT slug, title, phase FROM primary_election"
		" ORDER BY created_at DESC, id DESC",
};
/* clang-format on */

static const char *const phases[] = {"declaration", "support", "vote",
				     "closed"};

/* Crockford's base 32: no I, L, O, U */
static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int primary_db_prepare(struct agora_db *db, struct agora_error *err)
{
	int rc = db_prepare_module(db, DB_MOD_PRIMARY, primary_sql, PS__MAX,
				   err);

	/* the audit log's statements: phase changes are audited */
	if (!rc)
		rc = auth_db_prepare(db, err);
	if (!rc)
		rc = primary_schedule_db_prepare(db, err);
	return rc ? rc : board_db_prepare(db, err);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum primary_stmt id)
{
	return db_stmt(db, DB_MOD_PRIMARY, id);
}

static int phase_index(const char *phase)
{
	size_t i;

	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (!strcmp(phase, phases[i]))
			return (int)i;
	return -1;
}

/* A name, a title, a label: one line of 1..max bytes of UTF-8 */
static int check_text(const char *what, const char *s, size_t max,
		      struct agora_error *err)
{
	return text_check(what, s, 1, max, 0, err);
}

static int check_slug(const char *what, const char *s, struct agora_error *err)
{
	size_t i, n = strlen(s);

	if (!n || n > 64)
		return agora_errorf(err, AGORA_EINVAL,
				    "%s '%s' must have 1 to 64 characters",
				    what, s);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return agora_errorf(err, AGORA_EINVAL,
					    "%s '%.64s' may only hold a-z, 0-9 "
					    "and '-'",
					    what, s);
	return 0;
}

/* "a,b,c" -> a JSON array of 2..10 distinct labels */
static int grades_json(const char *spec, char **out, struct agora_error *err)
{
	json_t *arr = json_array();
	const char *p = spec, *comma;
	char label[128];
	size_t n, i;
	int rc = 0;

	*out = NULL;
	if (!arr)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		while (n && p[0] == ' ')
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (n >= sizeof(label)) {
			rc = agora_errorf(err, AGORA_EINVAL,
					  "a grade label is longer than %zu "
					  "bytes",
					  sizeof(label) - 1);
			goto out;
		}
		memcpy(label, p, n);
		label[n] = 0;
		if ((rc = check_text("a grade label", label, 60, err)))
			goto out;
		for (i = 0; i < json_array_size(arr); i++)
			if (!strcmp(json_string_value(json_array_get(arr, i)),
				    label)) {
				rc = agora_errorf(err, AGORA_EINVAL,
						  "grade '%s' is given twice",
						  label);
				goto out;
			}
		if (json_array_append_new(arr, json_string(label))) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto out;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (json_array_size(arr) < MJ_GRADES_MIN ||
	    json_array_size(arr) > MJ_GRADES_MAX) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "a primary has %d to %d grades, not %zu",
				  MJ_GRADES_MIN, MJ_GRADES_MAX,
				  json_array_size(arr));
		goto out;
	}
	*out = json_dumps(arr, JSON_COMPACT);
	if (!*out)
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
out:
	json_decref(arr);
	return rc;
}

int primary_create(struct agora_db *db, const struct primary_config *c,
		   struct agora_error *err)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	char *grades = NULL, pkhex[65];
	json_t *entry;
	sqlite3_stmt *st;
	int64_t eid, pid;
	int rc;

	if ((rc = check_slug("primary", c->slug, err)) ||
	    (rc = check_text("the title", c->title ? c->title : "", 200,
			     err)) ||
	    (rc = grades_json(c->grades ? c->grades : PRIMARY_DEFAULT_GRADES,
			      &grades, err)))
		return rc;
	if (c->support_threshold < 0 || c->max_supports < 1 ||
	    c->lot_size < 0 || c->lot_size == 1 ||
	    c->lot_size > PRIMARY_LOT_MAX) {
		free(grades);
		return agora_errorf(err, AGORA_EINVAL,
				    "the support threshold must be >= 0, the "
				    "supports per citizen >= 1 and a lot 2 "
				    "to %d candidates",
				    PRIMARY_LOT_MAX);
	}
	/* the organiser's key, which signs the result on the board */
	crypto_sign_keypair(pk, sk);
	hex(pk, sizeof(pk), pkhex);
	if ((rc = db_begin_write(db, err)))
		goto out;
	st = stmt(db, PS_ELECTION_ADD);
	sqlite3_bind_text(st, 1, c->slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->title, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db_handle(db)) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = agora_errorf(err, AGORA_EEXIST,
					  "an election or primary '%s' exists "
					  "already",
					  c->slug);
		else
			rc = db_error(db, err, "cannot create the primary");
		goto rollback;
	}
	eid = sqlite3_last_insert_rowid(db_handle(db));
	st = stmt(db, PS_PRIMARY_ADD);
	sqlite3_bind_text(st, 1, c->slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->title, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, eid);
	sqlite3_bind_text(st, 4, grades, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->support_threshold);
	sqlite3_bind_int(st, 6, c->max_supports);
	sqlite3_bind_int(st, 7, c->lot_size);
	sqlite3_bind_int(st, 8, !!c->allow_blank);
	sqlite3_bind_int(st, 9, !!c->results_public);
	sqlite3_bind_blob(st, 10, pk, sizeof(pk), SQLITE_STATIC);
	sqlite3_bind_int(st, 11, !!c->open_mode);
	if ((rc = db_step(db, st, err)) < 0)
		goto rollback;
	pid = sqlite3_last_insert_rowid(db_handle(db));
	st = stmt(db, PS_SECRET_ADD);
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_blob(st, 2, sk, sizeof(sk), SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto rollback;
	entry = json_pack("{s:b, s:o, s:i, s:s, s:s, s:s, s:i}", "allow_blank",
			  c->allow_blank, "grades", json_loads(grades, 0, NULL),
			  "lot_size", c->lot_size, "organiser_key", pkhex,
			  "primary", c->slug, "title", c->title, "version", 1);
	if ((rc = board_append_json(db, pid, "primary", entry, err)))
		goto rollback;
	st = stmt(db, PS_PHASE_LOG);
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, "declaration", -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto rollback;
	rc = db_commit(db, err);
	if (!rc)
		goto out;
rollback:
	db_rollback(db);
out:
	sodium_memzero(sk, sizeof(sk));
	free(grades);
	return rc;
}

void primary_info_fini(struct primary_info *p)
{
	int i;

	free(p->slug);
	free(p->title);
	free(p->phase);
	for (i = 0; i < p->ngrades; i++)
		free(p->grades[i]);
	memset(p, 0, sizeof(*p));
}

static int get_st(struct agora_db *db, enum primary_stmt id, const char *slug,
		  struct primary_info *p, struct agora_error *err);

int primary_get(struct agora_db *db, const char *slug, struct primary_info *p,
		struct agora_error *err)
{
	return get_st(db, PS_GET_BARE, slug, p, err);
}

int primary_get_counts(struct agora_db *db, const char *slug,
		       struct primary_info *p, struct agora_error *err)
{
	return get_st(db, PS_GET, slug, p, err);
}

int primary_get_scanned(struct agora_db *db, const char *slug,
			struct primary_info *p, struct agora_error *err)
{
	return get_st(db, PS_GET_SCAN, slug, p, err);
}

static int get_st(struct agora_db *db, enum primary_stmt id, const char *slug,
		  struct primary_info *p, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, id);
	json_t *g;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 0)
		return agora_errorf(err, AGORA_ENOTFOUND,
				    "no primary '%.64s' (create it with "
				    "'agora primary create')",
				    slug);
	p->id = sqlite3_column_int64(st, 0);
	p->slug = db_col_dup(st, 1);
	p->title = db_col_dup(st, 2);
	p->phase = db_col_dup(st, 3);
	g = json_loads(db_col_text(st, 4), 0, NULL);
	p->support_threshold = sqlite3_column_int64(st, 5);
	p->max_supports = sqlite3_column_int(st, 6);
	p->lot_size = sqlite3_column_int(st, 7);
	p->allow_blank = sqlite3_column_int(st, 8);
	p->results_public = sqlite3_column_int(st, 9);
	p->credentials = sqlite3_column_int64(st, 10);
	p->voters = sqlite3_column_int64(st, 11);
	p->ballots = sqlite3_column_int64(st, 12);
	sqlite3_reset(st);
	for (i = 0; g && i < json_array_size(g) && i < MJ_GRADES_MAX; i++)
		p->grades[p->ngrades++] =
			strdup(json_string_value(json_array_get(g, i)));
	json_decref(g);
	rc = !p->slug || !p->title || !p->phase || p->ngrades < MJ_GRADES_MIN;
	for (i = 0; i < (size_t)p->ngrades; i++)
		rc |= !p->grades[i];
	if (rc) {
		primary_info_fini(p);
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot read primary '%.64s'", slug);
	}
	return 0;
}

/* The result, signed with the organiser's key, appended to the board */
static int board_result(struct agora_db *db, const struct primary_info *p,
			const struct primary_candidate *c, size_t nq,
			struct agora_error *err)
{
	const char **slugs = NULL;
	uint64_t *counts = NULL;
	unsigned char sig[crypto_sign_BYTES];
	char sighex[2 * crypto_sign_BYTES + 1], *text = NULL;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = primary_counts(db, p, c, nq, 0, &counts, err)))
		return rc;
	slugs = calloc(nq ? nq : 1, sizeof(*slugs));
	if (!slugs) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nq; i++)
		slugs[i] = c[i].slug;
	text = primary_result_text(p->slug, slugs, nq, p->ngrades, counts,
				   (uint64_t)p->voters, err);
	if (!text) {
		rc = err ? err->code : AGORA_ENOMEM;
		goto out;
	}
	st = stmt(db, PS_SECRET_GET);
	sqlite3_bind_int64(st, 1, p->id);
	if ((rc = db_step(db, st, err)) < 0)
		goto out;
	if (rc == 0 || sqlite3_column_bytes(st, 0) != crypto_sign_SECRETKEYBYTES) {
		sqlite3_reset(st);
		rc = agora_errorf(err, AGORA_ECHECK,
				  "the organiser's key of primary '%s' is "
				  "missing",
				  p->slug);
		goto out;
	}
	crypto_sign_detached(sig, NULL, (const unsigned char *)text,
			     strlen(text), sqlite3_column_blob(st, 0));
	sqlite3_reset(st);
	hex(sig, sizeof(sig), sighex);
	rc = board_append_json(db, p->id, "result",
			       json_pack("{s:s, s:s}", "result", text,
					 "signature", sighex),
			       err);
out:
	free(text);
	free(slugs);
	free(counts);
	return rc;
}

const char *primary_next_phase(const char *phase)
{
	int i = phase_index(phase);

	if (i < 0 || (size_t)i + 1 >= sizeof(phases) / sizeof(phases[0]))
		return NULL;
	return phases[i + 1];
}

/* The phase change in the hash-chained audit log, in its transaction */
static int audit_phase(struct agora_db *db, int64_t actor,
		       const struct primary_info *p, const char *phase,
		       struct agora_error *err)
{
	char object[128], detail[96];

	snprintf(object, sizeof(object), "primary:%s", p->slug);
	snprintf(detail, sizeof(detail), "phase=%s from=%s", phase, p->phase);
	return auth_audit(db, actor, "primary.phase", object, detail, err);
}

int primary_set_phase(struct agora_db *db, const char *slug, const char *phase,
		      int64_t actor, struct agora_error *err)
{
	struct primary_candidate *c = NULL;
	struct primary_info p;
	sqlite3_stmt *st;
	json_t *entry, *list;
	size_t nc = 0, nq, i;
	int want = phase_index(phase), have, rc;

	if (want < 0)
		return agora_errorf(err, AGORA_EINVAL,
				    "unknown phase '%.32s' (one of "
				    PRIMARY_PHASES ")",
				    phase);
	if ((rc = db_begin_write(db, err)))
		return rc;
	/* the counts: the signed result at the close holds the voters */
	if ((rc = primary_get_counts(db, slug, &p, err)))
		goto rollback;
	have = phase_index(p.phase);
	if (want <= have) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "primary '%s' is in phase '%s': phases only "
				  "move forward (" PRIMARY_PHASES ")",
				  slug, p.phase);
		goto done;
	}
	st = stmt(db, PS_PHASE_SET);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_text(st, 2, phase, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		goto done;
	entry = json_pack("{s:s}", "phase", phase);
	/* opening the vote freezes the list of qualified candidates */
	if (want >= 2 && have < 2) {
		st = stmt(db, PS_QUALIFY);
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_int64(st, 2, p.support_threshold);
		if ((rc = db_step(db, st, err)) < 0 ||
		    (rc = primary_candidates(db, p.id, &c, &nc, err))) {
			json_decref(entry);
			goto done;
		}
		list = json_array();
		for (i = 0; i < nc && !strcmp(c[i].status, "qualified"); i++)
			json_array_append_new(list,
					      json_pack("{s:s, s:s}", "name",
							c[i].name, "slug",
							c[i].slug));
		json_object_set_new(entry, "candidates", list);
	}
	if ((rc = board_append_json(db, p.id, "phase", entry, err)))
		goto done;
	st = stmt(db, PS_PHASE_LOG);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_text(st, 2, phase, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0 ||
	    (rc = audit_phase(db, actor, &p, phase, err)))
		goto done;
	/* the close publishes the result, signed by the organiser */
	if (want == 3) {
		if (!c && (rc = primary_candidates(db, p.id, &c, &nc, err)))
			goto done;
		for (nq = 0; nq < nc && !strcmp(c[nq].status, "qualified");
		     nq++)
			;
		if ((rc = board_result(db, &p, c, nq, err)))
			goto done;
	}
	rc = db_commit(db, err);
done:
	primary_candidates_free(c, nc);
	primary_info_fini(&p);
	if (!rc)
		return 0;
rollback:
	db_rollback(db);
	return rc;
}

int primary_candidate_add(struct agora_db *db, const char *slug,
			  const char *name, const char *cand_slug,
			  struct sb *out, struct agora_error *err)
{
	struct primary_info p;
	sqlite3_stmt *st;
	int rc;

	sb_reset(out);
	if ((rc = check_text("the candidate's name", name, 200, err)))
		return rc;
	if (cand_slug)
		rc = sb_puts(out, cand_slug);
	else if (!(rc = slugify(out, name)) && !out->len)
		rc = sb_puts(out, "candidate");
	if (rc || (rc = sb_error(out)))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if ((rc = check_slug("candidate", out->buf, err)))
		return rc;
	if ((rc = db_begin_write(db, err)))
		return rc;
	if ((rc = primary_get(db, slug, &p, err)))
		goto rollback;
	if (phase_index(p.phase) >= 2) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "primary '%s' is in phase '%s': the list of "
				  "candidates is frozen",
				  slug, p.phase);
		goto done;
	}
	st = stmt(db, PS_CAND_ADD);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_text(st, 2, out->buf, (int)out->len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db_handle(db)) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = agora_errorf(err, AGORA_EEXIST,
					  "primary '%s' already has a "
					  "candidate '%s' (give another "
					  "--slug)",
					  slug, out->buf);
		else
			rc = db_error(db, err, "cannot add the candidate");
		goto done;
	}
	rc = db_commit(db, err);
done:
	primary_info_fini(&p);
	if (!rc)
		return 0;
rollback:
	db_rollback(db);
	return rc;
}

void primary_candidates_free(struct primary_candidate *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].slug);
		free(v[i].name);
		free(v[i].status);
		free(v[i].registered_by);
	}
	free(v);
}

int primary_candidates(struct agora_db *db, int64_t primary_id,
		       struct primary_candidate **out, size_t *nout,
		       struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, PS_CANDS);
	struct primary_candidate *v = NULL, *nv, *c;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	sqlite3_bind_int64(st, 1, primary_id);
	while ((rc = db_step(db, st, err)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				break;
			}
			v = nv;
		}
		c = &v[n++];
		c->id = sqlite3_column_int64(st, 0);
		c->slug = db_col_dup(st, 1);
		c->name = db_col_dup(st, 2);
		c->status = db_col_dup(st, 3);
		c->registered_by = db_col_dup(st, 4);
		c->supports = sqlite3_column_int64(st, 5);
		if (!c->slug || !c->name || !c->status || !c->registered_by) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			break;
		}
	}
	sqlite3_reset(st);
	if (rc < 0) {
		primary_candidates_free(v, n);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

void primary_summaries_free(struct primary_summary *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].slug);
		free(v[i].title);
		free(v[i].phase);
	}
	free(v);
}

int primary_list(struct agora_db *db, struct primary_summary **out,
		 size_t *nout, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, PS_LIST);
	struct primary_summary *v = NULL, *nv, *c;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	while ((rc = db_step(db, st, err)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				break;
			}
			v = nv;
		}
		c = &v[n++];
		c->slug = db_col_dup(st, 0);
		c->title = db_col_dup(st, 1);
		c->phase = db_col_dup(st, 2);
		if (!c->slug || !c->title || !c->phase) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			break;
		}
	}
	sqlite3_reset(st);
	if (rc < 0) {
		primary_summaries_free(v, n);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* ---------------------------------------------------------- credentials */

/*
 * The check symbol: Luhn mod 32 over the symbols' values, which catches
 * every single mistyped symbol and every swap of two neighbours but one
 * pair.
 */
static int luhn32(const char *s, size_t n)
{
	size_t i;
	int factor = 2, sum = 0, add;

	for (i = n; i-- > 0;) {
		add = factor * (int)(strchr(b32, s[i]) - b32);
		factor = factor == 2 ? 1 : 2;
		sum += add / 32 + add % 32;
	}
	return (32 - sum % 32) % 32;
}

void primary_code_new(char out[PRIMARY_CODE_SIZE])
{
	unsigned char r[PRIMARY_CODE_SYMBOLS - 1];
	char sym[PRIMARY_CODE_SYMBOLS];
	size_t i, o = 0;

	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		sym[i] = b32[r[i] & 31]; /* 256 is a multiple of 32 */
	sym[PRIMARY_CODE_SYMBOLS - 1] = b32[luhn32(sym, sizeof(r))];
	for (i = 0; i < PRIMARY_CODE_SYMBOLS; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = sym[i];
	}
	out[o] = 0;
	sodium_memzero(r, sizeof(r));
}

int primary_code_parse(const char *code, char norm[PRIMARY_CODE_SYMBOLS + 1],
		       struct agora_error *err)
{
	size_t n = 0;
	char ch;

	for (; *code; code++) {
		ch = *code;
		if (ch == ' ' || ch == '-' || ch == '\t')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		if (!strchr(b32, ch) || !ch)
			return agora_errorf(err, AGORA_EINVAL,
					    "a credential code holds only "
					    "digits and letters (no U)");
		if (n == PRIMARY_CODE_SYMBOLS)
			return agora_errorf(err, AGORA_EINVAL,
					    "a credential code has %d symbols: "
					    "this one is longer",
					    PRIMARY_CODE_SYMBOLS);
		norm[n++] = ch;
	}
	norm[n] = 0;
	if (n != PRIMARY_CODE_SYMBOLS)
		return agora_errorf(err, AGORA_EINVAL,
				    "a credential code has %d symbols, this "
				    "one %zu",
				    PRIMARY_CODE_SYMBOLS, n);
	if (b32[luhn32(norm, n - 1)] != norm[n - 1])
		return agora_errorf(err, AGORA_EINVAL,
				    "this credential code is mistyped (its "
				    "check symbol does not match)");
	return 0;
}

void primary_code_keys(const char *primary_slug,
		       const char norm[PRIMARY_CODE_SYMBOLS + 1],
		       unsigned char pk[32], unsigned char sk[64])
{
	static const unsigned char key[] = "agora credential v1";
	crypto_generichash_state h;
	unsigned char seed[crypto_sign_SEEDBYTES];

	crypto_generichash_init(&h, key, sizeof(key) - 1, sizeof(seed));
	crypto_generichash_update(&h, (const unsigned char *)primary_slug,
				  strlen(primary_slug) + 1);
	crypto_generichash_update(&h, (const unsigned char *)norm,
				  PRIMARY_CODE_SYMBOLS);
	crypto_generichash_final(&h, seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
}

static int credentials_store(struct agora_db *db, const char *slug,
			     const unsigned char (*pk)[32], size_t n,
			     struct agora_error *err);

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

int primary_credentials_add(struct agora_db *db, const char *slug,
			    const unsigned char (*given)[32], size_t n,
			    struct agora_error *err)
{
	unsigned char (*pk)[32];
	int rc;

	/*
	 * Stored and published in the keys' own order, never in the
	 * roll's: otherwise the i-th key on the board would be the i-th
	 * person on the roll, and their ballots would carry their name.
	 */
	pk = malloc(n ? n * sizeof(*pk) : 1);
	if (!pk)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	memcpy(pk, given, n * sizeof(*pk));
	qsort(pk, n, sizeof(*pk), key_cmp);
	rc = credentials_store(db, slug, (const unsigned char (*)[32])pk, n,
			       err);
	sodium_memzero(pk, n * sizeof(*pk));
	free(pk);
	return rc;
}

static int credentials_store(struct agora_db *db, const char *slug,
			     const unsigned char (*pk)[32], size_t n,
			     struct agora_error *err)
{
	struct primary_info p;
	json_t *keys = NULL;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((rc = db_begin_write(db, err)))
		return rc;
	if ((rc = primary_get(db, slug, &p, err)))
		goto rollback;
	if (!strcmp(p.phase, "closed")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "primary '%s' is closed: no more "
				  "credentials",
				  slug);
		goto done;
	}
	for (i = 0; i < n; i++) {
		char pkhex[65];

		if (i % BOARD_KEYS_PER_ENTRY == 0) {
			if (keys && (rc = board_append_json(
					     db, p.id, "credentials",
					     json_pack("{s:o}", "keys", keys),
					     err))) {
				keys = NULL;
				goto done;
			}
			keys = json_array();
		}
		st = stmt(db, PS_CRED_ADD);
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_blob(st, 2, pk[i], 32, SQLITE_STATIC);
		if ((rc = db_step(db, st, err)) < 0) {
			if (sqlite3_extended_errcode(db_handle(db)) ==
			    SQLITE_CONSTRAINT_UNIQUE)
				rc = agora_errorf(err, AGORA_EEXIST,
						  "a credential was issued "
						  "twice");
			goto done;
		}
		hex(pk[i], 32, pkhex);
		json_array_append_new(keys, json_string(pkhex));
	}
	if (keys) {
		rc = board_append_json(db, p.id, "credentials",
				       json_pack("{s:o}", "keys", keys), err);
		keys = NULL;
		if (rc)
			goto done;
	}
	rc = db_commit(db, err);
done:
	json_decref(keys);
	primary_info_fini(&p);
	if (!rc)
		return 0;
rollback:
	db_rollback(db);
	return rc;
}

/* -------------------------------------------------------------- the lot */

/* A uniform draw below bound from the deterministic stream, no bias */
static uint32_t draw(const unsigned char *stream, size_t *pos, size_t len,
		     uint32_t bound)
{
	uint32_t v, limit = (uint32_t)(0x100000000ull -
				       0x100000000ull % bound);

	for (;;) {
		if (*pos + 4 > len)
			*pos = 0; /* never in practice: the stream is long */
		/* little-endian, whatever the machine (doc/board.md) */
		v = (uint32_t)stream[*pos] | (uint32_t)stream[*pos + 1] << 8 |
		    (uint32_t)stream[*pos + 2] << 16 |
		    (uint32_t)stream[*pos + 3] << 24;
		*pos += 4;
		if ((uint64_t)v < limit || limit == 0)
			return v % bound;
	}
}

size_t primary_lot(const char *primary_slug, const unsigned char pk[32],
		   size_t n, int lot_size, size_t *out)
{
	static const unsigned char key[] = "agora lot v1";
	unsigned char seed[randombytes_SEEDBYTES];
	crypto_generichash_state h;
	unsigned char stream[8 * PRIMARY_LOT_MAX + 64];
	size_t i, j, k, pos = 0, len;
	size_t t;

	for (i = 0; i < n; i++)
		out[i] = i;
	if (lot_size <= 0 || (size_t)lot_size >= n ||
	    lot_size > PRIMARY_LOT_MAX)
		return n;
	k = (size_t)lot_size;
	crypto_generichash_init(&h, key, sizeof(key) - 1, sizeof(seed));
	crypto_generichash_update(&h, (const unsigned char *)primary_slug,
				  strlen(primary_slug) + 1);
	crypto_generichash_update(&h, pk, 32);
	crypto_generichash_final(&h, seed, sizeof(seed));
	/* 4 bytes a draw, twice what rejection ever needs on average */
	len = 8 * k + 64;
	randombytes_buf_deterministic(stream, len, seed);
	/* the first k steps of a Fisher-Yates shuffle */
	for (i = 0; i < k; i++) {
		j = i + draw(stream, &pos, len, (uint32_t)(n - i));
		t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
	return k;
}

/* --------------------------------------------------------------- ballots */

static char *canonical(json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
}

int primary_ballot_make(const char *primary_slug, const char *code,
			int64_t seq, const struct primary_grade *g, size_t n,
			struct sb *body, unsigned char sig[64],
			struct agora_error *err)
{
	char norm[PRIMARY_CODE_SYMBOLS + 1], pkhex[65], *s;
	unsigned char pk[32], sk[64];
	json_t *o, *grades;
	size_t i;
	int rc;

	if ((rc = primary_code_parse(code, norm, err)))
		return rc;
	primary_code_keys(primary_slug, norm, pk, sk);
	hex(pk, 32, pkhex);
	grades = json_object();
	for (i = 0; grades && i < n; i++)
		if (json_object_set_new(grades, g[i].candidate,
					json_integer(g[i].grade))) {
			json_decref(grades);
			grades = NULL;
		}
	o = grades ? json_pack("{s:s, s:o, s:I, s:s, s:i}", "credential",
			       pkhex, "grades", grades, "n", (json_int_t)seq,
			       "primary", primary_slug, "version", 1)
		   : NULL;
	s = o ? canonical(o) : NULL;
	json_decref(o);
	if (!s) {
		sodium_memzero(sk, sizeof(sk));
		return agora_errorf(err, AGORA_EINVAL,
				    "cannot build the ballot (a candidate "
				    "name that is not UTF-8?)");
	}
	sb_reset(body);
	sb_puts(body, s);
	crypto_sign_detached(sig, NULL, (const unsigned char *)s, strlen(s),
			     sk);
	sodium_memzero(sk, sizeof(sk));
	free(s);
	return sb_error(body) ? agora_errorf(err, AGORA_ENOMEM, "out of memory")
			      : 0;
}

int primary_ballot_next_pk(struct agora_db *db, int64_t primary_id,
			   const unsigned char pk[32], int64_t *seq,
			   struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, PS_BALLOT_SEQ);
	int rc;

	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc == 1)
		*seq = sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

int primary_ballot_next(struct agora_db *db, const char *primary_slug,
			const char *code, int64_t *seq, struct agora_error *err)
{
	char norm[PRIMARY_CODE_SYMBOLS + 1];
	unsigned char pk[32], sk[64];
	struct primary_info p;
	sqlite3_stmt *st;
	int rc;

	if ((rc = primary_code_parse(code, norm, err)))
		return rc;
	primary_code_keys(primary_slug, norm, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	if ((rc = primary_get(db, primary_slug, &p, err)))
		return rc;
	st = stmt(db, PS_BALLOT_SEQ);
	sqlite3_bind_int64(st, 1, p.id);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc == 1)
		*seq = sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	primary_info_fini(&p);
	return rc < 0 ? rc : 0;
}

struct ballot {
	json_t *root;
	json_int_t seq;
	unsigned char pk[32];
	json_t *grades; /* borrowed from root */
	int other;	/* refused: for another primary */
};

/* Parses and checks the shape of a body; pk is from its "credential" */
static int ballot_parse(const char *body, size_t n, const char *primary_slug,
			struct ballot *b, struct agora_error *err)
{
	json_error_t jerr;
	const char *slug = NULL, *pkhex = NULL;
	json_int_t version = 0;
	char *again;
	int same;

	memset(b, 0, sizeof(*b));
	b->root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!b->root)
		return agora_errorf(err, AGORA_EINVAL,
				    "the ballot is not JSON (%s, at byte %d)",
				    jerr.text, jerr.position);
	if (json_unpack_ex(b->root, &jerr, JSON_STRICT,
			   "{s:s, s:o, s:I, s:s, s:I}", "credential", &pkhex,
			   "grades", &b->grades, "n", &b->seq, "primary",
			   &slug, "version", &version) ||
	    !json_is_object(b->grades) || version != 1 || b->seq < 1) {
		json_decref(b->root);
		b->root = NULL;
		return agora_errorf(err, AGORA_EINVAL,
				    "the ballot must be {\"credential\", "
				    "\"grades\": {...}, \"n\": N >= 1, "
				    "\"primary\", \"version\": 1} and "
				    "nothing else");
	}
	if (strcmp(slug, primary_slug)) {
		json_decref(b->root);
		b->root = NULL;
		b->other = 1;
		return agora_errorf(err, AGORA_EINVAL,
				    "this ballot is for another primary");
	}
	if (strlen(pkhex) != 64 ||
	    sodium_hex2bin(b->pk, 32, pkhex, 64, NULL, NULL, NULL) ||
	    strspn(pkhex, "0123456789abcdef") != 64) {
		json_decref(b->root);
		b->root = NULL;
		return agora_errorf(err, AGORA_EINVAL,
				    "the ballot's credential is not 64 "
				    "lower-case hex digits");
	}
	again = canonical(b->root);
	same = again && strlen(again) == n && !memcmp(again, body, n);
	free(again);
	if (!same) {
		json_decref(b->root);
		b->root = NULL;
		return agora_errorf(err, AGORA_EINVAL,
				    "the ballot is not in canonical form "
				    "(sorted keys, no spaces)");
	}
	return 0;
}

/* Adds (sign > 0) or takes away one vote per grade of a stored ballot */
static int tally_apply(struct agora_db *db, int64_t primary_id,
		       const struct primary_candidate *c, size_t nc,
		       json_t *grades, int sign, struct agora_error *err)
{
	const char *key;
	json_t *v;
	size_t i;
	sqlite3_stmt *st;
	int rc;

	json_object_foreach(grades, key, v)
	{
		for (i = 0; i < nc && strcmp(c[i].slug, key); i++)
			;
		if (i == nc)
			return agora_errorf(err, AGORA_ECHECK,
					    "a stored ballot grades unknown "
					    "candidate '%.64s'",
					    key);
		st = stmt(db, sign > 0 ? PS_TALLY_ADD : PS_TALLY_SUB);
		sqlite3_bind_int64(st, 1, primary_id);
		sqlite3_bind_int64(st, 2, c[i].id);
		sqlite3_bind_int64(st, 3, json_integer_value(v));
		if (sign > 0)
			sqlite3_bind_int(st, 4, 1);
		if ((rc = db_step(db, st, err)) < 0)
			return rc;
		if (sign < 0 && sqlite3_changes(db_handle(db)) != 1)
			return agora_errorf(err, AGORA_ECHECK,
					    "the counters lack a vote of a "
					    "stored ballot (run 'agora "
					    "primary recount')");
	}
	return 0;
}

/* A checked ballot's grades as one byte per candidate (255: none) */
static void grades_row(const struct primary_candidate *c, size_t nq,
		       json_t *grades, unsigned char *row)
{
	size_t i;

	for (i = 0; i < nq; i++) {
		json_t *v = json_object_get(grades, c[i].slug);

		row[i] = v ? (unsigned char)json_integer_value(v)
			   : PRIMARY_NO_GRADE;
	}
}

/* The grades must be exactly the credential's lot, each a valid grade */
static int ballot_check_grades(const struct primary_info *p,
			       const struct primary_candidate *c, size_t nq,
			       const struct ballot *b, struct agora_error *err)
{
	size_t *lot, k, i;
	json_t *v;
	int rc = 0;

	if (!json_object_size(b->grades)) {
		if (p->allow_blank)
			return 0;
		return agora_errorf(err, AGORA_EINVAL,
				    "a blank ballot is not allowed in this "
				    "primary: grade every candidate shown");
	}
	lot = calloc(nq ? nq : 1, sizeof(*lot));
	if (!lot)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	k = primary_lot(p->slug, b->pk, nq, p->lot_size, lot);
	if (json_object_size(b->grades) != k)
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the ballot grades %zu candidates; this "
				  "credential's ballot has %zu",
				  json_object_size(b->grades), k);
	for (i = 0; !rc && i < k; i++) {
		v = json_object_get(b->grades, c[lot[i]].slug);
		if (!v)
			rc = agora_errorf(err, AGORA_EINVAL,
					  "candidate '%s' is on this "
					  "credential's ballot but has no grade",
					  c[lot[i]].slug);
		else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			 json_integer_value(v) >= p->ngrades)
			rc = agora_errorf(err, AGORA_EINVAL,
					  "the grade of '%s' must be 0 to %d",
					  c[lot[i]].slug, p->ngrades - 1);
	}
	free(lot);
	return rc;
}

int primary_ballot_check(const char *primary_slug, const char *body,
			 size_t n, const unsigned char sig[64],
			 struct primary_checked *b, struct agora_error *err)
{
	struct ballot parsed;
	unsigned char *signed_ballot;
	int rc;

	memset(b, 0, sizeof(*b));
	if (n > PRIMARY_BALLOT_MAX) {
		b->refusal = PRIMARY_R_TOOBIG;
		return agora_errorf(err, AGORA_ETOOBIG,
				    "a ballot is at most %d bytes",
				    PRIMARY_BALLOT_MAX);
	}
	if ((rc = ballot_parse(body, n, primary_slug, &parsed, err))) {
		b->refusal = parsed.other ? PRIMARY_R_INVALID
					  : PRIMARY_R_MALFORMED;
		return rc;
	}
	if (crypto_sign_verify_detached(sig, (const unsigned char *)body, n,
					parsed.pk)) {
		json_decref(parsed.root);
		b->refusal = PRIMARY_R_INVALID;
		return agora_errorf(err, AGORA_EINVAL,
				    "the ballot's signature does not match its "
				    "credential");
	}
	b->body = malloc(n + 64 + 1);
	if (!b->body) {
		json_decref(parsed.root);
		b->refusal = PRIMARY_R_INTERNAL;
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	/* the receipt: SHA-256 of the body followed by the signature */
	signed_ballot = (unsigned char *)b->body;
	memcpy(signed_ballot, body, n);
	memcpy(signed_ballot + n, sig, 64);
	sha256_hex(signed_ballot, n + 64, b->receipt);
	b->body[n] = 0;
	b->n = n;
	memcpy(b->sig, sig, 64);
	memcpy(b->pk, parsed.pk, 32);
	b->seq = parsed.seq;
	b->json = parsed.root;
	return 0;
}

void primary_checked_fini(struct primary_checked *b)
{
	free(b->body);
	json_decref(b->json);
	memset(b, 0, sizeof(*b));
}

int primary_context_load(struct agora_db *db, const char *slug,
			 struct primary_context *x, struct agora_error *err)
{
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = get_st(db, PS_GET_BARE, slug, &x->p, err)))
		return rc;
	if ((rc = primary_candidates(db, x->p.id, &x->c, &x->nc, err))) {
		primary_info_fini(&x->p);
		return rc;
	}
	for (x->nq = 0; x->nq < x->nc && !strcmp(x->c[x->nq].status,
						  "qualified");
	     x->nq++)
		;
	return 0;
}

void primary_context_fini(struct primary_context *x)
{
	primary_candidates_free(x->c, x->nc);
	primary_info_fini(&x->p);
	memset(x, 0, sizeof(*x));
}

int primary_ballot_store(struct agora_db *db, const struct primary_context *x,
			 struct primary_checked *cb, struct agora_error *err)
{
	const struct primary_info *p = &x->p;
	struct ballot b = {0}, prev = {0};
	unsigned char *row = NULL;
	sqlite3_stmt *st;
	int64_t cred, prev_id = 0, have;
	int rc;

	b.root = cb->json;
	b.seq = cb->seq;
	memcpy(b.pk, cb->pk, 32);
	b.grades = json_object_get(b.root, "grades");
	cb->refusal = PRIMARY_R_INTERNAL;
	if (strcmp(p->phase, "vote")) {
		cb->refusal = PRIMARY_R_CONFLICT;
		return agora_errorf(err, AGORA_EINVAL,
				    "primary '%s' is in phase '%s': ballots "
				    "are taken only during the vote",
				    p->slug, p->phase);
	}
	st = stmt(db, PS_CRED_FIND);
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_blob(st, 2, b.pk, 32, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 0) {
		cb->refusal = PRIMARY_R_INVALID;
		return agora_errorf(err, AGORA_EINVAL,
				    "this credential was not issued for "
				    "primary '%s'",
				    p->slug);
	}
	cred = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if ((rc = ballot_check_grades(p, x->c, x->nq, &b, err))) {
		if (rc == AGORA_EINVAL)
			cb->refusal = PRIMARY_R_INVALID;
		return rc;
	}

	/*
	 * Ballot n of a credential must follow ballot n - 1: an older
	 * signed ballot taken from the board cannot be replayed to undo
	 * the voter's newer choice. The same ballot sent twice (a retry)
	 * gets its receipt again.
	 */
	st = stmt(db, PS_BALLOT_SEQ);
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_blob(st, 2, b.pk, 32, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	have = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = stmt(db, PS_BALLOT_PREV);
	sqlite3_bind_int64(st, 1, cred);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 1 && b.seq == have &&
	    !strcmp(db_col_text(st, 2), cb->receipt)) {
		sqlite3_reset(st);
		/* already stored and counted: the same receipt */
		cb->refusal = PRIMARY_OK;
		return 0;
	}
	if (b.seq != have + 1) {
		sqlite3_reset(st);
		cb->refusal = PRIMARY_R_CONFLICT;
		return agora_errorf(err, AGORA_EINVAL,
				    "this credential has cast %lld ballots: "
				    "the next one is number %lld, not %lld",
				    (long long)have, (long long)have + 1,
				    (long long)b.seq);
	}
	/* the credential's previous ballot stops counting */
	if (rc == 1) {
		const char *pb = db_col_text(st, 1);

		prev_id = sqlite3_column_int64(st, 0);
		rc = ballot_parse(pb, strlen(pb), p->slug, &prev, err);
		sqlite3_reset(st);
		if (rc || (rc = tally_apply(db, p->id, x->c, x->nq,
					    prev.grades, -1, err)))
			goto out;
		st = stmt(db, PS_BALLOT_UNCOUNT);
		sqlite3_bind_int64(st, 1, prev_id);
		if ((rc = db_step(db, st, err)) < 0)
			goto out;
	}
	sqlite3_reset(st);
	row = malloc(x->nq ? x->nq : 1);
	if (!row) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	grades_row(x->c, x->nq, b.grades, row);
	st = stmt(db, PS_BALLOT_ADD);
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int64(st, 2, cred);
	sqlite3_bind_text(st, 3, cb->receipt, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, cb->body, (int)cb->n, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, cb->sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, row, (int)x->nq, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db_handle(db)) ==
		    SQLITE_CONSTRAINT_UNIQUE) {
			cb->refusal = PRIMARY_R_CONFLICT;
			rc = agora_errorf(err, AGORA_EEXIST,
					  "this very ballot was cast already "
					  "(receipt %s)",
					  cb->receipt);
		} else {
			rc = db_error(db, err, "cannot store the ballot");
		}
		sqlite3_reset(st);
		goto out;
	}
	sqlite3_reset(st);
	if ((rc = tally_apply(db, p->id, x->c, x->nq, b.grades, 1, err)))
		goto out;
	{
		char sighex[129];

		hex(cb->sig, 64, sighex);
		rc = board_append_json(db, p->id, "ballot",
				       json_pack("{s:s, s:s}", "body", cb->body,
						 "signature", sighex),
				       err);
	}
	if (!rc)
		cb->refusal = PRIMARY_OK;
out:
	json_decref(prev.root);
	free(row);
	return rc;
}

int primary_ballot_cast(struct agora_db *db, const char *primary_slug,
			const char *body, size_t n, const unsigned char sig[64],
			char receipt[65], struct agora_error *err)
{
	struct primary_context x = {0};
	struct primary_checked b;
	int rc, began = 0, loaded = 0;

	receipt[0] = 0;
	if ((rc = primary_ballot_check(primary_slug, body, n, sig, &b, err)))
		return rc;
	/* durable before the receipt is given: FULL for this transaction */
	if ((rc = db_exec(db, "PRAGMA synchronous=FULL", err)))
		goto out;
	if ((rc = db_begin_write(db, err)))
		goto out;
	began = 1;
	if ((rc = primary_context_load(db, primary_slug, &x, err)))
		goto out;
	loaded = 1;
	if ((rc = primary_ballot_store(db, &x, &b, err)))
		goto out;
	rc = db_commit(db, err);
	began = 0;
out:
	if (began)
		db_rollback(db);
	db_exec(db, "PRAGMA synchronous=NORMAL", NULL);
	if (!rc)
		memcpy(receipt, b.receipt, 65);
	if (loaded)
		primary_context_fini(&x);
	primary_checked_fini(&b);
	return rc;
}

int primary_counts(struct agora_db *db, const struct primary_info *p,
		   const struct primary_candidate *c, size_t nc, int recount,
		   uint64_t **counts, struct agora_error *err)
{
	struct ballot b;
	sqlite3_stmt *st;
	uint64_t *v;
	int64_t cid, grade, count;
	size_t i;
	int rc;

	*counts = NULL;
	v = calloc(nc ? nc * (size_t)p->ngrades : 1, sizeof(*v));
	if (!v)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if (!recount) {
		st = stmt(db, PS_TALLY_GET);
		sqlite3_bind_int64(st, 1, p->id);
		while ((rc = db_step(db, st, err)) == 1) {
			cid = sqlite3_column_int64(st, 0);
			grade = sqlite3_column_int64(st, 1);
			count = sqlite3_column_int64(st, 2);
			for (i = 0; i < nc && c[i].id != cid; i++)
				;
			if (i == nc || grade >= p->ngrades) {
				if (count == 0)
					continue;
				rc = agora_errorf(err, AGORA_ECHECK,
						  "the counters hold votes "
						  "for a candidate or grade "
						  "not on the ballot");
				break;
			}
			v[i * (size_t)p->ngrades + (size_t)grade] =
				(uint64_t)count;
		}
		sqlite3_reset(st);
		goto out;
	}
	if (recount == 1) {
		/* the covering index of counted grades: no body is read */
		st = stmt(db, PS_BALLOTS_GRADES);
		sqlite3_bind_int64(st, 1, p->id);
		while ((rc = db_step(db, st, err)) == 1) {
			const unsigned char *row = sqlite3_column_blob(st, 0);

			if ((size_t)sqlite3_column_bytes(st, 0) != nc) {
				rc = agora_errorf(err, AGORA_ECHECK,
						  "a stored ballot has %d "
						  "grades for %zu candidates",
						  sqlite3_column_bytes(st, 0),
						  nc);
				break;
			}
			for (i = 0; i < nc; i++)
				if (row[i] != PRIMARY_NO_GRADE)
					v[i * (size_t)p->ngrades + row[i]]++;
		}
		sqlite3_reset(st);
		goto out;
	}
	st = stmt(db, PS_BALLOTS_COUNTED);
	sqlite3_bind_int64(st, 1, p->id);
	while ((rc = db_step(db, st, err)) == 1) {
		const char *body = db_col_text(st, 0), *key;
		const unsigned char *row = sqlite3_column_blob(st, 1);
		json_t *g;

		if ((rc = ballot_parse(body, strlen(body), p->slug, &b, err)))
			break;
		if ((size_t)sqlite3_column_bytes(st, 1) != nc) {
			rc = agora_errorf(err, AGORA_ECHECK,
					  "a stored ballot has %d grades for "
					  "%zu candidates",
					  sqlite3_column_bytes(st, 1), nc);
			json_decref(b.root);
			break;
		}
		json_object_foreach(b.grades, key, g)
		{
			grade = json_integer_value(g);
			for (i = 0; i < nc && strcmp(c[i].slug, key); i++)
				;
			if (i == nc || grade < 0 || grade >= p->ngrades ||
			    row[i] != grade) {
				rc = agora_errorf(err, AGORA_ECHECK,
						  "a stored ballot's body and "
						  "grades disagree on '%.64s'",
						  key);
				break;
			}
			v[i * (size_t)p->ngrades + (size_t)grade]++;
		}
		for (i = 0; rc >= 0 && i < nc; i++)
			if (row[i] != PRIMARY_NO_GRADE &&
			    !json_object_get(b.grades, c[i].slug))
				rc = agora_errorf(err, AGORA_ECHECK,
						  "a stored ballot's grades "
						  "name '%s', its body does "
						  "not",
						  c[i].slug);
		json_decref(b.root);
		if (rc < 0)
			break;
	}
	sqlite3_reset(st);
out:
	if (rc < 0) {
		free(v);
		return rc;
	}
	*counts = v;
	return 0;
}

char *primary_result_text(const char *slug, const char *const *slugs,
			  size_t n, int ngrades, const uint64_t *counts,
			  uint64_t voters, struct agora_error *err)
{
	struct mj_result *r = calloc(n ? n : 1, sizeof(*r));
	size_t *order = calloc(n ? n : 1, sizeof(*order)), i;
	json_t *o = NULL, *cnt, *ranking, *row;
	char *text = NULL, sign[2] = {0, 0};
	int g;

	if (!r || !order)
		goto nomem;
	if (n && mj_rank(counts, n, ngrades, r, order, err))
		goto out;
	cnt = json_object();
	ranking = json_array();
	o = json_pack("{s:o, s:s, s:o, s:I}", "counts", cnt, "primary", slug,
		      "ranking", ranking, "voters", (json_int_t)voters);
	if (!o)
		goto nomem;
	for (i = 0; i < n; i++) {
		json_t *a = json_array();

		for (g = 0; g < ngrades; g++)
			json_array_append_new(
				a, json_integer((json_int_t)
						counts[i * (size_t)ngrades +
						       (size_t)g]));
		json_object_set_new(cnt, slugs[i], a);
		/* the sign as shown: none at the extreme grades */
		sign[0] = mj_sign_shown(&r[order[i]], ngrades);
		row = json_pack("{s:s, s:i, s:I, s:s}", "candidate",
				slugs[order[i]], "majority_grade",
				r[order[i]].grade, "rank",
				(json_int_t)r[order[i]].rank, "sign", sign);
		json_array_append_new(ranking, row);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto nomem;
	goto out;
nomem:
	agora_errorf(err, AGORA_ENOMEM, "out of memory");
out:
	json_decref(o);
	free(r);
	free(order);
	return text;
}

int primary_receipt_find(struct agora_db *db, int64_t primary_id,
			 const char *receipt, int *counted,
			 struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, PS_RECEIPT);
	int rc;

	sqlite3_bind_int64(st, 1, primary_id);
	sqlite3_bind_text(st, 2, receipt, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	if (rc == 1)
		*counted = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == 1 ? 0
		       : agora_errorf(err, AGORA_ENOTFOUND,
				      "no ballot has this receipt");
}

int primary_result_live(struct agora_db *db, const struct primary_context *x,
			char **text, struct agora_error *err)
{
	const char **slugs;
	uint64_t *counts = NULL;
	size_t i;
	int rc;

	*text = NULL;
	if ((rc = primary_counts(db, &x->p, x->c, x->nq, 0, &counts, err)))
		return rc;
	slugs = calloc(x->nq ? x->nq : 1, sizeof(*slugs));
	if (!slugs) {
		free(counts);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	for (i = 0; i < x->nq; i++)
		slugs[i] = x->c[i].slug;
	*text = primary_result_text(x->p.slug, slugs, x->nq, x->p.ngrades,
				    counts, (uint64_t)x->p.voters, err);
	free(slugs);
	free(counts);
	return *text ? 0 : (err ? err->code : AGORA_ENOMEM);
}
