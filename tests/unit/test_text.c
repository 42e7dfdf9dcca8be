/*
 * test_text.c - UTF-8 validation and coding, French folding, stemming
 * and the tokeniser's offsets and elisions.
 */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core.h"

static int valid(const char *s, size_t n, size_t *bad)
{
	*bad = (size_t)-1;
	return utf8_valid(s, n, bad);
}

static void test_utf8_valid(void **state)
{
	size_t bad;

	(void)state;
	assert_true(valid("", 0, &bad));
	assert_true(valid("école", strlen("école"), &bad));
	assert_true(valid("\xf0\x9f\x98\x80", 4, &bad)); /* U+1F600 */
	assert_true(valid("\xf4\x8f\xbf\xbf", 4, &bad)); /* U+10FFFF */
	assert_true(valid("\xed\x9f\xbf", 3, &bad));	 /* U+D7FF */
	assert_true(valid("\xee\x80\x80", 3, &bad));	 /* U+E000 */
	/* overlongs */
	assert_false(valid("ab\xc0\xaf", 4, &bad));
	assert_int_equal(bad, 2);
	assert_false(valid("\xc1\xbf", 2, &bad));
	assert_int_equal(bad, 0);
	assert_false(valid("x\xe0\x80\xaf", 4, &bad));
	assert_int_equal(bad, 1);
	assert_false(valid("\xf0\x80\x80\xaf", 4, &bad));
	assert_int_equal(bad, 0);
	/* surrogates, beyond U+10FFFF */
	assert_false(valid("a\xed\xa0\x80", 4, &bad));
	assert_int_equal(bad, 1);
	assert_false(valid("\xed\xbf\xbf", 3, &bad));
	assert_false(valid("\xf4\x90\x80\x80", 4, &bad));
	assert_false(valid("\xf5\x80\x80\x80", 4, &bad));
	/* truncated, stray continuation, NUL */
	assert_false(valid("abc\xc3", 4, &bad));
	assert_int_equal(bad, 3);
	assert_false(valid("\xe2\x82", 2, &bad));
	assert_false(valid("ok\x80", 3, &bad));
	assert_int_equal(bad, 2);
	assert_false(valid("a\0b", 3, &bad));
	assert_int_equal(bad, 1);
	assert_false(valid("\xff", 1, &bad));
	assert_int_equal(bad, 0);
}

