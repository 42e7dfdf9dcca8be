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


#endif
