/*
 * test_mj.c - primary/'s majority-judgment tally: hand-checked cases
 * (each comment gives the arithmetic), lots compared on proportions, big
 * counts, errors, and properties checked on random profiles against a
 * naive reference that removes median votes one at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "primary.h"

#define MAXC 64

/* Ranks n candidates of g grades, failing the test on error */
static void rank(const uint64_t *counts, size_t n, int g, struct mj_result *r)
{
	struct agora_error err = {0};
	int ret = mj_rank(counts, n, g, r, NULL, &err);

	if (ret)
		fail_msg("mj_rank: %s", err.msg);
}

/* The ranks of n candidates, as a string "1 1 3" for readable failures */
static const char *ranks(const uint64_t *counts, size_t n, int g)
{
	static char buf[512];
	struct mj_result r[MAXC];
	size_t i, len = 0;

	rank(counts, n, g, r);
	buf[0] = 0;
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%zu",
					i ? " " : "", r[i].rank);
	return buf;
}

static void test_clear_winner(void **state)
{
	/* grades 0..2; A's median is 2, B's 1, C's 0 */
	const uint64_t c[] = {
		1, 1, 5, /* B */
		1, 5, 1, /* A */
		5, 1, 1, /* C */
	};
	struct mj_result r[3];
	size_t order[3];
	struct agora_error err = {0};

	(void)state;
	assert_int_equal(mj_rank(c, 3, 3, r, order, &err), 0);
	assert_int_equal(r[0].rank, 1);
	assert_int_equal(r[1].rank, 2);
	assert_int_equal(r[2].rank, 3);
	assert_int_equal(r[0].grade, 2);
	assert_int_equal(r[1].grade, 1);
	assert_int_equal(r[2].grade, 0);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_int_equal(r[1].total, 7);
	assert_int_equal(r[1].above, 1);
	assert_int_equal(r[1].below, 1);
}

/*
 * In the manner of the usual textbook example (a state choosing its
 * capital; Wikipedia's "Majority judgment"), 100 voters from four cities,
 * 42 % from M at one end, 26 % from N, 15 % from C, 17 % from K, grading
 * each city 0 (poor) .. 4 (excellent) by its distance:
 *   M voters: M 4, N 1, C 1, K 0;  N voters: M 0, N 4, C 3, K 2;
 *   C voters: M 0, N 2, C 4, K 3;  K voters: M 0, N 2, C 3, K 4.
 * M: 58 at 0, 42 at 4: median 0 (58 >= 50 at or below 0).
 * N: 42 at 1, 32 at 2, 26 at 4: cumulated 0, 42, 74: median 2, "2-"
 *    with 42 below and 26 above.
 * C: 42 at 1, 26 + 17 = 43 at 3, 15 at 4: cumulated 0, 42, 42, 85:
 *    median 3, 42 below, 15 above: "3-".
 * K: 42 at 0, 26 at 2, 15 at 3, 17 at 4: cumulated 42, 42, 68: median
 *    2, 42 below, 32 above: "2-".
 * C first (3), then N and K at 2. Their largest groups are equal (42
 * below each), so the gauge alone does not decide and the iteration
 * goes on: sorted, they differ on positions 1..42 (N 1, K 0), 8.5 below
 * the middle 50.5, and first on 69..74 above (N 2, K 3), 18.5 above it:
 * the closer one decides, N wins. (Comparing the groups above, 26
 * against 32, would wrongly put K first.)
 * M last (median 0). Ranks: C 1, N 2, K 3, M 4.
 */
static void test_capital_example(void **state)
{
	const uint64_t c[] = {
		58, 0,	0,  0,	42, /* M */
		0,  42, 32, 0,	26, /* N */
		0,  42, 0,  43, 15, /* C */
		42, 0,	26, 15, 17, /* K */
	};
	struct mj_result r[4];

	(void)state;
	rank(c, 4, 5, r);
	assert_int_equal(r[0].grade, 0);
	assert_int_equal(r[1].grade, 2);
	assert_int_equal(r[2].grade, 3);
	assert_int_equal(r[3].grade, 2);
	assert_int_equal(r[2].below, 42);
	assert_int_equal(r[2].above, 15);
	assert_int_equal(r[2].sign, '-');
	assert_int_equal(r[3].above, 32);
	assert_string_equal(ranks(c, 4, 5), "4 2 1 3");
}

/*
 * The example worked in mj.c: A = {1, 3, 4, 2} of 10 votes, B = {1, 1,
 * 3, 1} of 6 (a lot). Both "2-"; A's 4/10 below is the largest group: B
 * first.
 */
static void test_worked_example_lots(void **state)
{
	const uint64_t c[] = {1, 3, 4, 2, 1, 1, 3, 1};
	struct mj_result r[2];

	(void)state;
	rank(c, 2, 4, r);
	assert_int_equal(r[0].grade, 2);
	assert_int_equal(r[1].grade, 2);
	assert_int_equal(r[0].below, 4);
	assert_int_equal(r[0].above, 2);
	assert_int_equal(r[1].below, 2);
	assert_int_equal(r[1].above, 1);
	assert_int_equal(r[0].rank, 2);
	assert_int_equal(r[1].rank, 1);
}

/*
 * Same majority grade 2 of 0..3, 10 votes each.
 * Above decides: A = {1, 1, 4, 4}: 2 below, 4 above, "2+"; B = {1, 2, 5,
 * 2}: 3 below, 2 above, "2-". Largest group: A's 4 above: A wins.
 * Below decides: A = {3, 1, 5, 1}: 4 below, 1 above; B = {2, 1, 5, 2}: 3
 * below, 2 above. Largest: A's 4 below: A loses.
 * Both "+": A = {1, 1, 3, 5}: 2 below, 5 above; B = {0, 1, 5, 4}: 1
 * below, 4 above: A's 5 above is largest: A wins although it also has
 * more below.
 */
