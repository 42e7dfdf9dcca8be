/*
 * primary.c - `agora primary`: the organiser's commands for an open
 * citizen primary (create, phases, candidates, credentials) and the
 * kiosk's (vote), the results and the recount.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "primary.h"

#define ROLL_MAX (64u << 20) /* bytes of an electoral roll */

static int fail_with(struct agora_db *db, const struct agora_error *err)
{
	db_close(db);
	return cli_fail(err);
}

static int open_primary(struct cli *cli, int write, struct agora_db **db)
{
	struct agora_error err = {0};
	int rc;

	if ((rc = cli_open(cli, write, db)))
		return rc;
	if (primary_db_prepare(*db, &err))
		return fail_with(*db, &err);
	return 0;
}

static int parse_count(const char *cmd, const char *what, const char *s,
		       long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return cli_usage_error(cmd, "%s must be a number from %lld to "
					    "%lld, not '%s'",
				       what, min, max, s);
	return 0;
}

static int primary_create_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"title", required_argument, NULL, 't'},
		{"grades", required_argument, NULL, 'g'},
		{"support-threshold", required_argument, NULL, 's'},
		{"max-supports", required_argument, NULL, 'm'},
		{"lot-size", required_argument, NULL, 'l'},
		{"allow-blank", no_argument, NULL, 'b'},
		{"public-results", no_argument, NULL, 'p'},
		{"open", no_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct primary_config c = {.support_threshold = 500,
				   .max_supports = 5};
	int open_mode = 0;
	struct agora_error err = {0};
	struct agora_db *db;
	long long v;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			c.title = optarg;
			break;
		case 'g':
			c.grades = optarg;
			break;
		case 's':
			if ((rc = parse_count("primary create",
					      "--support-threshold", optarg,
					      0, INT64_MAX, &v)))
				return rc;
			c.support_threshold = v;
			break;
		case 'm':
			if ((rc = parse_count("primary create",
					      "--max-supports", optarg, 1,
					      1000, &v)))
				return rc;
			c.max_supports = (int)v;
			break;
		case 'l':
			if ((rc = parse_count("primary create", "--lot-size",
					      optarg, 2, 1000, &v)))
				return rc;
			c.lot_size = (int)v;
			break;
		case 'b':
			c.allow_blank = 1;
			break;
		case 'p':
			c.results_public = 1;
			break;
		case 'o':
			open_mode = 1;
			break;
		default:
			return cli_usage_error("primary create",
					       "unknown option");
		}
	}
	if (optind != argc - 1 || !c.title)
		return cli_usage_error("primary create",
				       "give the primary's SLUG and --title");
	c.slug = argv[optind];
	if ((rc = open_primary(cli, 1, &db)))
		return rc;
	/* the primary and its open mode in one transaction */
	c.open_mode = open_mode;
	if (primary_create(db, &c, &err))
		return fail_with(db, &err);
	db_close(db);
	if (!cli->quiet)
		printf("primary '%s' created, phase: declaration%s\n", c.slug,
		       open_mode ? ", open mode" : "");
	return EXIT_OK;
}

static int primary_phase_cmd(struct cli *cli, int argc, char **argv)
{
	struct agora_error err = {0};
	struct agora_db *db;
	int rc;

	if (argc != 3)
		return cli_usage_error("primary phase",
				       "give SLUG and one of " PRIMARY_PHASES);
	if ((rc = open_primary(cli, 1, &db)))
		return rc;
	if (primary_set_phase(db, argv[1], argv[2], 0, &err))
		return fail_with(db, &err);
	db_close(db);
	if (!cli->quiet)
		printf("primary '%s' is now in phase '%s'\n", argv[1],
		       argv[2]);
	return EXIT_OK;
}

/*
 * Announces (or withdraws, with "") the planned dates of the phases to
 * come; with no option, prints the plan beside the actual dates. The
 * phases still move only by `agora primary phase`.
 */
