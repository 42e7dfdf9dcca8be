/*
 * fuzz_mj.c - libFuzzer target for the majority-judgment tally. The bytes
 * give the number of grades, the number of candidates and the counts
 * (small, medium, near 2^40 or any 64-bit value, so that totals can
 * overflow); the tally must succeed exactly when every total fits in 64
 * bits, and its result must hold: ranks are competition ranks in 1..N,
 * a better majority grade ranks strictly first, candidates without votes
 * rank last, identical merit profiles (equal proportions) and only they
 * share a rank, grades and shares match the lower median, and for small
 * totals neighbours in the ranking agree with the naive rule (remove the
 * median vote one at a time on profiles repeated to a common total).
 * mj_explain must agree with the order of neighbours, and Fabre's
 * secondary judgments must stay within half a grade of the majority
 * grade.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__extension__ typedef unsigned __int128 u128;

#define MAX_CANDIDATES 32
#define NAIVE_MAX_TOTAL 24

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_mj: %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t next_byte(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

/* One count: the top two bits of the first byte choose its size */
static uint64_t next_count(struct reader *r)
{
	uint8_t b = next_byte(r);
	uint64_t v = b & 63;
	int i;

	switch (b >> 6) {
	case 0:
		return v;
	case 1:
		return v << 8 | next_byte(r);
	case 2:
		return (v << 40) + next_byte(r);
	default:
		for (v = 0, i = 0; i < 8; i++)
			v = v << 8 | next_byte(r);
		return v;
	}
}

/* Naive reference for small totals: 1 when a is better, as in mj.c */
static int naive_cmp(const uint64_t *a, const uint64_t *b, int g)
{
	static int va[NAIVE_MAX_TOTAL * NAIVE_MAX_TOTAL];
	static int vb[NAIVE_MAX_TOTAL * NAIVE_MAX_TOTAL];
	uint64_t ta = 0, tb = 0, n, i, k, m;
	int gi;

	for (gi = 0; gi < g; gi++) {
		ta += a[gi];
		tb += b[gi];
	}
	n = ta * tb;
	for (i = 0, gi = 0; gi < g; gi++)
		for (k = 0; k < a[gi] * tb; k++)
			va[i++] = gi;
	for (i = 0, gi = 0; gi < g; gi++)
		for (k = 0; k < b[gi] * ta; k++)
			vb[i++] = gi;
	for (; n; n--) {
		m = (n - 1) / 2;
		if (va[m] != vb[m])
			return va[m] > vb[m] ? 1 : -1;
		memmove(va + m, va + m + 1, (n - m - 1) * sizeof(*va));
		memmove(vb + m, vb + m + 1, (n - m - 1) * sizeof(*vb));
	}
	return 0;
}

