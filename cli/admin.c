/*
 * admin.c - `agora election` and `agora verify`.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "cli.h"
#include "compare.h"
#include "ingest.h"
#include "material.h"
#include "primary.h"

static int election_list(struct cli *cli, int json)
{
	struct agora_db *db;
	sqlite3_stmt *st;
	json_t *arr = NULL;
	int rc;

	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	if (sqlite3_prepare_v2(db_handle(db),
			       "SELECT slug, title, coalesce(date, ''), language,"
			       " (SELECT count(*) FROM candidate c"
			       "  WHERE c.election_id = e.id)"
			       " FROM election e ORDER BY date, slug",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "agora: %s\n", sqlite3_errmsg(db_handle(db)));
		db_close(db);
		return EXIT_CHECK;
	}
	if (json)
		arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (json)
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s, s:s, s:i}", "slug",
					  db_col_text(st, 0), "title",
					  db_col_text(st, 1), "date",
					  db_col_text(st, 2), "language",
					  db_col_text(st, 3), "candidates",
					  sqlite3_column_int(st, 4)));
		else
			printf("%-24s %-10s %3d candidates  %s\n",
			       db_col_text(st, 0), db_col_text(st, 2),
			       sqlite3_column_int(st, 4), db_col_text(st, 1));
	}
	sqlite3_finalize(st);
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	}
	db_close(db);
	return EXIT_OK;
}

/* `agora election set SLUG --candidate-order RULE` */
static int election_set(struct cli *cli, int argc, char **argv,
			const char *order)
{
	struct agora_error err = {0};
	struct agora_db *db;
	int rc;

	if (argc != 1)
		return cli_usage_error("election", "'set' takes one SLUG");
	if (!order)
		return cli_usage_error("election",
				       "'set' needs --candidate-order "
				       "alphabetical|shuffled");
	if (strcmp(order, ORDER_ALPHABETICAL) && strcmp(order, ORDER_SHUFFLED))
		return cli_usage_error("election",
				       "unknown candidate order '%s': "
				       "alphabetical or shuffled",
				       order);
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	rc = election_set_candidate_order(db, argv[0], order, &err);
	db_close(db);
	if (rc)
		return cli_fail(&err);
	if (!cli->quiet)
		printf("election '%s': candidates in %s order\n", argv[0],
		       order);
	return EXIT_OK;
}

