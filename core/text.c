/*
 * text.c - UTF-8 validation and coding, French folding (lower case,
 * accents, ligatures), the Snowball French stemmer and the tokeniser
 * shared by the FTS5 tokenizer, the theme rules and the search queries.
 *
 * Everything here must survive any bytes: search strings and extracted
 * documents come from outside. Bad UTF-8 is never trusted to be absent.
 */
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "core.h"
#include "core_int.h"

/* ------------------------------------------------------------- UTF-8 */

/*
 * Decodes the sequence at p strictly; returns its length, or 0 when it is
 * not well-formed UTF-8 (overlong, surrogate, above U+10FFFF, truncated,
 * stray continuation byte). NUL is well-formed here: callers decide.
 */
static int utf8_strict(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	int len, i;

	if (!n)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0; /* continuation byte, 0xc0, 0xc1 or 0xf5.. */
	}
	if ((size_t)len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int utf8_valid(const char *p, size_t n, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	uint32_t cp;
	int len;

	while (i < n) {
		/*
		 * eight bytes at a time while they are ASCII and not NUL:
		 * every document is checked whole before extraction
		 */
		while (i + 8 <= n) {
			uint64_t v;

			memcpy(&v, s + i, 8);
			if ((v & 0x8080808080808080u) ||
			    ((v - 0x0101010101010101u) & ~v &
			     0x8080808080808080u))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (s[i] && s[i] < 0x80) {
			i++;
			continue;
		}
		len = s[i] ? utf8_strict(s + i, n - i, &cp) : 0;
		if (!len) {
			if (bad)
				*bad = i;
			return 0;
		}
		i += (size_t)len;
	}
	return 1;
}

/*
 * The header says valid UTF-8 is assumed, but a decoder that walks off
 * a truncated sequence is how crashes start: a bad byte decodes as
 * U+FFFD of length 1, so callers always make progress.
 */
int utf8_decode(const char *p, size_t n, uint32_t *cp)
{
	int len;

	if (!n) {
		*cp = 0;
		return 0;
	}
	len = utf8_strict((const unsigned char *)p, n, cp);
	if (!len) {
		*cp = 0xfffd;
		return 1;
	}
	return len;
}

int utf8_encode(uint32_t cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* ----------------------------------------------------------- folding */

/*
 * Base letters of U+00C0..U+017F once accents are removed; '\0' marks a
 * character that is not a letter (× ÷) and multi-letter folds (æ ß þ
 * œ ĳ ŉ) are handled in fold_latin().
 */
/* clang-format off */
static const char latin_base[] =
	/* U+00C0 */ "AAAAAAACEEEEIIII" "DNOOOOO\0OUUUUYTs"
	/* U+00E0 */ "aaaaaaaceeeeiiii" "dnooooo\0ouuuuyty"
	/* U+0100 */ "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg"
	/* U+0120 */ "GgGgHhHhIiIiIiIi" "IiIiJjKkkLlLlLlL"
	/* U+0140 */ "lLlNnNnNnnNnOoOo" "OoOoRrRrRrSsSsSs"
	/* U+0160 */ "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";
/* clang-format on */

/* The lower-case of cp, keeping accents; cp itself when it has none */
static uint32_t lower_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 32;
	if (cp >= 0x100 && cp <= 0x17f) {
		if (cp == 0x130)
			return 'i'; /* İ: the dot goes with the case */
		if (cp == 0x178)
			return 0xff; /* Ÿ */
		if ((cp >= 0x100 && cp <= 0x137) ||
		    (cp >= 0x14a && cp <= 0x177))
			return (cp & 1) ? cp : cp + 1;
		if ((cp >= 0x139 && cp <= 0x148) ||
		    (cp >= 0x179 && cp <= 0x17e))
			return (cp & 1) ? cp + 1 : cp;
		return cp;
	}
	/* Greek and Cyrillic capitals, for names and quotations */
	if ((cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) ||
	    (cp >= 0x410 && cp <= 0x42f))
		return cp + 32;
	if (cp >= 0x400 && cp <= 0x40f)
		return cp + 80;
	return cp;
}

/* Appends the accent-free lower-case of cp; 0 if cp was not handled */
static int fold_latin(struct sb *out, uint32_t cp)
{
	const char *two = NULL;
	char c;

	if (cp < 0xc0 || cp > 0x17f)
		return 0;
	switch (cp) {
	case 0xc6:
	case 0xe6:
		two = "ae";
		break;
	case 0xdf:
		two = "ss";
		break;
	case 0xde:
	case 0xfe:
		two = "th";
		break;
	case 0x132:
	case 0x133:
		two = "ij";
		break;
	case 0x149:
		two = "'n";
		break;
	case 0x152:
	case 0x153:
		two = "oe";
		break;
	default:
		break;
	}
	if (two) {
		sb_append(out, two, 2);
		return 1;
	}
	c = latin_base[cp - 0xc0];
	if (!c)
		return 0;
	if (c >= 'A' && c <= 'Z')
		c = (char)(c + 32);
	sb_putc(out, c);
	return 1;
}

/* Typographic apostrophes and the modifier letter apostrophe */
static int is_apostrophe(uint32_t cp)
{
	return cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x2bc;
}

/*
 * One pass over the code points; a bad byte becomes U+FFFD so that the
 * output is always valid UTF-8 whatever came in.
 */
int text_fold(struct sb *out, const char *p, size_t n, int keep_accents)
{
	size_t i = 0;
	uint32_t cp;
	char enc[4];
	int len;

	if (sb_grow(out, n))
		return out->err;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80) {
			/* room was made above: ASCII is written in place */
			if (out->len + 1 < out->cap || !sb_grow(out, 1)) {
				out->buf[out->len++] =
					(char)((c >= 'A' && c <= 'Z') ? c + 32
								      : c);
				out->buf[out->len] = '\0';
			}
			i++;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp);
		i += (size_t)len;
		if (!keep_accents) {
			/* decomposed accents (NFD, as from PDFs and macOS) */
			if (cp >= 0x300 && cp <= 0x36f)
				continue;
			if (fold_latin(out, cp))
				continue;
			if (is_apostrophe(cp)) {
				sb_putc(out, '\'');
				continue;
			}
		}
		len = utf8_encode(lower_cp(cp), enc);
		sb_append(out, enc, (size_t)len);
	}
	return sb_error(out);
}

