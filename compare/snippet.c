/*
 * snippet.c - search snippets computed from the verbatim text.
 *
 * FTS5's snippet() has to find each hit again in the index (a seek in
 * every doclist of the query, a merge of all the doclists of a prefix
 * term): 30 to 300 microseconds a hit, most of a search's time. Here
 * the words of the text are matched against the query's terms the way
 * the agora_fr tokenizer indexes them (the folded stem of the accented
 * word and the stem of the folded word), so the marks agree with what
 * search found, for a few microseconds a hit.
 */
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"

#define HL_STEM_MAX 128

struct hl_term {
	int prefix;
	char stem[2][HL_STEM_MAX]; /* for a word; "" when unused */
	char pre[HL_STEM_MAX];	   /* folded prefix, for a prefix term */
	char cut[3][HL_STEM_MAX];  /* stems of the shorter prefixes */
};

struct hl_query {
	struct fr_stemmer *st;
	int own_st;
	struct hl_term t[16];
	int n;
	struct sb low, fold;
};

static void copy_str(char *dst, const char *s, size_t n)
{
	if (n >= HL_STEM_MAX)
		n = HL_STEM_MAX - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * The two stems the tokenizer indexes for the word w[0..n): s1, the
 * folded stem of the lower-cased word; s2, the stem of the folded word.
 */
static int word_stems(struct hl_query *h, const char *w, size_t n,
		      char s1[HL_STEM_MAX], char s2[HL_STEM_MAX])
{
	const char *s;
	size_t sl;

	sb_reset(&h->low);
	if (text_fold(&h->low, w, n, 1))
		return -1;
	s = fr_stem(h->st, h->low.buf, h->low.len, &sl);
	if (!s)
		return -1;
	sb_reset(&h->fold);
	if (text_fold(&h->fold, s, sl, 0))
		return -1;
	copy_str(s1, h->fold.buf, h->fold.len);
	sb_reset(&h->fold);
	if (text_fold(&h->fold, w, n, 0))
		return -1;
	s = fr_stem(h->st, h->fold.buf, h->fold.len, &sl);
	if (!s)
		return -1;
	copy_str(s2, s, sl);
	return 0;
}

void hl_query_free(struct hl_query *h)
{
	if (!h)
		return;
	if (h->own_st)
		fr_stemmer_free(h->st);
	sb_fini(&h->low);
	sb_fini(&h->fold);
	free(h);
}

struct hl_query *hl_query_new(struct fr_stemmer *st)
{
	struct hl_query *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	sb_init(&h->low, 4096);
	sb_init(&h->fold, 4096);
	h->st = st;
	if (!st) {
		h->own_st = 1;
		if (!(h->st = fr_stemmer_new())) {
			hl_query_free(h);
			return NULL;
		}
	}
	return h;
}

/* Adds the query word w[0..n), a prefix when prefix is set */
int hl_query_add(struct hl_query *h, const char *w, size_t n, int prefix)
{
	struct hl_term *t;
	size_t cut[HL_STEM_MAX], ncut = 0, i, k = 0;
	uint32_t cp;
	int len;

	if (h->n == (int)(sizeof(h->t) / sizeof(h->t[0])))
		return 0;
	t = &h->t[h->n];
	memset(t, 0, sizeof(*t));
	t->prefix = prefix;
	if (!prefix) {
		if (word_stems(h, w, n, t->stem[0], t->stem[1]))
			return AGORA_ENOMEM;
		h->n++;
		return 0;
	}
	sb_reset(&h->fold);
	if (text_fold(&h->fold, w, n, 0))
		return AGORA_ENOMEM;
	copy_str(t->pre, h->fold.buf, h->fold.len);
	/* the same shorter prefixes as the query builder's prefix_append */
	for (i = 0; i < n && ncut < HL_STEM_MAX; i += (size_t)len) {
		len = utf8_decode(w + i, n - i, &cp);
		if (len <= 0)
			break;
		cut[ncut++] = i;
	}
	for (i = ncut ? ncut - 1 : 0; i >= 3 && i + 3 >= ncut && k < 3; i--) {
		char other[HL_STEM_MAX];

		if (word_stems(h, w, cut[i], t->cut[k], other))
			return AGORA_ENOMEM;
		k++;
	}
	h->n++;
	return 0;
}

static int starts_with(const char *s, const char *pre)
{
	return *pre && !strncmp(s, pre, strlen(pre));
}

/* 1 when the word w[0..n) matches a term of the query */
static int hl_word_matches(struct hl_query *h, const char *w, size_t n)
{
	char f[HL_STEM_MAX], s1[HL_STEM_MAX], s2[HL_STEM_MAX];
	int i, k, maybe = 0;

	sb_reset(&h->fold);
	if (text_fold(&h->fold, w, n, 0))
		return 0;
	copy_str(f, h->fold.buf, h->fold.len);
	/*
	 * A stem is (nearly always) a prefix of its word: only words that
	 * share their first two letters with a term are worth stemming.
	 */
	for (i = 0; i < h->n && !maybe; i++) {
		const struct hl_term *t = &h->t[i];

		if (t->prefix && starts_with(f, t->pre))
			return 1;
		for (k = 0; k < 2; k++)
			maybe |= t->stem[k][0] && !strncmp(f, t->stem[k], 2);
		for (k = 0; k < 3; k++)
			maybe |= t->cut[k][0] && !strncmp(f, t->cut[k], 2);
	}
	if (!maybe || word_stems(h, w, n, s1, s2))
		return 0;
	for (i = 0; i < h->n; i++) {
		const struct hl_term *t = &h->t[i];

		for (k = 0; k < 2; k++)
			if (t->stem[k][0] && (!strcmp(s1, t->stem[k]) ||
					      !strcmp(s2, t->stem[k])))
				return 1;
		for (k = 0; k < 3; k++)
			if (t->cut[k][0] &&
			    (!strcmp(s1, t->cut[k]) || !strcmp(s2, t->cut[k])))
				return 1;
		if (t->prefix && starts_with(s1, t->pre))
			return 1;
	}
	return 0;
}

struct hl_word {
	size_t s, e;
	int hit;
};

/*
 * Writes the part of text around its matches, at most max_words words
 * long, with each matched word between \x02 and \x03 and "…" where the
 * text was cut. The window is the one with the most matches, earliest
 * first. The bytes between the marks are the verbatim text.
 */
int hl_snippet(struct hl_query *h, const char *text, size_t n,
	       size_t max_words, struct sb *out)
{
	struct hl_word *w = NULL;
	size_t nw = 0, cap = 0, pos = 0, s, e, i, best = 0, bestn = 0, cur = 0;
	size_t first, last, at;

	while (fr_word_next(text, n, &pos, &s, &e)) {
		if (nw == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *v = realloc(w, ncap * sizeof(*w));

			if (!v) {
				free(w);
				return AGORA_ENOMEM;
			}
			w = v;
			cap = ncap;
		}
		w[nw].s = s;
		w[nw].e = e;
		w[nw].hit = hl_word_matches(h, text + s, e - s);
		nw++;
	}
	if (!nw) {
		free(w);
		return sb_append(out, text, n);
	}
	/* the window of max_words words with the most hits */
	for (i = 0; i < nw; i++) {
		cur += (size_t)w[i].hit;
		if (i >= max_words)
			cur -= (size_t)w[i - max_words].hit;
		if (cur > bestn) {
			bestn = cur;
			best = i + 1 > max_words ? i + 1 - max_words : 0;
		}
	}
	if (nw <= max_words) { /* short enough: the whole text */
		first = 0;
		last = nw - 1;
		goto write;
	}
	/* start a little before the first hit when the window allows */
	for (first = best; first < nw && !w[first].hit; first++)
		;
	if (first == nw)
		first = best;
	first = first > best + 3 ? first - 3 : best;
	last = first + max_words < nw ? first + max_words - 1 : nw - 1;
	if (last + 1 - first < max_words && nw > max_words)
		first = last + 1 - max_words;
write:
	if (first > 0)
		sb_puts(out, "\xe2\x80\xa6 ");
	at = first > 0 ? w[first].s : 0;
	for (i = first; i <= last; i++) {
		sb_append(out, text + at, w[i].s - at);
		if (w[i].hit)
			sb_putc(out, '\x02');
		sb_append(out, text + w[i].s, w[i].e - w[i].s);
		if (w[i].hit)
			sb_putc(out, '\x03');
		at = w[i].e;
	}
	if (last + 1 < nw)
		sb_puts(out, " \xe2\x80\xa6");
	else
		sb_append(out, text + at, n - at);
	free(w);
	return sb_error(out);
}
