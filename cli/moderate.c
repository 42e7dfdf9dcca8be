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
#include "material.h"

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

/* ----------------------------------------- campaign material, profiles */

struct other_listing {
	json_t *arr; /* NULL: text */
	int64_t election_id;
	size_t n;
};

static int add_json(struct other_listing *l, json_t *o)
{
	return !o || json_array_append_new(l->arr, o) ? AGORA_ENOMEM : 0;
}

static int material_row(void *ctx, const struct material_item *m)
{
	struct other_listing *l = ctx;

	if (l->election_id && m->election_id != l->election_id)
		return 0;
	l->n++;
	if (!l->arr) {
		printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)m->id,
		       m->election, m->candidate, m->kind,
		       *m->url ? m->url : m->media_type, m->caption,
		       m->submitted_at);
		return 0;
	}
	return add_json(l, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
				     "s:I, s:s}",
				     "material", (json_int_t)m->id, "election",
				     m->election, "candidate", m->candidate,
				     "kind", m->kind, "media_type",
				     m->media_type, "url", m->url, "caption",
				     m->caption, "size", (json_int_t)m->size,
				     "submitted_at", m->submitted_at));
}

static int profile_row(void *ctx, const struct material_profile *p)
{
	struct other_listing *l = ctx;

	if (l->election_id && p->election_id != l->election_id)
		return 0;
	l->n++;
	if (!l->arr) {
		printf("%lld\t%s\t%s\t%s %s\t%s\t%s\n", (long long)p->id,
		       p->election, p->candidate, p->given_name, p->family_name,
		       p->party, p->proposed_at);
		return 0;
	}
	return add_json(l, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
				     "s:s, s:s}",
				     "profile", (json_int_t)p->id, "election",
				     p->election, "candidate", p->candidate,
				     "given_name", p->given_name, "family_name",
				     p->family_name, "party", p->party,
				     "biography", p->bio, "links", p->links,
				     "proposed_at", p->proposed_at));
}

/*
 * --material and --profile: the queue (id == 0), or a decision on one
 * item, in one write transaction with its audit entry (written by
 * material/).
 */
static int moderate_other(struct cli *cli, int profile, int64_t id,
			  const char *election, int publish, const char *reason,
			  int json)
{
	struct other_listing l = {0};
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	const char *what = profile ? "profile" : "material";
	int rc;

	if ((rc = cli_open(cli, id != 0, &db)))
		return rc;
	if ((rc = auth_db_prepare(db, &err)) ||
	    (rc = material_db_prepare(db, &err)))
		goto fail;
	if (id) {
		if ((rc = db_begin_write(db, &err)))
			goto fail;
		rc = profile ? material_profile_moderate(db, id, publish,
							 reason, 0, &err)
			     : material_moderate(db, id, publish, reason, 0,
						 &err);
		if (rc || (rc = db_commit(db, &err))) {
			db_rollback(db);
			goto fail;
		}
		if (!cli->quiet)
			printf("%s %lld %s\n", what, (long long)id,
			       publish ? "published" : "rejected");
		db_close(db);
		return EXIT_OK;
	}
	if (election) {
		struct election_info ei = {0};

		if ((rc = election_get(db, election, &ei, &err)))
			goto fail;
		l.election_id = ei.id;
		election_info_fini(&ei);
	}
	if (json && !(l.arr = json_array())) {
		rc = agora_errorf(&err, AGORA_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = db_begin(db, &err)) ||
	    (rc = profile ? material_profile_list(db, 0, profile_row, &l, &err)
			  : material_list(db, 0, "pending", material_row, &l,
					  &err))) {
		db_rollback(db);
		if (rc == AGORA_ENOMEM)
			agora_errorf(&err, rc, "out of memory");
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
		printf("no %s is waiting for moderation\n", what);
	}
	db_close(db);
	return EXIT_OK;
fail:
	json_decref(l.arr);
	db_close(db);
	return cli_fail(&err);
}

int cmd_moderate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"publish", no_argument, NULL, 'p'},
		{"reject", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"material", no_argument, NULL, 'm'},
		{"profile", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	static const struct cli_decide decide = {
		.cmd = "moderate",
		.yes = "--publish",
		.no = "--reject",
		.id_name = "an id",
		.which = "which document?",
	};
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	struct listing l = {0};
	const char *election = NULL, *reason = NULL;
	int publish = 0, json = 0, material = 0, profile = 0, c, rc;
	int64_t id, election_id = 0;
	char object[64];

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
		case 'm':
			material = 1;
			break;
		case 'f':
			profile = 1;
			break;
		default:
			return cli_usage_error("moderate", "unknown option");
		}
	}
	if (material && profile)
		return cli_usage_error("moderate",
				       "--material or --profile, not both");
	if ((rc = cli_parse_id(&decide, publish, reason != NULL, argc, argv,
			       &id)))
		return rc;
	if (material || profile)
		return moderate_other(cli, profile, id, election, publish,
				      reason, json);
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
