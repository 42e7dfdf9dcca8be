/*
 * sniff.c - what an uploaded file is, from its bytes alone: a whole
 * JPEG, PNG or WebP image, or a PDF, and nothing else. Images are not
 * re-encoded (see README, "Campaign material"): they are served as
 * they were checked here, with headers that cannot execute. So this
 * walks each container from its signature to its end marker, refuses
 * anything after the end (the classic polyglot: an image followed by
 * an archive or a page) and any HTML or SVG markup inside (a page
 * hidden in a comment or a text chunk), and bounds the dimensions
 * that a viewer would decode.
 *
 * Pure: no allocation, no database; a libFuzzer target drives it.
 */
#include <string.h>

#include "material.h"

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int bad(struct agora_error *err, const char *type, const char *what)
{
	return agora_errorf(err, AGORA_EINVAL, "not a valid %s file: %s", type,
			    what);
}

static int dims_ok(struct material_file *f, uint32_t w, uint32_t h,
		   struct agora_error *err)
{
	if (!w || !h)
		return bad(err, f->label, "an image without pixels");
	if (w > MATERIAL_SIDE_MAX || h > MATERIAL_SIDE_MAX ||
	    (unsigned long long)w * h > MATERIAL_PIXELS_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "the image is %ux%u pixels: at most %u "
				    "on a side and %llu million in all",
				    (unsigned)w, (unsigned)h, MATERIAL_SIDE_MAX,
				    MATERIAL_PIXELS_MAX / 1000000);
	f->width = w;
	f->height = h;
	return 0;
}

/* ------------------------------------------------------------- markup */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/*
 * HTML or SVG markup in p[0..n): the tag openings that make a browser,
 * or a sniffing proxy, render a page. It is looked for where a page
 * hides in an image or a PDF: the first 1024 bytes (what sniffers
 * read) and every metadata region (JPEG segments, PNG and WebP chunks
 * other than the compressed pixels, where "<svg" would turn up by
 * chance in about one 5 MiB image in a hundred).
 */
static const char *markup(const unsigned char *p, size_t n)
{
	static const char *const tags[] = {
		"<html",   "<script", "<svg",	   "<iframe", "<body",	"<head",
		"<object", "<embed",  "<!doctype", "<meta",   "<style", "<form",
	};
	const unsigned char *q = p, *end = p + n;
	size_t k, i, len;

	while ((q = memchr(q, '<', (size_t)(end - q)))) {
		for (k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
			len = strlen(tags[k]);
			if ((size_t)(end - q) < len)
				continue;
			for (i = 1; i < len; i++)
				if (lower(q[i]) != tags[k][i])
					break;
			if (i == len)
				return tags[k];
		}
		q++;
	}
	return NULL;
}

/* Remembers the first markup of a region in *found */
static void scan(const unsigned char *p, size_t n, const char **found)
{
	if (!*found)
		*found = markup(p, n);
}

/* --------------------------------------------------------------- JPEG */

/*
 * SOI, then marker segments (each with its length inside the file)
 * up to EOI; after each SOS the entropy-coded data runs to the next
 * marker that is not a stuffed 0xFF00 or a restart marker. A frame
 * header (SOFn) gives the size; both SOF and SOS must be seen.
 */
