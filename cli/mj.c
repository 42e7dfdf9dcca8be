/*
 * mj.c - `agora mj`: ranks candidates by majority judgment from a CSV of
 * counts counted elsewhere (paper ballots), with the missing judgments
 * handled as asked, and explains each tie-break between neighbours. The
 * tally itself is primary/'s; this file reads, checks and renders.
 *
 * Every number printed is at most 2^63-1: counts are refused above it by
 * the parser, and so are totals here, so that JSON integers (jansson's
 * json_int_t is a long long) stay exact.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "primary.h"

static const char *const missing_names[] = {
	[MJ_MISSING_ERROR] = "error",
	[MJ_MISSING_STATIC] = "static",
	[MJ_MISSING_MEDIAN] = "median",
	[MJ_MISSING_NORMALIZE] = "normalize",
};

struct mj_run {
	const char *name; /* the file as named in messages */
	struct mj_table t;
	uint64_t *counts; /* as ranked: t.counts after filling */
	uint64_t *filled; /* judgments added per candidate */
	struct mj_result *res;
	size_t *order;
	enum mj_missing missing;
	int default_grade;
	uint64_t judges;
};

/* Display width of UTF-8 text: its code points (no wide characters) */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Prints s left-aligned in w columns */
static void print_left(const char *s, int w)
{
	int pad = w - text_width(s);

	fputs(s, stdout);
	while (pad-- > 0)
		putchar(' ');
}

/* "Bien+", "Bien−" (U+2212), "Très bien", or "—" without votes */
static void mention(const struct mj_run *r, size_t i, char *out, size_t n)
{
	const struct mj_result *res = &r->res[i];
	char sign = mj_sign_shown(res, r->t.ngrades);

	if (res->grade < 0) {
		snprintf(out, n, "—");
		return;
	}
	snprintf(out, n, "%s%s", r->t.labels[res->grade],
		 sign == '+'   ? "+"
		 : sign == '-' ? "\u2212"
			       : "");
}

/*
 * --grades LABELS: the header's grades must be these, in this order,
 * unless the header numbers them (0..G-1 or 1..G): then LABELS name them
 */
