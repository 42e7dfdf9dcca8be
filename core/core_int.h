/*
 * core_int.h - private to core/: nothing outside this folder includes it.
 */
#ifndef AGORA_CORE_INT_H
#define AGORA_CORE_INT_H

#include "core.h"

/* schema.c: applies the missing migrations in one transaction */
int schema_migrate(sqlite3 *h, struct agora_error *err);

/*
 * fts_fr.c: registers the "agora_fr" FTS5 tokenizer on a connection; its
 * instances use *st, a stemmer made here and freed by SQLite when the
 * connection closes (NULL on error)
 */
int fts_fr_register(sqlite3 *h, struct fr_stemmer **st,
		    struct agora_error *err);

/*
 * text.c: fr_tokenize for the FTS5 tokenizer: each word's folded stem,
 * and stem2, the stem of its folded form, when that differs (NULL
 * otherwise), both from the stemmer's word cache. When p[0..n) are the
 * bytes fr_tokenize_keep() read last, its tokens are replayed.
 */
typedef int (*fr_token2_fn)(void *ctx, const char *stem, size_t n,
			    const char *stem2, size_t n2, size_t start,
			    size_t end);
int fr_tokenize2(struct fr_stemmer *st, const char *p, size_t n,
		 fr_token2_fn fn, void *ctx);


#endif
