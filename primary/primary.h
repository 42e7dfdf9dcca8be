/*
 * primary.h - the one public header of agora's citizen primary. For now:
 * the majority-judgment tally, pure code (counts in, ranking out) with no
 * database, so that it can be tested and fuzzed on its own.
 *
 * primary/ depends on core/ only.
 */
#ifndef AGORA_PRIMARY_H
#define AGORA_PRIMARY_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* ------------------------------------------------- majority judgment */

#define MJ_GRADES_MIN 2
#define MJ_GRADES_MAX 10
#define MJ_CANDIDATES_MAX 10000

/*
 * The tally of one candidate. Grades are indices 0..G-1, worst first.
 *
 * Majority grade: the LOWER median (Balinski & Laraki's "lower
 * middlemost" for an even number of votes, DESIGN.md): with n votes
 * sorted worst to best, the grade of the ceil(n/2)-th; equivalently the
 * lowest grade g such that at least half of the votes are <= g, or the
 * highest grade g such that strictly more than half are >= g. Votes
 * {0, 0, 1, 1} have majority grade 0, not 1.
 *
 * above and below count the votes strictly above and strictly below the
 * majority grade; the shares are the exact fractions above / total and
 * below / total. By the lower-median rule 2 * below < total and
 * 2 * above <= total.
 *
 * sign is the majority gauge's sign: '+' when strictly more votes are
 * above the majority grade than below, '-' otherwise (ties go to '-',
 * because the lower side of the median is looked at first). Issue 5 shows
 * no sign at the extreme grades: mj_sign_shown() applies that rule.
 *
 * rank is the competition rank (1, 1, 3): 1 + the number of candidates
 * strictly better. Candidates with identical merit profiles (the same
 * proportion of votes at every grade, whatever their totals) share a
 * rank; candidates with no votes rank last, together, with grade -1, no
 * sign and above = below = total = 0.
 */
struct mj_result {
	size_t rank;
	int grade;
	char sign;
	uint64_t total;
	uint64_t above;
	uint64_t below;
};

/*
 * Ranks ncandidates candidates by majority judgment with the iterated
 * majority gauge, on proportions, so that candidates graded by different
 * numbers of voters (random lots) compare fairly; exact integer
 * arithmetic, no floating point. mj.c documents the rule with a worked
 * example.
 *
 * counts holds ncandidates rows of ngrades counts, worst grade first:
 * counts[i * ngrades + g] is the number of votes giving grade g to
 * candidate i. out receives one result per candidate, in input order.
 * order, unless NULL, receives the candidate indices best first; equal
 * ranks are listed by increasing index.
 *
 * Returns 0, AGORA_EINVAL when ngrades is outside 2..10, there are more
 * than MJ_CANDIDATES_MAX candidates or a candidate's total does not fit
 * in 64 bits, or AGORA_ENOMEM. On error out and order are unspecified.
 */
int mj_rank(const uint64_t *counts, size_t ncandidates, int ngrades,
	    struct mj_result *out, size_t *order,
	    struct agora_error *err) AGORA_WUR;

/*
 * The sign to display after the mention: the gauge's sign, except none
 * (0) at the worst and the best grade, where it says nothing useful
 * ("Très bien -" would only mean that nobody can be above it).
 */
static inline char mj_sign_shown(const struct mj_result *r, int ngrades)
{
	if (r->grade <= 0 || r->grade >= ngrades - 1)
		return 0;
	return r->sign;
}

#endif
