/*
 * read.c - the reading commands: search, compare, themes, candidates.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "compare.h"

/* Set when a result could not be encoded: the command then exits 1 */
static int json_failed;

static void json_print(json_t *o)
{
	if (!o) {
		fprintf(stderr, "agora: cannot encode the result as JSON\n");
		json_failed = 1;
		return;
	}
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
}

/* The name as on the ballot: "Given Family" */
static void print_name(const struct candidate_info *c)
{
	if (*c->given_name)
		printf("%s %s", c->given_name, c->family_name);
	else
		printf("%s", c->family_name);
}

static json_t *candidate_json(const struct candidate_info *c)
{
	struct sb name;
	json_t *o;

	sb_init(&name, 0);
	sb_printf(&name, "%s%s%s", c->given_name, *c->given_name ? " " : "",
		  c->family_name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "slug", c->slug, "name",
		      name.buf, "given_name", c->given_name, "family_name",
		      c->family_name, "party", c->party);
	sb_fini(&name);
	return o;
}

/*
 * Prints a snippet whose matches sit between \x02 and \x03: bold on a
 * terminal, [[...]] elsewhere, so pipes keep the marks visible.
 */
static void print_marked(const char *s, int tty)
{
	for (; *s; s++) {
		if (*s == '\x02')
			fputs(tty ? "\033[1m" : "[[", stdout);
		else if (*s == '\x03')
			fputs(tty ? "\033[0m" : "]]", stdout);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			putchar(' '); /* line breaks reflow; no escape codes */
		else
			putchar(*s);
	}
}

/* The election, candidate and theme named as filters must exist */
static int search_check_filters(struct agora_db *db,
				const struct search_opts *so,
				struct agora_error *err)
{
	const struct theme_def *t;
	struct election_info e;
	struct candidate_list l;
	size_t n, i;
	int rc;