/*
 * Letters and digits of any script are word characters; separators are
 * ASCII punctuation, Latin-1 symbols, general punctuation, symbols,
 * arrows, box drawing, dingbats, emoji, private use (PDF bullets often
 * land there) and specials. Combining marks stay inside the word so a
 * decomposed "é" does not cut it in two.
 */
int text_is_wordchar(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	if (cp < 0xc0)
		return cp == 0xaa || cp == 0xb5 || cp == 0xba;
	if (cp <= 0x24f)
		return cp != 0xd7 && cp != 0xf7;
	if (cp == 0x37e || cp == 0x387 || cp == 0x589 || cp == 0x5be ||
	    cp == 0x5c0 || cp == 0x5c3 || cp == 0x5c6 || cp == 0x5f3 ||
	    cp == 0x5f4 || (cp >= 0x600 && cp <= 0x60f && cp != 0x60e) ||
	    cp == 0x61b || cp == 0x61f || cp == 0x6d4)
		return 0;
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x2bff) ||
	    (cp >= 0x2e00 && cp <= 0x2e7f) || (cp >= 0x3000 && cp <= 0x303f) ||
	    (cp >= 0xd800 && cp <= 0xf8ff) || (cp >= 0xfe10 && cp <= 0xfe1f) ||
	    (cp >= 0xfe30 && cp <= 0xfe6f) || cp == 0xfeff ||
	    (cp >= 0xff00 && cp <= 0xff0f) || (cp >= 0xff1a && cp <= 0xff20) ||
	    (cp >= 0xff3b && cp <= 0xff40) || (cp >= 0xff5b && cp <= 0xff65) ||
	    (cp >= 0xfff0 && cp <= 0xffff) ||
	    (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0xe0000) ||
	    cp > 0x10ffff)
		return 0;
	return 1;
}

/* ----------------------------------------------------------- stemmer */

/*
 * Snowball costs about a microsecond a word, and a programme says "de",
 * "la" and "logement" again and again: a direct-mapped cache of recent
 * words in front of it turns most calls into one hash and one compare
 * (ingest spent a third of its time stemming before it).
 */
