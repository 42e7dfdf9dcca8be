/*
 * primary_int.h - what primary.c, board.c and verify.c share, and
 * nothing else sees.
 */
#ifndef AGORA_PRIMARY_INT_H
#define AGORA_PRIMARY_INT_H

#include <jansson.h>

#include "primary.h"

#define BOARD_KEYS_PER_ENTRY 10000

int board_db_prepare(struct agora_db *db, struct agora_error *err);
/* primary_get_counts' counts, from a scan instead of the kept counters */
int primary_get_scanned(struct agora_db *db, const char *slug,
			struct primary_info *p, struct agora_error *err);
void board_entry_hash(int64_t seq, const char *prev, const char *type,
		      const char *payload, size_t npayload, char out[65]);
int board_head(struct agora_db *db, int64_t primary_id, int64_t *seq,
	       char hash[65], struct agora_error *err);
int board_append(struct agora_db *db, int64_t primary_id, const char *type,
		 const char *payload, struct agora_error *err);
/* Takes ownership of o, written in canonical form (sorted, compact) */
int board_append_json(struct agora_db *db, int64_t primary_id,
		      const char *type, json_t *o, struct agora_error *err);
/*
 * 1 (the default): board_verify() reads the lines agora writes with its
 * own parser of exactly that form, 0: every line through jansson. Only
 * the tests change it, to check that both give the same verdicts.
 */
extern int board_verify_fast;
/* One JSON Lines record of an entry, with its newline */
int board_line(struct sb *out, int64_t seq, const char *prev, const char *type,
	       const char *payload, const char *hash);

/*
 * The result as the organiser signs it: canonical JSON
 * {"counts":{slug:[...]},"primary":slug,"ranking":[{"candidate",
 * "majority_grade","rank","sign"}...],"voters":N}, from counts of the
 * qualified candidates c[0..n) (ordered by slug).
 */
char *primary_result_text(const char *slug, const char *const *slugs,
			  size_t n, int ngrades, const uint64_t *counts,
			  uint64_t voters, struct agora_error *err);

#endif
