/*
 * ingest.c - `agora ingest`: files in, a summary out.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ingest.h"

struct theme_total {
	const char *theme;
	size_t n;
};

static void add_totals(struct theme_total *t, size_t *nt,
		       const struct ingest_result *res)
{
	size_t i, k;

	for (i = 0; i < res->nthemes; i++) {
		for (k = 0; k < *nt; k++)
			if (!strcmp(t[k].theme, res->themes[i].theme))
				break;
		if (k == *nt) {
			if (*nt == 64)
				continue;
			t[k].theme = res->themes[i].theme;
			t[k].n = 0;
			(*nt)++;
		}
		t[k].n += res->themes[i].n;
	}
}

static int by_count(const void *a, const void *b)
{
	const struct theme_total *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->theme, y->theme);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int cmd_ingest(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"candidate", required_argument, NULL, 'c'},
		{"family-name", required_argument, NULL, 'F'},
		{"party", required_argument, NULL, 'p'},
		{"source-url", required_argument, NULL, 'u'},
		{"title", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'f'},
		{"max-size", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct ingest_request req = {0};
	struct theme_total totals[64];
	struct theme_rules *rules = NULL;
	struct agora_error err = {0};
	struct agora_db *db = NULL;
	json_t *jfiles = NULL, *o;
	size_t ntotals = 0, docs = 0, dups = 0, props = 0, bytes = 0, i;
	int ch, json = 0, rc = EXIT_OK, progress;
	char *end;

	ingest_limits_default(&req.limits);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			req.election = optarg;
			break;
		case 'c':
			req.candidate = optarg;
			break;
		case 'F':
			req.family_name = optarg;
			break;
		case 'p':
			req.party = optarg;
			break;
		case 'u':
			req.source_url = optarg;
			break;
		case 't':
			req.title = optarg;
			break;
		case 'f':
			if (ingest_format_parse(optarg, &req.format))
				return cli_usage_error(
					"ingest",
					"unknown format '%s': auto, html, "
					"markdown, text, csv, xml or pdf",
					optarg);
			break;
		case 'm':
			req.limits.max_bytes = strtoull(optarg, &end, 10);
			if (*end || !req.limits.max_bytes)
				return cli_usage_error(
					"ingest", "bad --max-size '%s'", optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("ingest", "bad option");
		}
	}
	if (!req.election || !req.candidate)
		return cli_usage_error("ingest",
				       "--election and --candidate are required");
	if (optind >= argc)
		return cli_usage_error("ingest", "no FILE to ingest");
	if (req.title && argc - optind > 1)
		return cli_usage_error("ingest",
				       "--title names one document: give one "
				       "FILE");
	if (theme_rules_load(&rules, &err))
		return cli_fail(&err);
	if ((rc = cli_open(cli, 1, &db)))
		goto out;
	progress = !cli->quiet && !json && isatty(2) && argc - optind > 1;
	jfiles = json_array();
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		const char *path = argv[i];
		struct ingest_request r = req;
		struct ingest_result res;
		struct sb data;

		if (progress)
			fprintf(stderr, "\r[%zu/%d] %-50.50s", i - optind + 1,
				argc - optind, base_name(path));
		if (!r.title)
			r.title = base_name(path);
		sb_init(&data, 0);
		rc = file_read(path, r.limits.max_bytes, &data, &err);
		/* a large single file: say that work is under way */
		if (!rc && !progress && !cli->quiet && !json && isatty(2) &&
		    data.len >= ((size_t)1 << 20))
			fprintf(stderr, "%s: %.1f MB, extracting and indexing\n",
				base_name(path), (double)data.len / 1e6);
		if (rc || ingest_document(db, rules, &r, data.buf, data.len,
					  &res, &err)) {
			sb_fini(&data);
			if (progress)
				fputc('\n', stderr);
			agora_error_prefix(&err, "cannot ingest '%s'", path);
			rc = cli_fail(&err);
			/* each file is its own transaction: say what stayed */
			if (docs || dups)
				fprintf(stderr,
					"agora: the %zu file%s before it %s "
					"stored (%zu new, %zu unchanged)\n",
					docs + dups,
					docs + dups == 1 ? "" : "s",
					docs + dups == 1 ? "is" : "are", docs,
					dups);
			goto out;
		}
		sb_fini(&data);
		rc = EXIT_OK;
		docs += !res.duplicate;
		dups += res.duplicate;
		props += res.duplicate ? 0 : res.proposals;
		bytes += res.bytes;
		add_totals(totals, &ntotals, &res);
		json_array_append_new(
			jfiles,
			json_pack("{s:s, s:s, s:I, s:I, s:i, s:b, s:I, s:s}",
				  "file", path, "format",
				  ingest_format_name(res.format), "bytes",
				  (json_int_t)res.bytes, "document",
				  (json_int_t)res.document_id, "version",
				  res.version, "duplicate", res.duplicate,
				  "proposals", (json_int_t)res.proposals,
				  "sha256", res.sha256));
		if (!json && !cli->quiet && !progress)
			printf("%s: %s, %zu bytes, %zu proposals%s "
			       "(document %lld, version %d)\n",
			       path, ingest_format_name(res.format), res.bytes,
			       res.proposals,
			       res.duplicate ? ", already stored" : "",
			       (long long)res.document_id, res.version);
	}
	if (progress)
		fputc('\n', stderr);
	qsort(totals, ntotals, sizeof(totals[0]), by_count);
	if (json) {
		json_t *jt = json_object();

		for (i = 0; i < ntotals; i++)
			json_object_set_new(jt, totals[i].theme,
					    json_integer((json_int_t)totals[i].n));
		o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:O, s:O}",
			      "election", req.election, "candidate",
			      req.candidate, "documents", (json_int_t)docs,
			      "unchanged", (json_int_t)dups, "proposals",
			      (json_int_t)props, "bytes", (json_int_t)bytes,
			      "files", jfiles, "themes", jt);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
		json_decref(jt);
	} else if (!cli->quiet) {
		printf("%s: %zu new document%s, %zu unchanged, %zu proposals\n",
		       req.candidate, docs, docs == 1 ? "" : "s", dups, props);
		for (i = 0; i < ntotals; i++)
			printf("  %-28s %zu\n", totals[i].theme, totals[i].n);
	}
out:
	json_decref(jfiles);
	db_close(db);
	theme_rules_free(rules);
	return rc;
}
