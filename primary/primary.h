/*
 * primary.h - the one public header of agora's citizen primary: the
 * majority-judgment tally, pure code (counts in, ranking out) with no
 * database, so that it can be tested and fuzzed on its own; then the
 * primary itself (phases, candidates, credentials, signed ballots).
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

/* --------------------------------------------------------- the primary */

/*
 * The lifecycle of an open citizen primary (primary.c): declaration ->
 * support -> vote -> closed, forward only, each change dated. Candidates
 * registered by the organiser are qualified at once (a closed list);
 * declared ones qualify by supports when voting opens, and the list is
 * frozen then.
 *
 * Voters hold credentials: a private code (primary_code_new) from which
 * an Ed25519 key pair is derived; the database stores only public keys,
 * never who received which. A ballot is a canonical JSON object signed
 * with the credential's key; the newest ballot of a credential is the
 * counted one (a unique index holds it); the receipt is the SHA-256 of
 * the body and the signature.
 */

#define PRIMARY_PHASES "declaration, support, vote, closed"
#define PRIMARY_CODE_SYMBOLS 28 /* 27 random base-32 symbols + a check */
#define PRIMARY_CODE_SIZE 40	/* "XXXX-XXXX-..." with its NUL */
#define PRIMARY_DEFAULT_GRADES \
	"À rejeter,Insuffisant,Passable,Assez bien,Bien,Très bien"
#define PRIMARY_BALLOT_MAX 65536 /* bytes of a ballot's JSON body */
#define PRIMARY_LOT_MAX 1000	  /* candidates on a ballot's lot */

struct primary_config {
	const char *slug, *title;
	const char *grades; /* comma-separated labels, worst first; or NULL */
	int64_t support_threshold;
	int max_supports;
	int lot_size; /* 0: every qualified candidate on every ballot */
	int allow_blank;
	int results_public;
	int open_mode; /* verified citizens get a credential on the web */
};

struct primary_info {
	int64_t id;
	char *slug, *title, *phase;
	char *grades[MJ_GRADES_MAX];
	int ngrades;
	int64_t support_threshold;
	int max_supports, lot_size, allow_blank, results_public;
	int64_t credentials, voters, ballots;
};

struct primary_candidate {
	int64_t id, supports;
	char *slug, *name, *status, *registered_by;
};

/* One primary as the home page lists it */
struct primary_summary {
	char *slug, *title, *phase;
};

struct primary_grade {
	const char *candidate; /* slug */
	int grade;	       /* 0 = worst */
};

int primary_db_prepare(struct agora_db *db, struct agora_error *err);

int primary_create(struct agora_db *db, const struct primary_config *c,
		   struct agora_error *err) AGORA_WUR;
/*
 * The primary's settings. Its counts (credentials, voters, ballots) are
 * 0; primary_get_counts fills them from the counters the database's
 * triggers keep (one row: no scan, whatever the number of ballots).
 */
int primary_get(struct agora_db *db, const char *slug, struct primary_info *p,
		struct agora_error *err) AGORA_WUR;
int primary_get_counts(struct agora_db *db, const char *slug,
		       struct primary_info *p, struct agora_error *err) AGORA_WUR;
void primary_info_fini(struct primary_info *p);
/*
 * Moves to a later phase; opening the vote freezes the qualified list.
 * The change, its date, its board entry and its entry in the audit log
 * (actor: a user id, 0 for the command line) are one transaction: all
 * or nothing. AGORA_EINVAL for an unknown phase or one that is not
 * later than the current one.
 */
int primary_set_phase(struct agora_db *db, const char *slug, const char *phase,
		      int64_t actor, struct agora_error *err) AGORA_WUR;
/* The phase after phase, or NULL after the last one */
const char *primary_next_phase(const char *phase);
/* Registers a candidate as the organiser; out receives its slug */
int primary_candidate_add(struct agora_db *db, const char *slug,
			  const char *name, const char *cand_slug,
			  struct sb *out, struct agora_error *err) AGORA_WUR;
/* Every primary, newest first; free with primary_summaries_free */
int primary_list(struct agora_db *db, struct primary_summary **v, size_t *n,
		 struct agora_error *err) AGORA_WUR;
void primary_summaries_free(struct primary_summary *v, size_t n);
/* The candidates, qualified first, then by slug; free with the next one */
int primary_candidates(struct agora_db *db, int64_t primary_id,
		       struct primary_candidate **v, size_t *n,
		       struct agora_error *err) AGORA_WUR;
