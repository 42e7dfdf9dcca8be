/*
 * fuzz_sniff.c - libFuzzer target for the campaign material sniffer
 * (material/sniff.c): every input gets an answer without reading past
 * its end (ASan), an accepted file has a known type, a media type and,
 * for an image, dimensions within the limits; a refused one a message.
 * The link check runs on the same bytes as text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "material.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agora_error err = {0};
	struct material_file f;
	char *s;
	int rc;

	rc = material_sniff(data, size, &f, &err);
	if (!rc) {
		if (f.type == MATERIAL_NONE || !f.media_type || !f.label)
			abort();
		if (f.type != MATERIAL_PDF &&
		    (!f.width || !f.height || f.width > MATERIAL_SIDE_MAX ||
		     f.height > MATERIAL_SIDE_MAX))
			abort();
	} else if (rc != AGORA_EINVAL || !err.msg[0]) {
		abort();
	}
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	agora_error_clear(&err);
	if (!material_url_check("the link", s, &err) &&
	    (strncasecmp(s, "https://", 8) || strpbrk(s, " \"'<>\\")))
		abort();
	free(s);
	return 0;
}