static void test_gauge_both_directions(void **state)
{
	const uint64_t above[] = {1, 1, 4, 4, 1, 2, 5, 2};
	const uint64_t below[] = {3, 1, 5, 1, 2, 1, 5, 2};
	const uint64_t plus[] = {1, 1, 3, 5, 0, 1, 5, 4};
	struct mj_result r[2];

	(void)state;
	rank(above, 2, 4, r);
	assert_int_equal(r[0].sign, '+');
	assert_int_equal(r[1].sign, '-');
	assert_string_equal(ranks(above, 2, 4), "1 2");
	assert_string_equal(ranks(below, 2, 4), "2 1");
	assert_string_equal(ranks(plus, 2, 4), "1 2");
}

/*
 * Equal groups above and below go to below: A = {2, 6, 2}: median 1, 2
 * below, 2 above; B = {1, 8, 1}. Sorted, A and B differ at position 2 (A
 * 0, B 1) and 9 (A 2, B 1), both 3.5 from the middle 5.5; the lower is
 * looked at first: B wins.
 */
static void test_gauge_tie_goes_below(void **state)
{
	const uint64_t c[] = {2, 6, 2, 1, 8, 1};
	struct mj_result r[2];

	(void)state;
	rank(c, 2, 3, r);
	assert_int_equal(r[0].sign, '-');
	assert_int_equal(r[1].sign, '-');
	assert_string_equal(ranks(c, 2, 3), "2 1");
}

/*
 * The gauge ties and the iteration decides: A = {2, 1, 4, 1, 2} and B =
 * {1, 2, 4, 2, 1}, both median 2 with 3 below and 3 above. Sorted: A 0 0
 * 1 2 2 2 2 3 4 4, B 0 1 1 2 2 2 2 3 3 4: they differ at 2 and 9, equally
 * far from 5.5; lower first, B has 1 where A has 0: B wins. A against
 * C = {1, 2, 4, 1, 2}, which differs only below (position 2): C wins;
 * against D = {2, 1, 4, 2, 1}, which differs only above (position 9, A
 * 4, D 3): A wins.
 */
static void test_iterated_gauge(void **state)
{
	const uint64_t ab[] = {2, 1, 4, 1, 2, 1, 2, 4, 2, 1};
	const uint64_t ac[] = {2, 1, 4, 1, 2, 1, 2, 4, 1, 2};
	const uint64_t ad[] = {2, 1, 4, 1, 2, 2, 1, 4, 2, 1};

	(void)state;
	assert_string_equal(ranks(ab, 2, 5), "2 1");
	assert_string_equal(ranks(ac, 2, 5), "2 1");
	assert_string_equal(ranks(ad, 2, 5), "1 2");
}

/*
 * {1, 1, 2} and {2, 2, 4} are the same profile: they share rank 1 (or 2
 * behind a better one), and the next rank skips: 1 2 2 4.
 */
static void test_identical_profiles_share(void **state)
{
	const uint64_t c[] = {
		1, 1, 2, /* 2 */
		0, 0, 1, /* 1 */
		2, 2, 4, /* 2 */
		1, 2, 1, /* 4 */
	};
	const uint64_t two[] = {2, 2, 4, 1, 1, 2};
	size_t order[4];
	struct mj_result r[4];
	struct agora_error err = {0};

	(void)state;
	assert_string_equal(ranks(c, 4, 3), "2 1 2 4");
	assert_string_equal(ranks(two, 2, 3), "1 1");
	/* equal ranks listed by input index */
	assert_int_equal(mj_rank(c, 4, 3, r, order, &err), 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 3);
}

/*
 * Different totals, by proportion: A = {1, 2}: median 1, 1/3 below; B =
 * {2, 3}: median 1, 2/5 below, more: A first, although B has more votes
 * at grade 1. And {1, 3} (3/4 at 1) against {299, 701} (70.1 %): both
 * median 1, below 1/4 against 299/1000: {1, 3} first.
 */
static void test_lots_by_proportion(void **state)
{
	const uint64_t c[] = {1, 2, 2, 3};
	const uint64_t d[] = {299, 701, 1, 3};

	(void)state;
	assert_string_equal(ranks(c, 2, 2), "1 2");
	assert_string_equal(ranks(d, 2, 2), "2 1");
}

static void test_mention_sign(void **state)
{
	/* grades 0..4: "2+" (3 above, 1 below), "2-" (1 above, 3 below),
	 * "2-" (2 and 2), "0+" and "4-" shown without sign */
	const uint64_t c[] = {
		0, 1, 3, 2, 1, /* 7 votes, cum 0 1 4: median 2, +  */
		1, 2, 3, 1, 0, /* cum 1 3 6: median 2, -            */
		1, 1, 3, 1, 1, /* median 2, 2 and 2: -              */
		5, 1, 0, 0, 1, /* median 0, +                       */
		0, 0, 0, 1, 3, /* median 4, -                       */
	};
	struct mj_result r[5];

	(void)state;
	rank(c, 5, 5, r);
	assert_int_equal(r[0].grade, 2);
	assert_int_equal(r[0].sign, '+');
	assert_int_equal(r[1].grade, 2);
	assert_int_equal(r[1].sign, '-');
	assert_int_equal(r[2].sign, '-');
	assert_int_equal(mj_sign_shown(&r[0], 5), '+');
	assert_int_equal(mj_sign_shown(&r[1], 5), '-');
	assert_int_equal(r[3].grade, 0);
	assert_int_equal(r[3].sign, '+');
	assert_int_equal(mj_sign_shown(&r[3], 5), 0);
	assert_int_equal(r[4].grade, 4);
	assert_int_equal(r[4].sign, '-');
	assert_int_equal(mj_sign_shown(&r[4], 5), 0);
	/* among the 2s: "+" first, then the "-" with fewer below */
	assert_string_equal(ranks(c, 5, 5), "2 4 3 5 1");
}

/*
 * An even number of votes takes the lower median: {2, 2} is 0 (2 of 4
 * at or below 0 is half), {0, 2, 2, 0} is 1, {1, 1, 1, 1} is 1, and
 * {1, 1, 1, 2} (5 votes, third) is 2.
 */
