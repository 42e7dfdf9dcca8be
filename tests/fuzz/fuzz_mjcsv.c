/*
 * fuzz_mjcsv.c - libFuzzer target for the CSV of majority-judgment
 * counts (`agora mj`). Any bytes: the parser either refuses them with
 * "f.csv:LINE: why" (or the size limit), or returns a table that holds
 * its promises: 2..10 distinct non-empty labels, distinct non-empty
 * names without control characters, counts at most 2^63-1, increasing
 * line numbers. The table written back as quoted CSV parses to the same
 * table; then every way of filling missing judgments either refuses with
 * a reason or gives equal totals, and the tally ranks the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_mjcsv: %s:%d: %s\n", __FILE__,   \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_text(const char *s)
{
	CHECK(*s);
	CHECK(strlen(s) <= MJ_LABEL_MAX);
	for (; *s; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* Writes t back as CSV, every field quoted */
static void write_csv(const struct mj_table *t, struct sb *out)
{
	const char *s;
	size_t i;
	int g;

	sb_puts(out, "candidate");
	for (g = 0; g < t->ngrades; g++) {
		sb_puts(out, ",\"");
		for (s = t->labels[g]; *s; s++)
			sb_puts(out, *s == '"' ? "\"\"" : (char[2]){*s, 0});
		sb_putc(out, '"');
	}
	sb_puts(out, "\r\n");
	for (i = 0; i < t->ncandidates; i++) {
		sb_putc(out, '"');
		for (s = t->names[i]; *s; s++)
			sb_puts(out, *s == '"' ? "\"\"" : (char[2]){*s, 0});
		sb_putc(out, '"');
		for (g = 0; g < t->ngrades; g++)
			sb_printf(out, ",%llu",
				  (unsigned long long)
					  t->counts[i * t->ngrades + g]);
		sb_puts(out, "\n");
	}
}

static void check_tally(const struct mj_table *t, uint8_t knob)
{
	size_t n = t->ncandidates, i, bad;
	int G = t->ngrades, g, ret;
	uint64_t *c = malloc(n * G * sizeof(*c)), total0 = 0, tot;
	struct mj_result *r = malloc(n * sizeof(*r));
	struct agora_error err = {0};
	enum mj_missing how = (enum mj_missing)(knob % 4);

	CHECK(c && r);
	memcpy(c, t->counts, n * G * sizeof(*c));
	ret = mj_fill_missing(c, n, G, how, 0, knob % G, &bad, &err);
	if (ret) {
		CHECK(ret == AGORA_EINVAL && err.msg[0] && bad < n);
		CHECK(!memcmp(c, t->counts, n * G * sizeof(*c)));
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (tot = 0, g = 0; g < G; g++)
			tot += c[i * G + g];
		if (how != MJ_MISSING_NORMALIZE) {
			if (i == 0)
				total0 = tot;
			CHECK(tot == total0);
		}
	}
	CHECK(mj_rank(c, n, G, r, NULL, &err) == 0);
	for (i = 0; i < n; i++)
		CHECK(r[i].rank >= 1 && r[i].rank <= n);
out:
	free(c);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mj_table t, t2;
	struct agora_error err = {0};
	struct sb out;
	size_t i, j;
	int g, h, ret;

	ret = mj_table_parse(&t, (const char *)data, size, "f.csv", &err);
	if (ret) {
		CHECK(ret == AGORA_EINVAL || ret == AGORA_ETOOBIG);
		CHECK(!strncmp(err.msg, "f.csv:", 6));
		CHECK(!t.names && !t.counts && !t.ncandidates);
		return 0;
	}
	CHECK(t.ngrades >= MJ_GRADES_MIN && t.ngrades <= MJ_GRADES_MAX);
	CHECK(t.ncandidates >= 1 && t.ncandidates <= MJ_CANDIDATES_MAX);
	for (g = 0; g < t.ngrades; g++) {
		check_text(t.labels[g]);
		for (h = 0; h < g; h++)
			CHECK(strcmp(t.labels[g], t.labels[h]));
	}
	for (i = 0; i < t.ncandidates; i++) {
		check_text(t.names[i]);
		CHECK(t.lines[i] >= 2);
		if (i)
			CHECK(t.lines[i] > t.lines[i - 1]);
		for (j = 0; j < i && t.ncandidates < 200; j++)
			CHECK(strcmp(t.names[i], t.names[j]));
		for (g = 0; g < t.ngrades; g++)
			CHECK(t.counts[i * t.ngrades + g] <= INT64_MAX);
	}

	sb_init(&out, 0);
	write_csv(&t, &out);
	CHECK(!sb_error(&out));
	if (out.len <= MJ_CSV_MAX_BYTES) {
		ret = mj_table_parse(&t2, out.buf, out.len, "f.csv", &err);
		CHECK(ret == 0);
		CHECK(t2.ngrades == t.ngrades &&
		      t2.ncandidates == t.ncandidates);
		for (g = 0; g < t.ngrades; g++)
			CHECK(!strcmp(t.labels[g], t2.labels[g]));
		for (i = 0; i < t.ncandidates; i++)
			CHECK(!strcmp(t.names[i], t2.names[i]) &&
			      t2.lines[i] == i + 2);
		CHECK(!memcmp(t.counts, t2.counts,
			      t.ncandidates * t.ngrades * sizeof(*t.counts)));
		mj_table_fini(&t2);
	}
	sb_fini(&out);
	check_tally(&t, (uint8_t)(size + (size ? data[size - 1] : 0)));
	mj_table_fini(&t);
	return 0;
}
