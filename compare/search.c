/*
 * search.c - French full-text search over the current published
 * programmes: a builder that turns any user string into a safe FTS5
 * query, and the filtered, ranked, capped search with snippets.
 *
 * The user never writes FTS5 syntax: every word becomes a quoted term,
 * terms are ANDed, and a '*' right after a word makes it a prefix. The
 * index (proposal_fts, tokenizer "agora_fr" in core/fts_fr.c) holds
 * accent-folded Snowball stems, so the quoted words are stemmed the same
 * way when FTS5 parses the query.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"

#define SEARCH_MAX_TERMS 16
#define SEARCH_MAX_QUERY 1024
#define SEARCH_MAX_WORD 100   /* bytes: anything longer is not a word */
#define SEARCH_MAX_SCAN 256   /* words looked at in one query string */
#define SEARCH_MIN_PREFIX 3   /* characters before a '*' */
#define SEARCH_RANK_CAP 1000  /* matches ranked at most, shared fairly */
#define SEARCH_RANK_MIN 20    /* ranked per candidate at least */
#define SEARCH_SCAN_MAX 200000 /* matches counted at most */
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_SNIPPET_WORDS 32
#define SEARCH_MAX_LIMIT 100

enum search_stmt {
	SEARCH_MATCHES,
	SEARCH_MATCHES_FILTERED,
	SEARCH_RANGES,
	SEARCH_ONE,
	SEARCH_FILTER_IDS,
	SEARCH_HIT,
	SEARCH_CANDIDATE,
	SEARCH_LENGTHS,
	SEARCH_CANDIDATES,
	SEARCH_STMT__MAX
};

/*
 * The FTS5 table drives the match query, newest proposals first (rowid
 * order, descending). The index holds current programmes only, and
 * agora_search_cand() maps a proposal to its candidate through a
 * per-connection cache, applying the election and candidate filters
 * (?2, ?3: ids, NULL unused) without touching a table; bm25 (the rank
 * column, the dearest part) is computed only for rows that pass.
 */
static const char *const search_sql[SEARCH_STMT__MAX] = {
/* bm25 only for the matches within their candidate's quota */
#define MATCHES_SELECT                                                         \
	"SELECT rowid, agora_search_cand(rowid, ?2, ?3),"                     \
	" CASE WHEN agora_search_take(rowid)"                                 \
	" THEN agora_rank(proposal_fts) END FROM proposal_fts"                \
	" WHERE proposal_fts MATCH ?1"
#define MATCHES_THEME                                                          \
	" AND (?4 IS NULL OR EXISTS (SELECT 1 FROM proposal_theme pt"          \
	"  WHERE pt.proposal_id = proposal_fts.rowid"                          \
	"  AND pt.status <> 'rejected' AND pt.theme_id IN"                     \
	"  (SELECT id FROM theme WHERE slug = ?4 OR parent_id ="                \
	"   (SELECT id FROM theme WHERE slug = ?4))))"
	/*
	 * every row of the index is a current proposal: without filters
	 * (and with the cache) the candidate is not even looked up here,
	 * agora_search_take() counts it
	 */
	[SEARCH_MATCHES] = ("SELECT rowid, NULL,"
			    " CASE WHEN agora_search_take(rowid)"
			    " THEN agora_rank(proposal_fts) END"
			    " FROM proposal_fts WHERE proposal_fts MATCH ?1"
			    MATCHES_THEME " ORDER BY rowid DESC"),
	[SEARCH_MATCHES_FILTERED] =
		(MATCHES_SELECT
		 " AND agora_search_cand(rowid, ?2, ?3) IS NOT NULL"
		 MATCHES_THEME " ORDER BY rowid DESC"),
	[SEARCH_RANGES] =
		/* each current document's proposals are one rowid range:
		 * they are inserted together, in one transaction */
		"SELECT (SELECT id FROM proposal WHERE document_id = d.id"
		"  ORDER BY ordinal LIMIT 1),"
		" (SELECT id FROM proposal WHERE document_id = d.id"
		"  ORDER BY ordinal DESC LIMIT 1),"
		" (SELECT ordinal FROM proposal WHERE document_id = d.id"
		"  ORDER BY ordinal DESC LIMIT 1),"
		" d.candidate_id, c.election_id"
		" FROM current_document d JOIN candidate c"
		" ON c.id = d.candidate_id",
	[SEARCH_ONE] = "SELECT d.candidate_id, c.election_id FROM proposal p"
		       " JOIN document d ON d.id = p.document_id"
		       " JOIN candidate c ON c.id = d.candidate_id"
		       " WHERE p.id = ?1",
	[SEARCH_FILTER_IDS] =
		"SELECT (SELECT id FROM election WHERE slug = ?1),"
		" (SELECT c.id FROM candidate c JOIN election e"
		"  ON e.id = c.election_id WHERE c.slug = ?2"
		"  AND (?1 IS NULL OR e.slug = ?1) LIMIT 1),"
		" (SELECT count(*) FROM candidate c JOIN election e"
		"  ON e.id = c.election_id WHERE c.slug = ?2"
		"  AND (?1 IS NULL OR e.slug = ?1))",
	[SEARCH_HIT] = "SELECT p.id, p.text, p.heading_path, e.slug, c.slug,"
		       " c.given_name, c.family_name, c.party"
		       " FROM proposal p"
		       " JOIN document d ON d.id = p.document_id"
		       " JOIN candidate c ON c.id = d.candidate_id"
		       " JOIN election e ON e.id = c.election_id"
		       " WHERE p.id = ?1",
	[SEARCH_CANDIDATES] = "SELECT id, election_id, slug, given_name,"
			      " family_name, sort_key FROM candidate ORDER BY id",
	[SEARCH_LENGTHS] = "SELECT id, sz FROM proposal_fts_docsize ORDER BY id",
	[SEARCH_CANDIDATE] = "SELECT slug, given_name, family_name, sort_key"
			     " FROM candidate"
			     " WHERE id = ?1",
};

