/*
 * test_auth.c - the secrets accounts rest on, without a server: token
 * shapes and hashes, CSRF tokens bound to one visitor, the rate
 * limiter's buckets over injected time, the e-mail rule, the password
 * policy and hashing, the form parser; then, in a real database,
 * sessions, one-time links and roles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sodium.h>

#include "auth.h"
#include "compare.h"
#include "core.h"
#include "web_auth.h"

static void test_token(void **state)
{
	char a[AUTH_TOKEN_CHARS + 1], b[AUTH_TOKEN_CHARS + 1];
	unsigned char ha[AUTH_HASH_BYTES], hb[AUTH_HASH_BYTES];
	char bad[AUTH_TOKEN_CHARS + 2];

	(void)state;
	auth_token_new(a);
	auth_token_new(b);
	assert_int_equal(strlen(a), AUTH_TOKEN_CHARS);
	assert_string_not_equal(a, b);
	assert_int_equal(auth_token_hash(a, ha), 0);
	assert_int_equal(auth_token_hash(b, hb), 0);
	assert_memory_not_equal(ha, hb, sizeof(ha));
	/* the stored hash is SHA-256 of the token, nothing else */
	crypto_hash_sha256(hb, (const unsigned char *)a, AUTH_TOKEN_CHARS);
	assert_memory_equal(ha, hb, sizeof(ha));
	/* hostile cookies never reach the database */
	memcpy(bad, a, sizeof(a));
	bad[5] = '\'';
	assert_int_equal(auth_token_hash(bad, ha), -1);
	assert_int_equal(auth_token_hash("", ha), -1);
	assert_int_equal(auth_token_hash("abc", ha), -1);
	memcpy(bad, a, AUTH_TOKEN_CHARS);
	bad[AUTH_TOKEN_CHARS] = 'x';
	bad[AUTH_TOKEN_CHARS + 1] = '\0';
	assert_int_equal(auth_token_hash(bad, ha), -1);
}

static void test_csrf(void **state)
{
	unsigned char key[32], key2[32];
	char t[AUTH_CSRF_CHARS + 1], t2[AUTH_CSRF_CHARS + 1];

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(key2, sizeof(key2));
	auth_csrf_make(key, "s-alice", 7, t);
	assert_int_equal(strlen(t), AUTH_CSRF_CHARS);
	assert_true(auth_csrf_check(key, "s-alice", 7, t));
	/* bound to the visitor and to the key */
	assert_false(auth_csrf_check(key, "s-bob", 5, t));
	assert_false(auth_csrf_check(key2, "s-alice", 7, t));
	auth_csrf_make(key, "s-bob", 5, t2);
	assert_string_not_equal(t, t2);
	/* missing, empty, truncated, one character off */
	assert_false(auth_csrf_check(key, "s-alice", 7, NULL));
	assert_false(auth_csrf_check(key, "s-alice", 7, ""));
	t2[0] = '\0';
	memcpy(t2, t, AUTH_CSRF_CHARS - 1);
	t2[AUTH_CSRF_CHARS - 1] = '\0';
	assert_false(auth_csrf_check(key, "s-alice", 7, t2));
	memcpy(t2, t, sizeof(t));
	t2[10] = t2[10] == 'A' ? 'B' : 'A';
	assert_false(auth_csrf_check(key, "s-alice", 7, t2));
}

