/*
 * fuzz_xml.c - libFuzzer target for the xml extractor and the segmenter:
 * any bytes must give either an error with a message or valid UTF-8
 * text whose proposals are slices of it. Never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_limits lim;
	struct ingest_doc doc;
	struct ingest_segments seg = {0};
	struct agora_error err;
	size_t i;

	ingest_limits_default(&lim);
	lim.max_bytes = 1 << 20;
	ingest_doc_init(&doc);
	if (ingest_extract(INGEST_XML, (const char *)data, size, &lim, &doc,
			   &err)) {
		if (!err.msg[0])
			abort(); /* an error must say what */
		goto out;
	}
	if (!utf8_valid(doc.text.buf, doc.text.len, NULL))
		abort();
	for (i = 0; i < doc.nblocks; i++)
		if (doc.blocks[i].start > doc.blocks[i].end ||
		    doc.blocks[i].end > doc.text.len)
			abort();
	if (ingest_segment(&doc, &lim, &seg, &err) == 0) {
		for (i = 0; i < seg.n; i++)
			if (seg.v[i].start >= seg.v[i].end ||
			    seg.v[i].end > doc.text.len)
				abort();
	}
out:
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
	return 0;
}