void primary_candidates_free(struct primary_candidate *v, size_t n);

/* Credentials: codes, keys, registration of public keys */
void primary_code_new(char out[PRIMARY_CODE_SIZE]);
/* Accepts spaces, hyphens, lower case, O for 0, I and L for 1 */
int primary_code_parse(const char *code, char norm[PRIMARY_CODE_SYMBOLS + 1],
		       struct agora_error *err) AGORA_WUR;
void primary_code_keys(const char *primary_slug,
		       const char norm[PRIMARY_CODE_SYMBOLS + 1],
		       unsigned char pk[32], unsigned char sk[64]);
/* Stores n public keys in one transaction (all or none) */
int primary_credentials_add(struct agora_db *db, const char *slug,
			    const unsigned char (*pk)[32], size_t n,
			    struct agora_error *err) AGORA_WUR;

/*
 * The lot of a credential: the indices (into the qualified candidates
 * ordered by slug) of the lot_size candidates its ballot grades, drawn
 * from public data only (primary slug, public key) so anyone can redo
 * it; every candidate is equally likely in each position. Returns how
 * many indices were written (all candidates when lot_size is 0, not
 * smaller than n, or over PRIMARY_LOT_MAX, which no primary has).
 */
size_t primary_lot(const char *primary_slug, const unsigned char pk[32],
		   size_t n, int lot_size, size_t *out);

/*
 * The voter's side: the canonical body of ballot number seq of the
 * credential (1 for the first; primary_ballot_next() tells) and its
 * signature.
 */
int primary_ballot_make(const char *primary_slug, const char *code,
			int64_t seq, const struct primary_grade *g, size_t n,
			struct sb *body, unsigned char sig[64],
			struct agora_error *err) AGORA_WUR;
/* The number the credential's next ballot must carry */
int primary_ballot_next(struct agora_db *db, const char *primary_slug,
			const char *code, int64_t *seq,
			struct agora_error *err) AGORA_WUR;
/*
 * The server's side: checks the signature over the exact bytes, the
 * canonical form, the phase, the credential, the lot and the grades;
 * stores the ballot, uncounts the credential's previous one and updates
 * the counters, in one transaction made durable (synchronous=FULL)
 * before it returns. receipt gets 64 hex digits.
 */
int primary_ballot_cast(struct agora_db *db, const char *primary_slug,
			const char *body, size_t n, const unsigned char sig[64],
			char receipt[65], struct agora_error *err) AGORA_WUR;

/*
 * primary_ballot_cast in two steps, for a server that checks signatures
 * on many threads and commits many ballots in one durable transaction
 * (web/primary_api.c):
 *
 *   primary_ballot_check   no database: size, JSON shape, canonical
 *                          form, signature; computes the receipt
 *   primary_context_load   the primary and its qualified candidates,
 *                          read once per write transaction
 *   primary_ballot_store   inside the caller's write transaction (or a
 *                          savepoint of it): phase, credential, lot,
 *                          grades, number; stores, uncounts the previous
 *                          ballot, updates the counters, appends to the
 *                          board. On error the caller rolls back to its
 *                          savepoint: a refused ballot changes nothing.
 *
 * Nothing is durable until the caller commits with synchronous=FULL.
 * refusal tells a server which status to answer.
 */
enum primary_refusal {
	PRIMARY_OK,
	PRIMARY_R_TOOBIG,     /* over PRIMARY_BALLOT_MAX */
	PRIMARY_R_MALFORMED,  /* not JSON, wrong shape, not canonical */
	PRIMARY_R_INVALID,    /* other primary, bad signature, unknown
				 credential, wrong lot or grades, blank */
	PRIMARY_R_CONFLICT,   /* not the vote phase, wrong ballot number */
	PRIMARY_R_NOTFOUND,   /* no such primary */
	PRIMARY_R_INTERNAL,   /* the database, memory */
};

struct primary_checked {
	char *body; /* a NUL-terminated copy of the body */
	size_t n;
	unsigned char sig[64];
	unsigned char pk[32];
	int64_t seq;
	char receipt[65];
	void *json; /* the parsed body (private) */
	enum primary_refusal refusal;
};

struct primary_context {
	struct primary_info p;
	struct primary_candidate *c;
	size_t nc, nq; /* c[0..nq) are the qualified candidates */
};

