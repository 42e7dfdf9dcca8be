/*
 * compare.h - reading the programmes: elections, candidates in their
 * neutral order, the theme grid (N candidates x one theme) and French
 * full-text search. Read-only over the schema that core/ owns.
 *
 * Results are returned in plain structs whose strings the caller frees
 * with the matching _fini function; nothing here prints.
 */
#ifndef AGORA_COMPARE_H
#define AGORA_COMPARE_H

#include "core.h"

int compare_db_prepare(struct agora_db *db, struct agora_error *err);

/* ------------------------------------------------------------ elections */

struct election_info {
	int64_t id;
	char *slug, *title, *kind, *date, *language, *candidate_order;
};
void election_info_fini(struct election_info *e);
int election_add(struct agora_db *db, const char *slug, const char *title,
		 const char *date, const char *language,
		 struct agora_error *err);
int election_get(struct agora_db *db, const char *slug,
		 struct election_info *out, struct agora_error *err);

/*
 * Sets the election's candidate order rule: "alphabetical" (by family
 * name) or "shuffled" (drawn at random for each visitor). Anything else
 * is AGORA_EINVAL and changes nothing; an unknown election is
 * AGORA_ENOTFOUND. The change bumps meta.search_generation (a trigger),
 * so no page cached under the old rule is served again.
 */
int election_set_candidate_order(struct agora_db *db, const char *slug,
				 const char *order, struct agora_error *err);

/* --------------------------------------------------------- candidates */

struct candidate_info {
	int64_t id;
	char *slug, *given_name, *family_name, *party;
	size_t documents, proposals; /* current published programmes */
};

struct candidate_list {
	struct candidate_info *v;
	size_t n;
};
void candidate_list_fini(struct candidate_list *l);
/* Every candidate of the election, in the neutral (alphabetical) order */
int candidate_list(struct agora_db *db, const char *election,
		   struct candidate_list *out, struct agora_error *err);

/*
 * The shuffled order. A visitor's seed (64 bits, written as 16 hex
 * digits in a cookie or an API parameter) and the election's slug
 * choose one permutation of the alphabetical list; every page and API
 * answer for that visitor applies the same one, and a subset (the
 * columns of a grid) keeps the relative order of the whole list.
 */
#define ORDER_SEED_HEX 16
#define ORDER_ALPHABETICAL "alphabetical"
#define ORDER_SHUFFLED "shuffled"

/* 0 and *seed when s is exactly ORDER_SEED_HEX hex digits, else -1 */
int order_seed_parse(const char *s, uint64_t *seed);
/* The seed as ORDER_SEED_HEX lower-case hex digits and a NUL */
void order_seed_format(uint64_t seed, char out[ORDER_SEED_HEX + 1]);

/*
 * perm[0..n) becomes a uniformly random permutation of 0..n-1, drawn by
 * Fisher-Yates from a ChaCha20 stream keyed by (seed, salt)
 * (randombytes_buf_deterministic) with unbiased bounded draws
 * (rejection, never a plain modulo): the same arguments always give the
 * same permutation. AGORA_EINVAL only for n >= 2^32.
 */
int order_permutation(size_t *perm, size_t n, uint64_t seed, const char *salt);

/*
 * Puts l (alphabetical, from candidate_list()) in the election's order
 * for this seed: unchanged when rule is not ORDER_SHUFFLED.
 */
int candidate_list_order(struct candidate_list *l, const char *election,
			 const char *rule, uint64_t seed,
			 struct agora_error *err);

/* ---------------------------------------------------------- the grid */

struct grid_proposal {
	int64_t id;
	char *text, *heading_path, *kind, *origin;
	double confidence;
};

struct grid_column {
	struct candidate_info cand;
	struct grid_proposal *v; /* n == 0: nothing on this theme */
	size_t n;
};

struct theme_grid {
	char *theme, *theme_label_fr, *theme_label_en;
	struct grid_column *col;
	size_t ncol;
};
void theme_grid_fini(struct theme_grid *g);

/*
 * One column per selected candidate (all when slugs is NULL or n == 0),
 * in the neutral order whatever order slugs come in; a candidate with
 * nothing on the theme gets an empty column, never no column. Unknown
 * theme or candidate slugs are AGORA_ENOTFOUND with the name.
 */
int compare_theme_grid(struct agora_db *db, const char *election,
		       const char *theme, const char *const *slugs, size_t n,
		       struct theme_grid *out, struct agora_error *err);

/*
 * Puts g's columns in the order of l (a list put in order by
 * candidate_list_order() over the same election): a grid of a few
 * candidates shows them in the order the whole list has.
 */
void theme_grid_order(struct theme_grid *g, const struct candidate_list *l);

/* How many candidates speak to each theme (for the election page) */
struct theme_coverage {
	char *key, *label_fr, *label_en, *group;
	int is_group;
	size_t candidates, proposals;
};
struct theme_coverage_list {
	struct theme_coverage *v;
	size_t n;
};
void theme_coverage_list_fini(struct theme_coverage_list *l);
/* All themes in taxonomy order; election NULL: counts stay 0 */
int compare_theme_coverage(struct agora_db *db, const char *election,
			   struct theme_coverage_list *out,
			   struct agora_error *err);

/* ------------------------------------------------------------- search */

/*
 * Turns any user string into a safe FTS5 query: words become quoted
 * terms ANDed together, a trailing '*' on a word makes a prefix query,
 * everything else of FTS5's syntax is treated as text. Returns 0 and an
 * empty string when nothing searchable remains. Never fails on content,
 * only on memory or size (queries are capped at 1 KiB, 16 terms).
 */