static char *full_name(const char *given, const char *family);

/* ------------------------------------------------ proposal -> candidate */

/*
 * What every match needs, kept per connection: which candidate (and
 * election) a proposal belongs to, and its length in tokens for ranking.
 * A sorted array of the current documents' rowid ranges, and a flat
 * array of lengths, rebuilt when meta.search_generation moves (a new
 * document anywhere). Reading these from tables costs a b-tree seek per
 * match (FTS5's bm25 alone spends most of a broad query in docsize
 * lookups); from memory, a binary search. Ranges are checked to be
 * contiguous; when one is not, lookups fall back to SQL.
 */
struct doc_range {
	int64_t lo, hi, cand, election;
	size_t off;   /* of the range's lengths in len[] */
	size_t cslot; /* of its candidate in cand[] */
};

struct cand_slot {
	int64_t id, election;
	char *slug, *name, *sort_key;
	/* per query: matches seen, matches ranked */
	size_t count, ranked;
};

struct search_cache {
	struct agora_db *db;
	struct doc_range *r;
	size_t n;
	uint16_t *len; /* tokens per proposal, 0 = unknown */
	size_t nlen;
	struct cand_slot *cand; /* every candidate, by id */
	size_t ncand;
	size_t quota; /* per query: matches ranked per candidate */
	int64_t generation, changes;
	int valid, contiguous, ready;
	/* one stemmer (and its word cache) for every query of the thread */
	struct fr_stemmer *st;
	const struct doc_range *last; /* per query: the last range hit */
};

static void cand_slots_free(struct search_cache *c)
{
	size_t i;

	for (i = 0; i < c->ncand; i++) {
		free(c->cand[i].slug);
		free(c->cand[i].name);
		free(c->cand[i].sort_key);
	}
	free(c->cand);
	c->cand = NULL;
	c->ncand = 0;
}

static void search_cache_free(void *p)
{
	struct search_cache *c = p;

	if (c) {
		free(c->r);
		free(c->len);
		cand_slots_free(c);
		fr_stemmer_free(c->st);
	}
	free(c);
}

static int range_cmp(const void *a, const void *b)
{
	const struct doc_range *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The range holding rowid, or NULL */
static const struct doc_range *range_find(const struct search_cache *c,
					  int64_t rowid)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->r[mid].hi < rowid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->r[lo].lo <= rowid && rowid <= c->r[lo].hi)
		return &c->r[lo];
	return NULL;
}

/* SQLite's varint, as FTS5 stores sizes in %_docsize */
static uint64_t varint(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n && i < 9; i++) {
		if (i == 8)
			return (v << 8) | p[i];
		v = (v << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80))
			break;
	}
	return v;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand_slot *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The slot of candidate id, or NULL */
static struct cand_slot *cand_find(struct search_cache *c, int64_t id)
{
	struct cand_slot key = {.id = id};

	return bsearch(&key, c->cand, c->ncand, sizeof(*c->cand), cand_cmp);
}

/* Every candidate's names, so that counts per candidate cost no query */
static int cache_load_candidates(struct search_cache *c,
				 struct agora_error *err)
{
	sqlite3_stmt *st = db_stmt(c->db, DB_MOD_SEARCH, SEARCH_CANDIDATES);
	size_t cap = 0, i;
	int rc;

	cand_slots_free(c);
	while ((rc = db_step(c->db, st, err)) == 1) {
		struct cand_slot *k;

		if (c->ncand == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *v = realloc(c->cand, ncap * sizeof(*c->cand));

			if (!v)
				goto nomem;
			c->cand = v;
			cap = ncap;
		}
		k = &c->cand[c->ncand++];
		memset(k, 0, sizeof(*k));
		k->id = sqlite3_column_int64(st, 0);
		k->election = sqlite3_column_int64(st, 1);
		k->slug = db_col_dup(st, 2);
		k->name = full_name(db_col_text(st, 3), db_col_text(st, 4));
		k->sort_key = db_col_dup(st, 5);
		if (!k->slug || !k->name || !k->sort_key)
			goto nomem;
	}
	if (rc < 0)
		return rc;
	/* ids come sorted; ranges learn their candidate's slot */
	for (i = 0; i < c->n; i++) {
		struct cand_slot *k = cand_find(c, c->r[i].cand);

		c->r[i].cslot = k ? (size_t)(k - c->cand) : SIZE_MAX;
	}
	return 0;
nomem:
	sqlite3_reset(st);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

/* Reads every current proposal's length from the FTS5 docsize table */
static int cache_load_lengths(struct search_cache *c, struct agora_error *err)
{
	sqlite3_stmt *st;
	size_t i, total = 0;
	int rc;

	for (i = 0; i < c->n; i++) {
		c->r[i].off = total;
		total += (size_t)(c->r[i].hi - c->r[i].lo + 1);
	}
	free(c->len);
	c->len = calloc(total ? total : 1, sizeof(*c->len));
	c->nlen = total;
	if (!c->len)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	st = db_stmt(c->db, DB_MOD_SEARCH, SEARCH_LENGTHS);
	while ((rc = db_step(c->db, st, err)) == 1) {
		const struct doc_range *r;
		int64_t id = sqlite3_column_int64(st, 0);
		uint64_t v;

		if (!(r = range_find(c, id)))
			continue;
		v = varint(sqlite3_column_blob(st, 1),
			   sqlite3_column_bytes(st, 1));
		c->len[r->off + (size_t)(id - r->lo)] =
			(uint16_t)(v > 65535 ? 65535 : v ? v : 1);
	}
	return rc < 0 ? rc : 0;
}

/* Makes the cache current; called once per search, in its transaction */
static int search_cache_refresh(struct search_cache *c,
				struct agora_error *err)
{
	int64_t gen = db_generation(c->db);
	/* this connection's own writes, even rolled back, are seen too */
	int64_t changes = sqlite3_total_changes64(db_handle(c->db));
	sqlite3_stmt *st;
	size_t cap = 0, i;
	int rc;