static int primary_schedule_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"support", required_argument, NULL, 's'},
		{"vote", required_argument, NULL, 'v'},
		{"close", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	static const char *const names[4] = {"declaration", "support", "vote",
					     "closed"};
	const char *dates[4] = {NULL, NULL, NULL, NULL};
	struct agora_error err = {0};
	struct primary_schedule s;
	struct primary_info p;
	struct agora_db *db;
	int ch, rc, i, set = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			dates[1] = optarg;
			break;
		case 'v':
			dates[2] = optarg;
			break;
		case 'c':
			dates[3] = optarg;
			break;
		default:
			return cli_usage_error("primary schedule",
					       "unknown option");
		}
		set = 1;
	}
	if (optind != argc - 1)
		return cli_usage_error("primary schedule",
				       "give the primary's SLUG, and --support, "
				       "--vote or --close with a date");
	if ((rc = open_primary(cli, set, &db)))
		return rc;
	if (set && primary_schedule_set(db, argv[optind], dates, 0, NULL,
					&err))
		return fail_with(db, &err);
	if (primary_get(db, argv[optind], &p, &err))
		return fail_with(db, &err);
	rc = primary_schedule_get(db, p.id, &s, &err);
	if (rc) {
		primary_info_fini(&p);
		return fail_with(db, &err);
	}
	/* the schedule is the answer when no date is given */
	if (!cli->quiet || !set) {
		printf("primary '%s', phase %s%s\n", p.slug, p.phase,
		       set ? ": planned dates saved" : "");
		for (i = 0; i < 4; i++)
			printf("  %-11s planned %-20s began %s\n", names[i],
			       *s.planned[i] ? s.planned[i] : "-",
			       *s.began[i] ? s.began[i] : "-");
	}
	primary_info_fini(&p);
	db_close(db);
	return EXIT_OK;
}

static int primary_candidate_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"slug", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *slug = NULL;
	struct agora_error err = {0};
	struct agora_db *db;
	struct sb out;
	int ch, rc;

	optind = 0;
	if (argc < 2 || strcmp(argv[1], "add"))
		return cli_usage_error("primary candidate",
				       "the subcommand is 'add'");
	argc--, argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 's':
			slug = optarg;
			break;
		default:
			return cli_usage_error("primary candidate add",
					       "unknown option");
		}
	}
	if (optind != argc - 1 || !name)
		return cli_usage_error("primary candidate add",
				       "give the primary's SLUG and --name");
	if ((rc = open_primary(cli, 1, &db)))
		return rc;
	sb_init(&out, 256);
	if (primary_candidate_add(db, argv[optind], name, slug, &out, &err)) {
		sb_fini(&out);
		return fail_with(db, &err);
	}
	db_close(db);
	printf("%s\n", out.buf);
	sb_fini(&out);
	return EXIT_OK;
}

/*
 * SLUG and one optional flag (FLAG without its dashes), in any order,
 * as every other command takes its options: the slug, or NULL on bad
 * usage; *has says whether the flag was given
 */
static const char *slug_and_flag(int argc, char **argv, const char *flag,
				 int *has)
{
	const struct option opts[] = {
		{flag, no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	*has = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'f')
			return NULL;
		*has = 1;
	}
	return optind == argc - 1 ? argv[optind] : NULL;
}

static int primary_candidates_cmd(struct cli *cli, int argc, char **argv)
{
	struct agora_error err = {0};
	struct primary_candidate *c;
	struct primary_info p;
	struct agora_db *db;
	json_t *arr;
	size_t n, i;
	const char *slug;
	int rc, json;

	if (!(slug = slug_and_flag(argc, argv, "json", &json)))
		return cli_usage_error("primary candidates",
				       "give the primary's SLUG [--json]");
	if ((rc = open_primary(cli, 0, &db)))
		return rc;
	if (primary_get(db, slug, &p, &err))
		return fail_with(db, &err);
	if (primary_candidates(db, p.id, &c, &n, &err)) {
		primary_info_fini(&p);
		return fail_with(db, &err);
	}
	if (json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:s, s:I}",
					       "slug", c[i].slug, "name",
					       c[i].name, "status", c[i].status,
					       "registered_by",
					       c[i].registered_by, "supports",
					       (json_int_t)c[i].supports));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		printf("primary '%s' (%s), phase %s: %zu candidates\n", p.slug,
		       p.title, p.phase, n);
		for (i = 0; i < n; i++)
			printf("%-24s %-10s %6lld supports  %s\n", c[i].slug,
			       c[i].status, (long long)c[i].supports,
			       c[i].name);
	}
	primary_candidates_free(c, n);
	primary_info_fini(&p);
	db_close(db);
	return EXIT_OK;
}

