/*
 * test_editor.c - editor/ without a server: which source links a note
 * accepts; then, in a real database with two elections, theme decisions
 * (and their refusals across elections), note versions, the audit
 * entries and the chain they keep, the generation they move, and the
 * schema's refusals (note history, proposal text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth.h"
#include "compare.h"
#include "core.h"
#include "editor.h"

/* a group of the default taxonomy: not a theme a proposal gets */
#define GROUP_KEY "economy_work"

static void test_sources(void **state)
{
	static const char *const good[] = {
		"https://www.insee.fr/fr/statistiques",
		"http://example.org/rapport?id=3&x=1#p2",
		"https://[2001:db8::1]:8443/x",
		"  https://a.fr  \r\n\n\thttp://b.fr/\n",
	};
	static const char *const bad[] = {
		"",
		"\n  \n",
		"ftp://example.org/x",
		"javascript:alert(1)",
		"https://",
		"https:///path",
		"https://exa mple.org/",
		"https://a.fr/\"><script>",
		"https://-a.fr/",
		"https://a.fr:/",
		"https://a.fr:123456/",
		"https://a.fr@",
		"https://\xc3\xa9t\xc3\xa9.fr/",
		"//a.fr/",
		"HTTPS://a.fr/",
	};
	struct agora_error err = {0};
	char *out, many[400] = "", big[EDITOR_URL_MAX + 40];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(editor_sources_check(good[i], &out, &err), 0);
		free(out);
	}
	assert_int_equal(editor_sources_check(good[3], &out, &err), 0);
	assert_string_equal(out, "https://a.fr\nhttp://b.fr/");
	free(out);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(editor_sources_check(bad[i], &out, &err),
				 AGORA_EINVAL);
		assert_null(out);
	}
	assert_int_equal(
		editor_sources_check("https://a.fr\nftp://b", &out, &err),
		AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "line 2"));
	for (i = 0; i <= EDITOR_SOURCES_MAX; i++)
		strcat(many, "https://a.fr/\n");
	assert_int_equal(editor_sources_check(many, &out, &err), AGORA_EINVAL);
	memcpy(big, "https://a.fr/", 13);
	memset(big + 13, 'x', EDITOR_URL_MAX);
	big[13 + EDITOR_URL_MAX] = '\0';
	assert_int_equal(editor_sources_check(big, &out, &err), AGORA_EINVAL);
}

/* ------------------------------------------------------------ database */

struct fixture {
	char path[64];
	struct agora_db *db;
	int64_t ea, eb, user;
};

