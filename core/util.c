/*
 * util.c - small helpers every module needs: SHA-256, slugs, whole-file
 * reads with a cap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core.h"

void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	sha256(p, n, h);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/*
 * Folds to ASCII and keeps [a-z0-9], other runs becoming one '-'. Letters
 * outside Latin-1 fold to nothing, so a name in another script gives an
 * empty slug: the caller then picks its own.
 */
int slugify(struct sb *out, const char *s)
{
	struct sb folded;
	size_t i, start = out->len;
	int dash = 0;

	sb_init(&folded, 0);
	if (text_fold(&folded, s, strlen(s), 0)) {
		sb_fini(&folded);
		return out->err ? out->err : AGORA_ENOMEM;
	}
	for (i = 0; i < folded.len; i++) {
		unsigned char c = (unsigned char)folded.buf[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && out->len > start)
				sb_putc(out, '-');
			dash = 0;
			sb_putc(out, c);
		} else {
			dash = 1;
		}
	}
	sb_fini(&folded);
	return sb_error(out);
}

int file_read(const char *path, size_t max, struct sb *out,
	      struct agora_error *err)
{
	char chunk[65536];
	FILE *f;
	size_t n;
	int rc = 0;

	f = fopen(path, "rb");
	if (!f)
		return agora_errorf(err, AGORA_EIO, "cannot open '%s': %s",
				    path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			rc = agora_errorf(err, AGORA_ETOOBIG,
					  "'%s' is larger than the limit of "
					  "%zu bytes",
					  path, max);
			goto out;
		}
		if (sb_append(out, chunk, n)) {
			rc = agora_errorf(err, AGORA_ENOMEM,
					  "out of memory reading '%s'", path);
			goto out;
		}
	}
	if (ferror(f))
		rc = agora_errorf(err, AGORA_EIO, "cannot read '%s': %s", path,
				  strerror(errno));
out:
	fclose(f);
	return rc;
}