int primary_ballot_check(const char *primary_slug, const char *body,
			 size_t n, const unsigned char sig[64],
			 struct primary_checked *b,
			 struct agora_error *err) AGORA_WUR;
void primary_checked_fini(struct primary_checked *b);
/* As primary_ballot_next, for a credential's public key */
int primary_ballot_next_pk(struct agora_db *db, int64_t primary_id,
			   const unsigned char pk[32], int64_t *seq,
			   struct agora_error *err) AGORA_WUR;
/* The primary (without its counts: they scan) and its candidates */
int primary_context_load(struct agora_db *db, const char *slug,
			 struct primary_context *x,
			 struct agora_error *err) AGORA_WUR;
void primary_context_fini(struct primary_context *x);
/* Sets b->receipt again (a retry of a stored ballot is not an error) */
int primary_ballot_store(struct agora_db *db, const struct primary_context *x,
			 struct primary_checked *b,
			 struct agora_error *err) AGORA_WUR;

/*
 * Whether a receipt is on the board: 0 (found; *counted says whether it
 * is the counted ballot of its credential), AGORA_ENOTFOUND or an error
 */
int primary_receipt_find(struct agora_db *db, int64_t primary_id,
			 const char *receipt, int *counted,
			 struct agora_error *err) AGORA_WUR;

/*
 * The result as primary_set_phase signs it at the close, from the live
 * counters: for a primary whose results are public before the close.
 * *text is freed by the caller.
 */
int primary_result_live(struct agora_db *db, const struct primary_context *x,
			char **text, struct agora_error *err) AGORA_WUR;
/*
 * The signed result's board payload, {"result": TEXT, "signature": HEX},
 * or AGORA_ENOTFOUND before the close; *payload is freed by the caller.
 */
int primary_result_signed(struct agora_db *db, int64_t primary_id,
			  char **payload, struct agora_error *err) AGORA_WUR;

#define PRIMARY_NO_GRADE 255 /* in a ballot's grades: not on its lot */

/*
 * The counts by candidate and grade, for the qualified candidates in
 * the order of primary_candidates(): from the live counters (recount
 * 0), from the counted ballots' stored grades (1: a covering index, no
 * body read), or from their signed bodies, checking that each agrees
 * with its stored grades (2). counts has ncand * ngrades entries, freed
 * by the caller.
 */
