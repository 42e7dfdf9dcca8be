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
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "compare_int.h"

#define SEARCH_MAX_TERMS 16
#define SEARCH_MAX_QUERY 1024
#define SEARCH_MAX_WORD 100   /* bytes: anything longer is not a word */
#define SEARCH_MAX_SCAN 256   /* words looked at in one query string */
#define SEARCH_MIN_PREFIX 3   /* characters before a '*' */
#define SEARCH_RANK_CAP 2000  /* matches ranked at most */
#define SEARCH_SCAN_CAP 10000 /* index matches looked at, kept or not */
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT 100

enum search_stmt {
	SEARCH_MATCHES,
	SEARCH_HIT,
	SEARCH_CANDIDATE,
	SEARCH_STMT__MAX
};

/*
 * The FTS5 table drives the match query (CROSS JOIN fixes the order), in
 * rowid order. The current documents that pass the election and
 * candidate filters are computed once per query (cur, a handful of rows,
 * auto-indexed); each match costs a proposal lookup and a probe. A row
 * that fails a filter comes back with a NULL rank, so that bm25 (the
 * dearest part, it reads the row's length) runs only for kept rows and
 * the C side can count and cap what it scans. Filters are NULL unused.
 */
static const char *const search_sql[SEARCH_STMT__MAX] = {
	[SEARCH_MATCHES] =
		"WITH cur(id, cand) AS MATERIALIZED ("
		" SELECT d.id, d.candidate_id FROM current_document d"
		" JOIN candidate c ON c.id = d.candidate_id"
		" WHERE (?2 IS NULL OR c.election_id ="
		"  (SELECT id FROM election WHERE slug = ?2))"
		" AND (?3 IS NULL OR c.slug = ?3)),"
		" th(id) AS MATERIALIZED ("
		" SELECT id FROM theme WHERE slug = ?4"
		" UNION ALL SELECT id FROM theme WHERE parent_id ="
		"  (SELECT id FROM theme WHERE slug = ?4))"
		" SELECT proposal_fts.rowid, cur.cand,"
		" CASE WHEN cur.cand IS NULL THEN NULL"
		"  WHEN ?4 IS NOT NULL AND NOT EXISTS (SELECT 1"
		"   FROM proposal_theme pt WHERE pt.proposal_id = p.id"
		"   AND pt.status <> 'rejected'"
		"   AND pt.theme_id IN (SELECT id FROM th)) THEN NULL"
		"  ELSE proposal_fts.rank END"
		" FROM proposal_fts"
		" CROSS JOIN proposal p ON p.id = proposal_fts.rowid"
		" LEFT JOIN cur ON cur.id = p.document_id"
		" WHERE proposal_fts MATCH ?1",
	[SEARCH_HIT] = "SELECT proposal_fts.rowid,"
		       " snippet(proposal_fts, 0, char(2), char(3),"
		       " '\xe2\x80\xa6', 24),"
		       " p.text, p.heading_path, e.slug, c.slug, c.given_name,"
		       " c.family_name, c.party"
		       " FROM proposal_fts"
		       " CROSS JOIN proposal p ON p.id = proposal_fts.rowid"
		       " JOIN document d ON d.id = p.document_id"
		       " JOIN candidate c ON c.id = d.candidate_id"
		       " JOIN election e ON e.id = c.election_id"
		       " WHERE proposal_fts MATCH ?1"
		       " AND proposal_fts.rowid BETWEEN ?2 AND ?3"
		       " AND instr(?4, ',' || proposal_fts.rowid || ',') > 0",
	[SEARCH_CANDIDATE] = "SELECT slug, given_name, family_name, sort_key"
			     " FROM candidate"
			     " WHERE id = ?1",
};