#define STEM_CACHE_SLOTS 4096 /* a power of two */
#define STEM_CACHE_WORD 40    /* longer words bypass the cache */

struct stem_slot {
	unsigned char wlen, slen;
	char word[STEM_CACHE_WORD];
	char stem[STEM_CACHE_WORD];
};

/*
 * In front of the stem cache, a cache of whole words as they appear in
 * the text (case and accents included) giving what the tokenizers want
 * in the end: the folded stem of the word, and for the FTS5 tokenizer
 * the stem of its folded form when that differs. Ingest tokenizes every
 * proposal twice (theme rules, then the index), and most words of a
 * programme were seen before: a hit skips lower-casing the word, the
 * stem cache's hash and folding the stem, and the FTS5 pass no longer
 * folds and stems accented words a second time. With the stem numbers
 * of ingest/themes.c (ingest_bench, HTML, pure stages): + themes 16.1 ->
 * 26-28 MB/s.
 *
 * The cache is a hash table that grows with the words it meets, up to
 * WORD_CACHE_MAX words, and starts again empty when full. It replaced a
 * fixed table of 8192 slots, two ways a set: a programme's 5,000 to
 * 10,000 distinct words overflowed its sets, and the words that met in
 * a full set pushed each other out again and again (HTML round of
 * ingest_bench: 15,300 misses for 5,800 distinct words; bigger fixed
 * tables cost their memory on every connection, even those that only
 * search). Growing, a connection holds what it met: 8 kB for a search,
 * about 70 bytes a distinct word for an ingest, 2.2 MB at most.
 */
#define WORD_CACHE_WORD 32     /* raw word bytes; longer words bypass it */
#define WORD_CACHE_IDX0 1024   /* index slots at first (a power of two) */
#define WORD_CACHE_MAX 32768   /* words at most; then it starts over */
#define WORD_ARENA_MAX (1u << 20) /* bytes of words and stems at most */
#define WORD_S2_UNKNOWN 0xff   /* the second stem was not computed yet */
#define WORD_S2_NONE 0xfe      /* the word has no distinct second stem */

struct word_ent {
	uint32_t note_tag, note; /* fr_word_note's */
	uint32_t off;		 /* the word, then s1, in the arena */
	uint32_t off2;		 /* s2 in the arena, when len2 is a length */
	unsigned char wlen, len1, len2;
};

struct word_idx {
	uint32_t hash; /* the word's, to compare bytes only on a likely hit */
	uint32_t ent;  /* 1 + index into the entries; 0: free */
};

struct word_cache {
	struct word_ent *ent;
	uint32_t n, cap;	/* entries in use, allocated */
	struct word_idx *idx;	/* open addressing, at most half full */
	uint32_t nidx;		/* a power of two */
	char *arena;		/* the bytes of words and stems */
	uint32_t alen, acap;
};

/*
 * The token stream of the last text fr_tokenize_keep() read, for
 * fr_tokenize2() to replay when it is asked for the same bytes: ingest
 * reads each proposal for the theme rules, then FTS5 reads the same text
 * for the index; the second pass no longer finds the words and looks
 * them up again. Keyed by the bytes themselves (a copy), so a replay is
 * exactly what tokenizing would give: word_stems() is a pure function of
 * the word.
 */
#define FR_MEMO_TEXT_MAX 65536 /* longer texts are not kept */

struct fr_memo_tok {
	size_t start, end;
	uint32_t s1, n1, s2, n2; /* offsets and lengths in stems */
	int has2;
};

struct fr_memo {
	struct sb text;	 /* the bytes tokenized */
	struct sb stems; /* the stems of every token, one after the other */
	struct fr_memo_tok *v;
	size_t n, cap;
	int valid; /* the whole text was read without error */
};

struct fr_stemmer {
	struct sb_stemmer *sb;
	struct stem_slot *cache;
	struct word_cache words;
	struct word_ent *cur; /* the entry of the word word_stems gave last */
	/* scratch for words the cache cannot hold; one thread, no reentry */
	struct sb low, fold, fold2;
	struct fr_memo memo;
};