/*
 * The roll is copied line by line to the private file with one more
 * column, so the organiser's columns come back exactly as they were;
 * quoted fields spanning lines are refused rather than guessed at.
 */
static int primary_credentials_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"roll", required_argument, NULL, 'r'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *roll = NULL, *out = NULL, *p;
	struct agora_error err = {0};
	unsigned char (*pk)[32] = NULL, sk[64];
	char code[PRIMARY_CODE_SIZE], norm[PRIMARY_CODE_SYMBOLS + 1];
	struct agora_db *db = NULL;
	struct primary_info info = {0};
	struct primary_roll rl;
	struct sb in;
	size_t line, nvoters = 0, len, pos;
	FILE *f = NULL;
	int ch, rc, fd = -1, exists;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			roll = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return cli_usage_error("primary credentials",
					       "unknown option");
		}
	}
	if (optind != argc - 1 || !roll || !out)
		return cli_usage_error("primary credentials",
				       "give the primary's SLUG, --roll FILE "
				       "and --out FILE");
	sb_init(&in, ROLL_MAX);
	if (file_read(roll, ROLL_MAX, &in, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	/* the whole roll is checked before anything is written */
	if (primary_roll_check(in.buf, in.len, roll, &rl, &err)) {
		fprintf(stderr, "agora: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = open_primary(cli, 1, &db)))
		goto out;
	if (primary_get(db, argv[optind], &info, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	pk = malloc(rl.nvoters * sizeof(*pk));
	/* the private file is the organiser's alone, and never overwritten */
	fd = pk ? open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
		: -1;
	exists = pk && fd < 0 && errno == EEXIST;
	if (!pk || fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "agora: cannot create '%s': %s\n", out,
			!pk ? "out of memory"
			: exists
				? "it exists (it may hold codes already "
				  "sent: choose another name)"
				: strerror(errno));
		if (fd >= 0 && !f) { /* created just now, empty */
			close(fd);
			unlink(out);
		}
		/* a name that exists is bad input, as for `agora backup` */
		rc = exists ? EXIT_USAGE : EXIT_CHECK;
		fd = -1;
		goto out;
	}
	nvoters = 0;
	line = 0;
	pos = 0;
	while (primary_roll_next(in.buf, in.len, &pos, &p, &len)) {
		if (line++ == 0) {
			fprintf(f, "%.*s%ccredential\n", (int)len, p, rl.sep);
			continue;
		}
		if (!len)
			continue;
		if (nvoters == rl.nvoters) /* cannot happen: the same lines */
			break;
		primary_code_new(code);
		if (primary_code_parse(code, norm, &err)) /* cannot happen */
			break;
		primary_code_keys(info.slug, norm, pk[nvoters], sk);
		sodium_memzero(sk, sizeof(sk));
		fprintf(f, "%.*s%c%s\n", (int)len, p, rl.sep, code);
		nvoters++;
	}
	sodium_memzero(code, sizeof(code));
	if (fflush(f) || fsync(fileno(f)) || ferror(f)) {
		fprintf(stderr, "agora: cannot write '%s': %s\n", out,
			strerror(errno));
		rc = EXIT_CHECK;
		goto remove;
	}
	if (primary_credentials_add(db, info.slug,
				    (const unsigned char (*)[32])pk, nvoters,
				    &err)) {
		rc = cli_fail(&err);
		goto remove;
	}
	if (!cli->quiet)
		printf("%zu credentials issued for primary '%s': the codes "
		       "are in '%s' (only there: send them, then keep or "
		       "destroy that file as your rules say)\n",
		       nvoters, info.slug, out);
	rc = EXIT_OK;
	goto out;
remove:
	/* the codes of keys that were not stored must not be sent */
	unlink(out);
out:
	if (f)
		fclose(f);
	free(pk);
	primary_info_fini(&info);
	db_close(db);
	sb_fini(&in);
	return rc;
}

/* "a=3,b=Très bien" -> grades, by index or by label */
static int parse_grades(const char *spec, const struct primary_info *p,
			struct primary_grade *g, size_t max, size_t *n,
			char *buf)
{
	char *item, *save = NULL, *eq, *end;
	long v;
	int k;

	*n = 0;
	strcpy(buf, spec);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		if (!eq || eq == item || *n == max)
			return cli_usage_error("primary vote",
					       "--grades is CANDIDATE=GRADE,... "
					       "('%s' is not)",
					       item);
		*eq++ = 0;
		errno = 0;
		v = strtol(eq, &end, 10);
		if (end == eq || *end || errno) {
			for (k = 0; k < p->ngrades && strcmp(p->grades[k], eq);
			     k++)
				;
			if (k == p->ngrades)
				return cli_usage_error(
					"primary vote",
					"'%s' is not a grade of this primary "
					"(0 to %d, or a label such as '%s')",
					eq, p->ngrades - 1, p->grades[0]);
			v = k;
		}
		if (v < 0 || v >= p->ngrades)
			return cli_usage_error("primary vote",
					       "grade %ld is out of 0 to %d", v,
					       p->ngrades - 1);
		g[*n].candidate = item;
		g[(*n)++].grade = (int)v;
	}
	return 0;
}

static int primary_vote_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"credential", required_argument, NULL, 'c'},
		{"grades", required_argument, NULL, 'g'},
		{"blank", no_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	const char *code = NULL, *grades = NULL;
	struct primary_grade g[1000];
	struct agora_error err = {0};
	struct primary_info p = {0};
	struct agora_db *db;
	unsigned char sig[64];
	char receipt[65], *buf = NULL;
	int64_t seq = 1;
	struct sb body;
	size_t n = 0;
	int ch, rc, blank = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			code = optarg;
			break;
		case 'g':
			grades = optarg;
			break;
		case 'b':
			blank = 1;
			break;
		default:
			return cli_usage_error("primary vote",
					       "unknown option");
		}
	}
	if (optind != argc - 1 || !code || !grades == !blank)
		return cli_usage_error("primary vote",
				       "give SLUG, --credential CODE and "
				       "--grades CANDIDATE=GRADE,... (or "
				       "--blank)");
	if ((rc = open_primary(cli, 1, &db)))
		return rc;
	sb_init(&body, PRIMARY_BALLOT_MAX);
	if (primary_get(db, argv[optind], &p, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (grades) {
		buf = malloc(strlen(grades) + 1);
		if (!buf) {
			rc = EXIT_CHECK;
			goto out;
		}
		if ((rc = parse_grades(grades, &p, g, 1000, &n, buf)))
			goto out;
	}
	if (primary_ballot_next(db, p.slug, code, &seq, &err) ||
	    primary_ballot_make(p.slug, code, seq, g, n, &body, sig, &err) ||
	    primary_ballot_cast(db, p.slug, body.buf, body.len, sig, receipt,
				&err)) {
		rc = cli_fail(&err);
		goto out;
	}
	printf("%s\n", receipt);
	rc = EXIT_OK;
out:
	free(buf);
	sb_fini(&body);
	primary_info_fini(&p);
	db_close(db);
	return rc;
}

/* Pads to width columns, counting characters rather than bytes */
static void print_padded(const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	for (; *p; p++)
		n += (*p & 0xc0) != 0x80;
	printf("%s%*s", s, width > n ? width - n : 0, "");
}

/* The candidates a credential's ballot grades, for a kiosk or a script */
static int primary_ballot_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"credential", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char norm[PRIMARY_CODE_SYMBOLS + 1];
	unsigned char pk[32], sk[64];
	struct agora_error err = {0};
	struct primary_candidate *c = NULL;
	struct primary_info p = {0};
	struct agora_db *db;
	const char *code = NULL;
	size_t nc = 0, nq, k, i, *lot = NULL;
	int64_t seq = 1;
	json_t *arr, *o;
	int ch, rc, json = 0, g;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			code = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("primary ballot",
					       "unknown option");
		}
	}
	if (optind != argc - 1 || !code)
		return cli_usage_error("primary ballot",
				       "give SLUG and --credential CODE");
	if (primary_code_parse(code, norm, &err))
		return cli_fail(&err);
	if ((rc = open_primary(cli, 0, &db)))
		return rc;
	if (primary_get(db, argv[optind], &p, &err) ||
	    primary_candidates(db, p.id, &c, &nc, &err) ||
	    primary_ballot_next(db, p.slug, code, &seq, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	for (nq = 0; nq < nc && !strcmp(c[nq].status, "qualified"); nq++)
		;
	lot = calloc(nq ? nq : 1, sizeof(*lot));
	if (!lot) {
		rc = EXIT_CHECK;
		goto out;
	}
	primary_code_keys(p.slug, norm, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	k = primary_lot(p.slug, pk, nq, p.lot_size, lot);
	if (json) {
		arr = json_array();
		for (i = 0; i < k; i++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s}", "slug",
					       c[lot[i]].slug, "name",
					       c[lot[i]].name));
		o = json_pack("{s:s, s:s, s:I, s:o, s:o}", "primary", p.slug,
			      "phase", p.phase, "next_ballot",
			      (json_int_t)seq, "candidates", arr, "grades",
			      json_array());
		for (g = 0; g < p.ngrades; g++)
			json_array_append_new(json_object_get(o, "grades"),
					      json_string(p.grades[g]));
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("primary '%s', phase %s: this credential's ballot "
		       "grades %zu candidates (ballot number %lld)\n",
		       p.slug, p.phase, k, (long long)seq);
		for (i = 0; i < k; i++)
			printf("  %-24s %s\n", c[lot[i]].slug, c[lot[i]].name);
		printf("grades, worst first:");
		for (g = 0; g < p.ngrades; g++)
			printf(" %d=%s%s", g, p.grades[g],
			       g + 1 < p.ngrades ? "," : "\n");
	}
	rc = EXIT_OK;
out:
	free(lot);
	primary_candidates_free(c, nc);
	primary_info_fini(&p);
	db_close(db);
	return rc;
}