/* 1 when a and b have the same proportion at every grade (or no votes) */
static int same_profile(const uint64_t *a, const uint64_t *b, int g,
			uint64_t ta, uint64_t tb)
{
	int i;

	if (!ta || !tb)
		return !ta && !tb;
	for (i = 0; i < g; i++)
		if ((u128)a[i] * tb != (u128)b[i] * ta)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t counts[MAX_CANDIDATES * MJ_GRADES_MAX];
	uint64_t totals[MAX_CANDIDATES];
	struct mj_result res[MAX_CANDIDATES];
	size_t order[MAX_CANDIDATES], seen[MAX_CANDIDATES];
	struct reader rd = {data, size};
	struct agora_error err = {0};
	int g, k, overflow = 0, ret;
	size_t n, i, j, better;

	g = MJ_GRADES_MIN + next_byte(&rd) % (MJ_GRADES_MAX - 1);
	n = 1 + next_byte(&rd) % MAX_CANDIDATES;
	for (i = 0; i < n; i++) {
		u128 t = 0;

		for (k = 0; k < g; k++) {
			counts[i * g + k] = next_count(&rd);
			t += counts[i * g + k];
		}
		overflow |= t > UINT64_MAX;
		totals[i] = (uint64_t)t;
	}
	ret = mj_rank(counts, n, g, res, order, &err);
	if (overflow) {
		CHECK(ret == AGORA_EINVAL && err.msg[0]);
		return 0;
	}
	CHECK(ret == 0);

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		const struct mj_result *r = &res[i];
		const uint64_t *c = counts + i * g;
		uint64_t cum = 0;

		CHECK(r->rank >= 1 && r->rank <= n);
		CHECK(r->total == totals[i]);
		CHECK(order[i] < n && !seen[order[i]]);
		seen[order[i]] = 1;
		if (!r->total) {
			CHECK(r->grade == -1 && !r->sign && !r->above &&
			      !r->below);
			continue;
		}
		CHECK(r->grade >= 0 && r->grade < g);
		for (k = 0; k < r->grade; k++)
			cum += c[k];
		CHECK(r->below == cum);
		CHECK(r->above == r->total - cum - c[r->grade]);
		/* lower median: less than half below, at most half above */
		CHECK((u128)r->below * 2 < r->total);
		CHECK((u128)r->above * 2 <= r->total);
		CHECK(r->sign == (r->above > r->below ? '+' : '-'));
	}

	for (i = 0; i < n; i++) {
		for (better = 0, j = 0; j < n; j++) {
			const struct mj_result *a = &res[i], *b = &res[j];
			int same = same_profile(counts + i * g, counts + j * g,
						g, totals[i], totals[j]);

			better += b->rank < a->rank;
			CHECK(same == (a->rank == b->rank));
			if (a->total && !b->total)
				CHECK(a->rank < b->rank);
			if (a->total && b->total && a->grade > b->grade)
				CHECK(a->rank < b->rank);
		}
		CHECK(res[i].rank == better + 1);
	}

	for (i = 1; i < n; i++) {
		const struct mj_result *a = &res[order[i - 1]];
		const struct mj_result *b = &res[order[i]];
		int want;

		CHECK(a->rank <= b->rank);
		if (a->rank == b->rank)
			CHECK(order[i - 1] < order[i]);
		if (!a->total || !b->total || a->total > NAIVE_MAX_TOTAL ||
		    b->total > NAIVE_MAX_TOTAL)
			continue;
		want = naive_cmp(counts + order[i - 1] * g,
				 counts + order[i] * g, g);
		CHECK(want == (a->rank < b->rank));
	}

	/* mj_explain agrees with the order of neighbours */
	for (i = 1; i < n; i++) {
		const struct mj_result *a = &res[order[i - 1]];
		const struct mj_result *b = &res[order[i]];
		struct mj_why w;

		if (!a->total || !b->total)
			continue;
		CHECK(mj_explain(counts + order[i - 1] * g,
				 counts + order[i] * g, g, &w, &err) == 0);
		CHECK(w.cmp >= 0);
		CHECK((w.cmp > 0) == (a->rank < b->rank));
		if (w.cmp)
			CHECK(w.grade_a > w.grade_b);
		if (a->grade != b->grade)
			CHECK(w.grade_a == a->grade && w.grade_b == b->grade &&
			      !w.by_gauge);
		CHECK(w.from_middle >= 0 && w.from_middle <= 0.5 + 1e-9);
	}

	/* the secondary judgments stay within half a grade */
	for (i = 0; i < n; i++) {
		const struct mj_result *r = &res[i];
		struct mj_secondary s;

		if (mj_secondary_of(r, &s)) {
			CHECK(!r->total);
			continue;
		}
		CHECK(s.typical >= r->grade - 0.5 - 1e-9 &&
		      s.typical <= r->grade + 0.5 + 1e-9);
		CHECK(s.usual >= r->grade - 0.5 - 1e-9 &&
		      s.usual <= r->grade + 0.5 + 1e-9);
		CHECK(s.central >= r->grade - 0.5 - 1e-9 &&
		      s.central <= r->grade + 0.5 + 1e-9);
		CHECK(s.at_or_above >= 0.5 && s.at_or_above <= 1);
	}
	return 0;
}