struct fr_stemmer *fr_stemmer_new(void)
{
	struct fr_stemmer *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	sb_init(&st->low, 0);
	sb_init(&st->fold, 0);
	sb_init(&st->fold2, 0);
	sb_init(&st->memo.text, 0);
	sb_init(&st->memo.stems, 0);
	st->cache = calloc(STEM_CACHE_SLOTS, sizeof(*st->cache));
	st->words.idx = calloc(WORD_CACHE_IDX0, sizeof(*st->words.idx));
	st->words.nidx = WORD_CACHE_IDX0;
	st->sb = sb_stemmer_new("french", "UTF_8");
	if (!st->cache || !st->words.idx || !st->sb) {
		fr_stemmer_free(st);
		return NULL;
	}
	return st;
}

void fr_stemmer_free(struct fr_stemmer *st)
{
	if (!st)
		return;
	if (st->sb)
		sb_stemmer_delete(st->sb);
	free(st->cache);
	free(st->words.ent);
	free(st->words.idx);
	free(st->words.arena);
	sb_fini(&st->low);
	sb_fini(&st->fold);
	sb_fini(&st->fold2);
	sb_fini(&st->memo.text);
	sb_fini(&st->memo.stems);
	free(st->memo.v);
	free(st);
}

/*
 * Snowball is fed lower-cased UTF-8. Words longer than FR_STEM_MAX bytes
 * are not words a voter types (URLs, hashes): they are returned as they
 * are, which also bounds the stemmer's work. NULL only when out of memory.
 */
#define FR_STEM_MAX 64

const char *fr_stem(struct fr_stemmer *st, const char *w, size_t n,
		    size_t *outlen)
{
	const sb_symbol *s;

	struct stem_slot *slot = NULL;
	uint32_t h = 2166136261u;
	size_t i, sl;

	if (n > FR_STEM_MAX || n == 0) {
		*outlen = n;
		return w;
	}
	if (n < STEM_CACHE_WORD) {
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)w[i]) * 16777619u;
		/* two ways a set, as the word cache below */
		slot = &st->cache[(h & (STEM_CACHE_SLOTS / 2 - 1)) * 2];
		if (slot->wlen == n && !memcmp(slot->word, w, n)) {
			*outlen = slot->slen;
			return slot->stem;
		}
		if (slot[1].wlen == n && !memcmp(slot[1].word, w, n)) {
			*outlen = slot[1].slen;
			return slot[1].stem;
		}
	}
	s = sb_stemmer_stem(st->sb, (const sb_symbol *)w, (int)n);
	if (!s) {
		*outlen = 0;
		return NULL;
	}
	sl = (size_t)sb_stemmer_length(st->sb);
	*outlen = sl;
	if (slot && sl < STEM_CACHE_WORD) {
		slot[1] = slot[0]; /* the set's older word goes second */
		memcpy(slot->word, w, n);
		slot->wlen = (unsigned char)n;
		memcpy(slot->stem, s, sl);
		slot->slen = (unsigned char)sl;
		return slot->stem;
	}
	return (const char *)s;
}

/* --------------------------------------------------------- tokeniser */

/*
 * French elided articles and conjunctions: "l'école", "qu'il",
 * "jusqu'au". Before an apostrophe followed by a letter, these are not
 * words of their own and are dropped, so "l'école" indexes as "école".
 */