int search_query_build(const char *q, size_t n, struct sb *out);
/*
 * The same with the caller's stemmer (not thread-safe: one per thread):
 * a stemmer's caches take 1.1 MB to allocate, which search_query_build()
 * does on every call; callers that build many queries keep one
 */
int search_query_build_st(const char *q, size_t n, struct fr_stemmer *st,
			  struct sb *out);

struct search_opts {
	const char *election;  /* slug or NULL */
	const char *candidate; /* slug or NULL */
	const char *theme;     /* key or NULL */
	size_t limit;	       /* default 20, at most 100 */
	size_t offset;
};

struct search_hit {
	int64_t proposal_id;
	char *election, *candidate_slug, *candidate_name, *party;
	char *heading_path;
	char *text;    /* the whole verbatim proposal */
	char *snippet; /* verbatim excerpt with matches between \x02 and \x03 */
	double rank;   /* bm25, lower is better */
};

struct search_count {
	char *candidate_slug, *candidate_name;
	size_t n;
};

struct search_result {
	struct search_hit *v;
	size_t n;
	size_t total;	 /* matches (capped: see total_capped) */
	int total_capped;
	struct search_count *per_candidate;
	size_t ncand;
};
void search_result_fini(struct search_result *r);

/* Any q is accepted: an empty or unsearchable query gives no hits */
int compare_search(struct agora_db *db, const char *q,
		   const struct search_opts *opts, struct search_result *out,
		   struct agora_error *err);

/* ------------------------------------------------------------ reading */

/*
 * read.c: what the web pages and the API read beyond the grid: the list
 * of elections, a candidate's whole programme in its original order, one
 * proposal with its document. Prepared separately (module DB_MOD_READ).
 */
int compare_read_db_prepare(struct agora_db *db, struct agora_error *err);

struct election_summary {
	char *slug, *title, *date, *language;
	size_t candidates;
};
struct election_summary_list {
	struct election_summary *v;
	size_t n;
};
void election_summary_list_fini(struct election_summary_list *l);
/* Every election, by date then slug */
int compare_elections(struct agora_db *db, struct election_summary_list *out,
		      struct agora_error *err);

struct programme_document {
	int64_t id;
	int version;
	char *title, *format, *media_type, *source_url, *sha256, *submitted_at;
	size_t proposals;
};

struct programme_proposal {
	int64_t id, document_id;
	int ordinal;
	char *heading_path, *text, *kind;
	char *themes; /* theme keys separated by spaces, taxonomy order */
};

struct programme {
	struct candidate_info cand;
	struct programme_document *doc; /* current published programmes */
	size_t ndoc;
	struct programme_proposal *v; /* by document, then original order */
	size_t n;
};
void programme_fini(struct programme *p);
/* A candidate's current programme; unknown slugs are AGORA_ENOTFOUND */
int compare_programme(struct agora_db *db, const char *election,
		      const char *candidate, struct programme *out,
		      struct agora_error *err);

struct proposal_detail {
	struct programme_proposal p;
	int64_t start, end; /* byte offsets in the document's extracted text */
	int current;	    /* 1 when its document is the current version */
	char *election, *election_title;
	struct candidate_info cand;
	struct programme_document doc;
};
void proposal_detail_fini(struct proposal_detail *d);
/* One published proposal by id; AGORA_ENOTFOUND when there is none */
int compare_proposal(struct agora_db *db, int64_t id,
		     struct proposal_detail *out, struct agora_error *err);

/* ------------------------------------------------------------- exports */

/*
 * export.c: an election as open data, streamed row by row (memory stays
 * bounded whatever the election's size) through a write callback, all
 * read in one read transaction (the caller's, when one is open). Its
 * own statement table (DB_MOD_EXPORT), prepared by
 * compare_export_db_prepare(), which compare_db_prepare() calls.
 *
 * The programmes' texts are the candidates' own, reproduced verbatim;
 * agora's metadata (the cutting into proposals, offsets, hashes, themes)
 * are under the Licence Ouverte / Open Licence 2.0 (Etalab).
 */
#define EXPORT_LICENCE "Licence Ouverte / Open Licence 2.0 (Etalab)"
#define EXPORT_LICENCE_SPDX "etalab-2.0"
#define EXPORT_LICENCE_URL                                                     \
	"https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
/* The CSV's constant `licence` column, the same words in one line */
#define EXPORT_LICENCE_CSV                                                     \
	"texts: the candidates' programmes, verbatim; "                        \
	"metadata: " EXPORT_LICENCE

enum export_format {
	EXPORT_JSON, /* the whole election, one JSON object */
	EXPORT_CSV,  /* proposals.csv: one RFC 4180 row per proposal */
	EXPORT_CSV_CANDIDATES, /* candidates.csv: with published profiles */
	EXPORT_CSV_MATERIAL,   /* material.csv: published campaign material */
};

/*
 * Receives the export in pieces; returns 0, or a negative AGORA_E* code
 * (AGORA_EIO, AGORA_ETOOBIG) that stops the export and is returned.
 */
typedef int (*export_write_fn)(void *ctx, const char *p, size_t n);

int compare_export_db_prepare(struct agora_db *db, struct agora_error *err);

/*
 * Writes election's export in fmt through emit. An unknown election is
 * AGORA_ENOTFOUND before anything is written; a failure later leaves
 * the output truncated, and the caller discards it.
 */
int compare_export(struct agora_db *db, const char *election,
		   enum export_format fmt, export_write_fn emit, void *ctx,
		   struct agora_error *err);

#endif