	if (so->election) {
		if ((rc = election_get(db, so->election, &e, err)))
			return rc;
		election_info_fini(&e);
	}
	if (so->candidate && so->election) {
		if ((rc = candidate_list(db, so->election, &l, err)))
			return rc;
		for (i = 0; i < l.n && strcmp(l.v[i].slug, so->candidate); i++)
			;
		n = l.n;
		candidate_list_fini(&l);
		if (i == n)
			return agora_errorf(err, AGORA_ENOTFOUND,
					    "no candidate '%s' in election "
					    "'%s'",
					    so->candidate, so->election);
	}
	if (so->theme) {
		t = theme_taxonomy(&n);
		for (i = 0; t && i < n && strcmp(t[i].key, so->theme); i++)
			;
		if (!t || i == n)
			return agora_errorf(err, AGORA_ENOTFOUND,
					    "no theme '%s' (see 'agora themes')",
					    so->theme);
	}
	return 0;
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"candidate", required_argument, NULL, 'c'},
		{"theme", required_argument, NULL, 't'},
		{"limit", required_argument, NULL, 'l'},
		{"offset", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct search_opts so = {0};
	struct search_result res = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	struct sb q;
	int ch, json = 0, rc, i;
	char *end;
	size_t k;

	so.limit = 20;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			so.election = optarg;
			break;
		case 'c':
			so.candidate = optarg;
			break;
		case 't':
			so.theme = optarg;
			break;
		case 'l':
			so.limit = strtoul(optarg, &end, 10);
			if (*end || so.limit < 1 || so.limit > 100)
				return cli_usage_error(
					"search", "--limit is 1 to 100, not '%s'",
					optarg);
			break;
		case 'o':
			so.offset = strtoul(optarg, &end, 10);
			if (*end || so.offset > 100000)
				return cli_usage_error("search",
						       "bad --offset '%s'",
						       optarg);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("search", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("search", "no QUERY");
	sb_init(&q, 4096);
	for (i = optind; i < argc; i++)
		sb_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
	if (sb_error(&q)) {
		sb_fini(&q);
		return cli_usage_error("search", "the query is too long");
	}
	{
		size_t bad;

		if (!utf8_valid(q.buf, q.len, &bad)) {
			sb_fini(&q);
			return cli_usage_error("search",
					       "the query is not valid UTF-8 "
					       "(byte %zu)",
					       bad);
		}
	}
	if ((rc = cli_open(cli, 0, &db))) {
		sb_fini(&q);
		return rc;
	}
	/* a misspelt filter is an error here, not an empty result */
	rc = search_check_filters(db, &so, &err);
	if (!rc)
		rc = compare_search(db, q.buf, &so, &res, &err);
	db_close(db);
	if (rc) {
		sb_fini(&q);
		return cli_fail(&err);
	}
	if (json) {
		json_t *hits = json_array(), *counts = json_array();

		for (k = 0; k < res.n; k++) {
			const struct search_hit *h = &res.v[k];

			json_array_append_new(
				hits,
				json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, "
					  "s:s, s:s, s:f}",
					  "proposal", (json_int_t)h->proposal_id,
					  "election", h->election, "candidate",
					  h->candidate_slug, "name",
					  h->candidate_name, "party", h->party,
					  "heading_path", h->heading_path,
					  "text", h->text, "snippet",
					  h->snippet, "rank", h->rank));
		}
		for (k = 0; k < res.ncand; k++)
			json_array_append_new(
				counts,
				json_pack("{s:s, s:s, s:I}", "candidate",
					  res.per_candidate[k].candidate_slug,
					  "name",
					  res.per_candidate[k].candidate_name,
					  "count",
					  (json_int_t)res.per_candidate[k].n));
		json_print(json_pack("{s:s, s:I, s:b, s:I, s:I, s:o, s:o}",
				     "query", q.buf, "total",
				     (json_int_t)res.total, "total_capped",
				     res.total_capped, "limit",
				     (json_int_t)so.limit, "offset",
				     (json_int_t)so.offset, "results", hits,
				     "per_candidate", counts));
	} else {
		int tty = isatty(1);

		printf("%zu%s result%s for '%s'", res.total,
		       res.total_capped ? "+" : "", res.total == 1 ? "" : "s",
		       q.buf);
		for (k = 0; k < res.ncand; k++)
			printf("%s%s %zu", k ? ", " : " (",
			       res.per_candidate[k].candidate_name,
			       res.per_candidate[k].n);
		printf("%s\n", res.ncand ? ")" : "");
		for (k = 0; k < res.n; k++) {
			const struct search_hit *h = &res.v[k];

			printf("\n#%lld %s (%s)%s%s\n  ",
			       (long long)h->proposal_id, h->candidate_name,
			       h->election, *h->heading_path ? " — " : "",
			       h->heading_path);
			print_marked(h->snippet, tty);
			putchar('\n');
		}
	}
	search_result_fini(&res);
	sb_fini(&q);
	return json_failed ? EXIT_CHECK : EXIT_OK;
}

/* Splits "a,b,c" in place into at most max slugs */
static size_t split_list(char *s, const char **v, size_t max)
{
	size_t n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		if (*tok)
			v[n++] = tok;
	return n;
}

int cmd_compare(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"theme", required_argument, NULL, 't'},
		{"candidates", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *election = NULL, *theme = NULL, *slugs[64];
	struct theme_grid g = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	char *list = NULL;
	size_t n = 0, i, k;
	int ch, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			election = optarg;
			break;
		case 't':
			theme = optarg;
			break;
		case 'c':
			list = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("compare", "bad option");
		}
	}
	if (!election || !theme)
		return cli_usage_error("compare",
				       "--election and --theme are required");
	if (optind != argc)
		return cli_usage_error("compare", "unexpected '%s'",
				       argv[optind]);
	if (list && !(n = split_list(list, slugs, 64)))
		return cli_usage_error("compare", "--candidates is empty");
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	rc = compare_theme_grid(db, election, theme, n ? slugs : NULL, n, &g,
				&err);
	db_close(db);
	if (rc)
		return cli_fail(&err);
	if (json) {
		json_t *cands = json_array();

		for (i = 0; i < g.ncol; i++) {
			json_t *c = candidate_json(&g.col[i].cand);
			json_t *props = json_array();

			for (k = 0; k < g.col[i].n; k++) {
				const struct grid_proposal *p = &g.col[i].v[k];

				json_array_append_new(
					props,
					json_pack("{s:I, s:s, s:s, s:s, s:s, "
						  "s:f}",
						  "id", (json_int_t)p->id,
						  "text", p->text,
						  "heading_path",
						  p->heading_path, "kind",
						  p->kind, "origin", p->origin,
						  "confidence", p->confidence));
			}
			json_object_set_new(c, "proposals", props);
			json_array_append_new(cands, c);
		}
		json_print(json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}",
				     "election", election, "theme", "key",
				     g.theme, "label_fr", g.theme_label_fr,
				     "label_en", g.theme_label_en,
				     "candidates", cands));
	} else {
		printf("%s — %s\n", g.theme_label_en, g.theme_label_fr);
		for (i = 0; i < g.ncol; i++) {
			const struct grid_column *c = &g.col[i];

			printf("\n== ");
			print_name(&c->cand);
			printf("%s%s%s — %zu proposal%s\n",
			       *c->cand.party ? " (" : "", c->cand.party,
			       *c->cand.party ? ")" : "", c->n,
			       c->n == 1 ? "" : "s");
			if (!c->n)
				printf("   Nothing on this theme in the "
				       "programme.\n");
			for (k = 0; k < c->n; k++) {
				printf(" - ");
				print_marked(c->v[k].text, 0);
				printf("\n   #%lld%s%s\n",
				       (long long)c->v[k].id,
				       *c->v[k].heading_path ? "  " : "",
				       c->v[k].heading_path);
			}
		}
	}
	theme_grid_fini(&g);
	return json_failed ? EXIT_CHECK : EXIT_OK;
}