static int sniff_jpeg(const unsigned char *p, size_t n, struct material_file *f,
		      const char **found, struct agora_error *err)
{
	size_t i = 2, len;
	int sof = 0, sos = 0, rc;
	unsigned m;

	for (;;) {
		if (i >= n)
			return bad(err, "JPEG", "truncated (no end marker)");
		if (p[i] != 0xff)
			return bad(err, "JPEG", "a segment without a marker");
		while (i < n && p[i] == 0xff)
			i++; /* fill bytes */
		if (i >= n)
			return bad(err, "JPEG", "truncated (no end marker)");
		m = p[i++];
		if (m == 0xd9)
			break; /* EOI */
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue; /* no length */
		if (m == 0x00 || m == 0xd8)
			return bad(err, "JPEG", "an unexpected marker");
		if (n - i < 2)
			return bad(err, "JPEG", "truncated segment");
		len = be16(p + i);
		if (len < 2)
			return bad(err, "JPEG",
				   "a segment shorter than its "
				   "length field");
		if (len > n - i)
			return bad(err, "JPEG", "truncated segment");
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (len < 8)
				return bad(err, "JPEG", "a short frame header");
			if (!sof && (rc = dims_ok(f, be16(p + i + 5),
						  be16(p + i + 3), err)))
				return rc;
			sof = 1;
		}
		scan(p + i, len, found);
		i += len;
		if (m != 0xda)
			continue;
		if (!sof)
			return bad(err, "JPEG",
				   "image data before the frame "
				   "header");
		sos = 1;
		/* entropy-coded data, up to the next real marker */
		for (;;) {
			if (i + 1 >= n)
				return bad(err, "JPEG",
					   "truncated (no end marker)");
			if (p[i] == 0xff && p[i + 1] != 0x00 &&
			    p[i + 1] != 0xff &&
			    !(p[i + 1] >= 0xd0 && p[i + 1] <= 0xd7))
				break;
			i += p[i] == 0xff && p[i + 1] != 0xff ? 2 : 1;
		}
	}
	if (!sos)
		return bad(err, "JPEG", "no image data");
	for (; i < n; i++)
		if (p[i])
			return bad(err, "JPEG",
				   "data after the end of the image");
	return 0;
}

/* ---------------------------------------------------------------- PNG */

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
	uint32_t table[256], c;
	size_t i;
	int k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	c = 0xffffffffu;
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* IHDR first, every chunk whole with its CRC right, IDAT, IEND last */
static int sniff_png(const unsigned char *p, size_t n, struct material_file *f,
		     const char **found, struct agora_error *err)
{
	size_t i = 8, len, k;
	int idat = 0, rc;

	for (;;) {
		const unsigned char *type;

		if (n - i < 12)
			return bad(err, "PNG", "truncated (no IEND chunk)");
		len = be32(p + i);
		type = p + i + 4;
		if (len > 0x7fffffff || len > n - i - 12)
			return bad(err, "PNG", "truncated chunk");
		for (k = 0; k < 4; k++)
			if (!((type[k] >= 'A' && type[k] <= 'Z') ||
			      (type[k] >= 'a' && type[k] <= 'z')))
				return bad(err, "PNG", "a bad chunk type");
		if (crc32_png(type, len + 4) != be32(p + i + 8 + len))
			return bad(err, "PNG", "a chunk's CRC does not match");
		if (i == 8) {
			if (memcmp(type, "IHDR", 4) || len != 13)
				return bad(err, "PNG", "no IHDR chunk first");
			if ((rc = dims_ok(f, be32(p + i + 8), be32(p + i + 12),
					  err)))
				return rc;
		} else if (!memcmp(type, "IHDR", 4)) {
			return bad(err, "PNG", "a second IHDR chunk");
		}
		if (!memcmp(type, "IDAT", 4))
			idat = 1;
		else
			scan(p + i + 8, len, found);
		i += 12 + len;
		if (!memcmp(type, "IEND", 4))
			break;
	}
	if (!idat)
		return bad(err, "PNG", "no image data");
	if (i != n)
		return bad(err, "PNG", "data after the IEND chunk");
	return 0;
}

/* --------------------------------------------------------------- WebP */

/*
 * The RIFF size is the file's, to the byte; the chunks fill it
 * exactly; the first is VP8, VP8L or VP8X and gives the size; an
 * extended file (VP8X) holds image data in a VP8, VP8L or ANMF chunk.
 */