static const char *sign_text(char s)
{
	return s == '+' ? "+" : s == '-' ? "\xe2\x88\x92" : "";
}

static int primary_results_cmd(struct cli *cli, int argc, char **argv,
			       int recount)
{
	struct agora_error err = {0};
	struct primary_candidate *c = NULL;
	struct primary_info p = {0};
	struct mj_result *res = NULL;
	uint64_t *live = NULL, *again = NULL;
	size_t nc = 0, nq, i, k, *order = NULL;
	struct agora_db *db;
	json_t *arr, *o, *cnt;
	int rc, g, flag, json, bodies;
	const char *cmd = recount ? "primary recount" : "primary results";
	const char *slug = slug_and_flag(argc, argv,
					 recount ? "bodies" : "json", &flag);

	if (!slug)
		return cli_usage_error(cmd, "give the primary's SLUG%s",
				       recount ? " [--bodies]" : " [--json]");
	json = flag && !recount;
	bodies = flag && recount;
	if ((rc = open_primary(cli, 0, &db)))
		return rc;
	if ((rc = db_begin(db, &err)) ||
	    (rc = primary_get_counts(db, slug, &p, &err)) ||
	    (rc = primary_candidates(db, p.id, &c, &nc, &err)))
		goto fail;
	for (nq = 0; nq < nc && !strcmp(c[nq].status, "qualified"); nq++)
		;
	if ((rc = primary_counts(db, &p, c, nq, 0, &live, &err)))
		goto fail;
	if (recount) {
		if ((rc = primary_counts(db, &p, c, nq, bodies ? 2 : 1, &again,
					 &err)))
			goto fail;
		k = nq * (size_t)p.ngrades;
		for (i = 0; i < k && live[i] == again[i]; i++)
			;
		if (i < k) {
			printf("MISMATCH: candidate '%s', grade '%s': %llu "
			       "counted live, %llu in the stored ballots\n",
			       c[i / (size_t)p.ngrades].slug,
			       p.grades[i % (size_t)p.ngrades],
			       (unsigned long long)live[i],
			       (unsigned long long)again[i]);
			rc = EXIT_CHECK;
		} else {
			printf("recount of primary '%s': %lld counted ballots "
			       "(%lld cast), %zu candidates x %d grades: the "
			       "stored ballots%s give exactly the live "
			       "counters\n",
			       p.slug, (long long)p.voters,
			       (long long)p.ballots, nq, p.ngrades,
			       bodies ? " (their signed bodies)" : "");
			rc = EXIT_OK;
		}
		goto out;
	}
	if (strcmp(p.phase, "closed") && !p.results_public) {
		fprintf(stderr,
			"agora: the results of primary '%s' are hidden until "
			"it closes (phase now: %s)\n",
			p.slug, p.phase);
		rc = EXIT_CHECK;
		goto out;
	}
	res = calloc(nq ? nq : 1, sizeof(*res));
	order = calloc(nq ? nq : 1, sizeof(*order));
	if (!res || !order) {
		rc = agora_errorf(&err, AGORA_ENOMEM, "out of memory");
		goto fail;
	}
	if (nq && (rc = mj_rank(live, nq, p.ngrades, res, order, &err)))
		goto fail;
	if (json) {
		arr = json_array();
		for (i = 0; i < nq; i++) {
			const struct mj_result *r = &res[order[i]];
			char sign[2] = {mj_sign_shown(r, p.ngrades), 0};

			cnt = json_array();
			for (g = 0; g < p.ngrades; g++)
				json_array_append_new(
					cnt, json_integer((json_int_t)live
						[order[i] * (size_t)p.ngrades +
						 (size_t)g]));
			o = json_pack(
				"{s:s, s:s, s:I, s:i, s:s?, s:s, s:I, s:I, "
				"s:I, s:o}",
				"candidate", c[order[i]].slug, "name",
				c[order[i]].name, "rank", (json_int_t)r->rank,
				"majority_grade", r->grade, "mention",
				r->grade >= 0 ? p.grades[r->grade] : NULL,
				"sign", sign, "above", (json_int_t)r->above,
				"below", (json_int_t)r->below, "total",
				(json_int_t)r->total, "counts", cnt);
			json_array_append_new(arr, o);
		}
		o = json_pack("{s:s, s:s, s:I, s:o}", "primary", p.slug,
			      "phase", p.phase, "voters",
			      (json_int_t)p.voters, "results", arr);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("primary '%s' (%s), %lld voters\n", p.slug, p.title,
		       (long long)p.voters);
		for (i = 0; i < nq; i++) {
			const struct mj_result *r = &res[order[i]];

			printf("%3zu. ", r->rank);
			print_padded(c[order[i]].name, 31);
			printf("%s%s\n",
			       r->grade >= 0 ? p.grades[r->grade]
					     : "(no ballot)",
			       sign_text(mj_sign_shown(r, p.ngrades)));
		}
	}
	rc = EXIT_OK;
	goto out;
fail:
	rc = cli_fail(&err);
out:
	free(res);
	free(order);
	free(live);
	free(again);
	primary_candidates_free(c, nc);
	primary_info_fini(&p);
	db_rollback(db);
	db_close(db);
	return rc;
}