static void test_lower_median(void **state)
{
	const uint64_t a[] = {2, 2};
	const uint64_t b[] = {0, 2, 2, 0, 1, 1, 1, 1, 1, 1, 1, 2};
	struct mj_result r[3];

	(void)state;
	rank(a, 1, 2, r);
	assert_int_equal(r[0].grade, 0);
	assert_int_equal(r[0].above, 2);
	assert_int_equal(r[0].below, 0);
	rank(b, 3, 4, r);
	assert_int_equal(r[0].grade, 1);
	assert_int_equal(r[1].grade, 1);
	assert_int_equal(r[2].grade, 2);
	assert_int_equal(r[1].below, 1);
	assert_int_equal(r[1].above, 2);
}

/*
 * Two grades: majority judgment ranks by the share at grade 1, with
 * exactly half at 1 counting as grade 0 (lower median): 3/4 > 2/3 > 1/2
 * (grade 0, "0+") > 1/3 > 0 (no one above: "0-").
 */
static void test_two_grades(void **state)
{
	const uint64_t c[] = {1, 2, 2, 2, 1, 3, 0, 0, 2, 1, 4, 0};
	struct mj_result r[6];

	(void)state;
	rank(c, 6, 2, r);
	assert_int_equal(r[1].grade, 0);
	assert_int_equal(r[1].sign, '+');
	assert_int_equal(r[5].sign, '-');
	assert_int_equal(r[3].grade, -1);
	assert_string_equal(ranks(c, 6, 2), "2 3 1 6 4 5");
}

/*
 * Ten grades, 20 votes each. A: 10 at 5 and 10 at 9: median 5 (10 of 20
 * at or below), 10 above: "5+". B: 11 at 6, 9 at 0: median 6. C: 2 at
 * each grade: cumulated 2, 4, .., 10 at grade 4: median 4. B, A, C.
 */
static void test_ten_grades(void **state)
{
	uint64_t c[30] = {0};
	struct mj_result r[3];
	int g;

	(void)state;
	c[5] = 10;
	c[9] = 10;
	c[10 + 6] = 11;
	c[10 + 0] = 9;
	for (g = 0; g < 10; g++)
		c[20 + g] = 2;
	rank(c, 3, 10, r);
	assert_int_equal(r[0].grade, 5);
	assert_int_equal(r[0].sign, '+');
	assert_int_equal(r[1].grade, 6);
	assert_int_equal(r[2].grade, 4);
	assert_int_equal(r[2].below, 8);
	assert_int_equal(r[2].above, 10);
	assert_string_equal(ranks(c, 3, 10), "2 1 3");
}

static void test_zero_votes_last(void **state)
{
	const uint64_t c[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9};
	const uint64_t z[6] = {0};
	struct mj_result r[4];

	(void)state;
	rank(c, 4, 3, r);
	assert_int_equal(r[0].grade, -1);
	assert_int_equal(r[0].sign, 0);
	assert_int_equal(r[0].total, 0);
	assert_int_equal(mj_sign_shown(&r[0], 3), 0);
	assert_string_equal(ranks(c, 4, 3), "3 2 3 1");
	/* all without votes: all first */
	assert_string_equal(ranks(c, 1, 3), "1");
	assert_string_equal(ranks(z, 2, 3), "1 1");
}

/*
 * Big counts. The Primaire Populaire 2022 had 392,738 voters: two
 * candidates with profiles one vote apart must still be told apart. Near
 * 2^40 and 2^61, proportions that double precision cannot separate:
 * A = {k, k + 1}, B = {k + 1, k + 2}: both median 1, below k / (2k + 1)
 * against (k + 1) / (2k + 3); cross-multiplied 2k^2 + 3k against
 * 2k^2 + 3k + 1: B has more below and loses.
 */
static void test_big_counts(void **state)
{
	const uint64_t pp[] = {
		50000, 60000, 80000, 90000, 70000, 42738,
		50000, 60000, 80000, 90000, 70001, 42737,
	};
	uint64_t c[4];
	uint64_t ks[] = {(uint64_t)1 << 40, ((uint64_t)1 << 40) + 12345,
			 (uint64_t)1 << 61, ((uint64_t)1 << 61) + 7};
	uint64_t half = UINT64_MAX / 2;
	const uint64_t huge[] = {half, half + 1, half + 1, half};
	const uint64_t over[] = {UINT64_MAX, 1};
	struct mj_result r[2];
	struct agora_error err = {0};
	size_t i;

	(void)state;
	rank(pp, 2, 6, r);
	assert_int_equal(r[0].total, 392738);
	/* cum 50000, 110000, 190000 < 196369, 280000: median 3 */
	assert_int_equal(r[0].grade, 3);
	assert_int_equal(r[1].grade, 3);
	/* the second moved one vote from grade 5 to 4: the same median,
	 * the same groups, only the iteration sees position 350001 */
	assert_int_equal(r[0].above, r[1].above);
	assert_string_equal(ranks(pp, 2, 6), "1 2");
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		c[0] = ks[i];
		c[1] = ks[i] + 1;
		c[2] = ks[i] + 1;
		c[3] = ks[i] + 2;
		assert_string_equal(ranks(c, 2, 2), "1 2");
		c[0] = ks[i] * 3; /* the same profiles, scaled apart */
		c[1] = ks[i] * 3 + 3;
		assert_string_equal(ranks(c, 2, 2), "1 2");
	}
	/* totals of 2^64 - 1: {half, half + 1} median 1, below half / max;
	 * {half + 1, half} median 0 */
	rank(huge, 2, 2, r);
	assert_int_equal(r[0].grade, 1);
	assert_int_equal(r[1].grade, 0);
	assert_int_equal(r[0].total, UINT64_MAX);
	assert_string_equal(ranks(huge, 2, 2), "1 2");
	assert_int_equal(mj_rank(over, 1, 2, r, NULL, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "candidate 0"));
}