int search_db_prepare(struct agora_db *db, struct agora_error *err)
{
	return db_prepare_module(db, DB_MOD_SEARCH, search_sql,
				 SEARCH_STMT__MAX, err);
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
int search_query_build(const char *q, size_t n, struct sb *out)
{
	struct fr_stemmer *st;
	struct qbuild *b;
	struct qterm *list;
	size_t start = out->len, need;
	int i, count, rc;

	if (!q || !n)
		return sb_error(out);
	b = calloc(1, sizeof(*b));
	st = fr_stemmer_new();
	if (!b || !st) {
		rc = AGORA_ENOMEM;
		goto out;
	}
	b->q = q;
	b->n = n;
	rc = fr_tokenize(st, q, n, qbuild_word, b);
	if (rc < 0)
		goto out;
	rc = 0;
	list = b->nword ? b->word : b->stop;
	count = b->nword ? b->nword : b->nstop;
	for (i = 0; i < count; i++) {
		need = (list[i].end - list[i].start) + 4;
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
	fr_stemmer_free(st);
	free(b);
	return rc;
}

/* ------------------------------------------------------------- search */

struct match {
	int64_t id, cand;
	double rank;
};

static int match_by_rank(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
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

static char *col_dup(sqlite3_stmt *st, int col)
{
	return strdup(db_col_text(st, col));
}

/*
 * Runs the match query: fills m (caller frees) and *n. Stops after
 * SEARCH_RANK_CAP kept matches or SEARCH_SCAN_CAP scanned ones, so a
 * query for "france" or a broad word under a narrow filter stays cheap;
 * *capped then says the total is a lower bound.
 */
static int search_matches(struct agora_db *db, const char *fq,
			  const struct search_opts *o, struct match **out,
			  size_t *n, int *capped, struct agora_error *err)
{
	sqlite3_stmt *st = db_stmt(db, DB_MOD_SEARCH, SEARCH_MATCHES);
	struct match *m = NULL, *nm;
	size_t cap = 0, scanned = 0;
	int rc;

	*n = 0;
	*capped = 0;
	sqlite3_bind_text(st, 1, fq, -1, SQLITE_STATIC);
	if (o && o->election)
		sqlite3_bind_text(st, 2, o->election, -1, SQLITE_STATIC);
	if (o && o->candidate)
		sqlite3_bind_text(st, 3, o->candidate, -1, SQLITE_STATIC);
	if (o && o->theme)
		sqlite3_bind_text(st, 4, o->theme, -1, SQLITE_STATIC);
	while ((rc = db_step(db, st, err)) == 1) {
		if (++scanned > SEARCH_SCAN_CAP || *n == SEARCH_RANK_CAP) {
			*capped = 1;
			break;
		}
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue; /* filtered out */
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
		cc[k].c.candidate_slug = col_dup(st, 0);
		cc[k].c.candidate_name =
			full_name(db_col_text(st, 1), db_col_text(st, 2));
		cc[k].sort_key = col_dup(st, 3);
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
	h->snippet = col_dup(st, 1);
	h->text = col_dup(st, 2);
	h->heading_path = col_dup(st, 3);
	h->election = col_dup(st, 4);
	h->candidate_slug = col_dup(st, 5);
	h->candidate_name = full_name(db_col_text(st, 6), db_col_text(st, 7));
	h->party = col_dup(st, 8);
	if (!h->snippet || !h->text || !h->heading_path || !h->election ||
	    !h->candidate_slug || !h->candidate_name || !h->party)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	return 0;
}

/*
 * Fetches the page's hits m[0..n) into r->v in one statement: FTS5 sets
 * up the query once (a prefix term merges its doclists once, not once
 * per hit) and walks only the rowid span of the page, where skipping a
 * row costs next to nothing; the id list picks the page's rows.
 */
static int search_hits(struct agora_db *db, const char *fq,
		       const struct match *m, size_t n, struct search_result *r,
		       struct agora_error *err)
{
	sqlite3_stmt *st;
	struct sb idl;
	int64_t lo = m[0].id, hi = m[0].id, id;
	size_t i;
	int rc;

	sb_init(&idl, 0);
	sb_putc(&idl, ',');
	for (i = 0; i < n; i++) {
		lo = m[i].id < lo ? m[i].id : lo;
		hi = m[i].id > hi ? m[i].id : hi;
		sb_printf(&idl, "%lld,", (long long)m[i].id);
	}
	r->v = calloc(n, sizeof(*r->v));
	if (sb_error(&idl) || !r->v) {
		sb_fini(&idl);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	/* hits are shown in rank order; rows missing (deleted) leave none */
	for (i = 0; i < n; i++) {
		r->v[i].proposal_id = m[i].id;
		r->v[i].rank = m[i].rank;
	}
	st = db_stmt(db, DB_MOD_SEARCH, SEARCH_HIT);
	sqlite3_bind_text(st, 1, fq, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	sqlite3_bind_text(st, 4, idl.buf, (int)idl.len, SQLITE_STATIC);
	while ((rc = db_step(db, st, err)) == 1) {
		id = sqlite3_column_int64(st, 0);
		for (i = 0; i < n && r->v[i].proposal_id != id; i++)
			;
		if (i == n || r->v[i].text)
			continue;
		if ((rc = search_hit_fill(st, &r->v[i], err)))
			break;
	}
	sqlite3_reset(st);
	sb_fini(&idl);
	r->n = n;
	if (rc < 0)
		return rc;
	/* drop the slots no row filled, keeping the order */
	for (i = 0, r->n = 0; i < n; i++) {
		if (r->v[i].text)
			r->v[r->n++] = r->v[i];
		else
			search_hit_fini(&r->v[i]);
	}
	return 0;
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
	struct match *m = NULL;
	struct sb fq;
	size_t n = 0, limit, offset, end;
	int rc, own_tx = 0, capped;

	memset(out, 0, sizeof(*out));
	sb_init(&fq, 4 * SEARCH_MAX_QUERY);
	if ((rc = search_db_prepare(db, err)))
		goto out;
	if (q && (rc = search_query_build(q, strlen(q), &fq))) {
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
	out->total = n;
	out->total_capped = capped;
	if ((rc = search_counts(db, m, n, out, err)))
		goto out;
	if (offset >= n)
		goto out;
	end = n - offset > limit ? offset + limit : n;
	qsort(m, n, sizeof(*m), match_by_rank);
	rc = search_hits(db, fq.buf, m + offset, end - offset, out, err);
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
