/*
 * moderate.c - `agora moderate`: the moderation queue from the command
 * line, as editors have it on the web (/moderation): list the pending
 * documents, publish one, or reject one with a reason its candidate
 * reads. Each decision is one write transaction with its audit entry.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "cli.h"
#include "compare.h"
#include "ingest.h"

struct listing {
	json_t *arr; /* NULL: text */
	size_t n;
};

static int list_row(void *ctx, const struct ingest_doc_info *d)
{
	struct listing *l = ctx;

	l->n++;
	if (!l->arr) {
		printf("%lld\t%s\t%s\t%s\tversion %d\t%zu proposals\t%s\n",
		       (long long)d->id, d->election, d->candidate, d->title,
		       d->version, d->proposals, d->submitted_at);
		return 0;
	}
	if (json_array_append_new(
		    l->arr,
		    json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:s}",
			      "document", (json_int_t)d->id, "election",
			      d->election, "candidate", d->candidate, "title",
			      d->title, "version", d->version, "format",
			      d->format, "source_url", d->source_url,
			      "proposals", (json_int_t)d->proposals,
			      "submitted_at", d->submitted_at)))
		return AGORA_ENOMEM;
	return 0;
}

int cmd_moderate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"publish", no_argument, NULL, 'p'},
		{"reject", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	struct listing l = {0};
	const char *election = NULL, *reason = NULL;
	int publish = 0, json = 0, c, rc;
	int64_t id = 0, election_id = 0;
	char object[64], *end;

	if (cli_want_help("moderate", argc, argv))
		return EXIT_OK;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			election = optarg;
			break;
		case 'p':
			publish = 1;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("moderate", "unknown option");
		}
	}
	if (publish && reason)
		return cli_usage_error("moderate",
				       "--publish or --reject, not both");
	if (optind < argc) {
		id = strtoll(argv[optind], &end, 10);
		if (*end || id <= 0 || optind + 1 < argc)
			return cli_usage_error("moderate",
					       "'%s' is not a document id",
					       argv[optind]);
		if (!publish && !reason)
			return cli_usage_error("moderate", "--publish or "
							   "--reject REASON");
	} else if (publish || reason) {
		return cli_usage_error("moderate", "which document?");
	}
	if ((rc = cli_open(cli, id != 0, &db)))
		return rc;
	if (!id) {
		/* the queue, oldest first */
		if (election) {
			struct election_info ei = {0};

			if ((rc = election_get(db, election, &ei, &err)))
				goto fail;
			election_id = ei.id;
			election_info_fini(&ei);
		}
		if (json && !(l.arr = json_array())) {
			rc = agora_errorf(&err, AGORA_ENOMEM, "out of memory");
			goto fail;
		}
		if ((rc = db_begin(db, &err)) ||
		    (rc = ingest_document_list(db, election_id, 0, list_row, &l,
					       &err))) {
			db_rollback(db);
			goto fail;
		}
		db_rollback(db);
		if (l.arr) {
			char *s = json_dumps(l.arr, JSON_INDENT(2));

			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(l.arr);
		} else if (!l.n && !cli->quiet) {
			printf("no document is waiting for moderation\n");
		}
		db_close(db);
		return EXIT_OK;
	}
	snprintf(object, sizeof(object), "document:%lld", (long long)id);
	if ((rc = auth_db_prepare(db, &err)) || (rc = db_begin_write(db, &err)))
		goto fail;
	if ((rc = ingest_moderate(db, id, publish, reason, 0, &err)) ||
	    (rc = auth_audit(db, 0,
			     publish ? "document.publish" : "document.reject",
			     object, reason ? reason : "", &err)) ||
	    (rc = db_commit(db, &err))) {
		db_rollback(db);
		goto fail;
	}
	if (!cli->quiet)
		printf("document %lld %s\n", (long long)id,
		       publish ? "published" : "rejected");
	db_close(db);
	return EXIT_OK;
fail:
	json_decref(l.arr);
	db_close(db);
	return cli_fail(&err);
}