static int write_file(void *ctx, const char *p, size_t n)
{
	return fwrite(p, 1, n, ctx) != n;
}

/* The board as JSON Lines; with --out, the file appears once complete */
static int primary_board_cmd(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"from", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	struct agora_error err = {0};
	struct agora_db *db;
	char tmp[4096];
	long long from = 0;
	FILE *f = stdout;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			if ((rc = parse_count("primary board", "--from", optarg,
					      0, INT64_MAX, &from)))
				return rc;
			break;
		default:
			return cli_usage_error("primary board",
					       "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("primary board",
				       "give the primary's SLUG");
	if ((rc = open_primary(cli, 0, &db)))
		return rc;
	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out, (long)getpid());
		f = fopen(tmp, "wx");
		if (!f) {
			fprintf(stderr, "agora: cannot create '%s': %s\n", tmp,
				strerror(errno));
			db_close(db);
			return EXIT_CHECK;
		}
	}
	rc = db_begin(db, &err);
	if (!rc)
		rc = primary_board_write(db, argv[optind], from, write_file, f,
					 &err);
	db_rollback(db);
	db_close(db);
	if (!rc && (fflush(f) || ferror(f)))
		rc = agora_errorf(&err, AGORA_EIO, "cannot write the board");
	if (out) {
		if (!rc && fsync(fileno(f)))
			rc = agora_errorf(&err, AGORA_EIO,
					  "cannot write '%s'", tmp);
		fclose(f);
		if (!rc && rename(tmp, out))
			rc = agora_errorf(&err, AGORA_EIO,
					  "cannot rename '%s'", tmp);
		if (rc)
			unlink(tmp);
	}
	return rc ? cli_fail(&err) : EXIT_OK;
}

