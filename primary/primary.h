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

/* --------------------------------------------- majority judgment, more */

/*
 * What to do with missing judgments, when candidates were not all judged
 * by the same number of voters (a voter skipped a candidate, or each saw
 * a random lot of candidates):
 *   MJ_MISSING_ERROR      refuse unequal totals
 *   MJ_MISSING_STATIC     count each missing judgment as a fixed grade
 *   MJ_MISSING_MEDIAN     count it as the candidate's own majority grade
 *                         (computed on the judgments given), which leaves
 *                         the majority grade unchanged and narrows the
 *                         shares above and below it
 *   MJ_MISSING_NORMALIZE  rank on proportions (mj_rank always does): the
 *                         lot case
 */
enum mj_missing {
	MJ_MISSING_ERROR,
	MJ_MISSING_STATIC,
	MJ_MISSING_MEDIAN,
	MJ_MISSING_NORMALIZE,
};

/*
 * Applies how to counts (ncandidates rows of ngrades, as for mj_rank), in
 * place. judges is the number of voters, or 0 for the largest total:
 * with ERROR every total must equal it, with STATIC and MEDIAN each
 * candidate is filled up to it, and no total may exceed a non-zero
 * judges. default_grade (0..ngrades-1) is STATIC's grade. MEDIAN refuses
 * a candidate without any judgment (it has no median to repeat).
 * Returns 0 or AGORA_EINVAL; when a candidate is at fault, *bad (unless
 * NULL) receives its index and the message says what is wrong with it
 * without naming it. counts are unchanged on error.
 */
int mj_fill_missing(uint64_t *counts, size_t ncandidates, int ngrades,
		    enum mj_missing how, uint64_t judges, int default_grade,
		    size_t *bad, struct agora_error *err) AGORA_WUR;

/*
 * The secondary judgments of Fabre ("Tie-breaking the highest median:
 * alternatives to the majority judgment", Social Choice and Welfare,
 * 2021), for information only: the ranking is mj_rank's. With alpha the
 * majority grade, p the share strictly above it and q strictly below:
 *   typical = alpha + (p - q)
 *   usual   = alpha + (p - q) / (2 (1 - p - q))
 *   central = alpha + (p - q) / (2 (p + q)),  alpha when p + q = 0
 * and at_or_above = 1 - q, the share of voters who gave the majority
 * grade or better (always more than half). mj.c derives them.
 */
struct mj_secondary {
	double typical;
	double usual;
	double central;
	double at_or_above;
};

/* Fills s from r; returns -1 (s zeroed) for a candidate without votes */
int mj_secondary_of(const struct mj_result *r, struct mj_secondary *s);

/*
 * Why one candidate ranks before another, for display. Removing median
 * judgments one at a time from both (on proportions), the first place
 * where they differ decides: `above` says whether it lies above the
 * middle (1) or below it (0), from_middle how far, as a share of the
 * voters, and grade_a, grade_b are the grades each has there. by_gauge
 * is 1 when that place is the first one the majority gauge looks at,
 * the largest of the groups strictly above and strictly below the
 * majority grade; 0 when those groups are equal and the iteration went
 * further out. cmp > 0 when a ranks first, < 0 when b does, 0 for
 * identical merit profiles (the other fields are then 0). With different
 * majority grades, grade_a and grade_b are those and from_middle is 0.
 * Returns AGORA_EINVAL as mj_rank does (bad ngrades, total over 2^64-1,
 * or a candidate without votes).
 */
struct mj_why {
	int cmp;
	int by_gauge;
	int above;
	int grade_a;
	int grade_b;
	double from_middle;
};

int mj_explain(const uint64_t *a, const uint64_t *b, int ngrades,
	       struct mj_why *why, struct agora_error *err) AGORA_WUR;

/*
 * Counts counted elsewhere (paper ballots), read from CSV: a header row
 * "candidate,<grade label>,..." with the grades worst first, then one
 * row per candidate, "name,count,...". Fields are separated by commas
 * (or by semicolons when the header uses them), may be quoted as in RFC
 * 4180, and are trimmed of spaces and tabs; lines end with LF or CRLF;
 * blank lines and a UTF-8 byte order mark are ignored. Counts are
 * decimal digits, at most 2^63-1. Refused, with "NAME:LINE: why": not
 * UTF-8, control characters or tabs inside a field, a header that does
 * not start with "candidate" (or "candidat"), fewer than 2 or more than
 * 10 grades, empty or duplicate labels, a row with more or fewer fields
 * than the header, an empty name, a duplicate candidate, a count that
 * is empty, negative, not a number or above 2^63-1, no candidate at
 * all, more than MJ_CANDIDATES_MAX candidates, more than
 * MJ_CSV_MAX_BYTES.
 */
#define MJ_CSV_MAX_BYTES ((size_t)4 << 20)
#define MJ_LABEL_MAX 200 /* bytes, for grade labels and candidate names */

struct mj_table {
	int ngrades;
	char *labels[MJ_GRADES_MAX];
	size_t ncandidates;
	char **names;
	uint64_t *counts; /* ncandidates rows of ngrades counts */
	size_t *lines;	  /* the line of each candidate's row */
};

/* Parses p[0..n); name is the file name used in messages */
int mj_table_parse(struct mj_table *t, const char *p, size_t n,
		   const char *name, struct agora_error *err) AGORA_WUR;
void mj_table_fini(struct mj_table *t);

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
