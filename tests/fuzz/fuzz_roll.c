/*
 * fuzz_roll.c - libFuzzer target for the electoral roll of `agora
 * primary credentials --roll` (primary/roll.c): any bytes.
 *
 * Invariants: a refusal names the file; an accepted roll, written out as
 * the command writes its codes file (each line as it is, then the
 * separator and a code; the header gets "credential"), is itself a roll
 * with one field more on every line and the same voters (parse, write,
 * parse), so that each code sits in a column of its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CODE "AV0S-Q66A-7ZKW-68YY-7T3Z-8B48-YM5V"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct primary_roll r, again;
	struct agora_error err = {0};
	const char *p = (const char *)data, *line;
	size_t pos = 0, len, no = 0, voters = 0;
	struct sb out;

	if (primary_roll_check(p, size, "roll.csv", &r, &err)) {
		if (strncmp(err.msg, "roll.csv", 8))
			abort(); /* a refusal says where */
		return 0;
	}
	if ((r.sep != ',' && r.sep != ';') || r.fields < 1 || !r.nvoters)
		abort();
	sb_init(&out, 2 * size + 64 * r.nvoters + 64);
	while (primary_roll_next(p, size, &pos, &line, &len)) {
		if (no++ == 0) {
			sb_append(&out, line, len);
			sb_putc(&out, r.sep);
			sb_puts(&out, "credential\n");
			continue;
		}
		if (!len)
			continue;
		if (primary_roll_fields(line, len, r.sep) != r.fields)
			abort();
		voters++;
		sb_append(&out, line, len);
		sb_putc(&out, r.sep);
		sb_puts(&out, CODE "\n");
	}
	if (voters != r.nvoters || sb_error(&out))
		abort();
	err.msg[0] = 0;
	if (primary_roll_check(out.buf, out.len, "codes.csv", &again, &err) ||
	    again.fields != r.fields + 1 || again.nvoters != r.nvoters ||
	    again.sep != r.sep)
		abort();
	sb_fini(&out);
	return 0;
}