/* `agora verify-board FILE`: needs no database and no server */
int cmd_verify_board(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"head", required_argument, NULL, 'H'},
		{"threads", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *head = NULL;
	struct agora_error err = {0};
	struct board_report r;
	long long threads = sysconf(_SC_NPROCESSORS_ONLN);
	json_t *o;
	int ch, rc, fd, json = 0;

	(void)cli;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			head = optarg;
			if (strlen(head) != 64 ||
			    strspn(head, "0123456789abcdef") != 64)
				return cli_usage_error(
					"verify-board",
					"--head is 64 lower-case hex digits");
			break;
		case 't':
			if ((rc = parse_count("verify-board", "--threads",
					      optarg, 1, 64, &threads)))
				return rc;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("verify-board",
					       "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("verify-board", "give the board FILE");
	if (threads < 1)
		threads = 1;
	/* read a block at a time, never whole: a board of 10^6 ballots is
	 * most of a gigabyte */
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "agora: cannot open '%s': %s\n", argv[optind],
			strerror(errno));
		return EXIT_USAGE;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = board_verify_fd(fd, 0, head, (int)threads, &r, &err);
	close(fd);
	if (rc) {
		if (json) {
			o = json_pack("{s:b, s:s}", "ok", 0, "failure",
				      err.msg);
			json_dumpf(o, stdout, JSON_INDENT(2));
			putchar('\n');
			json_decref(o);
		} else {
			printf("FAILED: %s\n", err.msg);
		}
		return rc == AGORA_ECHECK || rc == AGORA_EINVAL ? EXIT_CHECK
							       : cli_fail(&err);
	}
	if (json) {
		o = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:o*}",
			      "ok", 1, "primary", r.primary, "head", r.head,
			      "entries", (json_int_t)r.entries, "credentials",
			      (json_int_t)r.credentials, "ballots",
			      (json_int_t)r.ballots, "voters",
			      (json_int_t)r.voters, "closed", r.closed,
			      "result",
			      r.result ? json_loads(r.result, 0, NULL) : NULL);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("board of primary '%s': OK\n"
		       "  %zu entries, head %s\n"
		       "  %zu credentials published, %zu ballots accepted, "
		       "%zu voters counted (the last ballot of each)\n",
		       r.primary, r.entries, r.head, r.credentials, r.ballots,
		       r.voters);
		if (r.result)
			printf("  the organiser's signed result matches the "
			       "ballots:\n  %s\n",
			       r.result);
		else
			printf("  %s\n", r.closed
						  ? "closed, but no result yet"
						  : "the vote is not closed: no "
						    "result yet");
	}
	board_report_fini(&r);
	return EXIT_OK;
}

static int primary_results_only(struct cli *cli, int argc, char **argv)
{
	return primary_results_cmd(cli, argc, argv, 0);
}

static int primary_recount_cmd(struct cli *cli, int argc, char **argv)
{
	return primary_results_cmd(cli, argc, argv, 1);
}

/* `agora primary SUB ...`: each subcommand gets argv from SUB on */
static const struct {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
} subcommands[] = {
	{"create", primary_create_cmd},
	{"phase", primary_phase_cmd},
	{"schedule", primary_schedule_cmd},
	{"candidate", primary_candidate_cmd},
	{"candidates", primary_candidates_cmd},
	{"credentials", primary_credentials_cmd},
	{"ballot", primary_ballot_cmd},
	{"vote", primary_vote_cmd},
	{"board", primary_board_cmd},
	{"results", primary_results_only},
	{"recount", primary_recount_cmd},
};

int cmd_primary(struct cli *cli, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage_error("primary", "give a subcommand");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(cli, argc - 1, argv + 1);
	return cli_usage_error("primary", "unknown subcommand '%s'", argv[1]);
}