static int sniff_webp(const unsigned char *p, size_t n, struct material_file *f,
		      const char **found, struct agora_error *err)
{
	size_t i = 12, len;
	uint32_t riff = le32(p + 4), w = 0, h = 0;
	int first = 1, data = 0, rc;

	if ((uint64_t)riff + 8 > n)
		return bad(err, "WebP",
			   "truncated (shorter than its RIFF "
			   "size)");
	if ((uint64_t)riff + 8 < n)
		return bad(err, "WebP", "data after the end of the image");
	while (i < n) {
		const unsigned char *c = p + i, *d = p + i + 8;

		if (n - i < 8)
			return bad(err, "WebP", "truncated chunk");
		len = le32(c + 4);
		if (len > n - i - 8 || (len & 1 && len + 1 > n - i - 8))
			return bad(err, "WebP", "truncated chunk");
		if (!memcmp(c, "VP8 ", 4) || !memcmp(c, "VP8L", 4) ||
		    !memcmp(c, "ANMF", 4))
			data = 1;
		else if (memcmp(c, "ALPH", 4))
			scan(d, len, found);
		if (first) {
			if (!memcmp(c, "VP8 ", 4)) {
				if (len < 10 ||
				    memcmp(d + 3, "\x9d\x01\x2a", 3))
					return bad(err, "WebP",
						   "a bad VP8 header");
				w = (uint32_t)(d[6] | d[7] << 8) & 0x3fff;
				h = (uint32_t)(d[8] | d[9] << 8) & 0x3fff;
			} else if (!memcmp(c, "VP8L", 4)) {
				if (len < 5 || d[0] != 0x2f)
					return bad(err, "WebP",
						   "a bad VP8L header");
				w = (le32(d + 1) & 0x3fff) + 1;
				h = ((le32(d + 1) >> 14) & 0x3fff) + 1;
			} else if (!memcmp(c, "VP8X", 4)) {
				if (len < 10)
					return bad(err, "WebP",
						   "a bad VP8X header");
				w = le24(d + 4) + 1;
				h = le24(d + 7) + 1;
			} else {
				return bad(err, "WebP",
					   "no image header first");
			}
			if ((rc = dims_ok(f, w, h, err)))
				return rc;
			first = 0;
		}
		i += 8 + len + (len & 1);
	}
	if (first || !data)
		return bad(err, "WebP", "no image data");
	return 0;
}

/* ---------------------------------------------------------------- PDF */

static int pdf_delim(unsigned char c)
{
	return !c || strchr(" \t\r\n\f()<>[]{}/%", c);
}

/*
 * A PDF name that makes a reader act rather than show: JavaScript, a
 * launch action, an attached file, rich media. A name written with
 * #xx escapes, or inside a compressed object stream, escapes this
 * scan: the headers the file is served with (attachment, sandbox)
 * are the defence that does not depend on it.
 */
static const char *pdf_active(const unsigned char *p, size_t n)
{
	static const char *const names[] = {
		"/JavaScript",	  "/JS",	"/Launch", "/EmbeddedFile",
		"/EmbeddedFiles", "/RichMedia", "/XFA",
	};
	const unsigned char *q = p, *end = p + n;
	size_t k, len;

	while ((q = memchr(q, '/', (size_t)(end - q)))) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			len = strlen(names[k]);
			if ((size_t)(end - q) >= len &&
			    !memcmp(q, names[k], len) &&
			    ((size_t)(end - q) == len || pdf_delim(q[len])))
				return names[k] + 1;
		}
		q++;
	}
	return NULL;
}

static int sniff_pdf(const unsigned char *p, size_t n, struct material_file *f,
		     struct agora_error *err)
{
	size_t end = n, tail;
	const unsigned char *eof = NULL, *q;
	const char *active;

	(void)f;
	if (n < 8 || p[5] < '1' || p[5] > '2' || p[6] != '.' || p[7] < '0' ||
	    p[7] > '9')
		return bad(err, "PDF", "no version after %PDF-");
	while (end > 0 && strchr(" \t\r\n\f", p[end - 1]) && p[end - 1])
		end--;
	if (end < 5 || memcmp(p + end - 5, "%%EOF", 5))
		return bad(err, "PDF",
			   "truncated (it does not end with "
			   "%%EOF)");
	tail = end > 1024 ? 1024 : end;
	for (q = p + end - tail; q + 9 <= p + end; q++)
		if (!memcmp(q, "startxref", 9))
			eof = q;
	if (!eof)
		return bad(err, "PDF", "no startxref before %%EOF");
	if ((active = pdf_active(p, n)))
		return agora_errorf(err, AGORA_EINVAL,
				    "the PDF holds active content (/%s): a "
				    "leaflet is a document to read, without "
				    "scripts, actions or attached files",
				    active);
	return 0;
}

/* ------------------------------------------------------------ entry */

