/*
 * backup.c - `agora backup` and `agora restore`: online copies of the
 * database, and putting one back, over core's db_backup/db_restore.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "ingest.h"

static json_t *info_json(const char *file, const struct db_file_info *in)
{
	json_t *o = json_pack("{s:s, s:I, s:i, s:s}", "file", file, "bytes",
			      (json_int_t)in->bytes, "schema_version",
			      in->schema_version, "sha256", in->sha256);
	json_t *c = json_object();
	int i;

	for (i = 0; i < DB_FILE_COUNTS; i++)
		if (in->counts[i].rows >= 0)
			json_object_set_new(c, in->counts[i].name,
					    json_integer(in->counts[i].rows));
	json_object_set_new(o, "counts", c);
	return o;
}

static void print_info(const char *label, const char *file,
		       const struct db_file_info *in)
{
	int i, first = 1;

	printf("%s: %s\n", label, file);
	printf("  size      %lld bytes\n", (long long)in->bytes);
	printf("  schema    version %d", in->schema_version);
	if (in->migrated_from)
		printf(" (migrated from %d)", in->migrated_from);
	printf("\n  contents  ");
	for (i = 0; i < DB_FILE_COUNTS; i++) {
		if (in->counts[i].rows < 0)
			continue;
		printf("%s%lld %s", first ? "" : ", ",
		       (long long)in->counts[i].rows, in->counts[i].name);
		first = 0;
	}
	printf("\n  sha256    %s\n", in->sha256);
}

/* A positive whole number of at most max, or -1 */
static long parse_count(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > max)
		return -1;
	return v;
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"step", required_argument, NULL, 's'},
		{"pause", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	struct db_backup_opts o = {0};
	struct db_file_info info;
	struct agora_error err = {0};
	int ch, json = 0;
	long v;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o.force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			if ((v = parse_count(optarg, 1 << 20)) < 1)
				return cli_usage_error(
					"backup",
					"--step is 1 to 1048576 pages, not "
					"'%s'",
					optarg);
			o.step_pages = (int)v;
			break;
		case 'p':
			if ((v = parse_count(optarg, 60000)) < 0)
				return cli_usage_error(
					"backup",
					"--pause is 0 to 60000 ms, not '%s'",
					optarg);
			o.pause_ms = (int)v;
			break;
		default:
			return cli_usage_error("backup", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("backup", "expected one FILE");
	if (db_backup(cli->db_path, argv[optind], &o, &info, &err))
		return cli_fail(&err);
	if (json) {
		json_t *j = info_json(argv[optind], &info);

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		print_info("backup", argv[optind], &info);
	}
	return EXIT_OK;
}

struct restore_ctx {
	int json;
	struct verify_report rep;
	json_t *failures;
};

static void on_failure(void *ctx, const char *line)
{
	struct restore_ctx *r = ctx;

	if (r->json)
		json_array_append_new(r->failures, json_string(line));
	else
		printf("FAIL %s\n", line);
}

/* `agora verify` on the staged copy, before it replaces anything */
static int restore_verify(struct agora_db *db, void *ctx,
			  struct agora_error *err)
{
	struct restore_ctx *r = ctx;
	int rc;

	if ((rc = ingest_db_prepare(db, err)))
		return rc;
	r->rep.on_failure = on_failure;
	r->rep.ctx = r;
	rc = ingest_verify(db, &r->rep, err);
	if (rc == AGORA_ECHECK)
		return agora_errorf(err, AGORA_ECHECK,
				    "the backup fails verification (%zu "
				    "failure%s): the database is unchanged",
				    r->rep.failures,
				    r->rep.failures == 1 ? "" : "s");
	return rc;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct restore_ctx r = {0};
	struct db_file_info info;
	struct agora_db *db;
	struct agora_error err = {0};
	int ch, force = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = 1;
			break;
		case 'j':
			r.json = 1;
			break;
		default:
			return cli_usage_error("restore", "bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("restore", "expected one FILE");
	r.failures = json_array();
	rc = db_restore(argv[optind], cli->db_path, force, restore_verify, &r,
			&info, &err);
	if (rc) {
		if (r.json && r.rep.failures) {
			json_t *j =
				json_pack("{s:b, s:s, s:O}", "ok", 0, "error",
					  err.msg, "failures", r.failures);

			json_dumpf(j, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(j);
		}
		json_decref(r.failures);
		return cli_fail(&err);
	}
	/* the restored database opens as every command opens it */
	if ((rc = cli_open(cli, 0, &db))) {
		json_decref(r.failures);
		return rc;
	}
	db_close(db);
	if (r.json) {
		json_t *j = info_json(argv[optind], &info);

		json_object_set_new(j, "database", json_string(cli->db_path));
		json_object_set_new(j, "migrated_from",
				    json_integer(info.migrated_from));
		json_object_set_new(
			j, "verify",
			json_pack("{s:b, s:I, s:I}", "ok", 1, "documents",
				  (json_int_t)r.rep.documents, "proposals",
				  (json_int_t)r.rep.proposals));
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		printf("restored %s from %s\n", cli->db_path, argv[optind]);
		print_info("backup", argv[optind], &info);
		printf("verify: ok, %zu documents and %zu proposals are "
		       "verbatim\n",
		       r.rep.documents, r.rep.proposals);
	}
	json_decref(r.failures);
	return EXIT_OK;
}