static int is_elision(const char *w, size_t n)
{
	static const char *const el[] = {
		"l", "d",  "j",	    "m",      "n",	"s",	  "t",
		"c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu",
	};
	char low[8];
	size_t i;

	if (n > 6)
		return 0;
	for (i = 0; i < n; i++) {
		char c = w[i];

		low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	for (i = 0; i < sizeof(el) / sizeof(el[0]); i++)
		if (strlen(el[i]) == n && !memcmp(el[i], low, n))
			return 1;
	return 0;
}

/* Length of the apostrophe at p[0..n), or 0 */
static int apostrophe_len(const char *p, size_t n)
{
	uint32_t cp;
	int len;

	if (!n)
		return 0;
	if (p[0] == '\'')
		return 1;
	if (!((unsigned char)p[0] & 0x80))
		return 0; /* after most words: no decoding */
	len = utf8_decode(p, n, &cp);
	return (len > 1 && is_apostrophe(cp)) ? len : 0;
}

/*
 * The class of a byte for fr_word_next: 0 an ASCII separator, 1 an ASCII
 * word character (text_is_wordchar's answer for [0-9A-Za-z]), 2 the
 * first or a later byte of a multi-byte character, which is decoded. One
 * load a byte in the scanning loops instead of three tests: fr_word_next
 * was a quarter of the theme pass.
 */
static const unsigned char byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/*
 * Finds the next word at or after *pos: [*start, *end) in bytes; returns
 * 0 at the end of the text. Bad bytes are separators. Elided prefixes
 * are skipped here, once, for the tokenizer, the query builder and theme
 * rules alike.
 */
static inline int word_next(const char *p, size_t n, size_t *pos,
			    size_t *start, size_t *end)
{
	size_t i = *pos, s, e;
	uint32_t cp;
	int len, ap, cls;

	for (;;) {
		/*
		 * skip separators; ASCII is decided without decoding (the
		 * same answer as text_is_wordchar: 10% of the tokenizer)
		 */
		while (i < n) {
			cls = byte_class[(unsigned char)p[i]];
			if (cls == 0) {
				i++;
				continue;
			}
			if (cls == 1)
				break;
			len = utf8_decode(p + i, n - i, &cp);
			if (text_is_wordchar(cp) && cp != 0xfffd)
				break;
			i += (size_t)len;
		}
		if (i >= n) {
			*pos = n;
			return 0;
		}
		s = i;
		while (i < n) {
			cls = byte_class[(unsigned char)p[i]];
			if (cls == 1) {
				i++;
				continue;
			}
			if (cls == 0)
				break;
			len = utf8_decode(p + i, n - i, &cp);
			if (!text_is_wordchar(cp) || cp == 0xfffd)
				break;
			i += (size_t)len;
		}
		e = i;
		ap = apostrophe_len(p + e, n - e);
		if (ap && is_elision(p + s, e - s) && e + (size_t)ap < n) {
			len = utf8_decode(p + e + ap, n - e - ap, &cp);
			if (text_is_wordchar(cp) && cp != 0xfffd) {
				i = e + (size_t)ap;
				continue; /* the word after the apostrophe */
			}
		}
		*start = s;
		*end = e;
		*pos = e;
		return 1;
	}
}

/*
 * The word scanner is inlined into the tokenizing loops below (its
 * calls, with their saved registers and the results written through
 * pointers, were a fifth of its cost): this is the one for the others.
 */
int fr_word_next(const char *p, size_t n, size_t *pos, size_t *start,
		 size_t *end)
{
	return word_next(p, n, pos, start, end);
}

static inline uint64_t load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load4(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * A hash of a word of at most WORD_CACHE_WORD bytes, read eight (or
 * four) bytes at a time, the last load overlapping the one before, never
 * past p + n; every word is hashed, and the byte-wise loop it replaced
 * was a quarter of a cache hit.
 */
static inline uint32_t word_hash(const char *p, size_t n)
{
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15u, v;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			h = (h ^ load8(p + i)) * 0xff51afd7ed558ccdu;
		v = load8(p + n - 8);
	} else if (n >= 4) {
		v = load4(p) | (uint64_t)load4(p + n - 4) << 32;
	} else {
		v = n ? (unsigned char)p[0] | (unsigned char)p[n / 2] << 8 |
				(uint64_t)(unsigned char)p[n - 1] << 16
		      : 0;
	}
	h = (h ^ v) * 0xff51afd7ed558ccdu;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53u;
	return (uint32_t)(h ^ (h >> 29));
}

/* a[0..n) == b[0..n) for n <= WORD_CACHE_WORD, with the loads above */
static inline int same_word(const char *a, const char *b, size_t n)
{
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			if (load8(a + i) != load8(b + i))
				return 0;
		return load8(a + n - 8) == load8(b + n - 8);
	}
	if (n >= 4)
		return load4(a) == load4(b) &&
		       load4(a + n - 4) == load4(b + n - 4);
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The entry of p[0..n) (hash h), or NULL and *at the free index slot */
static inline struct word_ent *wc_find(const struct word_cache *c,
				       const char *p, size_t n, uint32_t h,
				       uint32_t *at)
{
	uint32_t mask = c->nidx - 1, i;
	struct word_ent *e;

	for (i = h & mask; c->idx[i].ent; i = (i + 1) & mask) {
		if (c->idx[i].hash != h)
			continue;
		e = &c->ent[c->idx[i].ent - 1];
		if (e->wlen == n && same_word(c->arena + e->off, p, n))
			return e;
	}
	*at = i;
	return NULL;
}

/* Empties the cache; its memory stays (bounded by the maxima) */
static void wc_clear(struct word_cache *c)
{
	memset(c->idx, 0, c->nidx * sizeof(*c->idx));
	c->n = 0;
	c->alen = 0;
}

static int wc_rehash(struct word_cache *c, uint32_t nidx)
{
	struct word_idx *idx = calloc(nidx, sizeof(*idx));
	uint32_t i, k;

	if (!idx)
		return -1;
	for (i = 0; i < c->nidx; i++) {
		if (!c->idx[i].ent)
			continue;
		for (k = c->idx[i].hash & (nidx - 1); idx[k].ent;
		     k = (k + 1) & (nidx - 1))
			;
		idx[k] = c->idx[i];
	}
	free(c->idx);
	c->idx = idx;
	c->nidx = nidx;
	return 0;
}

/* Room for bytes more in the arena: 0, or -1 (full or out of memory) */
static int wc_room(struct word_cache *c, size_t bytes)
{
	uint32_t ncap;
	char *a;

	if (c->alen + bytes <= c->acap)
		return 0;
	if (c->alen + bytes > WORD_ARENA_MAX)
		return -1;
	for (ncap = c->acap ? c->acap : 8192; ncap < c->alen + bytes;)
		ncap *= 2;
	if (ncap > WORD_ARENA_MAX)
		ncap = WORD_ARENA_MAX;
	if (!(a = realloc(c->arena, ncap)))
		return -1;
	c->arena = a;
	c->acap = ncap;
	return 0;
}

/*
 * Keeps the word p[0..n) (hash h, free index slot at) with its folded
 * stem s1; NULL when it cannot (out of memory: the word is stemmed again
 * next time, nothing else changes). A full cache starts over.
 */
static struct word_ent *wc_add(struct word_cache *c, const char *p, size_t n,
			       uint32_t h, uint32_t at, const char *s1,
			       size_t n1)
{
	struct word_ent *e;
	uint32_t ncap;

	if (c->n == WORD_CACHE_MAX || wc_room(c, n + n1)) {
		wc_clear(c);
		if (wc_room(c, n + n1))
			return NULL;
		at = h & (c->nidx - 1); /* an empty index: the first is free */
	}
	if (c->n == c->cap) {
		ncap = c->cap ? 2 * c->cap : 512;
		if (!(e = realloc(c->ent, ncap * sizeof(*e))))
			return NULL;
		c->ent = e;
		c->cap = ncap;
	}
	if (2 * (c->n + 1) > c->nidx) {
		if (wc_rehash(c, 2 * c->nidx))
			return NULL;
		for (at = h & (c->nidx - 1); c->idx[at].ent;
		     at = (at + 1) & (c->nidx - 1))
			;
	}
	e = &c->ent[c->n];
	e->off = c->alen;
	e->off2 = 0;
	e->wlen = (unsigned char)n;
	e->len1 = (unsigned char)n1;
	e->len2 = WORD_S2_UNKNOWN;
	e->note_tag = 0;
	e->note = 0;
	memcpy(c->arena + c->alen, p, n);
	memcpy(c->arena + c->alen + n, s1, n1);
	c->alen += (uint32_t)(n + n1);
	c->idx[at].hash = h;
	c->idx[at].ent = ++c->n;
	return e;
}

/*
 * word_stems() when the cache cannot answer: e is NULL for a word it
 * does not hold (h and at from wc_find when n fits), or the word's entry
 * when only its second stem is unknown yet.
 */
static int word_stems_slow(struct fr_stemmer *st, const char *p, size_t n,
			   int want2, struct word_ent *e, uint32_t h,
			   uint32_t at, const char **s1, size_t *n1,
			   const char **s2, size_t *n2)
{
	struct word_cache *c = &st->words;
	const char *stem;
	size_t i, sl;
	int ascii = 1, rc;

	if (e)
		goto second; /* s1 is known: only s2 is missing */
	st->cur = NULL;
	sb_reset(&st->low);
	sb_reset(&st->fold);
	if ((rc = text_fold(&st->low, p, n, 1)))
		return rc;
	stem = fr_stem(st, st->low.buf, st->low.len, &sl);
	if (!stem)
		return AGORA_ENOMEM;
	if ((rc = text_fold(&st->fold, stem, sl, 0)))
		return rc;
	*s1 = st->fold.buf;
	*n1 = st->fold.len;
	if (n <= WORD_CACHE_WORD && st->fold.len <= WORD_CACHE_WORD &&
	    (e = wc_add(c, p, n, h, at, st->fold.buf, st->fold.len))) {
		*s1 = c->arena + e->off + n;
		st->cur = e;
	}
	if (!want2)
		return 0;
second:
	for (i = 0; i < n && ascii; i++)
		ascii = !((unsigned char)p[i] & 0x80);
	if (!ascii) {
		sb_reset(&st->fold2);
		if ((rc = text_fold(&st->fold2, p, n, 0)))
			return rc;
		stem = fr_stem(st, st->fold2.buf, st->fold2.len, &sl);
		if (!stem)
			return AGORA_ENOMEM;
		if (sl != *n1 || memcmp(stem, *s1, sl)) {
			*s2 = stem;
			*n2 = sl;
		}
	}
	if (e) {
		if (!*s2) {
			e->len2 = WORD_S2_NONE;
		} else if (*n2 <= WORD_CACHE_WORD && !wc_room(c, *n2)) {
			e->off2 = c->alen;
			memcpy(c->arena + c->alen, *s2, *n2);
			c->alen += (uint32_t)*n2;
			e->len2 = (unsigned char)*n2;
			*s2 = c->arena + e->off2;
			/* the arena may have moved */
			*s1 = c->arena + e->off + e->wlen;
		}
	}
	return 0;
}

/*
 * The folded stem of the word p[0..n) (stem of the lower-cased accented
 * word, then accents folded) into *s1; with want2, also the stem of the
 * folded word into *s2, or NULL when the word is ASCII (it folds to its
 * lower case: same stem) or the two stems are equal. Results are
 * borrowed until the next call. 0 or an error code. The cache's answer
 * is inlined into the tokenizing loops; the rest is word_stems_slow().
 */
static inline int word_stems(struct fr_stemmer *st, const char *p, size_t n,
			     int want2, const char **s1, size_t *n1,
			     const char **s2, size_t *n2)
{
	struct word_cache *c = &st->words;
	struct word_ent *e;
	uint32_t h, at = 0;

	*s2 = NULL;
	*n2 = 0;
	if (n > WORD_CACHE_WORD)
		return word_stems_slow(st, p, n, want2, NULL, 0, 0, s1, n1, s2,
				       n2);
	h = word_hash(p, n);
	e = wc_find(c, p, n, h, &at);
	if (e) {
		st->cur = e;
		*s1 = c->arena + e->off + e->wlen;
		*n1 = e->len1;
		if (!want2 || e->len2 == WORD_S2_NONE)
			return 0;
		if (e->len2 != WORD_S2_UNKNOWN) {
			*s2 = c->arena + e->off2;
			*n2 = e->len2;
			return 0;
		}
	}
	return word_stems_slow(st, p, n, want2, e, h, at, s1, n1, s2, n2);
}

uint32_t *fr_word_note(struct fr_stemmer *st, uint32_t tag)
{
	struct word_ent *s = st->cur;

	if (!s)
		return NULL;
	if (s->note_tag != tag) {
		s->note_tag = tag;
		s->note = 0;
	}
	return &s->note;
}

uint32_t fr_note_tag(void)
{
	static uint32_t last;
	uint32_t t;

	while (!(t = __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED)))
		;
	return t;
}

