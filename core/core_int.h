/*
 * core_int.h - private to core/: nothing outside this folder includes it.
 */
#ifndef AGORA_CORE_INT_H
#define AGORA_CORE_INT_H

#include "core.h"

/* schema.c: applies the missing migrations in one transaction */
int schema_migrate(sqlite3 *h, struct agora_error *err);

/* fts_fr.c: registers the "agora_fr" FTS5 tokenizer on a connection */
int fts_fr_register(sqlite3 *h, struct agora_error *err);

/*
 * text.c: the next word of p[0..n) at or after *pos, elisions skipped,
 * bad bytes as separators: [*start, *end); 0 at the end. The word rule
 * of fr_tokenize, without stemming, for FTS5's highlight pass.
 */
int fr_word_next(const char *p, size_t n, size_t *pos, size_t *start,
		 size_t *end);

#endif