int cmd_election(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"title", required_argument, NULL, 't'},
		{"date", required_argument, NULL, 'D'},
		{"language", required_argument, NULL, 'l'},
		{"candidate-order", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *title = NULL, *date = NULL, *lang = "fr", *sub;
	const char *order = NULL;
	struct agora_error err = {0};
	struct agora_db *db;
	int ch, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			title = optarg;
			break;
		case 'D':
			date = optarg;
			break;
		case 'l':
			lang = optarg;
			break;
		case 'o':
			order = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("election", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("election",
				       "expected 'add', 'set' or 'list'");
	sub = argv[optind++];
	if (!strcmp(sub, "set"))
		return election_set(cli, argc - optind, argv + optind, order);
	if (order)
		return cli_usage_error("election", "--candidate-order goes "
						   "with 'set'");
	if (!strcmp(sub, "list")) {
		if (optind != argc)
			return cli_usage_error("election",
					       "'list' takes no argument");
		return election_list(cli, json);
	}
	if (strcmp(sub, "add"))
		return cli_usage_error("election", "unknown subcommand '%s'",
				       sub);
	if (optind + 1 != argc)
		return cli_usage_error("election", "'add' takes one SLUG");
	if (!title)
		return cli_usage_error("election", "--title is required");
	if ((rc = cli_open(cli, 1, &db)))
		return rc;
	rc = election_add(db, argv[optind], title, date, lang, &err);
	db_close(db);
	if (rc)
		return cli_fail(&err);
	if (!cli->quiet)
		printf("election '%s' added\n", argv[optind]);
	return EXIT_OK;
}

struct verify_ctx {
	int json;
	json_t *failures;
	json_t *notes;
};

static void on_note(void *ctx, const char *line)
{
	struct verify_ctx *v = ctx;

	if (v->json)
		json_array_append_new(v->notes, json_string(line));
	else
		printf("NOTE %s\n", line);
}

static void on_failure(void *ctx, const char *line)
{
	struct verify_ctx *v = ctx;

	if (v->json)
		json_array_append_new(v->failures, json_string(line));
	else
		printf("FAIL %s\n", line);
}

struct verify_count {
	struct verify_ctx *v;
	size_t n;
};

static void count_failure(void *ctx, const char *line)
{
	struct verify_count *c = ctx;

	c->n++;
	on_failure(c->v, line);
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct verify_ctx ctx = {0};
	struct verify_report rep = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	size_t audit = 0, audit_failures = 0;
	size_t primaries = 0, ballots = 0, primary_failures = 0;
	size_t materials = 0, material_failures = 0;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage_error("verify", "bad option");
		ctx.json = 1;
	}
	if (optind != argc)
		return cli_usage_error("verify", "takes no argument");
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	ctx.failures = json_array();
	ctx.notes = json_array();
	rep.on_failure = on_failure;
	rep.on_note = on_note;
	rep.ctx = &ctx;
	rc = ingest_verify(db, &rep, &err);
	if (!rc || rc == AGORA_ECHECK) {
		/* the audit log's hash chain (accounts and roles) */
		struct agora_error aerr = {0};
		struct verify_count vc = {&ctx, 0};
		int arc = auth_db_prepare(db, &aerr);

		if (!arc)
			arc = auth_audit_verify(db, count_failure, &vc, &audit,
						&aerr);
		audit_failures = vc.n;
		if (arc && arc != AGORA_ECHECK) {
			err = aerr;
			rc = arc;
		}
	}
	if (!rc || rc == AGORA_ECHECK) {
		/* each primary: counters == recount, and its board */
		struct agora_error perr = {0};
		struct verify_count vc = {&ctx, 0};
		int prc = primary_db_prepare(db, &perr);

		if (!prc)
			prc = primary_verify_all(db, count_failure, &vc,
						 &primaries, &ballots, &perr);
		primary_failures = vc.n;
		if (prc) {
			err = perr;
			rc = prc;
		}
	}
	if (!rc || rc == AGORA_ECHECK) {
		/* campaign material: its bytes, their hash and their type */
		struct agora_error merr = {0};
		int mrc = material_db_prepare(db, &merr);

		if (!mrc)
			mrc = material_verify(db, on_failure, &ctx, &materials,
					      &material_failures, &merr);
		if (mrc && mrc != AGORA_ECHECK) {
			err = merr;
			rc = mrc;
		}
	}
	db_close(db);
	if (rc && rc != AGORA_ECHECK) {
		json_decref(ctx.failures);
		json_decref(ctx.notes);
		return cli_fail(&err);
	}
	rep.failures += audit_failures + primary_failures + material_failures;
	if (ctx.json) {
		json_t *o = json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:O}",
			"ok",
			rep.failures == 0, "documents",
			(json_int_t)rep.documents, "proposals",
			(json_int_t)rep.proposals, "audit_entries",
			(json_int_t)audit, "primaries", (json_int_t)primaries,
			"ballots", (json_int_t)ballots, "material",
			(json_int_t)materials, "failures_count",
			(json_int_t)rep.failures, "failures", ctx.failures,
			"notes", ctx.notes);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (rep.failures) {
		printf("verify: %zu failure%s in %zu documents and %zu "
		       "proposals\n",
		       rep.failures, rep.failures == 1 ? "" : "s",
		       rep.documents, rep.proposals);
	} else {
		printf("verify: ok, %zu documents and %zu proposals are "
		       "verbatim; %zu audit entries chained\n",
		       rep.documents, rep.proposals, audit);
		if (materials)
			printf("verify: ok, %zu campaign files match their "
			       "SHA-256 and type\n",
			       materials);
		if (primaries)
			printf("verify: ok, %zu primar%s: counters equal the "
			       "recount, %zu ballots on boards that verify\n",
			       primaries, primaries == 1 ? "y" : "ies",
			       ballots);
	}
	json_decref(ctx.failures);
	json_decref(ctx.notes);
	return rep.failures ? EXIT_CHECK : EXIT_OK;
}
