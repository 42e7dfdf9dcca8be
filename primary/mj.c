/*
 * mj.c - the majority-judgment tally (Balinski & Laraki, "Majority
 * Judgment", MIT Press 2011): majority grade, gauge, iterated tie-break,
 * competition ranks. Pure: counts in, ranking out. Below the tally, in
 * this order: missing judgments filled (mj_fill_missing), Fabre's
 * secondary judgments (mj_secondary_of), why one candidate ranks before
 * another (mj_explain), and the CSV of counts that `agora mj` reads
 * (mj_table_parse). The CSV reader lives here rather than in a file of
 * its own so that primary/meson.build, shared with the primary's
 * lifecycle, is left alone.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Where mj_cmp_voted found the decisive difference, for mj_explain */
struct mj_at {
	int above;	  /* 1 above the middle, 0 below it */
	int ga, gb;	  /* the two candidates' grades there */
	struct frac edge; /* below: the piece's top y; above: its bottom x */
};

/*
 * Compares two candidates with votes: > 0 when a is better, < 0 when b
 * is, 0 for identical merit profiles. One walk over the pieces of [0, 1]
 * on which both candidates' sorted votes are constant (at most 2G), as
 * described at the top of the file. at, unless NULL, receives the
 * decisive piece when there is one.
 */
static int mj_cmp_voted(const struct mj_cand *a, const struct mj_cand *b,
			struct mj_at *at)
{
	struct frac lo = {0, 1}, hi, ea, eb, low_y = {0, 1};
	int ga = next_grade(a, -1), gb = next_grade(b, -1);
	int low = 0; /* result of the closest differing piece below 1/2 */
	int low_ga = 0, low_gb = 0;
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
			low_ga = ga;
			low_gb = gb;
		} else if (ga != gb) {
			/*
			 * The first differing piece that reaches past the
			 * middle, at distance max(0, x - 1/2): it decides
			 * unless the closest one below is at least as close,
			 * 1/2 - y <= x - 1/2, that is x >= 1 - y
			 */
			if (low && frac_cmp(lo, (struct frac){low_y.t - low_y.u,
							      low_y.t}) >= 0)
				break;
			if (at)
				*at = (struct mj_at){1, ga, gb, lo};
			return ga > gb ? 1 : -1;
		}
		if (c <= 0)
			ga = next_grade(a, ga);
		if (c >= 0)
			gb = next_grade(b, gb);
		lo = hi;
	}
	if (at && low)
		*at = (struct mj_at){0, low_ga, low_gb, low_y};
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
		c = mj_cmp_voted(a, b, NULL);
	if (c)
		return -c;
	return (a->index > b->index) - (a->index < b->index);
}

