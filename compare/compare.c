/*
 * compare.c - elections, candidates in their neutral order, the theme
 * grid and theme coverage. The comparator never ranks candidates: the
 * order is the election's stated rule, alphabetical by family name or
 * shuffled for each visitor (a fair permutation drawn from the
 * visitor's seed).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "compare.h"
#include "compare_int.h"

enum compare_stmt {
	CMP_ELECTION_INSERT,
	CMP_ELECTION_GET,
	CMP_ELECTION_SET_ORDER,
	CMP_CANDIDATES,
	CMP_THEME_GET,
	CMP_GRID,
	CMP_COVERAGE,
	COMPARE_STMT__MAX
};

/* Proposals of the current published programmes, by candidate */
#define CURRENT_PROPOSALS                                                      \
	" FROM proposal p JOIN current_document d ON d.id = p.document_id"

/* Theme ?T or, when ?T is a group, any theme of the group */
#define THEME_MATCH(col, t)                                                    \
	" " col " IN (SELECT id FROM theme WHERE id = " t                      \
	" OR parent_id = " t ")"

static const char *const compare_sql[COMPARE_STMT__MAX] = {
	[CMP_ELECTION_INSERT] =
		"INSERT INTO election(slug, title, date, language)"
		" VALUES (?1, ?2, ?3, ?4)",
	[CMP_ELECTION_GET] = "SELECT id, slug, title, kind, date, language,"
			     " candidate_order FROM election WHERE slug = ?1",
	[CMP_ELECTION_SET_ORDER] =
		"UPDATE election SET candidate_order = ?2 WHERE slug = ?1",
	[CMP_CANDIDATES] =
		"SELECT c.id, c.slug, c.given_name, c.family_name, c.party,"
		" (SELECT count(*) FROM current_document d"
		"  WHERE d.candidate_id = c.id),"
		" (SELECT count(*)" CURRENT_PROPOSALS
		"  WHERE d.candidate_id = c.id)"
		" FROM candidate c WHERE c.election_id = ?1"
		" ORDER BY c.sort_key, c.id",
	[CMP_THEME_GET] =
		"SELECT id, slug, label_fr, label_en FROM theme WHERE slug = ?1",
	[CMP_GRID] =
		"SELECT p.id, p.text, p.heading_path, p.kind,"
		" (SELECT pt.origin FROM proposal_theme pt"
		"  WHERE pt.proposal_id = p.id AND pt.status <> 'rejected'"
		"  AND" THEME_MATCH("pt.theme_id", "?2")
		"  ORDER BY pt.confidence DESC LIMIT 1),"
		" (SELECT max(pt.confidence) FROM proposal_theme pt"
		"  WHERE pt.proposal_id = p.id AND pt.status <> 'rejected'"
		"  AND" THEME_MATCH("pt.theme_id", "?2") ")" CURRENT_PROPOSALS
		" WHERE d.candidate_id = ?1 AND EXISTS (SELECT 1"
		"  FROM proposal_theme pt WHERE pt.proposal_id = p.id"
		"  AND pt.status <> 'rejected' AND" THEME_MATCH("pt.theme_id",
								"?2") ")"
		" ORDER BY d.id, p.ordinal",
	/*
	 * Starts from the election's candidates, so the cost follows the
	 * election's own tags (a subquery per theme over every tag in the
	 * database took a second at 10^5 proposals, on every page): each
	 * tag counts for its theme and for the theme's group.
	 */
	[CMP_COVERAGE] =
		"WITH tags(pid, cid, tid) AS MATERIALIZED ("
		" SELECT p.id, d.candidate_id, pt.theme_id FROM candidate c"
		" JOIN current_document d ON d.candidate_id = c.id"
		" JOIN proposal p ON p.document_id = d.id"
		" JOIN proposal_theme pt ON pt.proposal_id = p.id"
		" WHERE c.election_id = ?1 AND pt.status <> 'rejected'),"
		" up(pid, cid, tid) AS ("
		" SELECT pid, cid, tid FROM tags UNION ALL"
		" SELECT tags.pid, tags.cid, t.parent_id FROM tags"
		" JOIN theme t ON t.id = tags.tid WHERE t.parent_id IS NOT NULL),"
		" agg(tid, nc, np) AS ("
		" SELECT tid, count(DISTINCT cid), count(DISTINCT pid) FROM up"
		" GROUP BY tid)"
		" SELECT t.slug, t.label_fr, t.label_en, coalesce(g.slug, ''),"
		" t.is_group, coalesce(agg.nc, 0), coalesce(agg.np, 0)"
		" FROM theme t LEFT JOIN theme g ON g.id = t.parent_id"
		" LEFT JOIN agg ON agg.tid = t.id"
		" ORDER BY t.position",
};