int fr_tokenize(struct fr_stemmer *st, const char *p, size_t n, fr_token_fn fn,
		void *ctx)
{
	size_t pos = 0, s, e, n1, n2;
	const char *s1, *s2;
	int rc;

	while (word_next(p, n, &pos, &s, &e)) {
		if ((rc = word_stems(st, p + s, e - s, 0, &s1, &n1, &s2, &n2)))
			return rc;
		if ((rc = fn(ctx, s1, n1, s, e)))
			return rc;
	}
	return 0;
}

/* Appends one token to the memo; 0 or AGORA_ENOMEM */
static inline int memo_add(struct fr_memo *m, size_t start, size_t end, const char *s1,
		    size_t n1, const char *s2, size_t n2)
{
	struct fr_memo_tok *t;

	if (m->n == m->cap) {
		size_t ncap = m->cap ? 2 * m->cap : 256;

		t = realloc(m->v, ncap * sizeof(*t));
		if (!t)
			return AGORA_ENOMEM;
		m->v = t;
		m->cap = ncap;
	}
	if (!s2)
		n2 = 0;
	/* room is tested here: sb_grow's call a token was 4% of the pass */
	if (m->stems.len + n1 + n2 >= m->stems.cap &&
	    sb_grow(&m->stems, n1 + n2))
		return sb_error(&m->stems);
	t = &m->v[m->n++];
	t->start = start;
	t->end = end;
	t->has2 = s2 != NULL;
	t->s1 = (uint32_t)m->stems.len;
	t->n1 = (uint32_t)n1;
	t->s2 = (uint32_t)(m->stems.len + n1);
	t->n2 = (uint32_t)n2;
	/* room was made above: written in place */
	memcpy(m->stems.buf + m->stems.len, s1, n1);
	if (n2)
		memcpy(m->stems.buf + m->stems.len + n1, s2, n2);
	m->stems.len += n1 + n2;
	m->stems.buf[m->stems.len] = '\0';
	return 0;
}