static void test_ratelimit(void **state)
{
	struct ratelimit *rl = ratelimit_new();
	unsigned ra = 0;
	int i;

	(void)state;
	assert_non_null(rl);
	/* a burst of 3, then one every 10 s */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "ip:1", 3, 10, 100.0, &ra));
	assert_false(ratelimit_take(rl, "ip:1", 3, 10, 100.0, &ra));
	assert_int_equal(ra, 10);
	assert_false(ratelimit_take(rl, "ip:1", 3, 10, 104.0, &ra));
	assert_int_equal(ra, 6);
	/* other keys are not affected */
	assert_true(ratelimit_take(rl, "ip:2", 3, 10, 104.0, &ra));
	/* refilled with time, never above the burst */
	assert_true(ratelimit_take(rl, "ip:1", 3, 10, 110.5, &ra));
	assert_false(ratelimit_take(rl, "ip:1", 3, 10, 110.5, &ra));
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "ip:1", 3, 10, 1000.0, &ra));
	assert_false(ratelimit_take(rl, "ip:1", 3, 10, 1000.0, &ra));
	/* time going backwards refills nothing */
	assert_false(ratelimit_take(rl, "ip:1", 3, 10, 900.0, &ra));
	/* a reset gives the burst back */
	ratelimit_reset(rl, "ip:1");
	assert_true(ratelimit_take(rl, "ip:1", 3, 10, 1000.0, &ra));
	ratelimit_free(rl);
}