static void test_errors(void **state)
{
	const uint64_t c[] = {1, 2, 3};
	struct mj_result r[1];
	struct agora_error err = {0};

	(void)state;
	assert_int_equal(mj_rank(c, 1, 1, r, NULL, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "grades"));
	assert_int_equal(mj_rank(c, 1, 11, r, NULL, &err), AGORA_EINVAL);
	assert_int_equal(mj_rank(c, MJ_CANDIDATES_MAX + 1, 3, r, NULL, &err),
			 AGORA_EINVAL);
	assert_int_equal(mj_rank(NULL, 0, 3, NULL, NULL, &err), 0);
}

/* ---------------------------------------------------------- properties */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? rng_state % n : rng_state;
}

/* A random profile of g grades, total 1..maxt, often sparse */
static void random_profile(uint64_t *c, int g, uint64_t maxt)
{
	uint64_t t = 1 + rnd(maxt), left = t;
	int i;

	memset(c, 0, (size_t)g * sizeof(*c));
	while (left) {
		i = (int)rnd((uint64_t)g);
		if (rnd(3) == 0)
			i = (int)rnd((uint64_t)(g + 1) / 2 + 1) % g;
		c[i]++;
		left--;
	}
}

/*
 * The reference: both candidates repeated to Ta * Tb votes, sorted, then
 * the lower median removed one vote at a time from each, the first
 * difference deciding. Quadratic, for small totals only.
 */
static int naive_cmp(const uint64_t *a, const uint64_t *b, int g)
{
	uint64_t ta = 0, tb = 0, n, i, k, m;
	int *va, *vb, gi, ret = 0;

	for (gi = 0; gi < g; gi++) {
		ta += a[gi];
		tb += b[gi];
	}
	n = ta * tb;
	va = malloc(n * sizeof(*va));
	vb = malloc(n * sizeof(*vb));
	assert_non_null(va);
	assert_non_null(vb);
	for (i = 0, gi = 0; gi < g; gi++)
		for (k = 0; k < a[gi] * tb; k++)
			va[i++] = gi;
	for (i = 0, gi = 0; gi < g; gi++)
		for (k = 0; k < b[gi] * ta; k++)
			vb[i++] = gi;
	for (; n; n--) {
		m = (n - 1) / 2; /* lower median, 0-based */
		if (va[m] != vb[m]) {
			ret = va[m] > vb[m] ? 1 : -1;
			break;
		}
		memmove(va + m, va + m + 1, (n - m - 1) * sizeof(*va));
		memmove(vb + m, vb + m + 1, (n - m - 1) * sizeof(*vb));
	}
	free(va);
	free(vb);
	return ret;
}

/* The tally's order of two candidates: 1 when a ranks first */
static int tally_cmp(const uint64_t *a, const uint64_t *b, int g)
{
	uint64_t c[2 * MJ_GRADES_MAX];
	struct mj_result r[2];

	memcpy(c, a, (size_t)g * sizeof(*c));
	memcpy(c + g, b, (size_t)g * sizeof(*c));
	rank(c, 2, g, r);
	return (r[0].rank < r[1].rank) - (r[0].rank > r[1].rank);
}

static void test_against_naive(void **state)
{
	uint64_t a[MJ_GRADES_MAX], b[MJ_GRADES_MAX];
	int iter, i, g, want, got, decided = 0;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		g = 2 + (int)rnd(5);
		random_profile(a, g, 12);
		if (iter % 4 == 0)
			memcpy(b, a, sizeof(a)); /* then perturb slightly */
		else
			random_profile(b, g, 12);
		if (iter % 4 == 0) {
			b[rnd((uint64_t)g)]++;
			if (iter % 8 == 0)
				for (i = 0; i < g; i++)
					b[i] *= 2;
		}
		want = naive_cmp(a, b, g);
		got = tally_cmp(a, b, g);
		if (want != got)
			fail_msg("g %d: naive %d, tally %d", g, want, got);
		decided += want != 0;
	}
	assert_true(decided > 2000);
}

/*
 * For random sets of candidates: permuting the input permutes the
 * ranks; multiplying all counts of a candidate by k changes nothing;
 * ranks are 1 + the number of candidates the pairwise order puts first.
 */
static void test_permutation_and_scaling(void **state)
{
	uint64_t c[MAXC * MJ_GRADES_MAX], p[MAXC * MJ_GRADES_MAX];
	struct mj_result r[MAXC], rp[MAXC];
	size_t perm[MAXC], n, i, j, t, better;
	int iter, g;

	(void)state;
	for (iter = 0; iter < 300; iter++) {
		g = 2 + (int)rnd(9);
		n = 1 + rnd(MAXC);
		for (i = 0; i < n; i++) {
			random_profile(c + i * (size_t)g, g, 1 + rnd(40));
			/* some duplicate profiles, some without votes */
			if (i && rnd(5) == 0)
				memcpy(c + i * (size_t)g,
				       c + rnd(i) * (size_t)g,
				       (size_t)g * sizeof(*c));
			if (rnd(20) == 0)
				memset(c + i * (size_t)g, 0,
				       (size_t)g * sizeof(*c));
		}
		rank(c, n, g, r);
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n; i > 1; i--) {
			j = rnd(i);
			t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		/* p[i] = c[perm[i]], scaled by 1..1000 */
		for (i = 0; i < n; i++) {
			uint64_t k = 1 + rnd(1000);

			for (j = 0; j < (size_t)g; j++)
				p[i * g + j] = c[perm[i] * g + j] * k;
		}
		rank(p, n, g, rp);
		for (i = 0; i < n; i++) {
			assert_int_equal(rp[i].rank, r[perm[i]].rank);
			assert_int_equal(rp[i].grade, r[perm[i]].grade);
			assert_int_equal(rp[i].sign, r[perm[i]].sign);
		}
		for (i = 0; i < n; i++) {
			for (better = 0, j = 0; j < n; j++)
				better += r[j].rank < r[i].rank;
			assert_int_equal(r[i].rank, better + 1);
		}
	}
}

/* ------------------------------------------------ published profiles */

