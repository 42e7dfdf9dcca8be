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

#endif
