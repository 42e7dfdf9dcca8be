/*
 * mj.c - the majority-judgment tally (Balinski & Laraki, "Majority
 * Judgment", MIT Press 2011): majority grade, gauge, iterated tie-break,
 * competition ranks. Pure: counts in, ranking out.
 *
 * THE RULE. Sort a candidate's n votes worst to best. The majority grade
 * is the lower median, the vote at position ceil(n/2) (DESIGN.md). If two
 * candidates have the same majority grade, remove one median vote from
 * each and compare the new majority grades, and so on: the "majority
 * value" is the sequence of grades removed, and candidates are ordered by
 * it lexicographically. Removing the lower median again and again visits
 * the sorted positions from the middle outwards, at each distance the
 * lower position before the upper one (n = 6: 3, 4, 2, 5, 1, 6; n = 5:
 * 3, 2, 4, 1, 5). So between two candidates with the same number of
 * votes, the decisive position is the one closest to the middle where
 * their sorted votes differ, the lower one on a tie of distances; the
 * candidate with the better grade there wins. Identical sorted votes
 * (identical merit profiles) tie.
 *
 * The majority gauge is the first step of this: with the same majority
 * grade, look at the largest of the four groups strictly above and
 * strictly below the median. If it is a group below (ties between an
 * above group and a below group go to below, the lower side being looked
 * at first), its candidate loses; if it is a group above, its candidate
 * wins. When the two candidates have that group equal, the comparison
 * goes on outwards, which is the "iterated" gauge.
 *
 * PROPORTIONS. Candidates judged by different numbers of voters are
 * compared as if each had been judged by the same number: candidate A
 * (total Ta) has each vote counted Tb times and B each Ta times, so both
 * have Ta * Tb votes. The ordering above does not change when every vote
 * is repeated k times (a repeated vote only widens its block of positions
 * around the same place), so this is the comparison of proportions, and
 * it depends only on them: {1, 1, 2} and {2, 2, 4} tie. On the scale
 * [0, 1] the sorted votes of a candidate are a step function, grade g on
 * (cum(g-1)/T, cum(g)/T]. Cut [0, 1] at every step of both candidates;
 * where the grades differ on a piece (x, y]: a piece with y <= 1/2 is at
 * distance 1/2 - y below the middle, a piece with x >= 1/2 at distance
 * x - 1/2 above, and a piece around 1/2 at distance 0. The closest
 * differing piece decides, the lower one on equal distances (a piece at
 * discrete positions (x, y] is at discrete distance L/2 - y + 1/2 or
 * x - L/2 + 1/2 from the middle (L + 1)/2, the same half added on both
 * sides). Every comparison of two fractions u/T and v/T' is made as
 * u * T' against v * T in 128-bit integers: with 64-bit numerators and
 * denominators the products cannot overflow.
 *
 * WORKED EXAMPLE, four grades 0..3, A = {1, 3, 4, 2} (10 votes), B =
 * {1, 1, 3, 1} (6 votes, a lot). A: cumulated 1, 4, 8, 10; 4 < 10/2 <= 8
 * so the majority grade is 2, with 4/10 below and 2/10 above: "2-". B:
 * cumulated 1, 2, 5, 6, majority grade 2, 2/6 below and 1/6 above: "2-".
 * Gauge: the largest of 4/10, 2/10, 2/6, 1/6 is A's group below: A loses.
 * Step by step: A is 0 on (0, .1], 1 on (.1, .4], 2 on (.4, .8], 3 above;
 * B is 0 on (0, 1/6], 1 on (1/6, 1/3], 2 on (1/3, 5/6], 3 above. They
 * differ on (.1, 1/6] and (1/3, .4] below the middle, and on (.8, 5/6]
 * above. The closest is (1/3, .4], at .1 from 1/2 (against .3 for the
 * piece above), where A has 1 and B has 2: B ranks first. On 30 votes
 * each (A x3: {3, 9, 12, 6}, B x5: {5, 5, 15, 5}), removing medians
 * visits positions 15, 16, 14, 17, 13, 18, 12: at 12 A has grade 1 and B
 * grade 2, the same answer.
 */
#include <stdlib.h>

#include "primary.h"

__extension__ typedef unsigned __int128 u128;

struct mj_cand {
	const uint64_t *counts;
	uint64_t cum[MJ_GRADES_MAX]; /* votes at or below each grade */
	uint64_t total;
	size_t index;
	int ngrades;
	int grade; /* -1 without votes */
};

/* A fraction u/t of a candidate's votes, t > 0, u <= t */
struct frac {
	uint64_t u;
	uint64_t t;
};

/* The sign of a - b, exactly, by cross-multiplication */
static int frac_cmp(struct frac a, struct frac b)
{
	u128 l = (u128)a.u * b.t, r = (u128)b.u * a.t;

	return (l > r) - (l < r);
}

/* The sign of a - 1/2, without doubling (u could be UINT64_MAX) */
static int frac_cmp_half(struct frac a)
{
	uint64_t rest = a.t - a.u;

	return (a.u > rest) - (a.u < rest);
}

/* The next grade after g that has votes, or ngrades */
static int next_grade(const struct mj_cand *c, int g)
{
	for (g++; g < c->ngrades && !c->counts[g]; g++)
		;
	return g;
}