int compare_db_prepare(struct agora_db *db, struct agora_error *err)
{
	int rc = db_prepare_module(db, DB_MOD_COMPARE, compare_sql,
				   COMPARE_STMT__MAX, err);

	if (!rc)
		rc = search_db_prepare(db, err);
	if (!rc)
		rc = compare_read_db_prepare(db, err);
	return rc ? rc : compare_export_db_prepare(db, err);
}

static sqlite3_stmt *stmt(struct agora_db *db, enum compare_stmt id)
{
	return db_stmt(db, DB_MOD_COMPARE, id);
}

/* ------------------------------------------------------------ elections */

void election_info_fini(struct election_info *e)
{
	free(e->slug);
	free(e->title);
	free(e->kind);
	free(e->date);
	free(e->language);
	free(e->candidate_order);
	memset(e, 0, sizeof(*e));
}

/* Slugs are what URLs and the CLI use: lower-case letters, digits, '-' */
static int slug_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-'))
			return 0;
	return 1;
}

/* A date is YYYY-MM-DD with plausible digits */
static int date_valid(const char *s)
{
	int i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return (s[5] == '0' || (s[5] == '1' && s[6] <= '2')) &&
	       !(s[5] == '0' && s[6] == '0') && s[8] <= '3' &&
	       !(s[8] == '0' && s[9] == '0');
}

int election_add(struct agora_db *db, const char *slug, const char *title,
		 const char *date, const char *language,
		 struct agora_error *err)
{
	sqlite3_stmt *st;
	size_t bad;
	int rc;

	if (!slug_valid(slug))
		return agora_errorf(err, AGORA_EINVAL,
				    "invalid election slug '%s': use 1 to 64 "
				    "lower-case letters, digits and '-'",
				    slug);
	if (!title || !*title || strlen(title) > 300 ||
	    !utf8_valid(title, strlen(title), &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "an election needs a title of 1 to 300 "
				    "characters of UTF-8");
	if (date && *date && !date_valid(date))
		return agora_errorf(err, AGORA_EINVAL,
				    "invalid date '%s': expected YYYY-MM-DD",
				    date);
	if (!language || !*language)
		language = "fr";
	if (strcmp(language, "fr") && strcmp(language, "en"))
		return agora_errorf(err, AGORA_EINVAL,
				    "unsupported language '%s': fr or en",
				    language);
	if ((rc = db_begin_write(db, err)))
		return rc;
	st = stmt(db, CMP_ELECTION_INSERT);
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	if (date && *date)
		sqlite3_bind_text(st, 3, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, language, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db_handle(db)) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = agora_errorf(err, AGORA_EEXIST,
					  "election '%s' already exists", slug);
		else
			rc = db_error(db, err, "cannot add the election");
		db_rollback(db);
		return rc;
	}
	if ((rc = db_commit(db, err)))
		db_rollback(db);
	return rc;
}