/* What a refused file looks like, for the message that refuses it */
static const char *other_type(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
		return "GIF";
	if (n >= 4 && !memcmp(p, "PK\x03\x04", 4))
		return "ZIP";
	if (n >= 2 && !memcmp(p, "BM", 2))
		return "BMP";
	if (n >= 12 && !memcmp(p + 4, "ftyp", 4))
		return "ISO media (HEIC, AVIF, MP4)";
	if (n >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4)))
		return "TIFF";
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && strchr(" \t\r\n", p[i]) && p[i])
		i++;
	if (i < n && p[i] == '<') {
		const char *m = markup(p, n);

		return m && !strcmp(m, "<svg") ? "SVG" : m ? "HTML" : "XML";
	}
	return NULL;
}

int material_sniff(const void *data, size_t n, struct material_file *f,
		   struct agora_error *err)
{
	const unsigned char *p = data;
	const char *m = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	if (n >= 3 && !memcmp(p, "\xff\xd8\xff", 3)) {
		f->type = MATERIAL_JPEG;
		f->media_type = "image/jpeg";
		f->label = "JPEG";
		rc = sniff_jpeg(p, n, f, &m, err);
	} else if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) {
		f->type = MATERIAL_PNG;
		f->media_type = "image/png";
		f->label = "PNG";
		rc = sniff_png(p, n, f, &m, err);
	} else if (n >= 12 && !memcmp(p, "RIFF", 4) &&
		   !memcmp(p + 8, "WEBP", 4)) {
		f->type = MATERIAL_WEBP;
		f->media_type = "image/webp";
		f->label = "WebP";
		rc = sniff_webp(p, n, f, &m, err);
	} else if (n >= 5 && !memcmp(p, "%PDF-", 5)) {
		f->type = MATERIAL_PDF;
		f->media_type = "application/pdf";
		f->label = "PDF";
		rc = sniff_pdf(p, n, f, err);
	} else {
		f->label = other_type(p, n);
		if (f->label)
			return agora_errorf(err, AGORA_EINVAL,
					    "unsupported type (%s): photos are "
					    "JPEG, PNG or WebP, leaflets PDF",
					    f->label);
		return agora_errorf(err, AGORA_EINVAL,
				    "unsupported type: photos are JPEG, PNG "
				    "or WebP, leaflets PDF");
	}
	if (rc)
		return rc;
	scan(p, n < 1024 ? n : 1024, &m);
	if (m)
		return agora_errorf(err, AGORA_EINVAL,
				    "the %s file holds HTML or SVG markup "
				    "('%s'): refused as a possible polyglot",
				    f->label, m);
	return 0;
}

/* ------------------------------------------------------------- links */

int material_url_check(const char *what, const char *url,
		       struct agora_error *err)
{
	size_t n = strlen(url), i, host;

	if (!n)
		return agora_errorf(err, AGORA_EINVAL, "%s is empty", what);
	if (n > MATERIAL_URL_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "%s is longer than %d bytes", what,
				    MATERIAL_URL_MAX);
	if (strncasecmp(url, "https://", 8))
		return agora_errorf(err, AGORA_EINVAL,
				    "%s is not an https:// address", what);
	for (i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] > '~' || strchr("\"'<>\\`", url[i]))
			return agora_errorf(err, AGORA_EINVAL,
					    "%s has a space, a quote, an angle "
					    "bracket or a character outside "
					    "printable ASCII at byte %zu",
					    what, i + 1);
	host = strcspn(url + 8, "/?#");
	if (memchr(url + 8, '@', host))
		return agora_errorf(err, AGORA_EINVAL,
				    "%s has a user name in it", what);
	for (i = 8; i < 8 + host && url[i] != ':'; i++)
		if (!((url[i] >= 'a' && url[i] <= 'z') ||
		      (url[i] >= 'A' && url[i] <= 'Z') ||
		      (url[i] >= '0' && url[i] <= '9') || url[i] == '-' ||
		      url[i] == '.'))
			return agora_errorf(err, AGORA_EINVAL,
					    "%s has no valid host name", what);
	if (i == 8 || url[8] == '.' || url[8] == '-')
		return agora_errorf(err, AGORA_EINVAL,
				    "%s has no valid host name", what);
	for (; i < 8 + host; i++)
		if (url[i] != ':' && (url[i] < '0' || url[i] > '9'))
			return agora_errorf(err, AGORA_EINVAL,
					    "%s has a bad port", what);
	return 0;
}