	if (c->valid && gen == c->generation && changes == c->changes)
		return 0;
	c->valid = 0;
	c->last = NULL;
	c->n = 0;
	c->contiguous = 1;
	st = db_stmt(c->db, DB_MOD_SEARCH, SEARCH_RANGES);
	while ((rc = db_step(c->db, st, err)) == 1) {
		struct doc_range *r;

		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue; /* a document without proposals */
		if (c->n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			void *v = realloc(c->r, ncap * sizeof(*c->r));

			if (!v) {
				sqlite3_reset(st);
				return agora_errorf(err, AGORA_ENOMEM,
						    "out of memory");
			}
			c->r = v;
			cap = ncap;
		}
		r = &c->r[c->n++];
		r->lo = sqlite3_column_int64(st, 0);
		r->hi = sqlite3_column_int64(st, 1);
		r->cand = sqlite3_column_int64(st, 3);
		r->election = sqlite3_column_int64(st, 4);
		if (r->hi < r->lo ||
		    r->hi - r->lo + 1 != sqlite3_column_int64(st, 2))
			c->contiguous = 0;
	}
	if (rc < 0)
		return rc;
	if (c->n) /* qsort(NULL, 0, ...) is undefined: an empty database */
		qsort(c->r, c->n, sizeof(*c->r), range_cmp);
	for (i = 1; i < c->n; i++)
		if (c->r[i].lo <= c->r[i - 1].hi)
			c->contiguous = 0;
	if (!c->contiguous)
		c->n = 0; /* lookups go to SQL, lengths to FTS5 */
	if ((rc = cache_load_lengths(c, err)) ||
	    (rc = cache_load_candidates(c, err)))
		return rc;
	c->generation = gen;
	c->changes = changes;
	c->valid = 1;
	return 0;
}

/*
 * agora_search_cand(rowid, election_id, candidate_id): the proposal's
 * candidate id when it passes the filters (NULL arguments: no filter),
 * else NULL.
 */
static void fn_search_cand(sqlite3_context *ctx, int argc,
			   sqlite3_value **argv)
{
	struct search_cache *c = sqlite3_user_data(ctx);
	int64_t rowid = sqlite3_value_int64(argv[0]), cand, election;
	const struct doc_range *r;

	(void)argc;
	if (c->valid && c->contiguous) {
		if (!(r = range_find(c, rowid)))
			return;
		cand = r->cand;
		election = r->election;
	} else {
		sqlite3_stmt *st = db_stmt(c->db, DB_MOD_SEARCH, SEARCH_ONE);

		sqlite3_bind_int64(st, 1, rowid);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return;
		}
		cand = sqlite3_column_int64(st, 0);
		election = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
	}
	if (sqlite3_value_type(argv[1]) != SQLITE_NULL &&
	    sqlite3_value_int64(argv[1]) != election)
		return;
	if (sqlite3_value_type(argv[2]) != SQLITE_NULL &&
	    sqlite3_value_int64(argv[2]) != cand)
		return;
	sqlite3_result_int64(ctx, cand);
}

/*
 * agora_search_take(rowid): counts the match for its candidate and says
 * whether it is within the candidate's quota of ranked matches. Ranking
 * every match of a broad query costs too much, and ranking only the
 * first ones in index order would favour whoever was ingested last: the
 * comparator never ranks candidates, so each gets the same share.
 */
static void fn_search_take(sqlite3_context *ctx, int argc,
			   sqlite3_value **argv)
{
	struct search_cache *c = sqlite3_user_data(ctx);
	const struct doc_range *r;
	struct cand_slot *k;

	int64_t rowid = sqlite3_value_int64(argv[0]);

	(void)argc;
	/* matches come in rowid order: mostly from the last range seen */
	r = c->last;
	if (!r || rowid < r->lo || rowid > r->hi)
		r = c->valid && c->contiguous ? range_find(c, rowid) : NULL;
	c->last = r;
	if (!r || r->cslot >= c->ncand) {
		sqlite3_result_int(ctx, 1); /* no quota without the cache */
		return;
	}
	k = &c->cand[r->cslot];
	k->count++;
	sqlite3_result_int(ctx, k->ranked < c->quota);
	k->ranked += k->ranked < c->quota;
}

/* ------------------------------------------------------------- ranking */

struct rank_query {
	int nphrase;
	double avgdl;
	double idf[32];
};

static int count_rows(const Fts5ExtensionApi *api, Fts5Context *fts,
		      void *arg)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)arg)++;
	return SQLITE_OK;
}

/*
 * Okapi BM25 as FTS5's bm25() computes it (k1 = 1.2, b = 0.75, the same
 * idf floor; a one-phrase query's idf taken as 1, the same order),
 * negated so that lower is better, but with the document's
 * length taken from the connection's cache instead of a docsize seek.
 * The per-query part (idf per phrase, average length) is computed once
 * and kept as FTS5 auxiliary data.
 */