/*
 * Balinski & Laraki's 2012 French presidential experiment (the shares
 * of 737 voters, as published with 4 decimals; here per 10,000, so that
 * the rows total 9,998 to 10,001 and are ranked on proportions), grades
 * To reject, Poor, Fair, Good, Very good, Excellent, Outstanding (0..6).
 * By hand: Hollande cum 1424, 2849, 4328 < 5000 <= 5495: Good, 4505
 * above and 4328 below: "Good+". Bayrou cum .., 4071, 6595: Good, 3406
 * above, 4071 below: "Good-". Sarkozy cum 3175, 3962, 5075: Fair, 4925
 * above, 3962 below: "+"; Melenchon cum 2537, 4043, 5753: Fair, 4248
 * above, 4043 below: "+", smaller largest group: after Sarkozy. At Poor:
 * Dupont-Aignan (3392 below, 4057 above: "+") first, then the "-" by
 * their group below: Joly 3853, Poutou 4573, Le Pen 4763, Arthaud 4993.
 * Cheminade: 5197 at To reject. The published order.
 */
static void test_presidential_2012(void **state)
{
	const uint64_t c[] = {
		1424, 1425, 1479, 1167, 1642, 1615, 1248, /* Hollande */
		869,  1194, 2008, 2524, 2171, 977,  258,  /* Bayrou */
		3175, 787,  1113, 1099, 1628, 1235, 963,  /* Sarkozy */
		2537, 1506, 1710, 1465, 1290, 950,  543,  /* Melenchon */
		3392, 2551, 2022, 1126, 597,  258,  54,	  /* Dupont-Aignan */
		3853, 2469, 1465, 1180, 651,  299,  81,	  /* Joly */
		4573, 2809, 1248, 773,	448,  136,  14,	  /* Poutou */
		4763, 624,  1398, 936,	950,  733,  597,  /* Le Pen */
		4993, 2524, 1316, 651,	380,  136,  0,	  /* Arthaud */
		5197, 2687, 1167, 583,	244,  81,   41,	  /* Cheminade */
	};
	const int grade[] = {3, 3, 2, 2, 1, 1, 1, 1, 1, 0};
	const char sign[] = {'+', '-', '+', '+', '+', '-', '-', '-', '-', 0};
	struct mj_result r[10];
	size_t i;

	(void)state;
	rank(c, 10, 7, r);
	for (i = 0; i < 10; i++) {
		assert_in_range(r[i].total, 9998, 10001);
		assert_int_equal(r[i].grade, grade[i]);
		assert_int_equal(mj_sign_shown(&r[i], 7), sign[i]);
	}
	assert_string_equal(ranks(c, 10, 7), "1 2 3 4 5 6 7 8 9 10");
}

/* ------------------------------------------------- missing judgments */

static void test_fill_static(void **state)
{
	uint64_t c[] = {1, 2, 3, 1, 1, 1, 0, 0, 0};
	uint64_t d[9];
	struct agora_error err = {0};
	size_t bad = 99;

	(void)state;
	memcpy(d, c, sizeof(c));
	/* up to the largest total, 6, with grade 0: B {4, 1, 1}, C {6, 0, 0} */
	assert_int_equal(
		mj_fill_missing(c, 3, 3, MJ_MISSING_STATIC, 0, 0, &bad, &err),
		0);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[3], 4);
	assert_int_equal(c[6], 6);
	assert_int_equal(c[7] + c[8], 0);
	/* up to --judges 10 with grade 2 */
	memcpy(c, d, sizeof(c));
	assert_int_equal(
		mj_fill_missing(c, 3, 3, MJ_MISSING_STATIC, 10, 2, &bad, &err),
		0);
	assert_int_equal(c[2], 7);
	assert_int_equal(c[5], 8);
	assert_int_equal(c[8], 10);
	/* a total over the judges, a bad grade: refused, nothing changed */
	memcpy(c, d, sizeof(c));
	assert_int_equal(
		mj_fill_missing(c, 3, 3, MJ_MISSING_STATIC, 5, 0, &bad, &err),
		AGORA_EINVAL);
	assert_int_equal(bad, 0);
	assert_non_null(strstr(err.msg, "6 judgments, more than the 5"));
	assert_memory_equal(c, d, sizeof(c));
	assert_int_equal(
		mj_fill_missing(c, 3, 3, MJ_MISSING_STATIC, 0, 3, &bad, &err),
		AGORA_EINVAL);
	assert_memory_equal(c, d, sizeof(c));
}

/*
 * Median: A {0, 1, 2, 1} (4 votes, lower median 2: cum 1 < 3, 3 >= 1),
 * B {2, 2, 2, 2} (8, median 1: 4 >= 4). A gets 4 more at 2: {0, 1, 6,
 * 1}, still median 2, 1 below and 1 above. Static at 0 instead would
 * make A {4, 1, 2, 1}: median 0 (4 >= 4) and A would lose to B.
 */