int fr_tokenize_keep(struct fr_stemmer *st, const char *p, size_t n,
		     fr_token_fn fn, void *ctx)
{
	struct fr_memo *m = &st->memo;
	size_t pos = 0, s, e, n1, n2;
	const char *s1, *s2;
	int keep = n <= FR_MEMO_TEXT_MAX, rc;

	m->valid = 0;
	m->n = 0;
	sb_reset(&m->text);
	sb_reset(&m->stems);
	if (keep && sb_append(&m->text, p, n))
		keep = 0;
	while (word_next(p, n, &pos, &s, &e)) {
		if ((rc = word_stems(st, p + s, e - s, 1, &s1, &n1, &s2, &n2)))
			return rc;
		if (keep && memo_add(m, s, e, s1, n1, s2, n2))
			keep = 0;
		if ((rc = fn(ctx, s1, n1, s, e)))
			return rc; /* stopped early: the memo is incomplete */
	}
	m->valid = keep;
	return 0;
}

int fr_tokenize2(struct fr_stemmer *st, const char *p, size_t n,
		 fr_token2_fn fn, void *ctx)
{
	const struct fr_memo *m = &st->memo;
	size_t pos = 0, s, e, n1, n2, i;
	const char *s1, *s2;
	int rc;

	if (m->valid && m->text.len == n && !memcmp(m->text.buf, p, n)) {
		for (i = 0; i < m->n; i++) {
			const struct fr_memo_tok *t = &m->v[i];

			if ((rc = fn(ctx, m->stems.buf + t->s1, t->n1,
				     t->has2 ? m->stems.buf + t->s2 : NULL,
				     t->n2, t->start, t->end)))
				return rc;
		}
		return 0;
	}
	while (word_next(p, n, &pos, &s, &e)) {
		if ((rc = word_stems(st, p + s, e - s, 1, &s1, &n1, &s2, &n2)))
			return rc;
		if ((rc = fn(ctx, s1, n1, s2, n2, s, e)))
			return rc;
	}
	return 0;
}

int text_check(const char *what, const char *s, size_t min, size_t max,
	       int lines, struct agora_error *err)
{
	size_t n = strlen(s), i, bad;
	unsigned char c;

	if (n < min)
		return min == 1 ? agora_errorf(err, AGORA_EINVAL, "%s is empty",
					       what)
				: agora_errorf(err, AGORA_EINVAL,
					       "%s is shorter than %zu bytes",
					       what, min);
	if (n > max)
		return agora_errorf(err, AGORA_EINVAL,
				    "%s is longer than %zu bytes", what, max);
	if (!utf8_valid(s, n, &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "%s is not valid UTF-8 (byte %zu)", what,
				    bad);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && !(lines && (c == '\n' || c == '\r'))) ||
		    c == 0x7f)
			return agora_errorf(err, AGORA_EINVAL,
					    "%s holds a control character "
					    "(byte %zu)",
					    what, i);
	}
	return 0;
}