int primary_counts(struct agora_db *db, const struct primary_info *p,
		   const struct primary_candidate *c, size_t ncand,
		   int recount, uint64_t **counts,
		   struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------- the bulletin board */

/*
 * The public board of a primary (doc/board.md): JSON Lines from entry
 * from on, each record handed to write (which returns non-zero to stop).
 */
int primary_board_write(struct agora_db *db, const char *slug, int64_t from,
			int (*write)(void *ctx, const char *p, size_t n),
			void *ctx, struct agora_error *err) AGORA_WUR;

/*
 * The board read entry by entry, for a server that streams it: open
 * reads the head (seq and hash: -1 and 64 zeros for an empty board) in
 * the caller's read transaction, which must stay open until close so
 * that the entries served end exactly at that head; next writes one
 * JSON Lines record into line (reset first) and returns 1, or 0 at the
 * end, or an error.
 */
struct primary_board_cursor;
int primary_board_open(struct agora_db *db, const char *slug, int64_t from,
		       struct primary_board_cursor **out, int64_t *head_seq,
		       char head[65], struct agora_error *err) AGORA_WUR;
int primary_board_next(struct primary_board_cursor *c, struct sb *line,
		       struct agora_error *err) AGORA_WUR;
void primary_board_close(struct primary_board_cursor *c);
/* The head of the board of primary_id (in the caller's transaction) */
int primary_board_head(struct agora_db *db, int64_t primary_id,
		       int64_t *seq, char head[65],
		       struct agora_error *err) AGORA_WUR;

struct board_report {
	char primary[65];
	char head[65];	      /* the last entry's hash */
	size_t entries;
	size_t credentials;   /* published public keys */
	size_t ballots;	      /* accepted ballots, replaced ones included */
	size_t voters;	      /* credentials whose last ballot counts */
	int closed;
	char *result;	      /* the signed result's text, or NULL */
};

/*
 * Checks a board file with no database and no server: the chain, every
 * signature, that each ballot's credential was published before it,
 * ballot numbers 1, 2, ... per credential (the last one counts), that
 * each ballot grades exactly its lot, and that the signed result is the
 * majority-judgment result of the counted ballots. head, unless NULL, is
 * a hash someone noted earlier: it must be one of the chain's entries.
 * Signatures are checked on threads threads (1 or more).
 *
 * Returns 0, or AGORA_ECHECK with the first failure in err ("entry 17:
 * ..."), AGORA_EINVAL when the data is not a board, AGORA_ENOMEM.
 */
int board_verify(const char *data, size_t n, const char *head, int threads,
		 struct board_report *r, struct agora_error *err) AGORA_WUR;
/*
 * The same, reading the board from fd a block at a time (block bytes; 0
 * for the default, 8 MB): memory stays bounded by the block and the
 * credentials, whatever the board's size. AGORA_EIO when fd cannot be
 * read. A line longer than 64 MB is refused, here and above.
 */
int board_verify_fd(int fd, size_t block, const char *head, int threads,
		    struct board_report *r, struct agora_error *err) AGORA_WUR;
void board_report_fini(struct board_report *r);

/*
 * For `agora verify`: each primary's live counters against a recount of
 * its stored grades and of its signed ballot bodies, and its board
 * exported and checked as board_verify() does. Each problem is one
 * line to on_failure; returns non-zero only when the checks could not
 * run.
 */
int primary_verify_all(struct agora_db *db,
		       void (*on_failure)(void *ctx, const char *line),
		       void *ctx, size_t *primaries, size_t *ballots,
		       struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------ the citizen's side */

/*
 * citizen.c: what a verified citizen does through the web (issue 5):
 * declare a candidacy and withdraw it, support candidates, receive an
 * open-mode credential. Each is one short write transaction; the
 * database holds the rules (one candidacy and one credential per
 * account and primary, one support per account and candidate, at most
 * max_supports, counts kept by triggers), the code checks the phase.
 * Accounts are ids (auth/ owns them); primary/ never reads the user
 * table.
 */
#define PRIMARY_STATEMENT_MAX 4000 /* bytes of a candidacy's statement */

int primary_citizen_db_prepare(struct agora_db *db, struct agora_error *err);

/*
 * Declares user_id's candidacy (declaration phase only); out receives
 * the candidate's slug, made from the name. AGORA_EEXIST when the
 * account already declared one in this primary (withdrawn included),
 * AGORA_EINVAL for a bad name or statement or the wrong phase.
 */
int primary_declare(struct agora_db *db, const char *slug, int64_t user_id,
		    const char *name, const char *statement, struct sb *out,
		    struct agora_error *err) AGORA_WUR;
/*
 * The same inside the caller's write transaction, for a declaration
 * stored with more (a photo, web/primary_pages.c): nothing is begun,
 * committed or rolled back here; on error the caller rolls back.
 */
int primary_declare_in(struct agora_db *db, const char *slug,
		       int64_t user_id, const char *name,
		       const char *statement, struct sb *out,
		       struct agora_error *err) AGORA_WUR;
/* Withdraws user_id's candidacy, before the vote opens; final */
int primary_withdraw(struct agora_db *db, const char *slug, int64_t user_id,
		     struct agora_error *err) AGORA_WUR;
/*
 * Gives (on = 1) or takes back (on = 0) user_id's support to candidate
 * cand, in the declaration or support phase. Giving: AGORA_EEXIST when
 * already given, AGORA_ETOOBIG past max_supports, AGORA_EINVAL for a
 * withdrawn or organiser's candidate. Taking back one never given is
 * AGORA_ENOTFOUND.
 */
int primary_support(struct agora_db *db, const char *slug, int64_t user_id,
		    const char *cand, int on,
		    struct agora_error *err) AGORA_WUR;

/* What one account has done in one primary */
struct primary_citizen {
	char *candidacy; /* the slug of its candidacy, or NULL */
	int credential;	 /* received an open-mode credential */
	char **supports; /* the slugs it supports */
	size_t nsupports;
};
int primary_citizen_get(struct agora_db *db, int64_t primary_id,
			int64_t user_id, struct primary_citizen *c,
			struct agora_error *err) AGORA_WUR;
void primary_citizen_fini(struct primary_citizen *c);

/* Open mode: verified citizens may ask the server for a credential */
int primary_open_mode(struct agora_db *db, int64_t primary_id, int *on,
		      struct agora_error *err) AGORA_WUR;
/*
 * Issues user_id's one open-mode credential: a fresh code in code, its
 * public key stored and published on the board, and the fact that the
 * account received one (the day, never which), in one transaction.
 * AGORA_EEXIST when the account already received one, AGORA_EINVAL
 * when the primary is not in open mode or is closed. The code is not
 * kept anywhere by this function; the caller shows it once and wipes
 * it.
 */
int primary_credential_issue(struct agora_db *db, const char *slug,
			     int64_t user_id, char code[PRIMARY_CODE_SIZE],
			     struct agora_error *err) AGORA_WUR;

/* A candidate's statement (a copy to free), "" when none */
int primary_statement(struct agora_db *db, int64_t candidate_id, char **out,
		      struct agora_error *err) AGORA_WUR;
/* The board's last hash; AGORA_ENOTFOUND when the board is empty */
int primary_board_head_hash(struct agora_db *db, int64_t primary_id,
			    char hash[65], struct agora_error *err) AGORA_WUR;
/* When the primary entered phase (ISO 8601, a copy), or NULL */
int primary_phase_date(struct agora_db *db, int64_t primary_id,
		       const char *phase, char **at,
		       struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------ the planned dates */

/*
 * schedule.c: the dates the organiser announces for the phases still to
 * come. An announcement only: moving between phases stays the
 * organiser's audited action (primary_set_phase); pages show the
 * planned date beside the date each phase actually began. Dates are
 * UTC, "YYYY-MM-DDTHH:MM:SSZ". Indices are the phases' order: 0
 * declaration (never planned: it begins at the creation), 1 support,
 * 2 vote, 3 closed.
 */
#define PRIMARY_DATE_SIZE 21

struct primary_schedule {
	char planned[4][PRIMARY_DATE_SIZE]; /* "" when none announced */
	char began[4][PRIMARY_DATE_SIZE];   /* "" when not reached */
};

int primary_schedule_db_prepare(struct agora_db *db, struct agora_error *err);
/*
 * ISO 8601 to UTC: YYYY-MM-DD (midnight), YYYY-MM-DDTHH:MM[:SS] with Z,
 * an offset (+01:00, -0500) or nothing (UTC); years 2000 to 9999, real
 * calendar dates. AGORA_EINVAL names what and the text otherwise.
 */
int primary_date_parse(const char *what, const char *s,
		       char out[PRIMARY_DATE_SIZE],
		       struct agora_error *err) AGORA_WUR;
int primary_schedule_get(struct agora_db *db, int64_t primary_id,
			 struct primary_schedule *s,
			 struct agora_error *err) AGORA_WUR;
/*
 * Announces dates[i] for phase i (dates[0] must be NULL): NULL keeps
 * what was planned, "" withdraws it. Refused (AGORA_EINVAL, nothing
 * changed): a phase already reached, a date that does not parse or is
 * not in the future, planned dates out of the phases' order. The
 * change and its audit entry "primary.schedule" (actor: a user id, 0
 * for the command line) are one transaction. out (may be NULL)
 * receives the plan as stored.
 */
int primary_schedule_set(struct agora_db *db, const char *slug,
			 const char *const dates[4], int64_t actor,
			 struct primary_schedule *out,
			 struct agora_error *err) AGORA_WUR;

/* ------------------------------------------------ the electoral roll */

/*
 * roll.c: the roll of `agora primary credentials --roll`, a CSV file
 * (RFC 4180 quoting, ',' or, when the header has ';' and no ',', ';'):
 * a header line, then one voter per non-empty line, each with as many
 * fields as the header. Checked whole: UTF-8, no NUL, every quoted field
 * closed on its line, the field counts, 1 to PRIMARY_ROLL_VOTERS_MAX
 * voters; "NAME:LINE: why" otherwise.
 */
#define PRIMARY_ROLL_VOTERS_MAX 5000000

struct primary_roll {
	char sep;
	long fields; /* of the header, and so of every voter's line */
	size_t nvoters;
};

int primary_roll_check(const char *p, size_t n, const char *name,
		       struct primary_roll *r, struct agora_error *err) AGORA_WUR;
/*
 * The line at *pos (header included), without its "\n" or "\r\n", and
 * *pos moved past it; 0 at the end. An empty line is a line.
 */
int primary_roll_next(const char *p, size_t n, size_t *pos, const char **line,
		      size_t *len);
/* The fields of one line, or -1 for a quote out of place */
long primary_roll_fields(const char *s, size_t n, char sep);

#endif