static void test_fill_median(void **state)
{
	uint64_t c[] = {0, 1, 2, 1, 2, 2, 2, 2};
	uint64_t s[8], z[] = {1, 1, 0, 0, 0, 0};
	struct mj_result r[2];
	struct agora_error err = {0};
	size_t bad = 99;

	(void)state;
	memcpy(s, c, sizeof(c));
	assert_int_equal(
		mj_fill_missing(c, 2, 4, MJ_MISSING_MEDIAN, 0, 0, &bad, &err),
		0);
	assert_int_equal(c[2], 6);
	assert_int_equal(c[4] + c[5] + c[6] + c[7], 8);
	rank(c, 2, 4, r);
	assert_int_equal(r[0].grade, 2);
	assert_int_equal(r[0].below, 1);
	assert_int_equal(r[0].above, 1);
	assert_string_equal(ranks(c, 2, 4), "1 2");
	assert_int_equal(
		mj_fill_missing(s, 2, 4, MJ_MISSING_STATIC, 0, 0, &bad, &err),
		0);
	rank(s, 2, 4, r);
	assert_int_equal(r[0].grade, 0);
	assert_string_equal(ranks(s, 2, 4), "2 1");
	/* no judgment, no median: refused, nothing changed */
	assert_int_equal(
		mj_fill_missing(z, 3, 2, MJ_MISSING_MEDIAN, 0, 0, &bad, &err),
		AGORA_EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(z[2] + z[3], 0);
	assert_int_equal(z[4], 0);
}

static void test_fill_error_and_normalize(void **state)
{
	uint64_t eq[] = {1, 2, 3, 3, 2, 1};
	uint64_t ne[] = {1, 2, 3, 3, 2, 0, 1, 1, 1};
	uint64_t big[] = {UINT64_MAX, 1, 1, 1};
	uint64_t copy[9];
	struct agora_error err = {0};
	size_t bad = 99;

	(void)state;
	assert_int_equal(
		mj_fill_missing(eq, 2, 3, MJ_MISSING_ERROR, 0, 0, &bad, &err),
		0);
	assert_int_equal(
		mj_fill_missing(eq, 2, 3, MJ_MISSING_ERROR, 6, 0, &bad, &err),
		0);
	assert_int_equal(
		mj_fill_missing(eq, 2, 3, MJ_MISSING_ERROR, 7, 0, &bad, &err),
		AGORA_EINVAL);
	assert_int_equal(bad, 0);
	assert_non_null(strstr(err.msg, "6 judgments where --judges has 7"));
	bad = 99;
	assert_int_equal(
		mj_fill_missing(ne, 3, 3, MJ_MISSING_ERROR, 0, 0, &bad, &err),
		AGORA_EINVAL);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err.msg, "5 judgments where another has 6"));
	memcpy(copy, ne, sizeof(ne));
	assert_int_equal(mj_fill_missing(ne, 3, 3, MJ_MISSING_NORMALIZE, 0, 0,
					 &bad, &err),
			 0);
	assert_memory_equal(copy, ne, sizeof(ne));
	assert_int_equal(mj_fill_missing(ne, 3, 3, MJ_MISSING_NORMALIZE, 5, 0,
					 &bad, &err),
			 AGORA_EINVAL);
	assert_int_equal(bad, 0);
	assert_int_equal(mj_fill_missing(big, 2, 2, MJ_MISSING_NORMALIZE, 0, 0,
					 &bad, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "2^64-1"));
	assert_int_equal(
		mj_fill_missing(eq, 2, 1, MJ_MISSING_ERROR, 0, 0, &bad, &err),
		AGORA_EINVAL);
}

/* --------------------------------------------------- secondary judgments */

/*
 * An independent computation of the usual judgment: every grade g spread
 * evenly over [g - 1/2, g + 1/2], the point where half the voters are
 * below. The median falls in the majority grade's interval (the lower
 * median's definition), so this is Fabre's interpolated median.
 */
static double interpolated_median(const uint64_t *c, int ng)
{
	double t = 0, cum = 0;
	int g;

	for (g = 0; g < ng; g++)
		t += (double)c[g];
	for (g = 0; g < ng; g++) {
		if (c[g] && cum + (double)c[g] >= t / 2)
			return g - 0.5 + (t / 2 - cum) / (double)c[g];
		cum += (double)c[g];
	}
	return -1;
}

static void test_secondary(void **state)
{
	/* 21 votes, median 4 with 10 below (q = 10/21), 6 above (6/21), 5 at
	 * 4: typical 4 - 4/21, usual 4 - 4/10, central 4 - 4/32, at or
	 * above 11/21 */
	const uint64_t c[] = {1, 2, 3, 4, 5, 6};
	const uint64_t all_mid[] = {0, 5, 0};
	const uint64_t top[] = {0, 0, 3};
	const uint64_t none[] = {0, 0, 0};
	uint64_t rp[MJ_GRADES_MAX];
	struct mj_result r[1];
	struct mj_secondary s;
	int i, g;

	(void)state;
	rank(c, 1, 6, r);
	assert_int_equal(mj_secondary_of(r, &s), 0);
	assert_float_equal(s.typical, 4 - 4.0 / 21, 1e-12);
	assert_float_equal(s.usual, 3.6, 1e-12);
	assert_float_equal(s.central, 3.875, 1e-12);
	assert_float_equal(s.at_or_above, 11.0 / 21, 1e-12);
	assert_float_equal(s.usual, interpolated_median(c, 6), 1e-12);
	rank(all_mid, 1, 3, r);
	assert_int_equal(mj_secondary_of(r, &s), 0);
	assert_float_equal(s.typical, 1, 0);
	assert_float_equal(s.usual, 1, 0);
	assert_float_equal(s.central, 1, 0);
	assert_float_equal(s.at_or_above, 1, 0);
	rank(top, 1, 3, r);
	assert_int_equal(mj_secondary_of(r, &s), 0);
	assert_float_equal(s.central, 2, 0);
	rank(none, 1, 3, r);
	assert_int_equal(mj_secondary_of(r, &s), -1);
	/* on random profiles: within half a grade of the majority grade,
	 * usual = the interpolated median, at_or_above > 1/2 */
	for (i = 0; i < 2000; i++) {
		g = 2 + (int)rnd(9);
		random_profile(rp, g, 1 + rnd(60));
		rank(rp, 1, g, r);
		assert_int_equal(mj_secondary_of(r, &s), 0);
		assert_true(s.typical >= r->grade - 0.5 &&
			    s.typical <= r->grade + 0.5);
		assert_true(s.usual >= r->grade - 0.5 &&
			    s.usual <= r->grade + 0.5);
		assert_true(s.central >= r->grade - 0.5 &&
			    s.central <= r->grade + 0.5);
		assert_true(s.at_or_above > 0.5);
		assert_float_equal(s.usual, interpolated_median(rp, g), 1e-9);
	}
}

/* ---------------------------------------------------------- explanation */

static void why(const uint64_t *a, const uint64_t *b, int g, struct mj_why *w)
{
	struct agora_error err = {0};

	if (mj_explain(a, b, g, w, &err))
		fail_msg("mj_explain: %s", err.msg);
}

