/*
 * fuzz_csv.c - libFuzzer target for the CSV extractor: any
 * bytes must give blocks inside the text or a clean error, never a
 * crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_limits lim;
	struct ingest_doc doc;
	struct agora_error err = {0};
	size_t i;

	ingest_limits_default(&lim);
	ingest_doc_init(&doc);
	if (!ingest_extract_csv((const char *)data, size, &lim, &doc, &err)) {
		for (i = 0; i < doc.nblocks; i++)
			if (doc.blocks[i].start > doc.blocks[i].end ||
			    doc.blocks[i].end > doc.text.len)
				abort();
	}
	ingest_doc_fini(&doc);
	return 0;
}
