/*
 * claim.c - `agora claims`: the candidacy requests from the command
 * line, as editors have them on the web (/candidacies): list the
 * pending ones, confirm one (the account gets the candidate role for
 * that candidacy) or refuse one with a reason its account reads. Each
 * decision is one write transaction with its audit entry.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "cli.h"

struct listing {
	json_t *arr; /* NULL: text */
	size_t n;
};

static int list_row(void *ctx, const struct auth_claim *c)
{
	struct listing *l = ctx;

	l->n++;
	if (!l->arr) {
		printf("%lld\t%s\t%s\t%s\t%s\n", (long long)c->id, c->election,
		       c->candidate, c->email, c->created_at);
		return 0;
	}
	if (json_array_append_new(
		    l->arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "claim",
				      (json_int_t)c->id, "election",
				      c->election, "candidate", c->candidate,
				      "email", c->email, "message", c->message,
				      "created_at", c->created_at)))
		return AGORA_ENOMEM;
	return 0;
}

static int list(struct cli *cli, struct agora_db *db, int json,
		struct agora_error *err)
{
	struct listing l = {0};
	int rc;

	if (json && !(l.arr = json_array()))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if ((rc = db_begin(db, err)) ||
	    (rc = auth_claim_list(db, 0, list_row, &l, err))) {
		db_rollback(db);
		json_decref(l.arr);
		return rc;
	}
	db_rollback(db);
	if (l.arr) {
		char *s = json_dumps(l.arr, JSON_INDENT(2));

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(l.arr);
	} else if (!l.n && !cli->quiet) {
		printf("no candidacy request is waiting\n");
	}
	return 0;
}

int cmd_claims(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"confirm", no_argument, NULL, 'c'},
		{"refuse", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	static const struct cli_decide decide = {
		.cmd = "claims",
		.yes = "--confirm",
		.no = "--refuse",
		.id_name = "a request id",
		.which = "which request?",
	};
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	const char *reason = NULL;
	int confirm = 0, json = 0, c, rc;
	int64_t id;

	if (cli_want_help("claims", argc, argv))
		return EXIT_OK;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			confirm = 1;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("claims", "unknown option");
		}
	}
	if ((rc = cli_parse_id(&decide, confirm, reason != NULL, argc, argv,
			       &id)))
		return rc;
	if ((rc = cli_open(cli, id != 0, &db)))
		return rc;
	if ((rc = auth_db_prepare(db, &err)))
		goto fail;
	if (!id) {
		if ((rc = list(cli, db, json, &err)))
			goto fail;
		db_close(db);
		return EXIT_OK;
	}
	if ((rc = db_begin_write(db, &err)))
		goto fail;
	if ((rc = auth_claim_decide(db, id, 0, confirm, reason, &err)) ||
	    (rc = db_commit(db, &err))) {
		db_rollback(db);
		goto fail;
	}
	if (!cli->quiet)
		printf("request %lld %s\n", (long long)id,
		       confirm ? "confirmed" : "refused");
	db_close(db);
	return EXIT_OK;
fail:
	db_close(db);
	return cli_fail(&err);
}