static void test_explain(void **state)
{
	/* the capital example: N and K both 2, 42 % below each; they differ
	 * first on (0, .42], .08 below the middle, N 1 and K 0 */
	const uint64_t n[] = {0, 42, 32, 0, 26}, k[] = {42, 0, 26, 15, 17};
	/* the gauge, above: A {1, 1, 4, 4} 40 % above beats B {1, 2, 5, 2}
	 * on (.6, .8]; below: A {3, 1, 5, 1} 40 % below loses to B {2, 1,
	 * 5, 2} on (.3, .4] */
	const uint64_t aa[] = {1, 1, 4, 4}, ab[] = {1, 2, 5, 2};
	const uint64_t ba[] = {3, 1, 5, 1}, bb[] = {2, 1, 5, 2};
	/* equal largest groups on the same side: A {4, 3, 3} and B {4, 4, 2}
	 * both 40 % below; the gauge ties, A wins further out on (.7, .8] */
	const uint64_t ta[] = {4, 3, 3}, tb[] = {4, 4, 2};
	const uint64_t s1[] = {1, 1, 2}, s2[] = {2, 2, 4};
	const uint64_t zero[] = {0, 0, 0}, m[] = {58, 0, 0, 0, 42};
	struct agora_error err = {0};
	struct mj_why w;

	(void)state;
	why(n, k, 5, &w);
	assert_true(w.cmp > 0);
	assert_int_equal(w.by_gauge, 0);
	assert_int_equal(w.above, 0);
	assert_int_equal(w.grade_a, 1);
	assert_int_equal(w.grade_b, 0);
	assert_float_equal(w.from_middle, 0.08, 1e-12);
	why(k, n, 5, &w);
	assert_true(w.cmp < 0);
	assert_int_equal(w.grade_a, 0);

	why(aa, ab, 4, &w);
	assert_true(w.cmp > 0);
	assert_int_equal(w.by_gauge, 1);
	assert_int_equal(w.above, 1);
	assert_int_equal(w.grade_a, 3);
	assert_int_equal(w.grade_b, 2);
	assert_float_equal(w.from_middle, 0.1, 1e-12);
	why(ba, bb, 4, &w);
	assert_true(w.cmp < 0);
	assert_int_equal(w.by_gauge, 1);
	assert_int_equal(w.above, 0);
	assert_int_equal(w.grade_a, 1);
	assert_int_equal(w.grade_b, 2);
	assert_float_equal(w.from_middle, 0.1, 1e-12);

	why(ta, tb, 3, &w);
	assert_true(w.cmp > 0);
	assert_int_equal(w.by_gauge, 0);
	assert_int_equal(w.above, 1);
	assert_float_equal(w.from_middle, 0.2, 1e-12);

	why(s1, s2, 3, &w);
	assert_int_equal(w.cmp, 0);
	why(n, m, 5, &w); /* different majority grades: 2 against 0 */
	assert_true(w.cmp > 0);
	assert_int_equal(w.grade_a, 2);
	assert_int_equal(w.grade_b, 0);
	assert_int_equal(mj_explain(s1, zero, 3, &w, &err), AGORA_EINVAL);
	assert_int_equal(mj_explain(s1, s2, 1, &w, &err), AGORA_EINVAL);
}

/* explain agrees with the ranking on random pairs */
static void test_explain_agrees(void **state)
{
	uint64_t a[MJ_GRADES_MAX], b[MJ_GRADES_MAX];
	struct mj_why w;
	int i, g, want;

	(void)state;
	for (i = 0; i < 3000; i++) {
		g = 2 + (int)rnd(5);
		random_profile(a, g, 12);
		random_profile(b, g, 12);
		if (i % 3 == 0)
			memcpy(b, a, sizeof(a)), b[rnd((uint64_t)g)]++;
		why(a, b, g, &w);
		want = naive_cmp(a, b, g);
		assert_int_equal(w.cmp > 0, want > 0);
		assert_int_equal(w.cmp < 0, want < 0);
		if (w.cmp)
			assert_true(w.grade_a != w.grade_b);
		if (w.cmp && w.grade_a != w.grade_b)
			assert_int_equal(w.grade_a > w.grade_b, w.cmp > 0);
	}
}

/* ---------------------------------------------------------- CSV counts */

static int parse(const char *text, struct mj_table *t, struct agora_error *e)
{
	return mj_table_parse(t, text, strlen(text), "f.csv", e);
}

static void test_table_parse(void **state)
{
	const char *ok =
		"\xef\xbb\xbf"
		"Candidate, Insuffisant ,Passable,\"Très bien\"\r\n"
		"\r\n"
		"Alice,1,2,3\r\n"
		"\"Dupont, \"\"Jean\"\"\" , 0 ,9223372036854775807, 4\n"
		"  \n"
		"Zoé,5,0,0";
	struct mj_table t;
	struct agora_error err = {0};

	(void)state;
	assert_int_equal(parse(ok, &t, &err), 0);
	assert_int_equal(t.ngrades, 3);
	assert_string_equal(t.labels[0], "Insuffisant");
	assert_string_equal(t.labels[2], "Très bien");
	assert_int_equal(t.ncandidates, 3);
	assert_string_equal(t.names[1], "Dupont, \"Jean\"");
	assert_int_equal(t.counts[4], INT64_MAX);
	assert_int_equal(t.counts[5], 4);
	assert_int_equal(t.lines[0], 3);
	assert_int_equal(t.lines[1], 4);
	assert_int_equal(t.lines[2], 6);
	assert_string_equal(t.names[2], "Zoé");
	mj_table_fini(&t);
	/* semicolons, as French spreadsheets write them */
	assert_int_equal(parse("candidat;a;b\nX;1;2\nY;3;4\n", &t, &err), 0);
	assert_int_equal(t.counts[3], 4);
	mj_table_fini(&t);
}