int cmd_themes(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct theme_coverage_list l = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	const char *election = NULL;
	int ch, json = 0, rc;
	size_t i;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'e')
			election = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage_error("themes", "bad option");
	}
	if (optind != argc)
		return cli_usage_error("themes", "unexpected '%s'",
				       argv[optind]);
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	rc = compare_theme_coverage(db, election, &l, &err);
	db_close(db);
	if (rc)
		return cli_fail(&err);
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < l.n; i++) {
			json_t *o = json_pack(
				"{s:s, s:s, s:b, s:s, s:s}", "key", l.v[i].key,
				"group", l.v[i].group, "is_group",
				l.v[i].is_group, "label_fr", l.v[i].label_fr,
				"label_en", l.v[i].label_en);

			if (election) {
				json_object_set_new(
					o, "candidates",
					json_integer((json_int_t)l.v[i].candidates));
				json_object_set_new(
					o, "proposals",
					json_integer((json_int_t)l.v[i].proposals));
			}
			json_array_append_new(arr, o);
		}
		json_print(arr);
	} else {
		for (i = 0; i < l.n; i++) {
			if (l.v[i].is_group)
				printf("%s%s  (group)\n", i ? "\n" : "",
				       l.v[i].key);
			else
				printf("  %-28s", l.v[i].key);
			if (election && !l.v[i].is_group)
				printf(" %2zu cand. %4zu prop.  ",
				       l.v[i].candidates, l.v[i].proposals);
			if (!l.v[i].is_group)
				printf(" %s / %s\n", l.v[i].label_fr,
				       l.v[i].label_en);
		}
	}
	theme_coverage_list_fini(&l);
	return json_failed ? EXIT_CHECK : EXIT_OK;
}

int cmd_candidates(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct candidate_list l = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	const char *election = NULL;
	int ch, json = 0, rc;
	size_t i;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'e')
			election = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage_error("candidates", "bad option");
	}
	if (!election)
		return cli_usage_error("candidates", "--election is required");
	if (optind != argc)
		return cli_usage_error("candidates", "unexpected '%s'",
				       argv[optind]);
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	rc = candidate_list(db, election, &l, &err);
	db_close(db);
	if (rc)
		return cli_fail(&err);
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < l.n; i++) {
			json_t *o = candidate_json(&l.v[i]);

			json_object_set_new(
				o, "documents",
				json_integer((json_int_t)l.v[i].documents));
			json_object_set_new(
				o, "proposals",
				json_integer((json_int_t)l.v[i].proposals));
			json_array_append_new(arr, o);
		}
		json_print(arr);
	} else {
		for (i = 0; i < l.n; i++) {
			printf("%-24s ", l.v[i].slug);
			print_name(&l.v[i]);
			printf("%s%s%s  %zu document%s, %zu proposals\n",
			       *l.v[i].party ? " (" : "", l.v[i].party,
			       *l.v[i].party ? ")" : "", l.v[i].documents,
			       l.v[i].documents == 1 ? "" : "s",
			       l.v[i].proposals);
		}
	}
	candidate_list_fini(&l);
	return json_failed ? EXIT_CHECK : EXIT_OK;
}