static void test_utf8_codec(void **state)
{
	static const uint32_t cps[] = {0x24, 0xe9, 0x20ac, 0x10348, 0x10ffff};
	char buf[4];
	uint32_t cp;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		n = utf8_encode(cps[i], buf);
		assert_int_equal(n, i + 1 < 5 ? (int)i + 1 : 4);
		assert_int_equal(utf8_decode(buf, (size_t)n, &cp), n);
		assert_int_equal(cp, cps[i]);
	}
	/* a bad or truncated byte decodes as U+FFFD, one byte long */
	assert_int_equal(utf8_decode("\xc3", 1, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(utf8_decode("\xe9t\xc3\xa9", 4, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	/* surrogates are not encodable */
	assert_int_equal(utf8_encode(0xd800, buf), 3);
	assert_memory_equal(buf, "\xef\xbf\xbd", 3);
}

static void assert_fold(const char *in, int keep, const char *want)
{
	struct sb sb;

	sb_init(&sb, 0);
	assert_int_equal(text_fold(&sb, in, strlen(in), keep), 0);
	assert_string_equal(sb.buf, want);
	sb_fini(&sb);
}

static void test_fold(void **state)
{
	(void)state;
	assert_fold("SÉCURITÉ", 0, "securite");
	assert_fold("Sécurité", 0, "securite");
	assert_fold("Œuvre cœur ÆSIR Straße", 0, "oeuvre coeur aesir strasse");
	assert_fold("l’école d’impôts", 0, "l'ecole d'impots");
	assert_fold("ÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸ", 0, "aaaceeeeiioouuuy");
	assert_fold("àâäçèéêëîïôöùûüÿ", 0, "aaaceeeeiioouuuy");
	assert_fold("Łódź Ścięgno Žluť Ĳssel", 0, "lodz sciegno zlut ijssel");
	assert_fold("× ÷ 3 € ½", 0, "× ÷ 3 € ½");
	/* keep_accents: lower case only */
	assert_fold("À É Œ Ÿ İ ÇA", 1, "à é œ ÿ i ça");
	assert_fold("Straße L’été", 1, "straße l’été");
	assert_fold("ΑΘΗΝΑ МОСКВА", 1, "αθηνα москва");
	/* bad bytes become U+FFFD: the output is valid UTF-8 */
	assert_fold("a\xff"
		    "b\xc3",
		    0,
		    "a\xef\xbf\xbd"
		    "b\xef\xbf\xbd");
}

static void test_wordchar(void **state)
{
	(void)state;
	assert_true(text_is_wordchar('a'));
	assert_true(text_is_wordchar('7'));
	assert_true(text_is_wordchar(0xe9));   /* é */
	assert_true(text_is_wordchar(0x153));  /* œ */
	assert_true(text_is_wordchar(0x301));  /* combining acute */
	assert_true(text_is_wordchar(0x4e2d)); /* 中 */
	assert_false(text_is_wordchar('\''));
	assert_false(text_is_wordchar('-'));
	assert_false(text_is_wordchar(0xa0));	 /* no-break space */
	assert_false(text_is_wordchar(0xab));	 /* « */
	assert_false(text_is_wordchar(0xb7));	 /* · */
	assert_false(text_is_wordchar(0x2019));	 /* ’ */
	assert_false(text_is_wordchar(0x2022));	 /* • */
	assert_false(text_is_wordchar(0x25cf));	 /* ● */
	assert_false(text_is_wordchar(0xf0b7));	 /* PDF bullet, private use */
	assert_false(text_is_wordchar(0x1f600)); /* emoji */
}

static void test_stem(void **state)
{
	struct fr_stemmer *st = fr_stemmer_new();
	const char *s;
	size_t n;

	(void)state;
	assert_non_null(st);
	s = fr_stem(st, "propositions", 12, &n);
	assert_non_null(s);
	assert_true(n < 12);
	assert_memory_equal(s, "proposit", n);
	s = fr_stem(st, "sécurité", strlen("sécurité"), &n);
	assert_int_equal(n, strlen("sécur"));
	assert_memory_equal(s, "sécur", n);
	fr_stemmer_free(st);
	fr_stemmer_free(NULL);
}

struct tok {
	char stem[8][64];
	size_t start[8], end[8];
	int n;
};

static int collect(void *ctx, const char *stem, size_t n, size_t start,
		   size_t end)
{
	struct tok *t = ctx;

	if (t->n >= 8 || n >= 64)
		return -1;
	memcpy(t->stem[t->n], stem, n);
	t->stem[t->n][n] = '\0';
	t->start[t->n] = start;
	t->end[t->n] = end;
	t->n++;
	return 0;
}

static void tokenize(struct fr_stemmer *st, const char *s, struct tok *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(fr_tokenize(st, s, strlen(s), collect, t), 0);
}

/* Tokens of a longer text, as one string "stem@start-end ..." */
static int collect_all(void *ctx, const char *stem, size_t n, size_t start,
		       size_t end)
{
	struct sb *out = ctx;

	sb_append(out, stem, n);
	return sb_printf(out, "@%zu-%zu ", start, end);
}

/*
 * The stemmer's word cache must give what stemming from scratch gives:
 * the same text through one stemmer again and again (cold, then warm,
 * with mixed case, accents, ligatures and words too long to cache)
 * matches a new stemmer every time.
 */
static void test_tokenize_cache(void **state)
{
	static const char text[] =
		"Sécurité sociale : la SÉCURITÉ des sécurités, l'Œuvre "
		"et l'œuvre des élèves ; ÉLÈVES, eleves, Élève. "
		"anticonstitutionnellementanticonstitutionnellement "
		"Anticonstitutionnellementanticonstitutionnellement "
		"ΑΘΗΝΑ αθηνα Straße STRASSE naïve NAÏVE cafe\xcc\x81 café";
	struct fr_stemmer *warm = fr_stemmer_new(), *cold;
	struct sb a, b;
	int round;

	(void)state;
	assert_non_null(warm);
	sb_init(&a, 0);
	sb_init(&b, 0);
	for (round = 0; round < 3; round++) {
		cold = fr_stemmer_new();
		assert_non_null(cold);
		sb_reset(&a);
		sb_reset(&b);
		assert_int_equal(fr_tokenize(warm, text, strlen(text),
					     collect_all, &a),
				 0);
		assert_int_equal(fr_tokenize(cold, text, strlen(text),
					     collect_all, &b),
				 0);
		assert_string_equal(a.buf, b.buf);
		fr_stemmer_free(cold);
	}
	assert_non_null(strstr(a.buf, "secur@0-"));
	sb_fini(&a);
	sb_fini(&b);
	fr_stemmer_free(warm);
}

static int count_tokens(void *ctx, const char *stem, size_t n, size_t start,
			size_t end)
{
	size_t *count = ctx;

	(void)stem;
	(void)n;
	(void)start;
	(void)end;
	return ++*count == 3; /* stop at the third when asked (*count 0) */
}

static void fts_insert(struct agora_db *db, int64_t id, const char *text)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
					    "INSERT INTO proposal_fts(rowid,"
					    " text) VALUES (?1, ?2)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The index's blocks, as hex, one after the other */
static void fts_blocks(struct agora_db *db, struct sb *out)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db),
					    "SELECT id, hex(block) FROM"
					    " proposal_fts_data ORDER BY id",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		sb_printf(out, "%lld:%s\n",
			  (long long)sqlite3_column_int64(st, 0),
			  (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

/*
 * Ingest themes a proposal with fr_tokenize_keep, then FTS5 replays the
 * kept tokens for the same bytes: the index must be exactly the one the
 * tokenizer gives on its own, for the same text (accents: second stems),
 * for other texts (a prefix of it, another one), and after a pass that
 * stopped early (nothing must be replayed from it).
 */
static void test_tokenize_keep(void **state)
{
	static const char first[] =
		"Sécurité sociale : l'œuvre des élèves, la SÉCURITÉ des "
		"naïves ÉLÈVES.";
	static const char *const texts[] = {
		first,
		"Sécurité sociale : l'œuvre des élèves, la SÉCURITÉ des",
		"Une autre phrase, sans rapport.",
		first,
	};
	struct agora_error err = {0};
	struct agora_db *kept = NULL, *plain = NULL;
	struct sb a, b;
	size_t i, count;

	(void)state;
	assert_int_equal(db_open(&kept, ":memory:", DB_OPEN_CREATE, &err), 0);
	assert_int_equal(db_open(&plain, ":memory:", DB_OPEN_CREATE, &err), 0);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		count = i == 3 ? 0 : 100; /* the last pass stops early */
		fr_tokenize_keep(db_stemmer(kept), first, strlen(first),
				 count_tokens, &count);
		assert_int_equal(count, i == 3 ? 3 : 110);
		fts_insert(kept, (int64_t)i + 1, texts[i]);
		fts_insert(plain, (int64_t)i + 1, texts[i]);
	}
	assert_int_equal(db_exec(kept,
				 "INSERT INTO proposal_fts(proposal_fts)"
				 " VALUES ('integrity-check')",
				 &err),
			 0);
	sb_init(&a, 0);
	sb_init(&b, 0);
	fts_blocks(kept, &a);
	fts_blocks(plain, &b);
	assert_true(a.len > 0);
	assert_string_equal(a.buf, b.buf);
	sb_fini(&a);
	sb_fini(&b);
	db_close(kept);
	db_close(plain);
}

/* Appends each stem and a space: the stems alone, offsets left out */
static int collect_stems(void *ctx, const char *stem, size_t n, size_t start,
			 size_t end)
{
	struct sb *out = ctx;

	(void)start;
	(void)end;
	sb_append(out, stem, n);
	return sb_putc(out, ' ');
}

/*
 * The word cache grows with the words it meets and starts over when it
 * holds 32,768: through all of that, a stemmer must give what fresh
 * stemmers give. 40,000 distinct words (short and long, accented and
 * not, capitals, pairs that differ only in their middle bytes, words
 * too long to cache) through one stemmer, twice, against fresh stemmers
 * fed 1,000 words each.
 */
static void test_word_cache_full(void **state)
{
	static const char *const suffix[] = {"", "ment", "é", "ités",
					     "ssssssssssss", "ÉLÈVES",
					     "nouveautéXtransformation",
					     "nouveautéYtransformation",
					     "anticonstitutionnellementanticonst"};
	struct fr_stemmer *warm = fr_stemmer_new(), *cold;
	struct sb text, a, b, c;
	size_t i, k, at, start;
	char word[64];
	int v, len;

	(void)state;
	assert_non_null(warm);
	sb_init(&text, 0);
	sb_init(&a, 0);
	sb_init(&b, 0);
	sb_init(&c, 0);
	for (i = 0; i < 40000; i++) {
		len = 0;
		/* X and Y: the same word but for one byte in the middle */
		for (v = (int)(i % 9 == 7 ? i - 1 : i) + 1; v; v /= 26)
			word[len++] = (char)((i % 7 ? 'a' : 'A') + v % 26);
		word[len] = '\0';
		sb_printf(&text, "%s%s ", word, suffix[i % 9]);
	}
	assert_int_equal(sb_error(&text), 0);
	assert_int_equal(fr_tokenize(warm, text.buf, text.len, collect_stems,
				     &a),
			 0);
	/* the same words through fresh stemmers, 1,000 at a time */
	for (start = 0, k = 0, at = 0; at < text.len; at++) {
		if (text.buf[at] != ' ' || ++k % 1000)
			continue;
		cold = fr_stemmer_new();
		assert_non_null(cold);
		assert_int_equal(fr_tokenize(cold, text.buf + start,
					     at - start, collect_stems, &b),
				 0);
		fr_stemmer_free(cold);
		start = at + 1;
	}
	assert_int_equal(k, 40000);
	assert_string_equal(a.buf, b.buf);
	/* again through the stemmer that started over */
	assert_int_equal(fr_tokenize(warm, text.buf, text.len, collect_stems,
				     &c),
			 0);
	assert_string_equal(a.buf, c.buf);
	sb_fini(&text);
	sb_fini(&a);
	sb_fini(&b);
	sb_fini(&c);
	fr_stemmer_free(warm);
}

/* The ASCII fast path of utf8_valid still finds NUL and bad bytes */
/*
 * fr_word_note: a number kept with a cached word under a tag; another
 * tag does not see it, and a word too long for the cache has none.
 */
struct note_ctx {
	struct fr_stemmer *st;
	uint32_t tag;
	int seen, stored, uncached;
};

static int note_cb(void *ctx, const char *stem, size_t n, size_t start,
		   size_t end)
{
	struct note_ctx *c = ctx;
	uint32_t *note = fr_word_note(c->st, c->tag);

	(void)start;
	(void)end;
	if (!note) {
		c->uncached++;
		return 0;
	}
	if (*note) {
		assert_int_equal(*note, 1000 + n); /* what was stored for it */
		c->seen++;
	} else {
		*note = 1000 + (uint32_t)n;
		c->stored++;
	}
	(void)stem;
	return 0;
}

static void test_word_note(void **state)
{
	static const char text[] = "logement social et logement étudiant "
				   "anticonstitutionnellementanticonstitutionnel";
	struct fr_stemmer *st = fr_stemmer_new();
	struct note_ctx a = {st, fr_note_tag(), 0, 0, 0}, b;

	(void)state;
	assert_non_null(st);
	b = a;
	b.tag = fr_note_tag();
	assert_int_not_equal(a.tag, b.tag);
	assert_int_equal(fr_tokenize(st, text, strlen(text), note_cb, &a), 0);
	/* "logement" the second time is seen; the long word is not cached */
	assert_int_equal(a.stored, 4);
	assert_int_equal(a.seen, 1);
	assert_int_equal(a.uncached, 1);
	a.stored = a.seen = a.uncached = 0;
	assert_int_equal(fr_tokenize(st, text, strlen(text), note_cb, &a), 0);
	assert_int_equal(a.stored, 0);
	assert_int_equal(a.seen, 5);
	/* another tag starts from nothing */
	assert_int_equal(fr_tokenize(st, text, strlen(text), note_cb, &b), 0);
	assert_int_equal(b.stored, 4);
	assert_int_equal(b.seen, 1);
	fr_stemmer_free(st);
}

static void test_utf8_valid_long(void **state)
{
	static const char nul[] = "abcdefgh\0ijklmnop";
	size_t bad;

	(void)state;
	assert_int_equal(valid("abcdefghijklmnop\xff", 17, &bad), 0);
	assert_int_equal(bad, 16);
	assert_int_equal(valid(nul, sizeof(nul) - 1, &bad), 0);
	assert_int_equal(bad, 8);
	assert_int_equal(valid("abcdefghijklmno\xc3\xa9 et la suite", 29, &bad),
			 1);
	assert_int_equal(valid("abcdefghijklmno\xc3", 16, &bad), 0);
	assert_int_equal(bad, 15);
}

static void test_tokenize(void **state)
{
	struct fr_stemmer *st = fr_stemmer_new();
	const char *s;
	struct tok t;

	(void)state;
	assert_non_null(st);

	s = "L'école d’impôts, qu'il";
	tokenize(st, s, &t);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.stem[0], "ecol");
	assert_int_equal(t.start[0], 2);
	assert_int_equal(t.end[0], 2 + strlen("école"));
	assert_string_equal(t.stem[1], "impot");
	assert_int_equal(t.start[1], strlen("L'école d’"));
	assert_int_equal(t.end[1], strlen("L'école d’impôts"));
	assert_string_equal(t.stem[2], "il");
	assert_int_equal(t.start[2], strlen("L'école d’impôts, qu'"));

	/* every spelling of one word gives one stem */
	tokenize(st, "Sécurité SÉCURITÉ sécurités", &t);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.stem[0], "secur");
	assert_string_equal(t.stem[1], "secur");
	assert_string_equal(t.stem[2], "secur");

	/* aujourd'hui is no elision; the apostrophe still separates */
	tokenize(st, "aujourd'hui", &t);
	assert_int_equal(t.n, 2);

	/* a trailing elision with nothing after stays a word */
	tokenize(st, "l'", &t);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.stem[0], "l");

	/* bad bytes and punctuation separate words */
	tokenize(st,
		 "\xff"
		 "taxe\xc3(\x01)carbone\xe2\x80",
		 &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.stem[0], "tax");
	assert_int_equal(t.start[0], 1);
	assert_int_equal(t.end[0], 5);
	assert_string_equal(t.stem[1], "carbon");

	tokenize(st, "", &t);
	assert_int_equal(t.n, 0);
	tokenize(st, " -- « » • ", &t);
	assert_int_equal(t.n, 0);
	fr_stemmer_free(st);
}

static void test_slugify(void **state)
{
	struct sb sb;

	(void)state;
	sb_init(&sb, 0);
	assert_int_equal(slugify(&sb, "Jean-Luc Mélenchon"), 0);
	assert_string_equal(sb.buf, "jean-luc-melenchon");
	sb_fini(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_codec),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_wordchar),
		cmocka_unit_test(test_stem),
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test(test_tokenize_cache),
		cmocka_unit_test(test_tokenize_keep),
		cmocka_unit_test(test_word_note),
		cmocka_unit_test(test_word_cache_full),
		cmocka_unit_test(test_utf8_valid_long),
		cmocka_unit_test(test_slugify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
