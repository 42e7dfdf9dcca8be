/*
 * test_material.c - the campaign material sniffer (material/sniff.c)
 * on real images made by an encoder (tests/data/material, written by
 * Pillow) and on what an attacker sends instead: the same files cut
 * short, with a page appended or hidden in a chunk, an SVG, HTML, a
 * GIF, an image too large to decode safely, a PDF with JavaScript; and
 * the link check of video and profile links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"
#include "material.h"

/* A fixture's bytes (the caller frees sb) */
static void load(const char *name, struct sb *sb)
{
	const char *root = getenv("AGORA_SOURCE_ROOT");
	struct agora_error err = {0};
	char path[1024];

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/tests/data/%s", root, name);
	sb_init(sb, 1 << 20);
	assert_int_equal(file_read(path, 1 << 20, sb, &err), 0);
}

static int sniff(const void *p, size_t n, struct material_file *f)
{
	struct agora_error err = {0};

	return material_sniff(p, n, f, &err);
}

static void test_accepts_real_files(void **state)
{
	static const struct {
		const char *name, *type;
		unsigned w, h;
	} ok[] = {
		{"material/photo.jpg", "image/jpeg", 96, 64},
		{"material/progressive.jpg", "image/jpeg", 96, 64},
		{"material/photo.png", "image/png", 96, 64},
		{"material/photo.webp", "image/webp", 96, 64},
		{"material/photo-lossless.webp", "image/webp", 96, 64},
		{"programme.pdf", "application/pdf", 0, 0},
	};
	struct material_file f;
	struct sb b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		load(ok[i].name, &b);
		assert_int_equal(sniff(b.buf, b.len, &f), 0);
		assert_string_equal(f.media_type, ok[i].type);
		assert_int_equal(f.width, ok[i].w);
		assert_int_equal(f.height, ok[i].h);
		sb_fini(&b);
	}
}

/* Every proper prefix of a real file is refused as that type */
static void test_refuses_truncated(void **state)
{
	static const char *const names[] = {
		"material/photo.jpg",  "material/photo.png",
		"material/photo.webp", "material/photo-lossless.webp",
		"programme.pdf",
	};
	struct material_file f;
	struct sb b;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		load(names[i], &b);
		for (n = 0; n < b.len; n++) {
			/* a PDF's trailing newline is not part of it */
			if (n == b.len - 1 && b.buf[n] == '\n')
				continue;
			assert_int_not_equal(sniff(b.buf, n, &f), 0);
		}
		sb_fini(&b);
	}
}

static void test_refuses_polyglots(void **state)
{
	static const char page[] = "<html><script>alert(1)</script></html>";
	struct material_file f;
	struct agora_error err = {0};
	struct sb b, c;

	(void)state;
	/* a page, or an archive, after the end of an image */
	load("material/photo.png", &b);
	sb_append(&b, page, sizeof(page) - 1);
	assert_int_equal(material_sniff(b.buf, b.len, &f, &err), AGORA_EINVAL);
	assert_int_equal(f.type, MATERIAL_PNG);
	assert_non_null(strstr(err.msg, "after the IEND"));
	sb_fini(&b);
	load("material/photo.jpg", &b);
	sb_append(&b, "PK\x03\x04 zip", 8);
	assert_int_equal(material_sniff(b.buf, b.len, &f, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "after the end"));
	sb_fini(&b);
	/* a page in a JPEG comment segment */
	load("material/photo.jpg", &b);
	sb_init(&c, 1 << 20);
	sb_append(&c, b.buf, 2);
	sb_append(&c, "\xff\xfe\x00\x28", 4);
	sb_append(&c, page, sizeof(page) - 1);
	sb_append(&c, b.buf + 2, b.len - 2);
	assert_int_equal(material_sniff(c.buf, c.len, &f, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "markup"));
	sb_fini(&b);
	sb_fini(&c);
	/* a PDF that runs JavaScript */
	load("programme.pdf", &b);
	sb_init(&c, 1 << 20);
	sb_append(&c, b.buf, 9);
	sb_puts(&c, "1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >>\n");
	sb_append(&c, b.buf + 9, b.len - 9);
	assert_int_equal(material_sniff(c.buf, c.len, &f, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "active content"));
	sb_fini(&b);
	sb_fini(&c);
}

static void test_refuses_other_types(void **state)
{
	static const struct {
		const char *bytes, *label;
	} bad[] = {
		{"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"},
		{"\xef\xbb\xbf <?xml version='1.0'?><svg/>", "SVG"},
		{"<!DOCTYPE html><html><script>x</script>", "HTML"},
		{"GIF89a\x01\x00\x01\x00", "GIF"},
		{"PK\x03\x04", "ZIP"},
		{"hello", NULL},
		{"", NULL},
	};
	struct material_file f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sniff(bad[i].bytes, strlen(bad[i].bytes), &f),
				 AGORA_EINVAL);
		assert_int_equal(f.type, MATERIAL_NONE);
		if (bad[i].label)
			assert_string_equal(f.label, bad[i].label);
		else
			assert_null(f.label);
	}
}

/* A PNG whose header announces 20000 x 20000 pixels */
static void test_refuses_huge_images(void **state)
{
	struct material_file f;
	struct agora_error err = {0};
	struct sb b;

	(void)state;
	load("material/photo.png", &b);
	memcpy(b.buf + 16, "\x00\x00\x4e\x20\x00\x00\x4e\x20", 8);
	/* the CRC no longer matches: refused for that first */
	assert_int_equal(material_sniff(b.buf, b.len, &f, &err), AGORA_EINVAL);
	sb_fini(&b);
	load("material/photo-lossless.webp", &b);
	/* VP8L: 14 bits of width - 1, 14 of height - 1: 16384 x 16384 */
	b.buf[21] = (char)0xff;
	b.buf[22] = (char)0xff;
	b.buf[23] = (char)0xff;
	b.buf[24] = (char)((b.buf[24] & 0xf0) | 0x0f);
	assert_int_equal(material_sniff(b.buf, b.len, &f, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "pixels"));
	sb_fini(&b);
}

static void test_links(void **state)
{
	static const char *const good[] = {
		"https://www.example.org/watch?v=abc",
		"https://video.example.fr:8443/v/1#t=30",
		"HTTPS://example.org",
	};
	static const char *const bad[] = {
		"",
		"http://example.org/v",
		"javascript:alert(1)",
		"https://",
		"https://user:pw@example.org/",
		"https://exa mple.org/",
		"https://example.org/\"onmouseover=x",
		"https://example.org/<script>",
		"https://.example.org/",
		"https://example.org:80x/",
		"data:text/html,<script>x</script>",
	};
	struct agora_error err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(material_url_check("the link", good[i], &err),
				 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(material_url_check("the link", bad[i], &err),
				 AGORA_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_real_files),
		cmocka_unit_test(test_refuses_truncated),
		cmocka_unit_test(test_refuses_polyglots),
		cmocka_unit_test(test_refuses_other_types),
		cmocka_unit_test(test_refuses_huge_images),
		cmocka_unit_test(test_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