static void exec_ok(struct agora_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db_handle(db), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static int64_t int_of(struct agora_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct agora_error err = {0};
	int fd;

	strcpy(f->path, "/tmp/agora-editor-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	unlink(f->path);
	if (db_open(&f->db, f->path, DB_OPEN_CREATE, &err) ||
	    auth_db_prepare(f->db, &err) || compare_db_prepare(f->db, &err) ||
	    editor_db_prepare(f->db, &err) ||
	    election_add(f->db, "ville-a", "A", NULL, "fr", &err) ||
	    election_add(f->db, "ville-b", "B", NULL, "fr", &err) ||
	    auth_user_create(f->db, "ed@example.org", "Ed", NULL, 1, &f->user,
			     &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	/* one candidate, document and proposal in each election */
	exec_ok(f->db,
		"INSERT INTO candidate(id, election_id, slug, family_name,"
		" sort_key) SELECT 1, id, 'x', 'X', 'x' FROM election"
		" WHERE slug = 'ville-a';"
		"INSERT INTO candidate(id, election_id, slug, family_name,"
		" sort_key) SELECT 2, id, 'y', 'Y', 'y' FROM election"
		" WHERE slug = 'ville-b';"
		"INSERT INTO document(id, candidate_id, version, title,"
		" media_type, format, sha256, extractor_version, original,"
		" extracted) VALUES"
		" (1, 1, 1, 'a', 'text/plain', 'text', printf('%064d', 1), 1,"
		"  'Une mesure.', 'Une mesure.'),"
		" (2, 2, 1, 'b', 'text/plain', 'text', printf('%064d', 2), 1,"
		"  'Autre mesure.', 'Autre mesure.');"
		"INSERT INTO proposal(id, document_id, ordinal, start, end,"
		" text) VALUES (1, 1, 1, 0, 11, 'Une mesure.'),"
		" (2, 2, 1, 0, 13, 'Autre mesure.');"
		"INSERT INTO proposal_theme(proposal_id, theme_id, origin,"
		" confidence) SELECT 1, id, 'rule', 0.5 FROM theme"
		" WHERE slug = 'economy';"
		"INSERT INTO proposal_theme(proposal_id, theme_id, origin,"
		" confidence) SELECT 2, id, 'rule', 0.5 FROM theme"
		" WHERE slug = 'economy';");
	f->ea = int_of(f->db, "SELECT id FROM election WHERE slug='ville-a'");
	f->eb = int_of(f->db, "SELECT id FROM election WHERE slug='ville-b'");
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

static int64_t generation(struct agora_db *db)
{
	return int_of(db, "SELECT value FROM meta"
			  " WHERE key = 'search_generation'");
}

static void no_failure(void *ctx, const char *line)
{
	(void)ctx;
	fail_msg("audit chain: %s", line);
}

static void test_decisions(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct editor_review rv;
	struct editor_filter flt = {0};
	int64_t g;
	size_t n;
	int changed;

	assert_int_equal(db_begin_write(f->db, &err), 0);
	g = generation(f->db);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1,
					     "economy", EDITOR_CONFIRM,
					     &changed, &err),
			 0);
	assert_int_equal(changed, 1);
	assert_true(generation(f->db) > g);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM proposal_theme"
				       " WHERE proposal_id = 1 AND status ="
				       " 'confirmed' AND editor_id IS NOT NULL"
				       " AND decided_at IS NOT NULL"),
			 1);
	/* the same decision again: nothing written, nothing logged */
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1,
					     "economy", EDITOR_CONFIRM,
					     &changed, &err),
			 0);
	assert_int_equal(changed, 0);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM audit"), 1);
	/* another election's proposal, a group, an unsuggested theme */
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 2,
					     "economy", EDITOR_REJECT, NULL,
					     &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 99,
					     "economy", EDITOR_REJECT, NULL,
					     &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1,
					     "pensions", EDITOR_CONFIRM, NULL,
					     &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1,
					     GROUP_KEY, EDITOR_ADD, NULL, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1, "nope",
					     EDITOR_ADD, NULL, &err),
			 AGORA_ENOTFOUND);
	/* added by hand: origin editor, confirmed, generation moved */
	g = generation(f->db);
	assert_int_equal(editor_theme_decide(f->db, f->ea, f->user, 1, "europe",
					     EDITOR_ADD, &changed, &err),
			 0);
	assert_int_equal(changed, 1);
	assert_true(generation(f->db) > g);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM proposal_theme pt"
				       " JOIN theme t ON t.id = pt.theme_id"
				       " WHERE t.slug = 'europe' AND"
				       " pt.origin = 'editor' AND"
				       " pt.status = 'confirmed'"),
			 1);
	assert_int_equal(editor_theme_decide(f->db, f->eb, f->user, 2,
					     "economy", EDITOR_REJECT, NULL,
					     &err),
			 0);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM audit"), 3);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM audit WHERE"
				       " action = 'theme.reject' AND object ="
				       " 'proposal:2' AND detail = '{\"theme\":"
				       "\"economy\",\"before\":\"suggested\","
				       "\"after\":\"rejected\"}'"),
			 1);
	assert_int_equal(db_commit(f->db, &err), 0);
	assert_int_equal(auth_audit_verify(f->db, no_failure, NULL, &n, &err),
			 0);
	assert_int_equal(n, 3);

	/* the review list: unreviewed only leaves out decided proposals */
	assert_int_equal(editor_review_list(f->db, f->ea, &flt, &rv, &err), 0);
	assert_int_equal(rv.n, 1);
	assert_int_equal(rv.v[0].nt, 2);
	editor_review_fini(&rv);
	flt.unreviewed = 1;
	assert_int_equal(editor_review_list(f->db, f->ea, &flt, &rv, &err), 0);
	assert_int_equal(rv.n, 0);
	editor_review_fini(&rv);
}