static void test_table_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"", "f.csv:1: empty file"},
		{"\n\n", "f.csv:3: empty file"},
		{"\xef\xbb\xbf", "f.csv:1: empty file"},
		{"candidate,a,b\n", "f.csv:2: no candidate"},
		{"name,a,b\nX,1,2\n", "f.csv:1: the header row must start"},
		{"candidate,a\nX,1\n", "f.csv:1: 1 grade in the header"},
		{"candidate,0,1,2,3,4,5,6,7,8,9,10\n",
		 "f.csv:1: 11 grades in the header"},
		{"candidate,a,,b\n", "f.csv:1: grade 2 has no label"},
		{"candidate,a,a\n", "f.csv:1: grade 'a' named twice"},
		{"candidate,a,b\nX,1,x\n", "f.csv:2: count 'x' is not a whole"},
		{"candidate,a,b\nX,1,1.5\n", "f.csv:2: count '1.5' is not"},
		{"candidate,a,b\nX,1,-3\n", "f.csv:2: negative count '-3'"},
		{"candidate,a,b\nX,1,+3\n", "f.csv:2: count '+3' is not"},
		{"candidate,a,b\nX,1,\n", "f.csv:2: an empty count"},
		{"candidate,a,b\nX,1,9223372036854775808\n",
		 "f.csv:2: count '9223372036854775808' above 2^63-1"},
		{"candidate,a,b\nX,1,99999999999999999999999\n",
		 "above 2^63-1"},
		{"candidate,a,b\nX,1\n", "f.csv:2: candidate 'X' has 1 count,"},
		{"candidate,a,b\nX,1,2,3\n", "f.csv:2: candidate 'X' has 3"},
		{"candidate,a,b\nX\n", "f.csv:2: candidate 'X' has 0 counts"},
		{"candidate,a,b\n,1,2\n", "f.csv:2: a row without a candidate"},
		{"candidate,a,b\nX,1,2\nY,1,2\nX,3,4\n",
		 "f.csv:4: candidate 'X' already on line 2"},
		{"candidate,a,b\nX,1,2\n\xff,1,2\n",
		 "f.csv:3: not valid UTF-8"},
		{"candidate,a,b\nX,1,2\n\xc3(,1,2\n",
		 "f.csv:3: not valid UTF-8"},
		{"candidate,a,b\n\"X,1,2\n", "f.csv:2: control character 0x0a"},
		{"candidate,a,b\n\"X,1,2", "f.csv:2: a quoted field is not"},
		{"candidate,a,b\n\"X\"y,1,2\n", "f.csv:2: text after the"},
		{"candidate,a,b\nX\"y,1,2\n", "f.csv:2: a quote inside"},
		{"candidate,a,b\nX\x1b[31m,1,2\n",
		 "f.csv:2: control character"},
		{"candidate,a,b\nX\r,1,2\n", "f.csv:2: control character 0x0d"},
		{"candidate,a,b\nX\ty,1,2\n", "f.csv:2: a tab inside a field"},
		{"candidate,a,b\n\"X\ty\",1,2\n", "f.csv:2: a tab inside"},
	};
	struct mj_table t;
	struct agora_error err;
	char big[MJ_LABEL_MAX + 40];
	char *huge;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (parse(bad[i].text, &t, &err) != AGORA_EINVAL)
			fail_msg("case %zu accepted", i);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s', wanted '%s'", i, err.msg,
				 bad[i].msg);
		assert_null(t.names);
		assert_null(t.counts);
	}
	/* a NUL byte is not UTF-8 text */
	assert_int_equal(mj_table_parse(&t, "candidate,a,b\nX\0,1,2\n", 20,
					"f.csv", &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "f.csv:2: not valid UTF-8"));
	/* a name over the limit */
	memset(big, 'n', sizeof(big));
	memcpy(big, "candidate,a,b\n", 14);
	memcpy(big + sizeof(big) - 7, ",1,2\n", 6);
	assert_int_equal(parse(big, &t, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "f.csv:2: a field longer than"));
	/* over the size limit: refused before reading */
	huge = calloc(1, MJ_CSV_MAX_BYTES + 2);
	assert_non_null(huge);
	memset(huge, '\n', MJ_CSV_MAX_BYTES + 1);
	assert_int_equal(
		mj_table_parse(&t, huge, MJ_CSV_MAX_BYTES + 1, "f.csv", &err),
		AGORA_ETOOBIG);
	assert_non_null(strstr(err.msg, "larger than the limit"));
	free(huge);
}

/* more than MJ_CANDIDATES_MAX rows is refused at the first one too many */
static void test_table_too_many(void **state)
{
	struct sb s;
	struct mj_table t;
	struct agora_error err = {0};
	int i;

	(void)state;
	sb_init(&s, 0);
	sb_puts(&s, "candidate,a,b\n");
	for (i = 0; i < MJ_CANDIDATES_MAX; i++)
		sb_printf(&s, "c%d,1,2\n", i);
	assert_int_equal(mj_table_parse(&t, s.buf, s.len, "f.csv", &err), 0);
	assert_int_equal(t.ncandidates, MJ_CANDIDATES_MAX);
	mj_table_fini(&t);
	sb_puts(&s, "one more,1,2\n");
	assert_int_equal(mj_table_parse(&t, s.buf, s.len, "f.csv", &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "f.csv:10002: more than 10000"));
	sb_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_winner),
		cmocka_unit_test(test_capital_example),
		cmocka_unit_test(test_worked_example_lots),
		cmocka_unit_test(test_gauge_both_directions),
		cmocka_unit_test(test_gauge_tie_goes_below),
		cmocka_unit_test(test_iterated_gauge),
		cmocka_unit_test(test_identical_profiles_share),
		cmocka_unit_test(test_lots_by_proportion),
		cmocka_unit_test(test_mention_sign),
		cmocka_unit_test(test_lower_median),
		cmocka_unit_test(test_two_grades),
		cmocka_unit_test(test_ten_grades),
		cmocka_unit_test(test_zero_votes_last),
		cmocka_unit_test(test_big_counts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_against_naive),
		cmocka_unit_test(test_permutation_and_scaling),
		cmocka_unit_test(test_presidential_2012),
		cmocka_unit_test(test_fill_static),
		cmocka_unit_test(test_fill_median),
		cmocka_unit_test(test_fill_error_and_normalize),
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_explain_agrees),
		cmocka_unit_test(test_table_parse),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_table_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
