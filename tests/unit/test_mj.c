/*
 * test_mj.c - primary/'s majority-judgment tally: hand-checked cases
 * (each comment gives the arithmetic), lots compared on proportions, big
 * counts, errors, and properties checked on random profiles against a
 * naive reference that removes median votes one at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

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
		58, 0, 0, 0, 42,  /* M */
		0, 42, 32, 0, 26, /* N */
		0, 42, 0, 43, 15, /* C */
		42, 0, 26, 15, 17, /* K */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