int election_get(struct agora_db *db, const char *slug,
		 struct election_info *out, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CMP_ELECTION_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return agora_errorf(err, AGORA_ENOTFOUND, "no election '%s'",
				    slug);
	out->id = sqlite3_column_int64(st, 0);
	out->slug = db_col_dup(st, 1);
	out->title = db_col_dup(st, 2);
	out->kind = db_col_dup(st, 3);
	out->date = db_col_dup(st, 4);
	out->language = db_col_dup(st, 5);
	out->candidate_order = db_col_dup(st, 6);
	sqlite3_reset(st);
	if (!out->slug || !out->title || !out->kind || !out->date ||
	    !out->language || !out->candidate_order) {
		election_info_fini(out);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	return 0;
}

int election_set_candidate_order(struct agora_db *db, const char *slug,
				 const char *order, struct agora_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (strcmp(order, ORDER_ALPHABETICAL) && strcmp(order, ORDER_SHUFFLED))
		return agora_errorf(err, AGORA_EINVAL,
				    "unknown candidate order '%s': "
				    "alphabetical or shuffled",
				    order);
	if ((rc = db_begin_write(db, err)))
		return rc;
	st = stmt(db, CMP_ELECTION_SET_ORDER);
	sqlite3_bind_text(st, 1, slug, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, order, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(db, err, "cannot set the candidate order");
		sqlite3_reset(st);
		db_rollback(db);
		return rc;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(db_handle(db)) == 0) {
		db_rollback(db);
		return agora_errorf(err, AGORA_ENOTFOUND, "no election '%s'",
				    slug);
	}
	if ((rc = db_commit(db, err)))
		db_rollback(db);
	return rc;
}

/* ---------------------------------------------------------- the order */

int order_seed_parse(const char *s, uint64_t *seed)
{
	uint64_t v = 0;
	size_t i;
	int d;

	for (i = 0; i < ORDER_SEED_HEX; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (s[i])
		return -1;
	*seed = v;
	return 0;
}

void order_seed_format(uint64_t seed, char out[ORDER_SEED_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = ORDER_SEED_HEX - 1; i >= 0; i--, seed >>= 4)
		out[i] = hex[seed & 15];
	out[ORDER_SEED_HEX] = '\0';
}

/*
 * A deterministic stream of random words: blocks of ChaCha20 output
 * (randombytes_buf_deterministic), each keyed by BLAKE2b(key, block
 * number) so that the stream never runs out, however many draws the
 * rejections take.
 */
struct order_rng {
	unsigned char key[randombytes_SEEDBYTES];
	unsigned char buf[256];
	size_t pos;
	uint64_t block;
};

static void order_rng_init(struct order_rng *g, uint64_t seed, const char *salt)
{
	static const char domain[] = "agora candidate order v1";
	crypto_generichash_state h;
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(seed >> (8 * i));
	crypto_generichash_init(&h, NULL, 0, sizeof(g->key));
	crypto_generichash_update(&h, (const unsigned char *)domain,
				  sizeof(domain));
	crypto_generichash_update(&h, le, sizeof(le));
	crypto_generichash_update(&h, (const unsigned char *)salt,
				  strlen(salt));
	crypto_generichash_final(&h, g->key, sizeof(g->key));
	g->pos = sizeof(g->buf);
	g->block = 0;
}

static uint32_t order_rng_u32(struct order_rng *g)
{
	uint32_t v;

	if (g->pos + 4 > sizeof(g->buf)) {
		unsigned char sub[randombytes_SEEDBYTES], le[8];
		int i;

		for (i = 0; i < 8; i++)
			le[i] = (unsigned char)(g->block >> (8 * i));
		crypto_generichash(sub, sizeof(sub), le, sizeof(le), g->key,
				   sizeof(g->key));
		randombytes_buf_deterministic(g->buf, sizeof(g->buf), sub);
		g->block++;
		g->pos = 0;
	}
	v = (uint32_t)g->buf[g->pos] | (uint32_t)g->buf[g->pos + 1] << 8 |
	    (uint32_t)g->buf[g->pos + 2] << 16 |
	    (uint32_t)g->buf[g->pos + 3] << 24;
	g->pos += 4;
	return v;
}

/*
 * Uniform in [0, bound), bound >= 1: words below 2^32 mod bound are
 * drawn again, so every value has exactly the same number of words
 * mapping to it (a plain modulo would favour the small values).
 */
static uint32_t order_rng_below(struct order_rng *g, uint32_t bound)
{
	uint32_t min = (uint32_t)(-bound) % bound, r;

	do
		r = order_rng_u32(g);
	while (r < min);
	return r % bound;
}

int order_permutation(size_t *perm, size_t n, uint64_t seed, const char *salt)
{
	struct order_rng g;
	size_t i, j, t;

	if (n > UINT32_MAX)
		return AGORA_EINVAL;
	for (i = 0; i < n; i++)
		perm[i] = i;
	if (n < 2)
		return 0;
	order_rng_init(&g, seed, salt);
	for (i = n - 1; i > 0; i--) {
		j = order_rng_below(&g, (uint32_t)(i + 1));
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	sodium_memzero(&g, sizeof(g));
	return 0;
}

/* --------------------------------------------------------- candidates */

static void candidate_info_fini(struct candidate_info *c)
{
	free(c->slug);
	free(c->given_name);
	free(c->family_name);
	free(c->party);
}

void candidate_list_fini(struct candidate_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		candidate_info_fini(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int candidate_list(struct agora_db *db, const char *election,
		   struct candidate_list *out, struct agora_error *err)
{
	struct election_info e;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = election_get(db, election, &e, err)))
		return rc;
	st = stmt(db, CMP_CANDIDATES);
	sqlite3_bind_int64(st, 1, e.id);
	election_info_fini(&e);
	while ((rc = db_step(db, st, err)) == 1) {
		struct candidate_info *c;

		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *v = realloc(out->v, ncap * sizeof(*out->v));

			if (!v)
				goto nomem;
			out->v = v;
			cap = ncap;
		}
		c = &out->v[out->n++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->slug = db_col_dup(st, 1);
		c->given_name = db_col_dup(st, 2);
		c->family_name = db_col_dup(st, 3);
		c->party = db_col_dup(st, 4);
		c->documents = (size_t)sqlite3_column_int64(st, 5);
		c->proposals = (size_t)sqlite3_column_int64(st, 6);
		if (!c->slug || !c->given_name || !c->family_name || !c->party)
			goto nomem;
	}
	if (rc < 0)
		candidate_list_fini(out);
	return rc < 0 ? rc : 0;
nomem:
	sqlite3_reset(st);
	candidate_list_fini(out);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

int candidate_list_order(struct candidate_list *l, const char *election,
			 const char *rule, uint64_t seed,
			 struct agora_error *err)
{
	struct candidate_info *v;
	size_t *perm, i;

	if (strcmp(rule, ORDER_SHUFFLED) || l->n < 2)
		return 0;
	perm = calloc(l->n, sizeof(*perm));
	v = calloc(l->n, sizeof(*v));
	if (!perm || !v) {
		free(perm);
		free(v);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	if (order_permutation(perm, l->n, seed, election)) {
		free(perm);
		free(v);
		return agora_errorf(err, AGORA_EINVAL, "too many candidates");
	}
	for (i = 0; i < l->n; i++)
		v[i] = l->v[perm[i]];
	free(l->v);
	l->v = v;
	free(perm);
	return 0;
}

/* ---------------------------------------------------------- the grid */

/* The position of candidate id in l, or l->n */
static size_t list_pos(const struct candidate_list *l, int64_t id)
{
	size_t i;

	for (i = 0; i < l->n && l->v[i].id != id; i++)
		;
	return i;
}

void theme_grid_order(struct theme_grid *g, const struct candidate_list *l)
{
	struct grid_column c;
	size_t i, j;

	/* insertion sort: a handful of columns, and stable */
	for (i = 1; i < g->ncol; i++) {
		c = g->col[i];
		for (j = i; j > 0 && list_pos(l, g->col[j - 1].cand.id) >
					     list_pos(l, c.cand.id);
		     j--)
			g->col[j] = g->col[j - 1];
		g->col[j] = c;
	}
}

void theme_grid_fini(struct theme_grid *g)
{
	size_t i, k;

	for (i = 0; i < g->ncol; i++) {
		for (k = 0; k < g->col[i].n; k++) {
			free(g->col[i].v[k].text);
			free(g->col[i].v[k].heading_path);
			free(g->col[i].v[k].kind);
			free(g->col[i].v[k].origin);
		}
		free(g->col[i].v);
		candidate_info_fini(&g->col[i].cand);
	}
	free(g->col);
	free(g->theme);
	free(g->theme_label_fr);
	free(g->theme_label_en);
	memset(g, 0, sizeof(*g));
}

/* Fills one column with the candidate's proposals on theme tid */
static int grid_column_fill(struct agora_db *db, int64_t tid,
			    struct grid_column *col, struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CMP_GRID);
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(st, 1, col->cand.id);
	sqlite3_bind_int64(st, 2, tid);
	while ((rc = db_step(db, st, err)) == 1) {
		struct grid_proposal *p;

		if (col->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *v = realloc(col->v, ncap * sizeof(*col->v));

			if (!v)
				goto nomem;
			col->v = v;
			cap = ncap;
		}
		p = &col->v[col->n++];
		p->id = sqlite3_column_int64(st, 0);
		p->text = db_col_dup(st, 1);
		p->heading_path = db_col_dup(st, 2);
		p->kind = db_col_dup(st, 3);
		p->origin = db_col_dup(st, 4);
		p->confidence = sqlite3_column_double(st, 5);
		if (!p->text || !p->heading_path || !p->kind || !p->origin)
			goto nomem;
	}
	return rc < 0 ? rc : 0;
nomem:
	sqlite3_reset(st);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

int compare_theme_grid(struct agora_db *db, const char *election,
		       const char *theme, const char *const *slugs, size_t n,
		       struct theme_grid *out, struct agora_error *err)
{
	struct candidate_list all;
	sqlite3_stmt *st;
	int64_t tid;
	size_t i, k;
	int rc, own_tx = 0;

	memset(out, 0, sizeof(*out));
	/* one snapshot for all columns, unless the caller holds one */
	if (sqlite3_get_autocommit(db_handle(db))) {
		if ((rc = db_begin(db, err)))
			return rc;
		own_tx = 1;
	}
	st = stmt(db, CMP_THEME_GET);
	sqlite3_bind_text(st, 1, theme, -1, SQLITE_STATIC);
	rc = db_step(db, st, err);
	if (rc <= 0) {
		if (rc == 0)
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "no theme '%s' (see 'agora themes')",
					  theme);
		goto out;
	}
	tid = sqlite3_column_int64(st, 0);
	out->theme = db_col_dup(st, 1);
	out->theme_label_fr = db_col_dup(st, 2);
	out->theme_label_en = db_col_dup(st, 3);
	sqlite3_reset(st);
	if ((rc = candidate_list(db, election, &all, err)))
		goto out;
	/* every requested slug must exist: a typo is not "no proposal" */
	for (k = 0; slugs && k < n; k++) {
		for (i = 0; i < all.n; i++)
			if (!strcmp(all.v[i].slug, slugs[k]))
				break;
		if (i == all.n) {
			rc = agora_errorf(err, AGORA_ENOTFOUND,
					  "no candidate '%s' in election '%s'",
					  slugs[k], election);
			candidate_list_fini(&all);
			goto out;
		}
	}
	out->col = calloc(all.n ? all.n : 1, sizeof(*out->col));
	if (!out->col) {
		candidate_list_fini(&all);
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	/* the neutral order is the list's, whatever order slugs came in */
	for (i = 0; i < all.n; i++) {
		int wanted = !slugs || n == 0;

		for (k = 0; !wanted && k < n; k++)
			wanted = !strcmp(all.v[i].slug, slugs[k]);
		if (wanted) {
			out->col[out->ncol++].cand = all.v[i];
			memset(&all.v[i], 0, sizeof(all.v[i]));
		} else {
			candidate_info_fini(&all.v[i]);
		}
	}
	free(all.v);
	for (i = 0; i < out->ncol; i++)
		if ((rc = grid_column_fill(db, tid, &out->col[i], err)))
			goto out;
out:
	if (own_tx)
		db_rollback(db);
	if (rc)
		theme_grid_fini(out);
	return rc;
}

/* ------------------------------------------------------- coverage */

void theme_coverage_list_fini(struct theme_coverage_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].label_fr);
		free(l->v[i].label_en);
		free(l->v[i].group);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * The coverage of the last elections asked, kept per connection while
 * meta.search_generation stays (the page cache's rule: everything the
 * counts read bumps it, editors' tags included). Counting is a pass
 * over every tag of the election: 60-90 ms for 28,000 proposals, on
 * every election, compare and search page not in the page cache.
 */
#define COVERAGE_SLOTS 8

struct coverage_slot {
	int64_t election; /* -1: none (counts 0) */
	int64_t generation;
	int used;
	struct theme_coverage_list list;
};

struct coverage_cache {
	struct coverage_slot s[COVERAGE_SLOTS];
	unsigned next; /* the slot to replace */
};

static void coverage_cache_free(void *p)
{
	struct coverage_cache *c = p;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < COVERAGE_SLOTS; i++)
		theme_coverage_list_fini(&c->s[i].list);
	free(c);
}

static int coverage_copy(struct theme_coverage_list *to,
			 const struct theme_coverage_list *from)
{
	size_t i;

	memset(to, 0, sizeof(*to));
	if (!from->n)
		return 0;
	if (!(to->v = calloc(from->n, sizeof(*to->v))))
		return AGORA_ENOMEM;
	for (i = 0; i < from->n; i++) {
		const struct theme_coverage *f = &from->v[i];
		struct theme_coverage *t = &to->v[to->n++];

		*t = *f;
		t->key = strdup(f->key);
		t->label_fr = strdup(f->label_fr);
		t->label_en = strdup(f->label_en);
		t->group = strdup(f->group);
		if (!t->key || !t->label_fr || !t->label_en || !t->group) {
			theme_coverage_list_fini(to);
			return AGORA_ENOMEM;
		}
	}
	return 0;
}

/* Counts election_id's coverage into out, from the database */
static int coverage_read(struct agora_db *db, int64_t election_id,
			 struct theme_coverage_list *out,
			 struct agora_error *err)
{
	sqlite3_stmt *st = stmt(db, CMP_COVERAGE);
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(st, 1, election_id);
	while ((rc = db_step(db, st, err)) == 1) {
		struct theme_coverage *t;

		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			void *v = realloc(out->v, ncap * sizeof(*out->v));

			if (!v)
				goto nomem;
			out->v = v;
			cap = ncap;
		}
		t = &out->v[out->n++];
		t->key = db_col_dup(st, 0);
		t->label_fr = db_col_dup(st, 1);
		t->label_en = db_col_dup(st, 2);
		t->group = db_col_dup(st, 3);
		t->is_group = sqlite3_column_int(st, 4);
		t->candidates = (size_t)sqlite3_column_int64(st, 5);
		t->proposals = (size_t)sqlite3_column_int64(st, 6);
		if (!t->key || !t->label_fr || !t->label_en || !t->group)
			goto nomem;
	}
	if (rc < 0)
		theme_coverage_list_fini(out);
	return rc < 0 ? rc : 0;
nomem:
	sqlite3_reset(st);
	theme_coverage_list_fini(out);
	return agora_errorf(err, AGORA_ENOMEM, "out of memory");
}

int compare_theme_coverage(struct agora_db *db, const char *election,
			   struct theme_coverage_list *out,
			   struct agora_error *err)
{
	struct coverage_cache *c = db_module_data(db, DB_MOD_COMPARE);
	struct election_info e = {0};
	struct coverage_slot *slot;
	int64_t id = -1, gen = db_generation(db);
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (election) {
		if ((rc = election_get(db, election, &e, err)))
			return rc;
		id = e.id;
		election_info_fini(&e);
	}
	if (!c && gen >= 0 && (c = calloc(1, sizeof(*c))))
		db_set_module_data(db, DB_MOD_COMPARE, c, coverage_cache_free);
	for (i = 0; c && gen >= 0 && i < COVERAGE_SLOTS; i++) {
		slot = &c->s[i];
		if (slot->used && slot->election == id &&
		    slot->generation == gen)
			return coverage_copy(out, &slot->list)
				       ? agora_errorf(err, AGORA_ENOMEM,
						      "out of memory")
				       : 0;
	}
	if ((rc = coverage_read(db, id, out, err)))
		return rc;
	if (c && gen >= 0) {
		slot = &c->s[c->next];
		c->next = (c->next + 1) % COVERAGE_SLOTS;
		theme_coverage_list_fini(&slot->list);
		slot->used = !coverage_copy(&slot->list, out);
		slot->election = id;
		slot->generation = gen;
	}
	return 0;
}
