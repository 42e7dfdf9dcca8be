/*
 * compare_int.h - private to compare/: nothing outside this folder
 * includes it.
 */
#ifndef AGORA_COMPARE_INT_H
#define AGORA_COMPARE_INT_H

#include "compare.h"

/*
 * search.c: prepares the search statements (module DB_MOD_SEARCH) on a
 * connection; compare_db_prepare() calls it.
 */
int search_db_prepare(struct agora_db *db, struct agora_error *err);

/*
 * snippet.c: marks the words of a verbatim text that match a query's
 * terms, as the agora_fr tokenizer would index them.
 */
struct hl_query;
/* st is borrowed (one per thread), or NULL for a stemmer of its own */
struct hl_query *hl_query_new(struct fr_stemmer *st);
void hl_query_free(struct hl_query *h);
int hl_query_add(struct hl_query *h, const char *w, size_t n, int prefix);
int hl_snippet(struct hl_query *h, const char *text, size_t n,
	       size_t max_words, struct sb *out);

#endif