static void fn_rank(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	const double k1 = 1.2, b = 0.75;
	struct search_cache *c = api->xUserData(fts);
	struct rank_query *q = api->xGetAuxdata(fts, 0);
	int tf[32] = {0}, ninst = 0, i, phrase, col, off, dl = 0;
	const struct doc_range *r;
	sqlite3_int64 rowid;
	double score = 0;

	(void)nval;
	(void)val;
	if (!q) {
		sqlite3_int64 nrow = 0, ntok = 0;

		if (!(q = calloc(1, sizeof(*q)))) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		q->nphrase = api->xPhraseCount(fts);
		if (q->nphrase > 32)
			q->nphrase = 32;
		api->xRowCount(fts, &nrow);
		api->xColumnTotalSize(fts, -1, &ntok);
		q->avgdl = nrow ? (double)ntok / (double)nrow : 1;
		for (i = 0; i < q->nphrase; i++) {
			sqlite3_int64 hits = 0;
			double idf;

			/*
			 * With one phrase, idf scales every score alike and
			 * cannot change the order: skip the walk of its
			 * whole doclist that counting the rows costs.
			 */
			if (q->nphrase == 1) {
				q->idf[i] = 1;
				break;
			}
			api->xQueryPhrase(fts, i, &hits, count_rows);
			idf = log(((double)nrow - (double)hits + 0.5) /
				  ((double)hits + 0.5));
			q->idf[i] = idf > 1e-6 ? idf : 1e-6;
		}
		if (api->xSetAuxdata(fts, q, free) != SQLITE_OK) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	api->xInstCount(fts, &ninst);
	for (i = 0; i < ninst; i++)
		if (api->xInst(fts, i, &phrase, &col, &off) == SQLITE_OK &&
		    phrase >= 0 && phrase < q->nphrase)
			tf[phrase]++;
	rowid = api->xRowid(fts);
	/* agora_search_take() just looked this row's range up */
	r = c->last;
	if (!r || rowid < r->lo || rowid > r->hi)
		r = c->valid && c->contiguous ? range_find(c, rowid) : NULL;
	if (r)
		dl = c->len[r->off + (size_t)(rowid - r->lo)];
	if (dl == 0)
		api->xColumnSize(fts, -1, &dl);
	for (i = 0; i < q->nphrase; i++)
		score += q->idf[i] * ((double)tf[i] * (k1 + 1)) /
			 ((double)tf[i] +
			  k1 * (1 - b + b * (double)dl / q->avgdl));
	sqlite3_result_double(ctx, -score);
}

/*
 * The cache belongs to the connection from the start (it is freed when
 * the connection closes), so the functions registered with it can never
 * point at freed memory; a failed call leaves it not ready, to try again.
 */
int search_db_prepare(struct agora_db *db, struct agora_error *err)
{
	struct search_cache *c = db_module_data(db, DB_MOD_SEARCH);
	sqlite3 *h = db_handle(db);
	fts5_api *api;

	if (c && c->ready)
		return 0;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return agora_errorf(err, AGORA_ENOMEM, "out of memory");
		c->db = db;
		db_set_module_data(db, DB_MOD_SEARCH, c, search_cache_free);
	}
	if (!c->st && !(c->st = fr_stemmer_new()))
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot create the French stemmer");
	if (sqlite3_create_function_v2(h, "agora_search_cand", 3,
				       SQLITE_UTF8 | SQLITE_DIRECTONLY, c,
				       fn_search_cand, NULL, NULL,
				       NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(h, "agora_search_take", 1,
				       SQLITE_UTF8 | SQLITE_DIRECTONLY, c,
				       fn_search_take, NULL, NULL,
				       NULL) != SQLITE_OK)
		return db_error(db, err, "cannot register search functions");
	api = fts5_api_get(h);
	if (!api || api->xCreateFunction(api, "agora_rank", c, fn_rank,
					 NULL) != SQLITE_OK)
		return db_error(db, err, "cannot register the search ranking");
	/* the statements name the functions: they come after them */
	if (db_prepare_module(db, DB_MOD_SEARCH, search_sql, SEARCH_STMT__MAX,
			      err))
		return err ? err->code : AGORA_EDB;
	c->ready = 1;
	return 0;
}

/* ------------------------------------------------------ query builder */

/*
 * Folded stems of French function words. A query made only of them is
 * kept as it is; otherwise they are dropped: they match nearly every
 * proposal, so they add nothing to an AND but cost a full doclist each.
 */
static const char *const stop_stems[] = {
	"a",	"au",	"aux",	"avec", "ce",	"cet", "d",   "dan", "de",
	"du",	"elle", "en",	"est",	"et",	"il",  "je",  "l",   "la",
	"le",	"leur", "lui",	"ma",	"me",	"mon", "ne",  "nos", "notr",
	"nous", "on",	"ou",	"par",	"pour", "qu",  "que", "qui", "sa",
	"se",	"son",	"sont", "sur",	"ta",	"te",  "ton", "un",  "une",
	"vos",	"votr", "vous", "y",
};

static int is_stop(const char *stem, size_t n)
{
	size_t i;

	if (n > 4)
		return 0;
	for (i = 0; i < sizeof(stop_stems) / sizeof(stop_stems[0]); i++)
		if (strlen(stop_stems[i]) == n &&
		    !memcmp(stop_stems[i], stem, n))
			return 1;
	return 0;
}

struct qterm {
	size_t start, end; /* the word as typed, in q */
	int prefix;
	size_t klen;
	char key[2 * SEARCH_MAX_WORD + 8]; /* folded stem, for dedup */
};

struct qbuild {
	const char *q;
	size_t n;
	struct qterm word[SEARCH_MAX_TERMS], stop[SEARCH_MAX_TERMS];
	int nword, nstop, scanned;
};

/* Characters (not bytes) in s[0..n), counting lead bytes only */
static size_t char_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* fr_tokenize callback: files each word as a term; 1 stops the scan */
static int qbuild_word(void *ctx, const char *stem, size_t n, size_t start,
		       size_t end)
{
	struct qbuild *b = ctx;
	struct qterm *list, *t;
	int *count, i, prefix;

	if (++b->scanned > SEARCH_MAX_SCAN || b->nword == SEARCH_MAX_TERMS)
		return 1;
	if (end - start > SEARCH_MAX_WORD || n > 2 * SEARCH_MAX_WORD || !n)
		return 0;
	prefix = end < b->n && b->q[end] == '*' &&
		 char_count(b->q + start, end - start) >= SEARCH_MIN_PREFIX;
	if (!prefix && is_stop(stem, n)) {
		list = b->stop;
		count = &b->nstop;
	} else {
		list = b->word;
		count = &b->nword;
	}
	for (i = 0; i < *count; i++)
		if (list[i].prefix == prefix && list[i].klen == n &&
		    !memcmp(list[i].key, stem, n))
			return 0; /* the same term twice adds nothing */
	if (*count == SEARCH_MAX_TERMS)
		return 0;
	t = &list[(*count)++];
	t->start = start;
	t->end = end;
	t->prefix = prefix;
	t->klen = n;
	memcpy(t->key, stem, n);
	return 0;
}

static void quoted_append(struct sb *out, const char *w, size_t n)
{
	sb_putc(out, '"');
	sb_append(out, w, n);
	sb_putc(out, '"');
}

/*
 * A prefix query against an index of stems. The index holds "log" for
 * "logement", so the prefix "logem" alone would miss it: Snowball's stem
 * of a word is (nearly always) a prefix of the word, so a word starting
 * with p has either a stem starting with p, or a stem that is itself a
 * shorter prefix of p. The query is therefore
 *   ("logem"* OR "loge" OR "log")
 * with the shorter prefixes as whole terms (down to 3 characters, at
 * most 3 of them), which FTS5 stems like any query word.
 */
static void prefix_append(struct sb *out, const char *w, size_t n)
{
	size_t cut[SEARCH_MAX_WORD + 1], ncut = 0, i;
	uint32_t cp;
	int len;

	for (i = 0; i < n; i += (size_t)len) {
		len = utf8_decode(w + i, n - i, &cp);
		if (len <= 0)
			break;
		cut[ncut++] = i; /* the prefix of ncut - 1 characters ends here */
	}
	sb_putc(out, '(');
	quoted_append(out, w, n);
	sb_putc(out, '*');
	/* cut[k] is the byte length of the first k characters */
	for (i = ncut ? ncut - 1 : 0; i >= 3 && i + 3 >= ncut; i--) {
		sb_puts(out, " OR ");
		quoted_append(out, w, cut[i]);
	}
	sb_putc(out, ')');
}

/*
 * Words are found by the tokenizer's own rule (fr_tokenize), so the
 * quoted text holds word characters only: no quote, operator or control
 * byte can reach FTS5's parser. Each word is quoted as typed, accents
 * and all, and FTS5 runs it through agora_fr like the indexed text.
 */
/*
 * The terms of a user query: words found by the tokenizer's own rule,
 * deduplicated by stem, function words dropped unless nothing else is
 * left. Used to build the FTS5 query and to mark snippets alike.
 */
static int query_terms(const char *q, size_t n, struct fr_stemmer *st,
		       struct qbuild *b, const struct qterm **list, int *count)
{
	int rc;

	memset(b, 0, sizeof(*b));
	*list = NULL;
	*count = 0;
	b->q = q;
	b->n = n;
	rc = fr_tokenize(st, q, n, qbuild_word, b);
	if (rc < 0)
		return rc;
	*list = b->nword ? b->word : b->stop;
	*count = b->nword ? b->nword : b->nstop;
	return 0;
}

/*
 * Words are found by the tokenizer's own rule (fr_tokenize), so the
 * quoted text holds word characters only: no quote, operator or control
 * byte can reach FTS5's parser. Each word is quoted as typed, accents
 * and all, and FTS5 runs it through agora_fr like the indexed text.
 */
static int query_build(const char *q, size_t n, struct fr_stemmer *st,
		       struct sb *out)
{
	const struct qterm *list;
	struct qbuild *b;
	size_t start = out->len, need;
	int i, count, rc;

	if (!q || !n)
		return sb_error(out);
	if (!(b = malloc(sizeof(*b))))
		return AGORA_ENOMEM;
	if ((rc = query_terms(q, n, st, b, &list, &count)))
		goto out;
	for (i = 0; i < count; i++) {
		need = (list[i].end - list[i].start) * 4 + 40;
		if (out->len - start + need > SEARCH_MAX_QUERY)
			break;
		/* explicit AND: FTS5 has no implicit AND after a group */
		if (i)
			sb_puts(out, " AND ");
		if (list[i].prefix)
			prefix_append(out, q + list[i].start,
				      list[i].end - list[i].start);
		else
			quoted_append(out, q + list[i].start,
				      list[i].end - list[i].start);
	}
	rc = sb_error(out);
out:
	free(b);
	return rc;
}

int search_query_build_st(const char *q, size_t n, struct fr_stemmer *st,
			  struct sb *out)
{
	if (!q || !n)
		return sb_error(out);
	return query_build(q, n, st, out);
}

int search_query_build(const char *q, size_t n, struct sb *out)
{
	struct fr_stemmer *st;
	int rc;

	if (!q || !n)
		return sb_error(out);
	if (!(st = fr_stemmer_new()))
		return AGORA_ENOMEM;
	rc = search_query_build_st(q, n, st, out);
	fr_stemmer_free(st);
	return rc;
}

/* The highlighter for the same terms as search_query_build's query */
static struct hl_query *query_highlighter(const char *q,
					  struct fr_stemmer *st)
{
	const struct qterm *list;
	struct hl_query *h = NULL;
	struct qbuild *b = malloc(sizeof(*b));
	int i, count;

	if (!b || query_terms(q, strlen(q), st, b, &list, &count))
		goto out;
	if (!(h = hl_query_new(st)))
		goto out;
	for (i = 0; i < count; i++)
		if (hl_query_add(h, q + list[i].start,
				 list[i].end - list[i].start, list[i].prefix)) {
			hl_query_free(h);
			h = NULL;
			break;
		}
out:
	free(b);
	return h;
}

/* ------------------------------------------------------------- search */

struct match {
	int64_t id, cand;
	double rank;
	uint64_t mix; /* id_mix(id), the tie-break */
};

/* A fixed permutation of ids (splitmix64's finaliser) */
static uint64_t id_mix(int64_t id)
{
	uint64_t z = (uint64_t)id + 0x9e3779b97f4a7c15u;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/*
 * Best rank first. Equal ranks are ordered by a fixed mix of the ids,
 * not by the ids themselves: ids follow ingestion order, and ties must
 * not favour the candidate whose programme came in first.
 */
static int match_by_rank(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	uint64_t hx, hy;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	hx = x->mix;
	hy = y->mix;
	if (hx != hy)
		return hx < hy ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Puts the k best matches first, in order: a page needs the top
 * offset + limit of up to SEARCH_RANK_CAP, not all of them sorted. An
 * insertion into the sorted top k is a few compares for most matches.
 */
static void best_first(struct match *m, size_t n, size_t k)
{
	size_t i, lo, hi, mid, kept = 0;
	struct match t;

	if (k >= n / 4) {
		qsort(m, n, sizeof(*m), match_by_rank);
		return;
	}
	for (i = 0; i < n; i++) {
		if (kept == k && match_by_rank(&m[i], &m[k - 1]) >= 0)
			continue;
		t = m[i];
		lo = 0;
		hi = kept;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (match_by_rank(&m[mid], &t) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (kept < k)
			kept++;
		/* m[i] is past the top k (i >= kept - 1): nothing is lost */
		memmove(&m[lo + 1], &m[lo], (kept - 1 - lo) * sizeof(*m));
		m[lo] = t;
	}
}

static int match_by_cand(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return (x->cand > y->cand) - (x->cand < y->cand);
}

static void search_hit_fini(struct search_hit *h)
{
	free(h->election);
	free(h->candidate_slug);
	free(h->candidate_name);
	free(h->party);
	free(h->heading_path);
	free(h->text);
	free(h->snippet);
	memset(h, 0, sizeof(*h));
}

void search_result_fini(struct search_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		search_hit_fini(&r->v[i]);
	free(r->v);
	for (i = 0; i < r->ncand; i++) {
		free(r->per_candidate[i].candidate_slug);
		free(r->per_candidate[i].candidate_name);
	}
	free(r->per_candidate);
	memset(r, 0, sizeof(*r));
}

/* "Given Family", or the family name alone; NULL when memory runs out */
static char *full_name(const char *given, const char *family)
{
	size_t g = strlen(given), f = strlen(family);
	char *s = malloc(g + f + 2);

	if (!s)
		return NULL;
	if (g) {
		memcpy(s, given, g);
		s[g++] = ' ';
	}
	memcpy(s + g, family, f + 1);
	return s;
}

/*
 * Resolves the election and candidate filters to ids. An unknown slug
 * matches nothing: *none is set and the search gives an empty list.
 */
static int search_filter_ids(struct agora_db *db, const struct search_opts *o,
			     sqlite3_stmt *matches, int64_t *election,
			     int64_t *candidate, int *none,
			     struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc;

	*none = 0;
	if (!o || (!o->election && !o->candidate))
		return 0;
	st = db_stmt(db, DB_MOD_SEARCH, SEARCH_FILTER_IDS);
	if (o->election)
		sqlite3_bind_text(st, 1, o->election, -1, SQLITE_STATIC);
	if (o->candidate)
		sqlite3_bind_text(st, 2, o->candidate, -1, SQLITE_STATIC);
	if ((rc = db_step(db, st, err)) < 0)
		return rc;
	/* the same slug in two elections: say which one, do not guess */
	if (o->candidate && sqlite3_column_int64(st, 2) > 1) {
		sqlite3_reset(st);
		return agora_errorf(err, AGORA_EINVAL,
				    "candidate '%s' stands in several "
				    "elections: name the election too",
				    o->candidate);
	}
	if ((o->election && sqlite3_column_type(st, 0) == SQLITE_NULL) ||
	    (o->candidate && sqlite3_column_type(st, 1) == SQLITE_NULL))
		*none = 1;
	if (o->election) {
		*election = sqlite3_column_int64(st, 0);
		sqlite3_bind_int64(matches, 2, *election);
	}
	if (o->candidate) {
		*candidate = sqlite3_column_int64(st, 1);
		sqlite3_bind_int64(matches, 3, *candidate);
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * Sets every candidate's quota of ranked matches for one query: the cap
 * shared equally among the candidates in scope (at least
 * SEARCH_RANK_MIN each), and clears the per-query counts.
 */
static void search_quota(struct search_cache *c, int64_t election,
			 int64_t candidate)
{
	size_t i, n = 0;

	for (i = 0; i < c->ncand; i++) {
		c->cand[i].count = 0;
		c->cand[i].ranked = 0;
		if ((election < 0 || c->cand[i].election == election) &&
		    (candidate < 0 || c->cand[i].id == candidate))
			n++;
	}
	c->last = NULL;
	c->quota = n ? SEARCH_RANK_CAP / n : SEARCH_RANK_CAP;
	if (c->quota < SEARCH_RANK_MIN)
		c->quota = SEARCH_RANK_MIN;
}

/*
 * Runs the match query: every match is counted for its candidate, the
 * ones within their candidate's quota are ranked and kept in m (caller
 * frees). Past SEARCH_SCAN_MAX matches the scan stops and *capped says
 * that the counts are lower bounds.
 */
static int search_matches(struct agora_db *db, const char *fq,
			  const struct search_opts *o, struct match **out,
			  size_t *n, int *capped, struct agora_error *err)
{
	struct search_cache *c = db_module_data(db, DB_MOD_SEARCH);
	sqlite3_stmt *st;
	struct match *m = NULL, *nm;
	size_t cap = 0, scanned = 0;
	int64_t election = -1, candidate = -1;
	int rc, none;

	*n = 0;
	*capped = 0;
	if ((rc = search_cache_refresh(c, err)))
		return rc;
	search_quota(c, -1, -1); /* clears the counts of the last query */
	/* without the cache, candidates come from the filtered variant */
	st = db_stmt(db, DB_MOD_SEARCH,
		     (o && (o->election || o->candidate)) || !c->contiguous
			     ? SEARCH_MATCHES_FILTERED
			     : SEARCH_MATCHES);
	if ((rc = search_filter_ids(db, o, st, &election, &candidate, &none,
				    err)) ||
	    none)
		goto out;
	sqlite3_bind_text(st, 1, fq, -1, SQLITE_STATIC);
	if (o && o->theme)
		sqlite3_bind_text(st, 4, o->theme, -1, SQLITE_STATIC);
	search_quota(c, election, candidate);
	while ((rc = db_step(db, st, err)) == 1) {
		if (++scanned > SEARCH_SCAN_MAX) {
			*capped = 1;
			break;
		}
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue; /* counted, over its candidate's quota */
		if (*n == cap) {
			cap = cap ? 4 * cap : 64;
			nm = realloc(m, cap * sizeof(*m));
			if (!nm) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				goto out;
			}
			m = nm;
		}
		m[*n].id = sqlite3_column_int64(st, 0);
		m[*n].cand = sqlite3_column_int64(st, 1);
		m[*n].rank = sqlite3_column_double(st, 2);
		m[*n].mix = id_mix(m[*n].id);
		(*n)++;
	}
	if (rc < 0)
		agora_error_prefix(err, "cannot search");
	else
		rc = 0;
out:
	sqlite3_reset(st);
	if (rc) {
		free(m);
		m = NULL;
		*n = 0;
	}
	*out = m;
	return rc;
}

struct cand_count {
	char *sort_key;
	struct search_count c;
};

static int cand_by_key(const void *a, const void *b)
{
	const struct cand_count *x = a, *y = b;

	return strcmp(x->sort_key, y->sort_key);
}

/*
 * Counts matches per candidate and names them, in the neutral order
 * (the candidates' sort key) like everywhere else. Sorts m by candidate.
 */
static int search_counts(struct agora_db *db, struct match *m, size_t n,
			 struct search_result *r, struct agora_error *err)
{
	struct cand_count *cc = NULL;
	sqlite3_stmt *st;
	size_t i, j, k = 0, nc = 0;
	int rc = 0;

	if (!n)
		return 0;
	qsort(m, n, sizeof(*m), match_by_cand);
	for (i = 0; i < n; i++)
		nc += !i || m[i].cand != m[i - 1].cand;
	cc = calloc(nc, sizeof(*cc));
	r->per_candidate = calloc(nc, sizeof(*r->per_candidate));
	if (!cc || !r->per_candidate) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && m[j].cand == m[i].cand; j++)
			;
		st = db_stmt(db, DB_MOD_SEARCH, SEARCH_CANDIDATE);
		sqlite3_bind_int64(st, 1, m[i].cand);
		rc = db_step(db, st, err);
		if (rc < 0)
			goto out;
		rc = 0;
		cc[k].c.n = j - i;
		cc[k].c.candidate_slug = db_col_dup(st, 0);
		cc[k].c.candidate_name =
			full_name(db_col_text(st, 1), db_col_text(st, 2));
		cc[k].sort_key = db_col_dup(st, 3);
		sqlite3_reset(st);
		if (!cc[k].c.candidate_slug || !cc[k].c.candidate_name ||
		    !cc[k].sort_key) {
			free(cc[k].c.candidate_slug);
			free(cc[k].c.candidate_name);
			free(cc[k].sort_key);
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto out;
		}
		k++;
	}
	qsort(cc, k, sizeof(*cc), cand_by_key);
out:
	for (i = 0; i < k; i++) {
		r->per_candidate[i] = cc[i].c;
		free(cc[i].sort_key);
	}
	r->ncand = k;
	free(cc);
	return rc;
}

/* Fills h from the current row of SEARCH_HIT; rank and id are set */
static int search_hit_fill(sqlite3_stmt *st, struct search_hit *h,
			   struct agora_error *err)
{
	h->text = db_col_dup(st, 1);
	h->heading_path = db_col_dup(st, 2);
	h->election = db_col_dup(st, 3);
	h->candidate_slug = db_col_dup(st, 4);
	h->candidate_name = full_name(db_col_text(st, 5), db_col_text(st, 6));
	h->party = db_col_dup(st, 7);
	if (!h->snippet || !h->text || !h->heading_path || !h->election ||
	    !h->candidate_slug || !h->candidate_name || !h->party)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	return 0;
}

/*
 * The counts per candidate of every match, from the per-query counters
 * of the cache, in the neutral order; without the cache (ranges not
 * contiguous) every match was ranked and kept, and m is counted.
 */
static int search_counts_cached(struct agora_db *db, struct match *m,
				size_t n, struct search_result *r,
				struct agora_error *err)
{
	struct search_cache *c = db_module_data(db, DB_MOD_SEARCH);
	struct cand_count *cc;
	size_t i, k = 0, nc = 0;

	if (!c->valid || !c->contiguous) {
		r->total = n;
		return search_counts(db, m, n, r, err);
	}
	for (i = 0; i < c->ncand; i++) {
		nc += c->cand[i].count > 0;
		r->total += c->cand[i].count;
	}
	if (!nc)
		return 0;
	cc = calloc(nc, sizeof(*cc));
	r->per_candidate = calloc(nc, sizeof(*r->per_candidate));
	if (!cc || !r->per_candidate) {
		free(cc);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	for (i = 0; i < c->ncand; i++) {
		if (!c->cand[i].count)
			continue;
		cc[k].c.n = c->cand[i].count;
		cc[k].c.candidate_slug = strdup(c->cand[i].slug);
		cc[k].c.candidate_name = strdup(c->cand[i].name);
		cc[k].sort_key = c->cand[i].sort_key; /* borrowed */
		k++;
	}
	qsort(cc, k, sizeof(*cc), cand_by_key);
	for (i = 0; i < k; i++)
		r->per_candidate[i] = cc[i].c;
	r->ncand = k;
	free(cc);
	for (i = 0; i < k; i++)
		if (!r->per_candidate[i].candidate_slug ||
		    !r->per_candidate[i].candidate_name)
			return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	return 0;
}

/*
 * Fetches the page's hits m[0..n) into r->v, in rank order: each by its
 * id, with its snippet marked from the text itself (snippet.c).
 */
static int search_hits(struct agora_db *db, const char *q,
		       const struct match *m, size_t n, struct search_result *r,
		       struct agora_error *err)
{
	struct search_cache *c = db_module_data(db, DB_MOD_SEARCH);
	struct hl_query *h = query_highlighter(q, c->st);
	struct sb snip;
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	sb_init(&snip, 0);
	r->v = calloc(n, sizeof(*r->v));
	if (!h || !r->v) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct search_hit *hit = &r->v[r->n];

		st = db_stmt(db, DB_MOD_SEARCH, SEARCH_HIT);
		sqlite3_bind_int64(st, 1, m[i].id);
		if ((rc = db_step(db, st, err)) < 0)
			goto out;
		if (rc == 0)
			continue; /* gone: leaves no slot */
		hit->proposal_id = m[i].id;
		hit->rank = m[i].rank;
		r->n++;
		sb_reset(&snip);
		if (hl_snippet(h, db_col_text(st, 1),
			       (size_t)sqlite3_column_bytes(st, 1),
			       SEARCH_SNIPPET_WORDS, &snip) ||
		    !(hit->snippet = strdup(snip.buf)) ||
		    (rc = search_hit_fill(st, hit, err))) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_reset(db_stmt(db, DB_MOD_SEARCH, SEARCH_HIT));
	hl_query_free(h);
	sb_fini(&snip);
	return rc;
}

/*
 * Two steps: the capped match query gives ids, ranks and candidates
 * (cheap per row), counted and sorted here; then only the page's hits
 * pay for their text and snippet. Both run in one read transaction so
 * the counts and the hits agree.
 */
int compare_search(struct agora_db *db, const char *q,
		   const struct search_opts *opts, struct search_result *out,
		   struct agora_error *err)
{
	struct search_cache *c;
	struct match *m = NULL;
	struct sb fq;
	size_t n = 0, limit, offset, end;
	int rc, own_tx = 0, capped;

	memset(out, 0, sizeof(*out));
	sb_init(&fq, 4 * SEARCH_MAX_QUERY);
	if ((rc = search_db_prepare(db, err)))
		goto out;
	c = db_module_data(db, DB_MOD_SEARCH);
	if (q && (rc = query_build(q, strlen(q), c->st, &fq))) {
		rc = agora_errorf(err, rc, "cannot build the search query");
		goto out;
	}
	if (!fq.len)
		goto out;
	limit = opts && opts->limit ? opts->limit : SEARCH_DEFAULT_LIMIT;
	if (limit > SEARCH_MAX_LIMIT)
		limit = SEARCH_MAX_LIMIT;
	offset = opts ? opts->offset : 0;
	if (sqlite3_get_autocommit(db_handle(db))) {
		if ((rc = db_begin(db, err)))
			goto out;
		own_tx = 1;
	}
	rc = search_matches(db, fq.buf, opts, &m, &n, &capped, err);
	if (rc)
		goto out;
	if ((rc = search_counts_cached(db, m, n, out, err)))
		goto out;
	out->total_capped = capped;
	if (offset >= n)
		goto out;
	end = n - offset > limit ? offset + limit : n;
	best_first(m, n, end);
	rc = search_hits(db, q, m + offset, end - offset, out, err);
out:
	if (own_tx && !rc)
		rc = db_commit(db, err);
	if (own_tx && rc)
		db_rollback(db);
	if (rc)
		search_result_fini(out);
	free(m);
	sb_fini(&fq);
	return rc;
}
