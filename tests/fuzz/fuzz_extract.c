/*
 * fuzz_extract.c - the libFuzzer target of every document format, built
 * once per format with -DFUZZ_FORMAT=INGEST_HTML (MARKDOWN, XML, TEXT,
 * CSV, PDF): any bytes must give either an error with a message, or valid
 * UTF-8 text whose blocks and proposals are slices of it that start and
 * end on character boundaries. Never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=INGEST_<format>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A slice of text on character boundaries is itself valid UTF-8 */
static void check_slice(const struct ingest_doc *doc, size_t start,
			size_t end)
{
	if (start > end || end > doc->text.len ||
	    !utf8_valid(doc->text.buf + start, end - start, NULL))
		abort();
}

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
	err.msg[0] = '\0';
	if (ingest_extract(FUZZ_FORMAT, (const char *)data, size, &lim, &doc,
			   &err)) {
		if (!err.msg[0])
			abort(); /* an error must say what */
		goto out;
	}
	if (!utf8_valid(doc.text.buf, doc.text.len, NULL))
		abort();
	for (i = 0; i < doc.nblocks; i++)
		check_slice(&doc, doc.blocks[i].start, doc.blocks[i].end);
	err.msg[0] = '\0';
	if (ingest_segment(&doc, &lim, &seg, &err) == 0) {
		for (i = 0; i < seg.n; i++) {
			if (seg.v[i].start >= seg.v[i].end)
				abort();
			check_slice(&doc, seg.v[i].start, seg.v[i].end);
		}
	} else if (!err.msg[0]) {
		abort();
	}
out:
	ingest_segments_fini(&seg);
	ingest_doc_fini(&doc);
	return 0;
}