static int apply_grades(struct mj_run *r, char *list)
{
	char *v[MJ_GRADES_MAX + 1], *tok, *save = NULL, num[16];
	int n = 0, g, numbered0 = 1, numbered1 = 1;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t len;

		while (*tok == ' ')
			tok++;
		for (len = strlen(tok); len && tok[len - 1] == ' '; len--)
			tok[len - 1] = 0;
		if (n > MJ_GRADES_MAX)
			break;
		v[n++] = tok;
	}
	if (n != r->t.ngrades)
		return cli_usage_error("mj",
				       "--grades names %d grade%s, '%s' has "
				       "%d",
				       n, n == 1 ? "" : "s", r->name,
				       r->t.ngrades);
	for (g = 0; g < n; g++) {
		snprintf(num, sizeof(num), "%d", g);
		numbered0 &= !strcmp(r->t.labels[g], num);
		snprintf(num, sizeof(num), "%d", g + 1);
		numbered1 &= !strcmp(r->t.labels[g], num);
	}
	for (g = 0; g < n; g++) {
		if (!*v[g] || strlen(v[g]) > MJ_LABEL_MAX)
			return cli_usage_error("mj", "--grades: bad label %d",
					       g + 1);
		if (numbered0 || numbered1) {
			char *dup = strdup(v[g]);

			if (!dup) {
				fprintf(stderr, "agora: out of memory\n");
				return EXIT_CHECK;
			}
			free(r->t.labels[g]);
			r->t.labels[g] = dup;
		} else if (strcmp(r->t.labels[g], v[g])) {
			fprintf(stderr,
				"agora: %s:1: grade %d is '%s', --grades says "
				"'%s' (grades go worst first)\n",
				r->name, g + 1, r->t.labels[g], v[g]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* --default-grade: an index 0..G-1 or a grade label */
static int resolve_default_grade(struct mj_run *r, const char *s)
{
	char *end;
	long k;
	int g;

	if (!s)
		return 0;
	for (g = 0; g < r->t.ngrades; g++)
		if (!strcmp(r->t.labels[g], s)) {
			r->default_grade = g;
			return 0;
		}
	errno = 0;
	k = strtol(s, &end, 10);
	if (errno || *end || end == s || k < 0 || k >= r->t.ngrades)
		return cli_usage_error("mj",
				       "--default-grade is a grade label or "
				       "0..%d (0 the worst), not '%s'",
				       r->t.ngrades - 1, s);
	r->default_grade = (int)k;
	return 0;
}

/* Fills the missing judgments, totals checked; 0 or an exit code */
static int fill(struct mj_run *r)
{
	struct agora_error err = {0};
	size_t n = r->t.ncandidates, i, bad = 0;
	int g, G = r->t.ngrades;
	uint64_t t;

	for (i = 0; i < n; i++) {
		for (t = 0, g = 0; g < G; g++) {
			if (r->t.counts[i * G + g] > (uint64_t)INT64_MAX - t) {
				fprintf(stderr,
					"agora: %s:%zu: candidate '%s': the "
					"total of the counts is above 2^63-1\n",
					r->name, r->t.lines[i], r->t.names[i]);
				return EXIT_USAGE;
			}
			t += r->t.counts[i * G + g];
		}
		r->filled[i] = t; /* the total given, for now */
	}
	r->counts = r->t.counts;
	if (mj_fill_missing(r->counts, n, G, r->missing, r->judges,
			    r->default_grade, &bad, &err)) {
		fprintf(stderr, "agora: %s:%zu: candidate '%s': %s", r->name,
			r->t.lines[bad], r->t.names[bad], err.msg);
		if (r->missing == MJ_MISSING_ERROR && !r->judges)
			fprintf(stderr, " (unequal totals: see --missing)");
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		for (t = 0, g = 0; g < G; g++)
			t += r->counts[i * G + g];
		r->filled[i] = t - r->filled[i];
	}
	return 0;
}

/*
 * One line on why r->order[k-1] ranks before r->order[k] (same majority
 * grade), into out
 */
static int explain(const struct mj_run *r, size_t k, struct sb *out,
		   json_t **jout)
{
	struct agora_error err = {0};
	size_t ia = r->order[k - 1], ib = r->order[k];
	const struct mj_result *a = &r->res[ia], *b = &r->res[ib];
	const char *A = r->t.names[ia], *B = r->t.names[ib];
	const char *L = r->t.labels[a->grade], *how;
	int G = r->t.ngrades;
	struct mj_why w;

	if (mj_explain(r->counts + ia * G, r->counts + ib * G, G, &w, &err)) {
		fprintf(stderr, "agora: %s\n", err.msg);
		return -1;
	}
	if (!w.cmp) {
		how = "identical";
		sb_printf(out,
			  "%s and %s (both %s): identical merit profiles (the "
			  "same share at every grade), the same rank",
			  A, B, L);
	} else if (w.by_gauge) {
		how = "gauge";
		if (w.above)
			sb_printf(out,
				  "%s before %s (both %s): %s's share above "
				  "%s, %.2f %%, is the largest of the four "
				  "groups above and below",
				  A, B, L, A, L,
				  100.0 * (double)a->above / (double)a->total);
		else
			sb_printf(out,
				  "%s before %s (both %s): %s's share below "
				  "%s, %.2f %%, is the largest of the four "
				  "groups above and below",
				  A, B, L, B, L,
				  100.0 * (double)b->below / (double)b->total);
	} else {
		how = "iteration";
		sb_printf(
			out,
			"%s before %s (both %s): the majority gauge does not "
			"separate them (their largest groups are equal); "
			"removing median judgments one at a time, they first "
			"differ %.2f %% of the voters %s the middle, where %s "
			"has %s and %s has %s",
			A, B, L, 100.0 * w.from_middle,
			w.above ? "above" : "below", A, r->t.labels[w.grade_a],
			B, r->t.labels[w.grade_b]);
	}
	if (jout)
		*jout = json_pack(
			"{s:s, s:s, s:I, s:s, s:s?, s:o?, s:o?, "
			"s:f, s:s}",
			"first", A, "second", B, "majority_grade",
			(json_int_t)a->grade, "decided_by", how, "side",
			w.cmp ? (w.above ? "above" : "below") : NULL,
			"first_grade_there",
			w.cmp ? json_integer(w.grade_a) : NULL,
			"second_grade_there",
			w.cmp ? json_integer(w.grade_b) : NULL, "from_middle",
			w.from_middle, "explanation", out->buf);
	return 0;
}

static int print_json(const struct mj_run *r)
{
	json_t *root, *grades = json_array(), *results = json_array();
	json_t *ties = json_array();
	struct mj_secondary s;
	struct sb line;
	size_t k, i;
	char m[MJ_LABEL_MAX + 8];
	int g, G = r->t.ngrades, rc = 0;

	sb_init(&line, 0);
	for (g = 0; g < G; g++)
		json_array_append_new(grades, json_string(r->t.labels[g]));
	for (k = 0; k < r->t.ncandidates; k++) {
		const struct mj_result *res = &r->res[i = r->order[k]];
		json_t *counts = json_array(), *o;
		char sign = mj_sign_shown(res, G);
		int voted = res->grade >= 0;

		for (g = 0; g < G; g++)
			json_array_append_new(
				counts,
				json_integer((json_int_t)r->counts[i * G + g]));
		mention(r, i, m, sizeof(m));
		(void)mj_secondary_of(res, &s);
		o = json_pack(
			"{s:s, s:I, s:o, s:o, s:s, s:s, s:I, s:I, s:I, s:I, "
			"s:o, s:o}",
			"candidate", r->t.names[i], "rank",
			(json_int_t)res->rank, "majority_grade",
			voted ? json_integer(res->grade) : json_null(),
			"majority_grade_label",
			voted ? json_string(r->t.labels[res->grade])
			      : json_null(),
			"mention", m, "sign",
			sign == '+'   ? "+"
			: sign == '-' ? "-"
				      : "",
			"above", (json_int_t)res->above, "below",
			(json_int_t)res->below, "total", (json_int_t)res->total,
			"filled", (json_int_t)r->filled[i], "counts", counts,
			"secondary",
			voted ? json_pack("{s:f, s:f, s:f, s:f}", "at_or_above",
					  s.at_or_above, "typical", s.typical,
					  "usual", s.usual, "central",
					  s.central)
			      : json_null());
		json_array_append_new(results, o);
		if (k && voted && r->res[r->order[k - 1]].grade == res->grade) {
			json_t *t = NULL;

			sb_reset(&line);
			if (explain(r, k, &line, &t)) {
				rc = EXIT_CHECK;
				break;
			}
			json_array_append_new(ties, t);
		}
	}
	sb_fini(&line);
	root = json_pack("{s:o, s:s, s:o, s:o, s:o}", "grades", grades,
			 "missing", missing_names[r->missing], "judges",
			 r->judges ? json_integer((json_int_t)r->judges)
				   : json_null(),
			 "results", results, "tie_breaks", ties);
	if (!root || rc) {
		json_decref(root);
		if (!rc)
			fprintf(stderr,
				"agora: cannot encode the result as JSON\n");
		return EXIT_CHECK;
	}
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	putchar('\n');
	json_decref(root);
	return EXIT_OK;
}

static int print_text(const struct mj_run *r)
{
	size_t n = r->t.ncandidates, k, i;
	int G = r->t.ngrades, g, wname = 9, wm = 7, wc[MJ_GRADES_MAX], w;
	char m[MJ_LABEL_MAX + 8], num[24];
	struct mj_secondary s;
	struct sb line;
	int any_tie = 0, any_fill = 0;

	for (g = 0; g < G; g++)
		wc[g] = text_width(r->t.labels[g]);
	for (i = 0; i < n; i++) {
		if ((w = text_width(r->t.names[i])) > wname)
			wname = w;
		mention(r, i, m, sizeof(m));
		if ((w = text_width(m)) > wm)
			wm = w;
		for (g = 0; g < G; g++) {
			w = snprintf(num, sizeof(num), "%" PRIu64,
				     r->counts[i * G + g]);
			if (w > wc[g])
				wc[g] = w;
		}
		any_fill |= r->filled[i] != 0;
	}
	printf("Majority judgment: %zu candidates, %d grades (worst first)", n,
	       G);
	if (any_fill) {
		if (r->missing == MJ_MISSING_STATIC)
			printf(", missing judgments counted as %s",
			       r->t.labels[r->default_grade]);
		else
			printf(", missing judgments counted as each "
			       "candidate's majority grade");
	} else if (r->missing == MJ_MISSING_NORMALIZE) {
		printf(", ranked on proportions");
	}
	printf("\n\nrank  ");
	print_left("candidate", wname);
	printf("  ");
	print_left("mention", wm);
	for (g = 0; g < G; g++) {
		printf("  %*s", wc[g] - text_width(r->t.labels[g]), "");
		fputs(r->t.labels[g], stdout);
	}
	printf("\n");
	for (k = 0; k < n; k++) {
		i = r->order[k];
		printf("%4zu  ", r->res[i].rank);
		print_left(r->t.names[i], wname);
		printf("  ");
		mention(r, i, m, sizeof(m));
		print_left(m, wm);
		for (g = 0; g < G; g++)
			printf("  %*" PRIu64, wc[g], r->counts[i * G + g]);
		if (r->filled[i])
			printf("  (%" PRIu64 " filled in)", r->filled[i]);
		printf("\n");
	}

	sb_init(&line, 0);
	for (k = 1; k < n; k++) {
		const struct mj_result *a = &r->res[r->order[k - 1]];
		const struct mj_result *b = &r->res[r->order[k]];

		if (b->grade < 0 || a->grade != b->grade)
			continue;
		if (!any_tie++)
			printf("\nSame majority grade, tie broken by the "
			       "majority gauge:\n");
		sb_reset(&line);
		if (explain(r, k, &line, NULL)) {
			sb_fini(&line);
			return EXIT_CHECK;
		}
		printf("  %s\n", line.buf);
	}
	sb_fini(&line);

	printf("\nFor information only, not used for the ranking: the shares "
	       "of voters above,\nbelow and at or above the majority grade, "
	       "and Fabre's (2021) typical, usual\nand central judgments "
	       "(grades numbered from 0, the worst):\n\n");
	print_left("candidate", wname);
	printf("    above    below  at/above  typical    usual  central\n");
	for (k = 0; k < n; k++) {
		const struct mj_result *res = &r->res[i = r->order[k]];

		print_left(r->t.names[i], wname);
		if (mj_secondary_of(res, &s)) {
			printf("  (no judgment)\n");
			continue;
		}
		printf("  %5.1f %%  %5.1f %%  %6.1f %%  %7.3f  %7.3f  %7.3f\n",
		       100.0 * (double)res->above / (double)res->total,
		       100.0 * (double)res->below / (double)res->total,
		       100.0 * s.at_or_above, s.typical, s.usual, s.central);
	}
	return EXIT_OK;
}

int cmd_mj(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"missing", required_argument, NULL, 'm'},
		{"default-grade", required_argument, NULL, 'd'},
		{"judges", required_argument, NULL, 'n'},
		{"grades", required_argument, NULL, 'g'},
		{NULL, 0, NULL, 0},
	};
	struct mj_run r = {0};
	struct agora_error err = {0};
	struct sb buf;
	const char *path, *default_grade = NULL;
	char *grades = NULL, *end;
	int ch, json = 0, rc, i;
	unsigned long long v;

	(void)cli;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'm':
			for (i = 0; i <= MJ_MISSING_NORMALIZE; i++)
				if (!strcmp(optarg, missing_names[i]))
					break;
			if (i > MJ_MISSING_NORMALIZE)
				return cli_usage_error(
					"mj",
					"--missing is error, static, median "
					"or normalize, not '%s'",
					optarg);
			r.missing = (enum mj_missing)i;
			break;
		case 'd':
			default_grade = optarg;
			break;
		case 'n':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 ||
			    v > INT64_MAX || *optarg == '-')
				return cli_usage_error(
					"mj",
					"--judges is a number of voters, 1 to "
					"2^63-1, not '%s'",
					optarg);
			r.judges = v;
			break;
		case 'g':
			grades = optarg;
			break;
		default:
			return cli_usage_error("mj", "bad option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("mj", optind >= argc
						     ? "no FILE (use - for the "
						       "standard input)"
						     : "one FILE only");
	if (default_grade && r.missing != MJ_MISSING_STATIC)
		return cli_usage_error("mj", "--default-grade goes with "
					     "--missing static");
	path = argv[optind];
	r.name = strcmp(path, "-") ? path : "stdin";

	sb_init(&buf, 0);
	rc = file_read(strcmp(path, "-") ? path : "/dev/stdin",
		       MJ_CSV_MAX_BYTES, &buf, &err);
	if (rc == AGORA_ETOOBIG && !strcmp(path, "-"))
		agora_errorf(&err, rc,
			     "stdin: larger than the limit of %zu "
			     "bytes",
			     MJ_CSV_MAX_BYTES);
	if (!rc)
		rc = mj_table_parse(&r.t, buf.buf, buf.len, r.name, &err);
	sb_fini(&buf);
	if (rc)
		return cli_fail(&err);
	rc = EXIT_CHECK;
	if (grades && (rc = apply_grades(&r, grades)))
		goto out;
	if ((rc = resolve_default_grade(&r, default_grade)))
		goto out;
	r.filled = calloc(r.t.ncandidates, sizeof(*r.filled));
	r.res = calloc(r.t.ncandidates, sizeof(*r.res));
	r.order = calloc(r.t.ncandidates, sizeof(*r.order));
	if (!r.filled || !r.res || !r.order) {
		fprintf(stderr, "agora: out of memory\n");
		rc = EXIT_CHECK;
		goto out;
	}
	if ((rc = fill(&r)))
		goto out;
	if (mj_rank(r.counts, r.t.ncandidates, r.t.ngrades, r.res, r.order,
		    &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = json ? print_json(&r) : print_text(&r);
out:
	free(r.filled);
	free(r.res);
	free(r.order);
	mj_table_fini(&r.t);
	return rc;
}