/* 1 when a and b have identical merit profiles (or both no votes) */
static int mj_same(const struct mj_cand *a, const struct mj_cand *b)
{
	if (!a->total || !b->total)
		return !a->total && !b->total;
	return mj_cmp_voted(a, b, NULL) == 0;
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

/* ------------------------------------------------------ missing judgments */

/* A candidate's total, or -1 past 2^64-1 */
static int row_total(const uint64_t *c, int ngrades, uint64_t *total)
{
	uint64_t sum = 0;
	int g;

	for (g = 0; g < ngrades; g++) {
		if (c[g] > UINT64_MAX - sum)
			return -1;
		sum += c[g];
	}
	*total = sum;
	return 0;
}

/*
 * Three passes, so that nothing changes on error: the target total, the
 * checks, then the filling. Filling with the median keeps it the median:
 * k more votes at the lower median m leave below(m) and above(m)
 * unchanged while the total grows, so 2 below < total and 2 above <=
 * total still hold.
 */
int mj_fill_missing(uint64_t *counts, size_t ncandidates, int ngrades,
		    enum mj_missing how, uint64_t judges, int default_grade,
		    size_t *bad, struct agora_error *err)
{
	uint64_t target = judges, t, cum;
	size_t i;
	int g;

	if (ngrades < MJ_GRADES_MIN || ngrades > MJ_GRADES_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "number of grades %d not in %d..%d",
				    ngrades, MJ_GRADES_MIN, MJ_GRADES_MAX);
	if (how == MJ_MISSING_STATIC &&
	    (default_grade < 0 || default_grade >= ngrades))
		return agora_errorf(err, AGORA_EINVAL,
				    "default grade %d not in 0..%d",
				    default_grade, ngrades - 1);
	for (i = 0; i < ncandidates; i++) {
		if (row_total(counts + i * (size_t)ngrades, ngrades, &t)) {
			if (bad)
				*bad = i;
			return agora_errorf(err, AGORA_EINVAL,
					    "total of the counts over 2^64-1");
		}
		if (judges && t > judges) {
			if (bad)
				*bad = i;
			return agora_errorf(err, AGORA_EINVAL,
					    "%" PRIu64 " judgments, more than "
					    "the %" PRIu64 " judges",
					    t, judges);
		}
		if (t > target)
			target = t;
	}
	if (how == MJ_MISSING_NORMALIZE)
		return 0;
	for (i = 0; i < ncandidates; i++) {
		(void)row_total(counts + i * (size_t)ngrades, ngrades, &t);
		if (how == MJ_MISSING_ERROR && t != target) {
			if (bad)
				*bad = i;
			return agora_errorf(
				err, AGORA_EINVAL,
				"%" PRIu64 " judgments where %s has "
				"%" PRIu64,
				t, judges ? "--judges" : "another", target);
		}
		if (how == MJ_MISSING_MEDIAN && !t) {
			if (bad)
				*bad = i;
			return agora_errorf(err, AGORA_EINVAL,
					    "no judgment at all, so no median "
					    "to fill the missing ones with");
		}
	}
	for (i = 0; i < ncandidates; i++) {
		uint64_t *row = counts + i * (size_t)ngrades;

		(void)row_total(row, ngrades, &t);
		if (t == target)
			continue;
		g = default_grade;
		if (how == MJ_MISSING_MEDIAN)
			for (g = 0, cum = row[0]; cum < t - cum;
			     cum += row[++g])
				;
		row[g] += target - t; /* row[g] <= t: stays <= target */
	}
	return 0;
}

/* ---------------------------------------------------- secondary judgments */

/*
 * Fabre's three judgments, from first principles. alpha is the majority
 * grade, p and q the shares strictly above and strictly below it; with
 * the lower median, q < 1/2 and p <= 1/2, and the share at alpha,
 * 1 - p - q, is positive.
 *
 * - typical: alpha + (p - q), the majority grade moved by the lead of the
 *   proponents over the opponents; |p - q| <= 1/2, so it stays within
 *   half a grade of alpha.
 * - usual: spread the voters who gave alpha evenly over the interval
 *   [alpha - 1/2, alpha + 1/2] and take the median of the resulting
 *   continuous distribution, the usual "interpolated median" of grouped
 *   data: the cumulated share at x in that interval is
 *   q + (x - alpha + 1/2)(1 - p - q); it is 1/2 at
 *   x = alpha + (p - q) / (2 (1 - p - q)).
 * - central: alpha + (p / (p + q) - 1/2), the relative share of the
 *   proponents among the voters who are not at the median, centred:
 *   p / (p + q) - 1/2 = (p - q) / (2 (p + q)); alpha when everyone gave
 *   alpha.
 *
 * Each lies in [alpha - 1/2, alpha + 1/2]. Computed from exact integer
 * differences (p - q = (above - below) / total), so that only the final
 * division rounds.
 */
int mj_secondary_of(const struct mj_result *r, struct mj_secondary *s)
{
	uint64_t at, side;
	double d, g;

	*s = (struct mj_secondary){0};
	if (!r->total || r->grade < 0)
		return -1;
	at = r->total - r->above - r->below;
	side = r->above + r->below;
	d = r->above >= r->below ? (double)(r->above - r->below)
				 : -(double)(r->below - r->above);
	g = r->grade;
	s->typical = g + d / (double)r->total;
	s->usual = g + d / (2.0 * (double)at);
	s->central = side ? g + d / (2.0 * (double)side) : g;
	s->at_or_above = (double)(r->total - r->below) / (double)r->total;
	return 0;
}

/* ------------------------------------------------------------ explanation */

/*
 * The decisive piece of mj_cmp_voted, translated: a piece below the
 * middle ends at y, at 1/2 - y from it; a piece above starts at x, at
 * x - 1/2. The gauge's first look is at distance 1/2 - M, M the largest
 * of the four groups; it decides there unless both candidates have M on
 * the same side (then B&L's gauge ties and iterates).
 */
int mj_explain(const uint64_t *a, const uint64_t *b, int ngrades,
	       struct mj_why *why, struct agora_error *err)
{
	struct mj_cand ca, cb;
	struct mj_result ra, rb;
	struct mj_at at = {0};
	struct frac pa, pb, qa, qb, m;
	int ret;

	*why = (struct mj_why){0};
	if (ngrades < MJ_GRADES_MIN || ngrades > MJ_GRADES_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "number of grades %d not in %d..%d",
				    ngrades, MJ_GRADES_MIN, MJ_GRADES_MAX);
	if ((ret = mj_cand_init(&ca, a, 0, ngrades, &ra, err)) ||
	    (ret = mj_cand_init(&cb, b, 1, ngrades, &rb, err)))
		return ret;
	if (!ca.total || !cb.total)
		return agora_errorf(err, AGORA_EINVAL,
				    "candidate %d has no votes",
				    ca.total ? 1 : 0);
	why->cmp = mj_cmp_voted(&ca, &cb, &at);
	if (ca.grade != cb.grade) {
		why->grade_a = ca.grade;
		why->grade_b = cb.grade;
		return 0;
	}
	if (!why->cmp)
		return 0;
	why->above = at.above;
	why->grade_a = at.ga;
	why->grade_b = at.gb;
	if (at.above)
		why->from_middle =
			(double)(at.edge.u - (at.edge.t - at.edge.u)) /
			(2.0 * (double)at.edge.t);
	else
		why->from_middle = (double)(at.edge.t - at.edge.u - at.edge.u) /
				   (2.0 * (double)at.edge.t);
	pa = (struct frac){ra.above, ra.total};
	pb = (struct frac){rb.above, rb.total};
	qa = (struct frac){ra.below, ra.total};
	qb = (struct frac){rb.below, rb.total};
	m = pa;
	if (frac_cmp(pb, m) > 0)
		m = pb;
	if (frac_cmp(qa, m) > 0)
		m = qa;
	if (frac_cmp(qb, m) > 0)
		m = qb;
	if (at.above)
		why->by_gauge =
			frac_cmp(at.edge, (struct frac){m.t - m.u, m.t}) == 0;
	else
		why->by_gauge = frac_cmp(at.edge, m) == 0;
	if ((!frac_cmp(qa, m) && !frac_cmp(qb, m)) ||
	    (!frac_cmp(pa, m) && !frac_cmp(pb, m)))
		why->by_gauge = 0;
	return 0;
}

/* ------------------------------------------------------------ CSV counts */

struct csv {
	const char *p;
	size_t n;
	size_t pos;
	size_t line;
	char delim;
	const char *name;
	struct agora_error *err;
};

/* "NAME:LINE: message", AGORA_EINVAL */
static int csv_errorf(struct csv *c, size_t line, const char *fmt, ...)
	AGORA_PRINTF(3, 4);

static int csv_errorf(struct csv *c, size_t line, const char *fmt, ...)
{
	char msg[sizeof(c->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return agora_errorf(c->err, AGORA_EINVAL, "%s:%zu: %s", c->name, line,
			    msg);
}

static int csv_at_eol(const struct csv *c)
{
	return c->pos >= c->n || c->p[c->pos] == '\n' ||
	       (c->p[c->pos] == '\r' && c->pos + 1 < c->n &&
		c->p[c->pos + 1] == '\n');
}

static void csv_skip_blanks(struct csv *c)
{
	while (c->pos < c->n && (c->p[c->pos] == ' ' || c->p[c->pos] == '\t'))
		c->pos++;
}

/*
 * Reads one field into out (NUL-terminated, at most MJ_LABEL_MAX bytes),
 * trimmed of spaces and tabs, quotes undone. *more is 1 when a delimiter
 * follows, 0 at the end of the line (which is consumed).
 */
static int csv_field(struct csv *c, char out[MJ_LABEL_MAX + 1], int *more)
{
	size_t len = 0, trim = 0;
	int quoted = 0;
	unsigned char ch;

	csv_skip_blanks(c);
	if (c->pos < c->n && c->p[c->pos] == '"') {
		quoted = 1;
		c->pos++;
	}
	for (;;) {
		if (c->pos >= c->n) {
			if (quoted)
				return csv_errorf(c, c->line,
						  "a quoted field is not "
						  "closed");
			break;
		}
		ch = (unsigned char)c->p[c->pos];
		if (quoted && ch == '"') {
			if (c->pos + 1 < c->n && c->p[c->pos + 1] == '"') {
				c->pos++; /* "" is one quote */
			} else {
				c->pos++;
				csv_skip_blanks(c);
				if (!csv_at_eol(c) && c->p[c->pos] != c->delim)
					return csv_errorf(
						c, c->line,
						"text after the closing quote "
						"of a field");
				break;
			}
		} else if (!quoted &&
			   (ch == (unsigned char)c->delim || csv_at_eol(c))) {
			break;
		} else if (!quoted && ch == '"') {
			return csv_errorf(c, c->line,
					  "a quote inside a field that does "
					  "not start with one");
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return csv_errorf(c, c->line,
					  "control character 0x%02x in a field",
					  ch);
		if (len >= MJ_LABEL_MAX)
			return csv_errorf(c, c->line,
					  "a field longer than %d bytes",
					  MJ_LABEL_MAX);
		out[len++] = (char)ch;
		if (quoted || (ch != ' ' && ch != '\t'))
			trim = len;
		c->pos++;
	}
	out[trim] = 0;
	if (memchr(out, '\t', trim))
		return csv_errorf(c, c->line, "a tab inside a field");
	if (c->pos < c->n && c->p[c->pos] == c->delim) {
		c->pos++;
		*more = 1;
		return 0;
	}
	/* end of line: LF or CRLF, or the end of the file */
	if (c->pos < c->n)
		c->pos += c->p[c->pos] == '\r' ? 2 : 1;
	c->line++;
	*more = 0;
	return 0;
}

/* 1 when the line at c->pos has nothing but spaces and tabs */
static int csv_blank_line(const struct csv *c)
{
	size_t i = c->pos;

	while (i < c->n && (c->p[i] == ' ' || c->p[i] == '\t'))
		i++;
	return i >= c->n || c->p[i] == '\n' ||
	       (c->p[i] == '\r' && i + 1 < c->n && c->p[i + 1] == '\n');
}

static void csv_skip_line(struct csv *c)
{
	while (c->pos < c->n && c->p[c->pos] != '\n')
		c->pos++;
	if (c->pos < c->n)
		c->pos++;
	c->line++;
}

/* A count: decimal digits, at most 2^63-1 (INT64_MAX) */
static int csv_count(struct csv *c, size_t line, const char *f, uint64_t *v)
{
	const char *s = f;

	*v = 0;
	if (!*s)
		return csv_errorf(c, line, "an empty count");
	if (*s == '-' && s[1])
		return csv_errorf(c, line, "negative count '%s'", f);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return csv_errorf(
				c, line, "count '%s' is not a whole number", f);
		if (*v > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10)
			return csv_errorf(c, line,
					  "count '%s' above 2^63-1 "
					  "(9223372036854775807)",
					  f);
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	return 0;
}

/* The delimiter: ',' or ';', whichever comes first in the header */
static char csv_delimiter(const char *p, size_t n)
{
	int quoted = 0;
	size_t i;

	for (i = 0; i < n && p[i] != '\n'; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted && (p[i] == ',' || p[i] == ';'))
			return p[i];
	}
	return ',';
}

static int ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;

		if (x != *b)
			return 0;
	}
	return !*a && !*b;
}

static int csv_header(struct csv *c, struct mj_table *t)
{
	char f[MJ_LABEL_MAX + 1];
	int more, i, j, nfields = 0;

	if (csv_field(c, f, &more))
		return -1;
	if (!ascii_caseeq(f, "candidate") && !ascii_caseeq(f, "candidat") &&
	    !ascii_caseeq(f, "candidates") && !ascii_caseeq(f, "candidats"))
		return csv_errorf(c, 1,
				  "the header row must start with 'candidate' "
				  "then name the grades, worst first (found "
				  "'%s')",
				  f);
	while (more) {
		if (csv_field(c, f, &more))
			return -1;
		if (nfields < MJ_GRADES_MAX) {
			if (!*f)
				return csv_errorf(c, 1, "grade %d has no label",
						  nfields + 1);
			t->labels[nfields] = strdup(f);
			if (!t->labels[nfields])
				return agora_errorf(c->err, AGORA_ENOMEM,
						    "out of memory");
		}
		nfields++;
	}
	if (nfields < MJ_GRADES_MIN || nfields > MJ_GRADES_MAX)
		return csv_errorf(c, 1,
				  "%d grade%s in the header, %d to %d needed",
				  nfields, nfields == 1 ? "" : "s",
				  MJ_GRADES_MIN, MJ_GRADES_MAX);
	t->ngrades = nfields;
	for (i = 0; i < nfields; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(t->labels[i], t->labels[j]))
				return csv_errorf(c, 1,
						  "grade '%s' named twice",
						  t->labels[i]);
	return 0;
}

/* Makes room for one more candidate */
static int table_grow(struct mj_table *t, size_t *cap, struct agora_error *err)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (t->ncandidates < *cap)
		return 0;
	if (!(p = realloc(t->names, ncap * sizeof(*t->names))))
		goto oom;
	t->names = p;
	if (!(p = realloc(t->lines, ncap * sizeof(*t->lines))))
		goto oom;
	t->lines = p;
	if (!(p = realloc(t->counts,
			  ncap * (size_t)t->ngrades * sizeof(*t->counts))))
		goto oom;
	t->counts = p;
	*cap = ncap;
	return 0;
oom:
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

static int csv_row(struct csv *c, struct mj_table *t, size_t *cap)
{
	char f[MJ_LABEL_MAX + 1];
	size_t line = c->line, i = t->ncandidates;
	uint64_t *row;
	int more, nfields = 0;

	if (i >= MJ_CANDIDATES_MAX)
		return csv_errorf(c, line, "more than %d candidates",
				  MJ_CANDIDATES_MAX);
	if (table_grow(t, cap, c->err))
		return -1;
	row = t->counts + i * (size_t)t->ngrades;
	if (csv_field(c, f, &more))
		return -1;
	if (!*f)
		return csv_errorf(c, line, "a row without a candidate name");
	if (!(t->names[i] = strdup(f)))
		return agora_errorf(c->err, AGORA_ENOMEM, "out of memory");
	t->lines[i] = line;
	t->ncandidates++;
	while (more) {
		if (csv_field(c, f, &more))
			return -1;
		if (nfields < t->ngrades &&
		    csv_count(c, line, f, &row[nfields]))
			return -1;
		nfields++;
	}
	if (nfields != t->ngrades)
		return csv_errorf(c, line,
				  "candidate '%s' has %d count%s, the header "
				  "names %d grades",
				  t->names[i], nfields, nfields == 1 ? "" : "s",
				  t->ngrades);
	return 0;
}

struct named {
	const char *name;
	size_t index;
};

static int cmp_by_name(const void *pa, const void *pb)
{
	const struct named *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Duplicate names, reported at the earliest second occurrence */
static int csv_duplicates(struct csv *c, const struct mj_table *t)
{
	struct named *v;
	size_t i, dup = 0, first = 0;
	int found = 0;

	if (!(v = malloc(t->ncandidates * sizeof(*v))))
		return agora_errorf(c->err, AGORA_ENOMEM, "out of memory");
	for (i = 0; i < t->ncandidates; i++)
		v[i] = (struct named){t->names[i], i};
	qsort(v, t->ncandidates, sizeof(*v), cmp_by_name);
	for (i = 1; i < t->ncandidates; i++)
		if (!strcmp(v[i - 1].name, v[i].name) &&
		    (!found || v[i].index < dup)) {
			found = 1;
			dup = v[i].index;
			first = v[i - 1].index;
		}
	free(v);
	if (found)
		return csv_errorf(c, t->lines[dup],
				  "candidate '%s' already on line %zu",
				  t->names[dup], t->lines[first]);
	return 0;
}

void mj_table_fini(struct mj_table *t)
{
	size_t i;
	int g;

	for (g = 0; g < MJ_GRADES_MAX; g++)
		free(t->labels[g]);
	for (i = 0; i < t->ncandidates; i++)
		free(t->names[i]);
	free(t->names);
	free(t->counts);
	free(t->lines);
	*t = (struct mj_table){0};
}

int mj_table_parse(struct mj_table *t, const char *p, size_t n,
		   const char *name, struct agora_error *err)
{
	struct agora_error local;
	struct csv c = {p, n, 0, 1, ',', name, err ? err : &local};
	size_t bad, i, line, cap = 0;
	int ret;

	*t = (struct mj_table){0};
	err = c.err;
	if (n > MJ_CSV_MAX_BYTES)
		return agora_errorf(err, AGORA_ETOOBIG,
				    "%s: larger than the limit of %zu bytes",
				    name, MJ_CSV_MAX_BYTES);
	if (!utf8_valid(p, n, &bad)) {
		for (line = 1, i = 0; i < bad; i++)
			line += p[i] == '\n';
		return csv_errorf(&c, line, "not valid UTF-8 (byte %zu%s)",
				  bad + 1, p[bad] ? "" : ", a NUL byte");
	}
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		c.pos = 3;
	c.delim = csv_delimiter(p + c.pos, n - c.pos);
	while (c.pos < n && csv_blank_line(&c))
		csv_skip_line(&c);
	if (c.pos >= n)
		return csv_errorf(&c, c.line,
				  "empty file: expected a header row "
				  "'candidate,<grade>,...'");
	if (c.line != 1)
		return csv_errorf(&c, c.line,
				  "blank lines before the header row");
	ret = csv_header(&c, t);
	while (!ret && c.pos < n) {
		if (csv_blank_line(&c))
			csv_skip_line(&c);
		else
			ret = csv_row(&c, t, &cap);
	}
	if (!ret && !t->ncandidates)
		ret = csv_errorf(&c, c.line, "no candidate after the header");
	if (!ret)
		ret = csv_duplicates(&c, t);
	if (ret) {
		ret = err->code ? err->code : AGORA_EINVAL;
		mj_table_fini(t);
	}
	return ret;
}
