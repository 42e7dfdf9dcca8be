/*
 * fts_fr.c - the "agora_fr" FTS5 tokenizer: French words, stemmed with
 * Snowball, accents folded, so that "sécurité", "securite", "sécurités"
 * and "SÉCURITÉ" all find the same proposals.
 *
 * Snowball's French stemmer gives different stems with and without
 * accents ("sécurité" -> "sécur", "securite" -> "securit"), so each word
 * is indexed under the folded stem of its accented form and, when it
 * differs, the stem of its folded form at the same position (a colocated
 * token). A query word produces the same pair, and FTS5 treats colocated
 * query tokens as alternatives: either spelling meets the other.
 *
 * FTS5 makes one tokenizer instance per table and connection, and a
 * connection belongs to one thread, so the instances of a connection
 * share its stemmer (db_stemmer()), which ingest also uses for the theme
 * rules: the index then finds every word of a proposal in the word cache
 * (HTML ingest 8.2 -> 9.0 MB/s, CSV 9.7 -> 11.2: runs one after the
 * other). Ingest themes a proposal just before indexing it, and the
 * stemmer keeps the tokens the theme pass read (fr_tokenize_keep):
 * fr_tokenize2 replays them when FTS5 asks for the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_int.h"

struct fts_fr {
	struct fr_stemmer *st; /* the connection's: not owned */
	struct sb fold; /* scratch for prefix query terms */
};

struct fts_fr_call {
	struct fts_fr *t;
	const char *text;
	int flags;
	void *ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
};

/* Tokens are capped: a 10 kB "word" must not become a 10 kB term */
#define FTS_FR_TOKEN_MAX 256

static int fts_fr_create(void *arg, const char **argv, int argc,
			 Fts5Tokenizer **out)
{
	struct fts_fr *t;

	(void)argv;
	(void)argc;
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return SQLITE_NOMEM;
	t->st = arg;
	sb_init(&t->fold, 0);
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void fts_fr_delete(Fts5Tokenizer *tok)
{
	struct fts_fr *t = (struct fts_fr *)tok;

	if (!t)
		return;
	sb_fini(&t->fold);
	free(t);
}

/* Cuts n to at most FTS_FR_TOKEN_MAX bytes, on a character boundary */
static int token_len(const char *s, size_t n)
{
	if (n <= FTS_FR_TOKEN_MAX)
		return (int)n;
	n = FTS_FR_TOKEN_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/*
 * Called by fr_tokenize2 for each word with its folded stem and, when it
 * differs, the stem of the folded word (both from the stemmer's word
 * cache: this used to fold and stem every non-ASCII word again here):
 * emits the first, then the second as a colocated token. A prefix query
 * term is neither stemmed nor doubled: "propos*" must match every indexed
 * stem starting with "propos", and the stem of a cut word is noise.
 */
static int fts_fr_word(void *arg, const char *stem, size_t n,
		       const char *s2, size_t n2, size_t start, size_t end)
{
	struct fts_fr_call *c = arg;
	struct fts_fr *t = c->t;
	int rc;

	if ((c->flags & FTS5_TOKENIZE_QUERY) &&
	    (c->flags & FTS5_TOKENIZE_PREFIX)) {
		sb_reset(&t->fold);
		if (text_fold(&t->fold, c->text + start, end - start, 0))
			return SQLITE_NOMEM;
		return c->xToken(c->ctx, 0, t->fold.buf,
				 token_len(t->fold.buf, t->fold.len),
				 (int)start, (int)end);
	}
	rc = c->xToken(c->ctx, 0, stem, token_len(stem, n), (int)start,
		       (int)end);
	if (rc || !s2)
		return rc;
	/* the stem of ASCII input is ASCII: no second fold needed */
	return c->xToken(c->ctx, FTS5_TOKEN_COLOCATED, s2, token_len(s2, n2),
			 (int)start, (int)end);
}

/*
 * snippet() and highlight() tokenize a matched row only to turn token
 * positions (taken from the index) into byte offsets: the token text is
 * not compared, so words are reported as they are, with no folding or
 * stemming, which makes snippets several times cheaper. Positions stay
 * right because colocated tokens do not advance them. (FTS5 tables with
 * detail=column or none re-tokenize rows with FTS5_TOKENIZE_DOCUMENT,
 * not AUX, to find matches: they still get the real tokens.)
 */
static int fts_fr_aux(const char *text, int ntext, void *ctx,
		      int (*xToken)(void *, int, const char *, int, int, int))
{
	size_t pos = 0, s, e;
	int rc;

	while (fr_word_next(text, (size_t)ntext, &pos, &s, &e))
		if ((rc = xToken(ctx, 0, text + s, token_len(text + s, e - s),
				 (int)s, (int)e)))
			return rc;
	return SQLITE_OK;
}

static int fts_fr_tokenize(Fts5Tokenizer *tok, void *ctx, int flags,
			   const char *text, int ntext,
			   int (*xToken)(void *, int, const char *, int, int,
					 int))
{
	struct fts_fr_call c = {
		.t = (struct fts_fr *)tok,
		.text = text,
		.flags = flags,
		.ctx = ctx,
		.xToken = xToken,
	};
	int rc;

	if (!text || ntext <= 0)
		return SQLITE_OK;
	if (flags & FTS5_TOKENIZE_AUX)
		return fts_fr_aux(text, ntext, ctx, xToken);
	rc = fr_tokenize2(c.t->st, text, (size_t)ntext, fts_fr_word, &c);
	if (rc < 0)
		return SQLITE_NOMEM;
	return rc;
}

/* Fetches FTS5's API the documented way: SELECT fts5(?1) */
fts5_api *fts5_api_get(sqlite3 *h)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

static void fts_fr_destroy(void *st)
{
	fr_stemmer_free(st);
}

int fts_fr_register(sqlite3 *h, struct fr_stemmer **st,
		    struct agora_error *err)
{
	static fts5_tokenizer tokenizer = {
		.xCreate = fts_fr_create,
		.xDelete = fts_fr_delete,
		.xTokenize = fts_fr_tokenize,
	};
	fts5_api *api = fts5_api_get(h);
	struct fr_stemmer *stemmer;

	if (!api || api->iVersion < 2)
		return agora_errorf(err, AGORA_EDB,
				    "cannot find FTS5 in this SQLite (%s)",
				    sqlite3_libversion());
	*st = NULL;
	/* fail at start-up, not at the first insert, without a stemmer */
	stemmer = fr_stemmer_new();
	if (!stemmer)
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot create the French stemmer");
	/* on success, SQLite calls fts_fr_destroy when the connection closes */
	if (api->xCreateTokenizer(api, "agora_fr", stemmer, &tokenizer,
				  fts_fr_destroy) != SQLITE_OK) {
		fr_stemmer_free(stemmer);
		return agora_errorf(err, AGORA_EDB,
				    "cannot register the 'agora_fr' tokenizer: "
				    "%s",
				    sqlite3_errmsg(h));
	}
	*st = stemmer;
	return 0;
}