/*
 * Compares two candidates with votes: > 0 when a is better, < 0 when b
 * is, 0 for identical merit profiles. One walk over the pieces of [0, 1]
 * on which both candidates' sorted votes are constant (at most 2G), as
 * described at the top of the file.
 */
static int mj_cmp_voted(const struct mj_cand *a, const struct mj_cand *b)
{
	struct frac lo = {0, 1}, hi, ea, eb, low_y = {0, 1};
	int ga = next_grade(a, -1), gb = next_grade(b, -1);
	int low = 0; /* result of the closest differing piece below 1/2 */
	int c;

	if (a->grade != b->grade)
		return a->grade > b->grade ? 1 : -1;
	while (ga < a->ngrades && gb < b->ngrades) {
		ea = (struct frac){a->cum[ga], a->total};
		eb = (struct frac){b->cum[gb], b->total};
		c = frac_cmp(ea, eb);
		hi = c <= 0 ? ea : eb;
		if (ga != gb && frac_cmp_half(hi) <= 0) {
			/* below the middle: the last one seen is closest */
			low = ga > gb ? 1 : -1;
			low_y = hi;
		} else if (ga != gb) {
			/*
			 * The first differing piece that reaches past the
			 * middle, at distance max(0, x - 1/2): it decides
			 * unless the closest one below is at least as close,
			 * 1/2 - y <= x - 1/2, that is x >= 1 - y
			 */
			if (low && frac_cmp(lo, (struct frac){low_y.t - low_y.u,
							      low_y.t}) >= 0)
				return low;
			return ga > gb ? 1 : -1;
		}
		if (c <= 0)
			ga = next_grade(a, ga);
		if (c >= 0)
			gb = next_grade(b, gb);
		lo = hi;
	}
	return low;
}

/*
 * qsort's order: better first, candidates without votes last, then by
 * input index, so that the order is total and the same on every libc
 */
static int mj_qsort_cmp(const void *pa, const void *pb)
{
	const struct mj_cand *a = pa, *b = pb;
	int c;

	if (!a->total || !b->total)
		c = (a->total != 0) - (b->total != 0);
	else
		c = mj_cmp_voted(a, b);
	if (c)
		return -c;
	return (a->index > b->index) - (a->index < b->index);
}

/* 1 when a and b have identical merit profiles (or both no votes) */
static int mj_same(const struct mj_cand *a, const struct mj_cand *b)
{
	if (!a->total || !b->total)
		return !a->total && !b->total;
	return mj_cmp_voted(a, b) == 0;
}

/*
 * Fills c from its counts: totals, cumulated counts, majority grade (the
 * lowest g with cum(g) >= total - cum(g), that is at least half the votes
 * at or below g) and r's shares and sign.
 */
static int mj_cand_init(struct mj_cand *c, const uint64_t *counts, size_t index,
			int ngrades, struct mj_result *r,
			struct agora_error *err)
{
	uint64_t sum = 0;
	int g;

	c->counts = counts;
	c->index = index;
	c->ngrades = ngrades;
	c->grade = -1;
	for (g = 0; g < ngrades; g++) {
		if (counts[g] > UINT64_MAX - sum)
			return agora_errorf(err, AGORA_EINVAL,
					    "candidate %zu: total of the "
					    "counts over 2^64-1",
					    index);
		sum += counts[g];
		c->cum[g] = sum;
	}
	c->total = sum;
	*r = (struct mj_result){.grade = -1, .total = sum};
	if (!sum)
		return 0;
	for (g = 0; c->cum[g] < sum - c->cum[g]; g++)
		;
	c->grade = g;
	r->grade = g;
	r->below = g ? c->cum[g - 1] : 0;
	r->above = sum - c->cum[g];
	r->sign = r->above > r->below ? '+' : '-';
	return 0;
}

/*
 * Computes every candidate's grade and shares, sorts a copy of the
 * candidates by merit (O(N log N) comparisons of O(G) each), then gives
 * competition ranks walking the sorted list.
 */
int mj_rank(const uint64_t *counts, size_t ncandidates, int ngrades,
	    struct mj_result *out, size_t *order, struct agora_error *err)
{
	struct mj_cand *cands;
	size_t i;
	int ret = 0;

	if (ngrades < MJ_GRADES_MIN || ngrades > MJ_GRADES_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "number of grades %d not in %d..%d",
				    ngrades, MJ_GRADES_MIN, MJ_GRADES_MAX);
	if (ncandidates > MJ_CANDIDATES_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "%zu candidates, more than %d", ncandidates,
				    MJ_CANDIDATES_MAX);
	if (!ncandidates)
		return 0;
	cands = calloc(ncandidates, sizeof(*cands));
	if (!cands)
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot allocate %zu candidates",
				    ncandidates);
	for (i = 0; i < ncandidates; i++) {
		ret = mj_cand_init(&cands[i], counts + i * (size_t)ngrades, i,
				   ngrades, &out[i], err);
		if (ret)
			goto out;
	}
	qsort(cands, ncandidates, sizeof(*cands), mj_qsort_cmp);
	for (i = 0; i < ncandidates; i++) {
		struct mj_result *r = &out[cands[i].index];

		if (i && mj_same(&cands[i - 1], &cands[i]))
			r->rank = out[cands[i - 1].index].rank;
		else
			r->rank = i + 1;
		if (order)
			order[i] = cands[i].index;
	}
out:
	free(cands);
	return ret;
}