static void test_email(void **state)
{
	struct agora_error err = {0};
	char *e;

	(void)state;
	assert_int_equal(auth_email_normalize("  Eve@Example.ORG \n", &e, &err),
			 0);
	assert_string_equal(e, "eve@example.org");
	free(e);
	assert_int_equal(auth_email_normalize("a@localhost", &e, &err), 0);
	free(e);
	assert_int_equal(auth_email_normalize("nope", &e, &err), AGORA_EINVAL);
	assert_null(e);
	assert_int_equal(auth_email_normalize("a@b", &e, &err), AGORA_EINVAL);
	assert_int_equal(auth_email_normalize("@b.c", &e, &err), AGORA_EINVAL);
	assert_int_equal(auth_email_normalize("a@b@c.d", &e, &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_email_normalize("a b@c.d", &e, &err),
			 AGORA_EINVAL);
	/* nothing that could break a mail header */
	assert_int_equal(auth_email_normalize("a@c.d\r\nBcc: x@y.z", &e, &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_email_normalize("<a@c.d>", &e, &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_email_normalize("é@c.d", &e, &err), AGORA_EINVAL);
}

static void test_password(void **state)
{
	struct agora_error err = {0};
	char hash[AUTH_PWHASH_BYTES], big[AUTH_PASSWORD_MAX + 2];
	unsigned long long ops;
	size_t mem;
	int over;

	(void)state;
	assert_int_equal(auth_password_ok("1234567", &err), AGORA_EINVAL);
	assert_int_equal(auth_password_ok("12345678", &err), 0);
	assert_int_equal(
		auth_password_ok("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", &err),
		AGORA_EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_password_ok(big, &err), AGORA_EINVAL);
	/* ./check sets AGORA_PWHASH_LIMITS below the minimums: clamped */
	auth_pwhash_limits(&ops, &mem, &over);
	assert_true(ops >= crypto_pwhash_OPSLIMIT_MIN);
	assert_true(mem >= crypto_pwhash_MEMLIMIT_MIN);
	if (!getenv("AGORA_PWHASH_LIMITS")) {
		assert_false(over);
		assert_true(ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
	}
	assert_int_equal(auth_password_hash("correct horse", hash, &err), 0);
	assert_non_null(strstr(hash, "$argon2id$"));
	assert_true(auth_password_verify(hash, "correct horse"));
	assert_false(auth_password_verify(hash, "correct horsE"));
	assert_false(auth_password_verify(NULL, "correct horse"));
	assert_false(auth_password_verify(auth_password_dummy(), ""));
}

static void form_free(struct web_arg *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].val);
	}
}

static void test_form(void **state)
{
	static const char ok[] = "email=eve%40example.org&name=%C3%88ve+B&&x&"
				 "csrf=abc";
	static const char *const bad[] = {
		"a=%zz", "a=%4", "a=%", "a=%00", "a=%C3%28", "%ff=1",
	};
	struct web_arg a[8];
	size_t n, i;

	(void)state;
	assert_int_equal(form_parse(ok, strlen(ok), a, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(a[0].key, "email");
	assert_string_equal(a[0].val, "eve@example.org");
	assert_string_equal(a[1].val, "Ève B");
	assert_string_equal(a[2].key, "x");
	assert_string_equal(a[2].val, "");
	assert_string_equal(a[3].val, "abc");
	form_free(a, n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(form_parse(bad[i], strlen(bad[i]), a, 8, &n),
				 AGORA_EINVAL);
		form_free(a, n);
	}
	/* too many fields */
	assert_int_equal(form_parse("a&b&c", 5, a, 2, &n), AGORA_EINVAL);
	form_free(a, n);
	assert_int_equal(form_parse("", 0, a, 2, &n), 0);
	assert_int_equal(n, 0);
}

/* ------------------------------------------------------------ database */

struct fixture {
	char path[64];
	struct agora_db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agora_error err = {0};
	int fd;

	strcpy(f->path, "/tmp/agora-auth-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    auth_db_prepare(f->db, &err) || compare_db_prepare(f->db, &err) ||
	    election_add(f->db, "ville-2026", "Municipales", NULL, "fr",
			 &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char aux[128];

	db_close(f->db);
	unlink(f->path);
	snprintf(aux, sizeof(aux), "%s-wal", f->path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", f->path);
	unlink(aux);
	free(f);
	return 0;
}

static void test_schema(void **state)
{
	struct fixture *f = *state;
	unsigned char key[32], zero[32] = {0};
	struct agora_error err = {0};

	assert_int_equal(db_schema_version(f->db), db_latest_schema_version());
	assert_true(db_latest_schema_version() >= 2);
	assert_int_equal(auth_csrf_key(f->db, key, &err), 0);
	assert_memory_not_equal(key, zero, sizeof(key));
}

static void test_sessions(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char tok[AUTH_TOKEN_CHARS + 1];
	unsigned char h[AUTH_HASH_BYTES];
	struct auth_user u;
	int64_t id, id2;

	assert_int_equal(auth_user_create(f->db, "eve@example.org", "Ève", NULL,
					  1, &id, &err),
			 0);
	assert_int_equal(auth_user_create(f->db, "eve@example.org", "", NULL, 0,
					  &id2, &err),
			 AGORA_EEXIST);
	assert_int_equal(auth_session_create(f->db, id, 1000, tok, &err), 0);
	assert_int_equal(auth_token_hash(tok, h), 0);
	assert_int_equal(auth_session_user(f->db, h, 1001, &u, &err), 0);
	assert_int_equal(u.id, id);
	assert_string_equal(u.email, "eve@example.org");
	assert_string_equal(u.display_name, "Ève");
	auth_user_fini(&u);
	/* expired */
	assert_int_equal(
		auth_session_user(f->db, h, 1000 + AUTH_SESSION_TTL, &u, &err),
		AGORA_ENOTFOUND);
	/* signed out */
	assert_int_equal(auth_session_delete(f->db, h, &err), 0);
	assert_int_equal(auth_session_user(f->db, h, 1001, &u, &err),
			 AGORA_ENOTFOUND);
	/* a new password ends every session */
	assert_int_equal(auth_session_create(f->db, id, 1000, tok, &err), 0);
	assert_int_equal(auth_token_hash(tok, h), 0);
	assert_int_equal(auth_user_set_password(f->db, id, "$argon2id$x", &err),
			 0);
	assert_int_equal(auth_session_user(f->db, h, 1001, &u, &err),
			 AGORA_ENOTFOUND);
}

static void test_links(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char tok[AUTH_TOKEN_CHARS + 1];
	int64_t id, uid = 0;

	assert_int_equal(auth_user_create(f->db, "a@example.org", "", NULL, 0,
					  &id, &err),
			 0);
	assert_int_equal(auth_link_create(f->db, id, AUTH_LINK_RESET, 1000,
					  3600, tok, &err),
			 0);
	/* the wrong purpose, a malformed token, too late */
	assert_int_equal(auth_link_check(f->db, tok, AUTH_LINK_VERIFY, 1001, 0,
					 &uid, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(auth_link_check(f->db, "x", AUTH_LINK_RESET, 1001, 0,
					 &uid, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(auth_link_check(f->db, tok, AUTH_LINK_RESET, 4600, 0,
					 &uid, &err),
			 AGORA_ENOTFOUND);
	/* looking does not use it; using it does, once */
	assert_int_equal(auth_link_check(f->db, tok, AUTH_LINK_RESET, 1001, 0,
					 &uid, &err),
			 0);
	assert_int_equal(uid, id);
	assert_int_equal(auth_link_check(f->db, tok, AUTH_LINK_RESET, 1001, 1,
					 &uid, &err),
			 0);
	assert_int_equal(auth_link_check(f->db, tok, AUTH_LINK_RESET, 1002, 1,
					 &uid, &err),
			 AGORA_ENOTFOUND);
}

static void test_roles(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct auth_grant_list gl;
	struct election_info e;
	int64_t ed, ad, cit;

	assert_int_equal(election_get(f->db, "ville-2026", &e, &err), 0);
	assert_int_equal(auth_user_create(f->db, "ed@example.org", "", NULL, 1,
					  &ed, &err),
			 0);
	assert_int_equal(auth_user_create(f->db, "ad@example.org", "", NULL, 1,
					  &ad, &err),
			 0);
	assert_int_equal(auth_user_create(f->db, "c@example.org", "", NULL, 1,
					  &cit, &err),
			 0);
	assert_int_equal(
		auth_grant(f->db, ed, ROLE_EDITOR, "ville-2026", NULL, &err),
		0);
	assert_int_equal(
		auth_grant(f->db, ed, ROLE_EDITOR, "ville-2026", NULL, &err),
		AGORA_EEXIST);
	assert_int_equal(auth_grant(f->db, ed, ROLE_EDITOR, "nope", NULL, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(auth_grant(f->db, ad, ROLE_ADMIN, NULL, NULL, &err),
			 0);
	/* an editor of this election, not of another; an admin of all */
	assert_int_equal(auth_user_can(f->db, ed, ROLE_EDITOR, e.id, &err), 1);
	assert_int_equal(auth_user_can(f->db, ed, ROLE_EDITOR, e.id + 1, &err),
			 0);
	assert_int_equal(auth_user_can(f->db, ed, ROLE_ADMIN, 0, &err), 0);
	assert_int_equal(auth_user_can(f->db, ad, ROLE_EDITOR, e.id, &err), 1);
	assert_int_equal(auth_user_can(f->db, ad, ROLE_ADMIN, 0, &err), 1);
	assert_int_equal(auth_user_can(f->db, cit, ROLE_EDITOR, 0, &err), 0);
	assert_int_equal(auth_user_can(f->db, cit, ROLE_CITIZEN, 0, &err), 1);
	assert_int_equal(auth_user_grants(f->db, ed, &gl, &err), 0);
	assert_int_equal(gl.n, 2);
	assert_int_equal(gl.roles, ROLE_EDITOR | ROLE_CITIZEN);
	auth_grant_list_fini(&gl);
	election_info_fini(&e);
}

static void on_line(void *ctx, const char *line)
{
	size_t *n = ctx;

	(void)line;
	(*n)++;
}

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char h1[65], h2[65];
	size_t n = 0, lines = 0;

	assert_int_equal(auth_audit_verify(f->db, on_line, &lines, &n, &err),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(auth_audit(f->db, 0, "user.create", "user:1",
				    "role=citizen", &err),
			 0);
	assert_int_equal(auth_audit(f->db, 0, "role.grant", "user:1",
				    "role=editor election=ville-2026", &err),
			 0);
	assert_int_equal(
		auth_audit(f->db, 0, "user.verify", "user:1", "link", &err), 0);
	assert_int_equal(auth_audit_verify(f->db, on_line, &lines, &n, &err),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(lines, 0);
	/* every field is in the hash, and fields cannot be shifted */
	auth_audit_hash("0", 1, "t", 0, "a", "bc", "", h1);
	auth_audit_hash("0", 1, "t", 0, "ab", "c", "", h2);
	assert_string_not_equal(h1, h2);
	/* append-only */
	assert_int_not_equal(
		db_exec(f->db, "UPDATE audit SET detail = 'x'", &err), 0);
	assert_int_not_equal(db_exec(f->db, "DELETE FROM audit", &err), 0);
	/* tampering behind the triggers' back is found */
	assert_int_equal(
		db_exec(f->db,
			"DROP TRIGGER audit_no_update;"
			"UPDATE audit SET detail = 'role=administrator'"
			" WHERE seq = 2",
			&err),
		0);
	assert_int_equal(auth_audit_verify(f->db, on_line, &lines, &n, &err),
			 AGORA_ECHECK);
	assert_int_equal(lines, 1);
	lines = 0;
	assert_int_equal(db_exec(f->db,
				 "DROP TRIGGER audit_no_delete;"
				 "DELETE FROM audit WHERE seq = 2",
				 &err),
			 0);
	/* a gap, and entry 3's prev_hash no longer follows entry 1 */
	assert_int_equal(auth_audit_verify(f->db, on_line, &lines, &n, &err),
			 AGORA_ECHECK);
	assert_int_equal(lines, 2);
}

static void test_outbox(void **state)
{
	struct agora_error err = {0};
	char dir[] = "/tmp/agora-outbox-XXXXXX", *path = NULL, buf[2048];
	struct stat sb;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(
		outbox_write(dir, "agora <a@localhost>", "eve@example.org",
			     "Vérifiez votre "
			     "adresse",
			     "Bonjour,\nle lien :\nhttp://x/y\n", &path, &err),
		0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	f = fopen(path, "rb");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "To: eve@example.org\r\n"));
	/* the accented subject is encoded, the body's lines end in CRLF */
	assert_non_null(strstr(buf, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(buf, "\r\n\r\nBonjour,\r\nle lien :\r\n"));
	unlink(path);
	free(path);
	rmdir(dir);
	assert_int_equal(outbox_write("/nonexistent/dir/x", "a", "b", "c", "d",
				      NULL, &err),
			 AGORA_EIO);
}

/*
 * Mail about a write (outbox_prepare, then outbox_publish once the
 * write is committed, or outbox_discard): nothing shows under an .eml
 * name before publish, nothing stays after discard
 */
static int count_eml(const char *dir, int *hidden)
{
	char cmd[128];
	struct stat sb;
	int n = 0, h = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
	assert_int_equal(stat(dir, &sb), 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(cmd, sizeof(cmd), p)) {
		if (cmd[0] == '.')
			h++;
		else if (strstr(cmd, ".eml"))
			n++;
	}
	pclose(p);
	*hidden = h;
	return n;
}

static void test_outbox_two_steps(void **state)
{
	struct agora_error err = {0};
	char dir[] = "/tmp/agora-outbox-XXXXXX";
	struct outbox_msg m;
	struct stat sb;
	int hidden;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(outbox_prepare(dir, "agora <a@localhost>",
					"eve@example.org", "Décision",
					"Motif :\nphoto floue\n", &m, &err),
			 0);
	assert_int_equal(count_eml(dir, &hidden), 0);
	assert_int_equal(hidden, 1);
	outbox_discard(&m); /* the write failed */
	assert_int_equal(count_eml(dir, &hidden), 0);
	assert_int_equal(hidden, 0);
	assert_null(m.path);

	assert_int_equal(outbox_prepare(dir, "agora <a@localhost>",
					"eve@example.org", "Décision",
					"Motif :\nphoto floue\n", &m, &err),
			 0);
	assert_int_equal(outbox_publish(&m, &err), 0); /* committed */
	assert_int_equal(count_eml(dir, &hidden), 1);
	assert_int_equal(hidden, 0);
	assert_int_equal(stat(m.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unlink(m.path);
	outbox_discard(&m); /* frees the path, removes nothing */
	rmdir(dir);
	assert_int_equal(outbox_prepare("/nonexistent/dir/x", "a", "b", "c",
					"d", &m, &err),
			 AGORA_EIO);
	assert_null(m.tmp);
}

/*
 * A crash between prepare and publish leaves a hidden file: the sweep
 * at the server's start removes it once old, never a young one (another
 * process may be writing it) nor a published .eml
 */
static void test_outbox_sweep(void **state)
{
	struct agora_error err = {0};
	char dir[] = "/tmp/agora-outbox-XXXXXX";
	struct outbox_msg crashed, writing, sent;
	time_t now = time(NULL);
	struct utimbuf old = {now - 2 * OUTBOX_TMP_MAX_AGE,
			      now - 2 * OUTBOX_TMP_MAX_AGE};
	int hidden;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(outbox_prepare(dir, "a", "eve@example.org", "s",
					"lien : https://x/reset?t=secret",
					&crashed, &err),
			 0);
	assert_int_equal(utime(crashed.tmp, &old), 0);
	assert_int_equal(outbox_prepare(dir, "a", "bob@example.org", "s", "t",
					&writing, &err),
			 0);
	assert_int_equal(outbox_prepare(dir, "a", "ann@example.org", "s", "t",
					&sent, &err),
			 0);
	assert_int_equal(outbox_publish(&sent, &err), 0);
	assert_int_equal(utime(sent.path, &old), 0);
	assert_int_equal(count_eml(dir, &hidden), 1);
	assert_int_equal(hidden, 2);

	assert_int_equal(outbox_sweep(dir, now, OUTBOX_TMP_MAX_AGE), 1);
	assert_int_equal(count_eml(dir, &hidden), 1); /* the .eml stays */
	assert_int_equal(hidden, 1);		      /* the young one too */
	assert_int_equal(access(crashed.tmp, F_OK), -1);
	assert_int_equal(access(writing.tmp, F_OK), 0);
	assert_int_equal(outbox_publish(&writing, &err), 0); /* undisturbed */
	assert_int_equal(outbox_sweep(dir, now, OUTBOX_TMP_MAX_AGE), 0);
	assert_int_equal(outbox_sweep("/nonexistent/dir", now, 1), 0);
	unlink(writing.path);
	unlink(sent.path);
	free(crashed.tmp); /* its file is gone: nothing to discard */
	crashed.tmp = NULL;
	outbox_discard(&crashed);
	outbox_discard(&writing);
	outbox_discard(&sent);
	assert_int_equal(rmdir(dir), 0);
}

/* An account's address and language, for the mails about its requests */
static void test_user_language(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	char lang[3], *email;
	int64_t id;

	assert_int_equal(auth_user_create(f->db, "eve@example.org", "", NULL,
					  1, &id, &err),
			 0);
	assert_int_equal(auth_user_mailto(f->db, id, &email, lang, &err), 0);
	assert_string_equal(email, "eve@example.org");
	assert_string_equal(lang, ""); /* not known yet: French mails */
	free(email);
	assert_int_equal(auth_user_set_language(f->db, id, "en", &err), 0);
	assert_int_equal(auth_user_mailto(f->db, id, &email, lang, &err), 0);
	assert_string_equal(lang, "en");
	free(email);
	assert_int_equal(auth_user_set_language(f->db, id, "EN", &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_user_set_language(f->db, id, "fra", &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_user_mailto(f->db, id + 99, &email, lang, &err),
			 AGORA_ENOTFOUND);
	assert_null(email);
}


/* Candidacy claims: filing, the limits, decisions, the schema's guards */
static void test_claims(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct auth_claim c;
	struct auth_grant_list gl;
	char sql[256], slug[16];
	int64_t eve, ed, id, first = 0;
	int i;

	assert_int_equal(auth_user_create(f->db, "eve@example.org", "", NULL,
					  1, &eve, &err),
			 0);
	assert_int_equal(auth_user_create(f->db, "ed@example.org", "", NULL, 1,
					  &ed, &err),
			 0);
	for (i = 0; i <= AUTH_CLAIM_PENDING_MAX; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO candidate(election_id, slug, family_name,"
			 " sort_key) VALUES (1, 'c%d', 'C%d', 'c%d')",
			 i, i, i);
		assert_int_equal(
			sqlite3_exec(db_handle(f->db), sql, NULL, NULL, NULL),
			SQLITE_OK);
	}
	assert_int_equal(auth_claim_file(f->db, eve, "ville-2026", "nobody",
					 "", &id, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(auth_claim_file(f->db, eve, "ville-2026", "c0",
					 "bad \x01 byte", &id, &err),
			 AGORA_EINVAL);
	for (i = 0; i < AUTH_CLAIM_PENDING_MAX; i++) {
		snprintf(slug, sizeof(slug), "c%d", i);
		assert_int_equal(auth_claim_file(f->db, eve, "ville-2026",
						 slug, "C'est moi.", &id,
						 &err),
				 0);
		if (!first)
			first = id;
	}
	/* a duplicate while one waits; too many waiting */
	assert_int_equal(auth_claim_file(f->db, eve, "ville-2026", "c0", "",
					 &id, &err),
			 AGORA_EEXIST);
	snprintf(slug, sizeof(slug), "c%d", AUTH_CLAIM_PENDING_MAX);
	assert_int_equal(auth_claim_file(f->db, eve, "ville-2026", slug, "",
					 &id, &err),
			 AGORA_ETOOBIG);

	assert_int_equal(auth_claim_decide(f->db, first, ed, 0, "", &err),
			 AGORA_EINVAL);
	assert_int_equal(auth_claim_decide(f->db, first, ed, 1, NULL, &err),
			 0);
	assert_int_equal(auth_claim_decide(f->db, first, ed, 0, "non", &err),
			 AGORA_EEXIST);
	assert_int_equal(auth_claim_decide(f->db, 999999, ed, 1, NULL, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(auth_claim_get(f->db, first, &c, &err), 0);
	assert_string_equal(c.status, "confirmed");
	assert_string_equal(c.candidate, "c0");
	assert_string_equal(c.message, "C'est moi.");
	assert_true(*c.decided_at);
	auth_claim_fini(&c);
	assert_int_equal(auth_user_grants(f->db, eve, &gl, &err), 0);
	assert_true(gl.roles & ROLE_CANDIDATE);
	auth_grant_list_fini(&gl);
	/* already linked */
	assert_int_equal(auth_claim_file(f->db, eve, "ville-2026", "c0", "",
					 &id, &err),
			 AGORA_EEXIST);
	/* the schema: a decided claim never changes, none is deleted */
	snprintf(sql, sizeof(sql),
		 "UPDATE candidacy_claim SET status = 'refused' WHERE id = %lld",
		 (long long)first);
	assert_int_not_equal(
		sqlite3_exec(db_handle(f->db), sql, NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "DELETE FROM candidacy_claim", NULL,
					  NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(
		sqlite3_exec(db_handle(f->db),
			     "INSERT INTO candidacy_claim(user_id, candidate_id)"
			     " SELECT user_id, candidate_id FROM"
			     " candidacy_claim WHERE status = 'pending' LIMIT 1",
			     NULL, NULL, NULL),
		SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_token),	  cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_ratelimit), cmocka_unit_test(test_email),
		cmocka_unit_test(test_password),  cmocka_unit_test(test_form),
		cmocka_unit_test(test_outbox),
		cmocka_unit_test(test_outbox_two_steps),
		cmocka_unit_test(test_outbox_sweep),
	};
	const struct CMUnitTest db[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_language, setup,
						teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("auth", unit, NULL, NULL) |
	       cmocka_run_group_tests_name("auth-db", db, NULL, NULL);
}
