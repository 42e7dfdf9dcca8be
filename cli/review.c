/*
 * review.c - `agora review`: what an editor does on the review screen,
 * from a script: confirm, reject or add a theme, write a context note or
 * a new version of one. The account named by --as must be an editor of
 * the election (or an administrator): the change is signed and logged
 * under its name, as on the web.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cli.h"
#include "compare.h"
#include "editor.h"

#define MAX_SOURCES (EDITOR_SOURCES_MAX + 1)

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '-')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* The note's text: the standard input, at most EDITOR_NOTE_MAX bytes */
static char *read_body(void)
{
	struct sb b;
	char buf[4096];
	size_t n;

	sb_init(&b, EDITOR_NOTE_MAX + 1);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (sb_append(&b, buf, n))
			break;
	if (sb_error(&b) || sb_putc(&b, '\0')) {
		sb_fini(&b);
		return NULL;
	}
	return sb_detach(&b, NULL);
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"as", required_argument, NULL, 'a'},
		{"note", required_argument, NULL, 'n'},
		{"source", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *election = NULL, *as = NULL, *note = NULL, *act;
	const char *src[MAX_SOURCES];
	struct agora_error err = {0};
	struct election_info ei = {0};
	struct auth_user u = {0};
	struct agora_db *db = NULL;
	struct sb sources;
	char *email = NULL, *body = NULL;
	int64_t pid, nid = 0;
	size_t nsrc = 0, i;
	int ch, rc, ret, changed = 1;

	if (cli_want_help("review", argc, argv))
		return EXIT_OK;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			election = optarg;
			break;
		case 'a':
			as = optarg;
			break;
		case 'n':
			note = optarg;
			break;
		case 's':
			if (nsrc == MAX_SOURCES)
				return cli_usage_error("review",
						       "at most %d --source",
						       EDITOR_SOURCES_MAX);
			src[nsrc++] = optarg;
			break;
		default:
			return cli_usage_error("review", "bad option");
		}
	}
	if (!election || !as)
		return cli_usage_error("review", "--election and --as are "
						 "required");
	if (optind >= argc)
		return cli_usage_error("review", "expected confirm, reject, "
						 "add or note");
	act = argv[optind];
	if (!strcmp(act, "note")) {
		if (argc - optind != 2)
			return cli_usage_error("review",
					       "'note' takes one PROPOSAL");
	} else if (!strcmp(act, "confirm") || !strcmp(act, "reject") ||
		   !strcmp(act, "add")) {
		if (argc - optind != 3 || nsrc || note)
			return cli_usage_error(
				"review", "'%s' takes PROPOSAL THEME", act);
	} else {
		return cli_usage_error("review", "unknown action '%s'", act);
	}
	if (parse_id(argv[optind + 1], &pid))
		return cli_usage_error("review", "bad proposal id '%s'",
				       argv[optind + 1]);
	if (note && parse_id(note, &nid))
		return cli_usage_error("review", "bad note id '%s'", note);
	sb_init(&sources, MAX_SOURCES * (EDITOR_URL_MAX + 1));
	for (i = 0; i < nsrc; i++)
		sb_printf(&sources, "%s%s", i ? "\n" : "", src[i]);
	if (sb_error(&sources)) {
		agora_errorf(&err, AGORA_EINVAL, "the sources are too long");
		ret = cli_fail(&err);
		goto out;
	}
	if (!strcmp(act, "note") && !(body = read_body())) {
		agora_errorf(&err, AGORA_EINVAL,
			     "the note (standard input) is over %d bytes",
			     EDITOR_NOTE_MAX);
		ret = cli_fail(&err);
		goto out;
	}
	if ((ret = cli_open(cli, 1, &db)))
		goto out;
	if ((rc = auth_db_prepare(db, &err)) ||
	    (rc = editor_db_prepare(db, &err)) ||
	    (rc = auth_email_normalize(as, &email, &err)) ||
	    (rc = election_get(db, election, &ei, &err)) ||
	    (rc = auth_user_by_email(db, email, &u, NULL, &err)))
		goto fail;
	rc = auth_user_can(db, u.id, ROLE_EDITOR, ei.id, &err);
	if (rc < 0)
		goto fail;
	if (!rc) {
		rc = agora_errorf(&err, AGORA_EINVAL,
				  "'%s' is not an editor of '%s'", email,
				  election);
		goto fail;
	}
	if ((rc = db_begin_write(db, &err)))
		goto fail;
	if (!strcmp(act, "note") && nid)
		rc = editor_note_edit(db, ei.id, u.id, nid, body, sources.buf,
				      &err);
	else if (!strcmp(act, "note"))
		rc = editor_note_add(db, ei.id, u.id, pid, body, sources.buf,
				     &nid, &err);
	else
		rc = editor_theme_decide(
			db, ei.id, u.id, pid, argv[optind + 2],
			!strcmp(act, "confirm")	 ? EDITOR_CONFIRM
			: !strcmp(act, "reject") ? EDITOR_REJECT
						 : EDITOR_ADD,
			&changed, &err);
	if (rc || (rc = db_commit(db, &err))) {
		db_rollback(db);
		goto fail;
	}
	/* the note's id is the result, "changed" a confirmation */
	if (!strcmp(act, "note"))
		printf("note %lld\n", (long long)nid);
	else if (!cli->quiet)
		printf("%s\n", changed ? "changed" : "unchanged");
	ret = EXIT_OK;
	goto out;
fail:
	ret = cli_fail(&err);
out:
	sb_fini(&sources);
	free(email);
	free(body);
	auth_user_fini(&u);
	election_info_fini(&ei);
	db_close(db);
	return ret;
}