static void test_notes(void **state)
{
	struct fixture *f = *state;
	struct agora_error err = {0};
	struct editor_note_list l;
	struct editor_audit_list al;
	int64_t id = 0, g;
	char big[EDITOR_NOTE_MAX + 2];

	assert_int_equal(db_begin_write(f->db, &err), 0);
	assert_int_equal(editor_note_add(f->db, f->ea, f->user, 1, "Un fait.",
					 "", &id, &err),
			 AGORA_EINVAL);
	assert_int_equal(editor_note_add(f->db, f->ea, f->user, 1, " \n ",
					 "https://a.fr/", &id, &err),
			 AGORA_EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(editor_note_add(f->db, f->ea, f->user, 1, big,
					 "https://a.fr/", &id, &err),
			 AGORA_EINVAL);
	assert_int_equal(editor_note_add(f->db, f->ea, f->user, 1, "\xff",
					 "https://a.fr/", &id, &err),
			 AGORA_EINVAL);
	assert_int_equal(editor_note_add(f->db, f->eb, f->user, 1, "Un fait.",
					 "https://a.fr/", &id, &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(int_of(f->db, "SELECT count(*) FROM note"), 0);
	g = generation(f->db);
	assert_int_equal(
		editor_note_add(f->db, f->ea, f->user, 1, "  Un \"fait\".\n",
				"https://a.fr/\nhttp://b.fr/", &id, &err),
		0);
	assert_true(id > 0);
	assert_true(generation(f->db) > g);
	assert_int_equal(editor_note_edit(f->db, f->eb, f->user, id, "Autre.",
					  "https://a.fr/", &err),
			 AGORA_ENOTFOUND);
	assert_int_equal(editor_note_edit(f->db, f->ea, f->user, id,
					  "Un fait corrigé.", "https://a.fr/",
					  &err),
			 0);
	/* the same words again: no version, no entry */
	assert_int_equal(editor_note_edit(f->db, f->ea, f->user, id,
					  "Un fait corrigé.  ", "https://a.fr/",
					  &err),
			 0);
	assert_int_equal(db_commit(f->db, &err), 0);

	assert_int_equal(editor_notes(f->db, 1, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].version, 2);
	assert_string_equal(l.v[0].body, "Un fait corrigé.");
	assert_string_equal(l.v[0].editor_name, "Ed");
	editor_note_list_fini(&l);
	assert_int_equal(editor_note_history(f->db, id, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].body, "Un \"fait\".");
	assert_string_equal(l.v[1].sources, "https://a.fr/\nhttp://b.fr/");
	editor_note_list_fini(&l);

	assert_int_equal(editor_audit(f->db, f->ea, 10, &al, &err), 0);
	assert_int_equal(al.n, 2);
	assert_string_equal(al.v[0].action, "note.edit");
	assert_non_null(strstr(al.v[0].detail,
			       "\"before\":{\"body\":\"Un \\\"fait\\\".\""));
	assert_string_equal(al.v[1].action, "note.add");
	editor_audit_list_fini(&al);
	assert_int_equal(editor_audit(f->db, f->eb, 10, &al, &err), 0);
	assert_int_equal(al.n, 0);
	editor_audit_list_fini(&al);

	/* history is kept, proposals stay verbatim: the schema says so */
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "UPDATE note_version SET body = 'x'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db), "DELETE FROM note",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db_handle(f->db),
					  "UPDATE proposal SET text = 'x'",
					  NULL, NULL, NULL),
			     SQLITE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test_setup_teardown(test_decisions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
