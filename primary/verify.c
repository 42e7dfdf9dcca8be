/*
 * verify.c - the independent verifier of a primary's bulletin board: a
 * board file in, a verdict out, no database, no server (doc/board.md is
 * the specification it follows, so that anyone can write another).
 *
 * The board is read a block at a time (a board of 10^6 ballots is most of
 * a gigabyte: it is never held whole), a chunk of lines at a time. The
 * ballot lines of a chunk are decoded on several threads: parsing,
 * entry hash, signature, grades, everything that depends on the line
 * alone; signatures cost ten times the rest. Then one pass in board order
 * checks the chain and everything that depends on order (phases,
 * credentials published before their ballots, ballot numbers, lots) and
 * keeps the last grades of each credential. At the end the counts are
 * rebuilt from the last ballot of each credential and the signed result
 * must be their majority-judgment result, byte for byte.
 *
 * Ballot lines as agora writes them (canonical JSON, doc/board.md) are
 * read by a small parser of exactly that form; anything else that is
 * JSON, and every line that fails a check, goes through jansson, which
 * decides and says why: the fast path only ever accepts what jansson
 * would, with the same values.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

#define CHUNK 16384 /* lines decoded in parallel, then checked in order */
#define BLOCK ((size_t)8 << 20) /* bytes read from a file at a time */
#define MAX_THREADS 64
#define NO_GRADE 0xff
/* a ballot line longer than this is left to jansson (agora's are < 1 kB
 * with a dozen candidates; a body is at most PRIMARY_BALLOT_MAX) */
#define FAST_MAX (4 * (size_t)PRIMARY_BALLOT_MAX + 1024)

int board_verify_fast = 1;

/*
 * A credential, in a dense array; the table of indices finds it by its
 * key. 40 bytes a credential and 4 to 8 of index: 10^6 credentials take
 * about 50 MB.
 */
struct voter {
	unsigned char pk[32];
	uint32_t ballots; /* 0: published, has not voted */
	uint32_t slot;	  /* its grades in st->grades, once it voted */
};

struct state {
	/* from the "primary" entry */
	char slug[65];
	int ngrades, lot_size, allow_blank;
	unsigned char organiser[32];
	/* from the phase entries */
	int phase; /* 0 declaration .. 3 closed */
	char **cands;
	size_t ncands;
	struct voter *voters;
	size_t nvoters, vcap;
	/* open addressing: voter index + 1, 0 for an empty slot */
	uint32_t *index;
	size_t icap;
	/* keyed hash: published keys are chosen by the organiser, who must
	 * not be able to make the table quadratic */
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	unsigned char *grades; /* ncands bytes per credential that voted */
	size_t gslots, gcap;
	size_t *lot;
	char *result;
	int have_result;
};

static int failf(struct agora_error *err, size_t entry, const char *fmt, ...)
	AGORA_PRINTF(3, 4);

static int failf(struct agora_error *err, size_t entry, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return agora_errorf(err, AGORA_ECHECK, "entry %zu: %s", entry, msg);
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	return strlen(s) == 2 * n &&
	       strspn(s, "0123456789abcdef") == 2 * n &&
	       !sodium_hex2bin(out, n, s, 2 * n, NULL, NULL, NULL);
}

static size_t key_slot(const struct state *st, const unsigned char pk[32])
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t x;

	crypto_shorthash(h, pk, 32, st->hkey);
	memcpy(&x, h, sizeof(x));
	return (size_t)x & (st->icap - 1);
}

static struct voter *voter_find(struct state *st, const unsigned char pk[32])
{
	size_t i;

	if (!st->icap)
		return NULL;
	for (i = key_slot(st, pk); st->index[i]; i = (i + 1) & (st->icap - 1))
		if (!memcmp(st->voters[st->index[i] - 1].pk, pk, 32))
			return &st->voters[st->index[i] - 1];
	return NULL;
}

/* Doubles the index (kept at most half full) */
static int index_grow(struct state *st)
{
	uint32_t *ni, *old = st->index;
	size_t i, j, ocap = st->icap;

	st->icap = ocap ? ocap * 2 : 1024;
	ni = calloc(st->icap, sizeof(*ni));
	if (!ni) {
		st->icap = ocap;
		return AGORA_ENOMEM;
	}
	st->index = ni;
	for (i = 0; i < ocap; i++) {
		if (!old[i])
			continue;
		for (j = key_slot(st, st->voters[old[i] - 1].pk); ni[j];
		     j = (j + 1) & (st->icap - 1))
			;
		ni[j] = old[i];
	}
	free(old);
	return 0;
}

static int voter_add(struct state *st, const unsigned char pk[32])
{
	size_t i;

	if (st->nvoters >= UINT32_MAX - 1)
		return AGORA_ENOMEM;
	if (2 * (st->nvoters + 1) > st->icap && index_grow(st))
		return AGORA_ENOMEM;
	if (st->nvoters == st->vcap) {
		size_t ncap = st->vcap ? st->vcap * 2 : 1024;
		struct voter *nv = realloc(st->voters, ncap * sizeof(*nv));

		if (!nv)
			return AGORA_ENOMEM;
		st->voters = nv;
		st->vcap = ncap;
	}
	for (i = key_slot(st, pk); st->index[i]; i = (i + 1) & (st->icap - 1))
		if (!memcmp(st->voters[st->index[i] - 1].pk, pk, 32))
			return AGORA_EEXIST;
	memcpy(st->voters[st->nvoters].pk, pk, 32);
	st->voters[st->nvoters].ballots = 0;
	st->voters[st->nvoters].slot = 0;
	st->index[i] = (uint32_t)++st->nvoters;
	return 0;
}

/* --------------------------------------------------------------- entries */

static int entry_primary(struct state *st, size_t e, json_t *pl,
			 struct agora_error *err)
{
	const char *slug, *title, *key;
	json_t *grades;
	json_int_t version, lot;
	int blank;
	size_t i;

	if (e != 0)
		return failf(err, e, "a second 'primary' entry");
	if (json_unpack(pl, "{s:b, s:o, s:I, s:s, s:s, s:s, s:I}",
			"allow_blank", &blank, "grades", &grades, "lot_size",
			&lot, "organiser_key", &key, "primary", &slug, "title",
			&title, "version", &version) ||
	    !json_is_array(grades) || version != 1)
		return failf(err, e, "the 'primary' payload is malformed");
	if (json_array_size(grades) < MJ_GRADES_MIN ||
	    json_array_size(grades) > MJ_GRADES_MAX)
		return failf(err, e, "a primary has 2 to 10 grades");
	for (i = 0; i < json_array_size(grades); i++)
		if (!json_is_string(json_array_get(grades, i)))
			return failf(err, e, "a grade is not a string");
	if (lot < 0 || lot == 1 || lot > PRIMARY_LOT_MAX)
		return failf(err, e, "lot_size %lld is not 0 or 2..1000",
			     (long long)lot);
	if (strlen(slug) >= sizeof(st->slug) || !*slug)
		return failf(err, e, "the primary's slug is malformed");
	if (!unhex(key, st->organiser, 32))
		return failf(err, e, "organiser_key is not 64 hex digits");
	strcpy(st->slug, slug);
	st->ngrades = (int)json_array_size(grades);
	st->lot_size = (int)lot;
	st->allow_blank = blank;
	return 0;
}

static int entry_credentials(struct state *st, size_t e, json_t *pl,
			     struct agora_error *err)
{
	unsigned char pk[32];
	json_t *keys, *k;
	size_t i;
	int rc;

	if (st->phase == 3)
		return failf(err, e, "credentials published after the close");
	if (json_unpack(pl, "{s:o}", "keys", &keys) || !json_is_array(keys) ||
	    json_object_size(pl) != 1)
		return failf(err, e, "the 'credentials' payload is malformed");
	json_array_foreach(keys, i, k)
	{
		if (!json_is_string(k) || !unhex(json_string_value(k), pk, 32))
			return failf(err, e, "key %zu is not 64 hex digits",
				     i);
		rc = voter_add(st, pk);
		if (rc == AGORA_EEXIST)
			return failf(err, e, "key %zu was published before",
				     i);
		if (rc)
			return agora_errorf(err, rc, "out of memory");
	}
	return 0;
}

static int entry_phase(struct state *st, size_t e, json_t *pl,
		       struct agora_error *err)
{
	static const char *const names[] = {"declaration", "support", "vote",
					    "closed"};
	json_t *cands = NULL, *c;
	const char *phase, *slug, *name;
	int want;
	size_t i;

	if (json_unpack(pl, "{s:s, s?o}", "phase", &phase, "candidates",
			&cands))
		return failf(err, e, "the 'phase' payload is malformed");
	for (want = 0; want < 4 && strcmp(names[want], phase); want++)
		;
	if (want == 4 || want <= st->phase)
		return failf(err, e, "phase '%.32s' does not move forward",
			     phase);
	if ((cands != NULL) != (want >= 2 && st->phase < 2))
		return failf(err, e,
			     "the candidates are published exactly when the "
			     "vote opens");
	st->phase = want;
	if (!cands)
		return 0;
	if (!json_is_array(cands))
		return failf(err, e, "candidates is not a list");
	st->ncands = json_array_size(cands);
	st->cands = calloc(st->ncands ? st->ncands : 1, sizeof(*st->cands));
	st->lot = calloc(st->ncands ? st->ncands : 1, sizeof(*st->lot));
	if (!st->cands || !st->lot)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	json_array_foreach(cands, i, c)
	{
		if (json_unpack(c, "{s:s, s:s}", "name", &name, "slug", &slug))
			return failf(err, e, "candidate %zu is malformed", i);
		if (i && strcmp(st->cands[i - 1], slug) >= 0)
			return failf(err, e,
				     "candidates are not in slug order");
		st->cands[i] = strdup(slug);
		if (!st->cands[i])
			return agora_errorf(err, AGORA_ENOMEM,
					    "out of memory");
	}
	return 0;
}

/*
 * A ballot line, decoded on any thread: everything that depends on the
 * line alone (its hash, its payload, the body, the signature, the
 * grades by candidate). What depends on the entries before it (the
 * chain, the phase, the credential, the ballot number, the lot) is
 * checked afterwards, in board order, by ballot_apply().
 */
struct decoded {
	const char *p;
	size_t n;
	int ballot;  /* its line ends as a ballot's does: decoded in bulk */
	int parsed;  /* seq, hash and prev below are the line's */
	char err[192];
	int64_t seq;
	char hash[65], prev[65];
	unsigned char pk[32];
	json_int_t number;
	size_t ngraded;
	unsigned char *row; /* ncands grades, NO_GRADE where none */
};

/* What the decoders read: set by the entries before the chunk */
struct context {
	const char *slug;
	char **cands; /* sorted by slug */
	size_t ncands;
	int ngrades;
};

/* A decoding thread's room for a ballot's payload and body */
struct scratch {
	char *payload, *body; /* cap bytes each */
	size_t cap;
};

static void derr(struct decoded *d, const char *msg)
{
	snprintf(d->err, sizeof(d->err), "%s", msg);
}

/* The index of candidate slug[0..n), or -1 */
static long cand_index(const struct context *cx, const char *slug, size_t n)
{
	size_t lo = 0, hi = cx->ncands, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(cx->cands[mid], slug, n);
		if (!c && cx->cands[mid][n])
			c = 1; /* slug is a prefix of it: slug sorts first */
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ------------------------------------ ballot lines as agora writes them */

/*
 * Each reader below takes the text at *s (up to end) if it has exactly
 * the expected form, moves *s past it and returns 1; otherwise returns
 * 0 and the line goes to jansson.
 */
static int lit(const char **s, const char *end, const char *l, size_t k)
{
	if ((size_t)(end - *s) < k || memcmp(*s, l, k))
		return 0;
	*s += k;
	return 1;
}

#define LIT(s, end, l) lit(s, end, l, sizeof(l) - 1)

static const signed char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
};

/* n bytes as 2n lower-case hex digits (the digit's value + 1 above) */
static int hex_bytes(const char **s, const char *end, unsigned char *out,
		     size_t n)
{
	const unsigned char *p = (const unsigned char *)*s;
	size_t i;

	if ((size_t)(end - *s) < 2 * n)
		return 0;
	for (i = 0; i < n; i++) {
		int hi = hexval[p[2 * i]], lo = hexval[p[2 * i + 1]];

		if (!hi || !lo)
			return 0;
		out[i] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	*s += 2 * n;
	return 1;
}

/* 64 lower-case hex digits, kept as text */
static int hex_text(const char **s, const char *end, char out[65])
{
	size_t i;

	if (end - *s < 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!hexval[(unsigned char)(*s)[i]])
			return 0;
	memcpy(out, *s, 64);
	out[64] = 0;
	*s += 64;
	return 1;
}

/* A canonical non-negative integer: 0, or no leading zero; max digits */
static int canon_int(const char **s, const char *end, int max, int64_t *v)
{
	const char *p = *s;
	int64_t x = 0;

	if (p == end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end &&
						 p[1] >= '0' && p[1] <= '9'))
		return 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (p - *s == max)
			return 0;
		x = x * 10 + (*p - '0');
	}
	*v = x;
	*s = p;
	return 1;
}

/*
 * A string's content up to its closing quote (taken too), decoded into
 * out: printable ASCII with \" and \\ as its only escapes, which is
 * all that canonical ballots and their payloads hold.
 */
static int canon_str(const char **s, const char *end, char *out, size_t *n)
{
	const unsigned char *p = (const unsigned char *)*s,
			    *e = (const unsigned char *)end;
	size_t k = 0;

	for (; p < e; p++) {
		if (*p == '"') {
			*n = k;
			*s = (const char *)p + 1;
			return 1;
		}
		if (*p == '\\') {
			if (p + 1 == e || (p[1] != '"' && p[1] != '\\'))
				return 0;
			p++;
		} else if (*p < 0x20 || *p > 0x7e) {
			return 0; /* control or non-ASCII: jansson checks */
		}
		out[k++] = (char)*p;
	}
	return 0;
}

/*
 * A ballot line exactly as agora writes it, entirely valid: 1, with d
 * filled in as decode_ballot() would. 0 for anything else: not that form,
 * or any check failing (then decode_ballot() decides, and words the
 * failure as always).
 */
static int fast_ballot(const struct context *cx, struct decoded *d,
		       struct scratch *sc)
{
	const char *s = d->p, *end = d->p + d->n, *key;
	unsigned char sig[64];
	char hash[65];
	size_t npl, nbody, nslug = strlen(cx->slug);
	int64_t seq, v;
	long k;

	if (!board_verify_fast || d->n > sc->cap || !cx->ncands)
		return 0;
	if (!LIT(&s, end, "{\"hash\":\"") || !hex_text(&s, end, d->hash) ||
	    !LIT(&s, end, "\",\"payload\":\"") ||
	    !canon_str(&s, end, sc->payload, &npl) ||
	    !LIT(&s, end, ",\"prev\":\"") || !hex_text(&s, end, d->prev) ||
	    !LIT(&s, end, "\",\"seq\":") || !canon_int(&s, end, 18, &seq) ||
	    !LIT(&s, end, ",\"type\":\"ballot\"}") || s != end)
		return 0;
	/* its payload: {"body":"...","signature":"..."} */
	s = sc->payload;
	end = s + npl;
	if (!LIT(&s, end, "{\"body\":\"") ||
	    !canon_str(&s, end, sc->body, &nbody) ||
	    !LIT(&s, end, ",\"signature\":\"") || !hex_bytes(&s, end, sig, 64) ||
	    !LIT(&s, end, "\"}") || s != end)
		return 0;
	/* its body: credential, grades, n, primary, version */
	s = sc->body;
	end = s + nbody;
	if (!LIT(&s, end, "{\"credential\":\"") ||
	    !hex_bytes(&s, end, d->pk, 32) ||
	    !LIT(&s, end, "\",\"grades\":{"))
		return 0;
	memset(d->row, NO_GRADE, cx->ncands);
	d->ngraded = 0;
	if (!LIT(&s, end, "}")) {
		do {
			if (!LIT(&s, end, "\""))
				return 0;
			key = s;
			while (s < end && *s != '"' && *s != '\\' &&
			       (unsigned char)*s >= 0x20 &&
			       (unsigned char)*s <= 0x7e)
				s++;
			if (s == end || *s != '"')
				return 0;
			k = cand_index(cx, key, (size_t)(s - key));
			s++;
			if (k < 0 || d->row[k] != NO_GRADE ||
			    !LIT(&s, end, ":") || !canon_int(&s, end, 3, &v) ||
			    v >= cx->ngrades)
				return 0;
			d->row[k] = (unsigned char)v;
			d->ngraded++;
		} while (LIT(&s, end, ","));
		if (!LIT(&s, end, "}"))
			return 0;
	}
	if (!LIT(&s, end, ",\"n\":") || !canon_int(&s, end, 18, &v) ||
	    !LIT(&s, end, ",\"primary\":\"") ||
	    !lit(&s, end, cx->slug, nslug) ||
	    !LIT(&s, end, "\",\"version\":1}") || s != end)
		return 0;
	d->number = (json_int_t)v;
	board_entry_hash(seq, d->prev, "ballot", sc->payload, npl, hash);
	if (memcmp(hash, d->hash, 64) ||
	    crypto_sign_verify_detached(sig, (const unsigned char *)sc->body,
					nbody, d->pk))
		return 0;
	d->seq = seq;
	d->parsed = 1;
	return 1;
}

/* ------------------------------------------------- any ballot line */

static void decode_ballot(const struct context *cx, struct decoded *d)
{
	const char *lhash, *lprev, *type, *payload, *body, *sighex, *pkhex,
		*slug, *key;
	unsigned char sig[64];
	json_t *line, *pl = NULL, *b = NULL, *grades, *g;
	json_int_t seq, version;
	char hash[65];
	long k;

	d->err[0] = 0;
	line = json_loadb(d->p, d->n, JSON_REJECT_DUPLICATES, NULL);
	if (!line ||
	    json_unpack(line, "{s:s, s:s, s:s, s:I, s:s}", "hash", &lhash,
			"payload", &payload, "prev", &lprev, "seq", &seq,
			"type", &type) ||
	    json_object_size(line) != 5 || strlen(lhash) != 64 ||
	    strlen(lprev) != 64) {
		derr(d, "not an entry {hash, payload, prev, seq, type}");
		goto out;
	}
	d->parsed = 1;
	d->seq = seq;
	memcpy(d->hash, lhash, 65);
	memcpy(d->prev, lprev, 65);
	board_entry_hash(seq, lprev, type, payload, strlen(payload), hash);
	if (strcmp(hash, lhash)) {
		derr(d, "its hash does not match its content");
		goto out;
	}
	if (strcmp(type, "ballot")) {
		d->ballot = 0; /* not one after all: checked in order */
		goto out;
	}
	pl = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	if (!pl || json_unpack(pl, "{s:s, s:s}", "body", &body, "signature",
			       &sighex) ||
	    json_object_size(pl) != 2 || !unhex(sighex, sig, 64)) {
		derr(d, "the 'ballot' payload is malformed");
		goto out;
	}
	b = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	if (!b ||
	    json_unpack(b, "{s:s, s:o, s:I, s:s, s:I}", "credential", &pkhex,
			"grades", &grades, "n", &d->number, "primary", &slug,
			"version", &version) ||
	    json_object_size(b) != 5 || !json_is_object(grades) ||
	    version != 1 || !unhex(pkhex, d->pk, 32)) {
		derr(d, "the ballot is malformed");
		goto out;
	}
	if (strcmp(slug, cx->slug)) {
		derr(d, "a ballot for another primary");
		goto out;
	}
	if (crypto_sign_verify_detached(sig, (const unsigned char *)body,
					strlen(body), d->pk)) {
		derr(d, "the ballot's signature does not match its "
			"credential");
		goto out;
	}
	memset(d->row, NO_GRADE, cx->ncands);
	d->ngraded = json_object_size(grades);
	json_object_foreach(grades, key, g)
	{
		k = cand_index(cx, key, strlen(key));
		if (k < 0) {
			snprintf(d->err, sizeof(d->err),
				 "the ballot grades '%.64s', who is not a "
				 "candidate",
				 key);
			goto out;
		}
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) >= cx->ngrades) {
			snprintf(d->err, sizeof(d->err),
				 "the grade of '%.64s' is not 0 to %d", key,
				 cx->ngrades - 1);
			goto out;
		}
		d->row[k] = (unsigned char)json_integer_value(g);
	}
out:
	json_decref(b);
	json_decref(pl);
	json_decref(line);
}

/* The checks of a decoded ballot that depend on the board before it */
static int ballot_apply(struct state *st, size_t e, const struct decoded *d,
			struct agora_error *err)
{
	struct voter *v;
	size_t k, i;

	if (st->phase != 2)
		return failf(err, e, "a ballot outside the vote");
	if (d->err[0])
		return failf(err, e, "%s", d->err);
	v = voter_find(st, d->pk);
	if (!v)
		return failf(err, e,
			     "the ballot's credential was never published");
	if (d->number != (json_int_t)v->ballots + 1)
		return failf(err, e,
			     "ballot number %lld of a credential that cast %u "
			     "(a replay, or two counted ballots)",
			     (long long)d->number, v->ballots);
	/* exactly its lot, each with a grade */
	if (!d->ngraded) {
		if (!st->allow_blank)
			return failf(err, e,
				     "a blank ballot, not allowed here");
		k = 0;
	} else {
		k = primary_lot(st->slug, d->pk, st->ncands, st->lot_size,
				st->lot);
		if (d->ngraded != k)
			return failf(err, e,
				     "the ballot grades %zu candidates, its "
				     "lot has %zu",
				     d->ngraded, k);
		for (i = 0; i < k; i++)
			if (d->row[st->lot[i]] == NO_GRADE)
				return failf(err, e,
					     "candidate '%s' of the ballot's "
					     "lot has no grade",
					     st->cands[st->lot[i]]);
	}
	if (!v->ballots) {
		if (st->gslots == st->gcap) {
			size_t ncap = st->gcap ? st->gcap * 2 : 1024;
			unsigned char *ng =
				realloc(st->grades,
					ncap * (st->ncands ? st->ncands : 1));

			if (!ng)
				return agora_errorf(err, AGORA_ENOMEM,
						    "out of memory");
			st->grades = ng;
			st->gcap = ncap;
		}
		v->slot = (uint32_t)st->gslots++;
	}
	memcpy(st->grades + (size_t)v->slot * st->ncands, d->row, st->ncands);
	v->ballots++;
	return 0;
}

/* ---------------------------------------------------- decoding in bulk */

struct decoder {
	const struct context *cx;
	struct decoded *d;
	struct scratch *sc;
	size_t n, from, step;
};

static void *decode_some(void *arg)
{
	struct decoder *w = arg;
	size_t i;

	for (i = w->from; i < w->n; i += w->step)
		if (w->d[i].ballot && !fast_ballot(w->cx, &w->d[i], w->sc))
			decode_ballot(w->cx, &w->d[i]);
	return NULL;
}

static void decode_all(const struct context *cx, struct decoded *d, size_t n,
		       struct scratch **sc, int threads)
{
	pthread_t tid[MAX_THREADS];
	int started[MAX_THREADS] = {0};
	struct decoder w[MAX_THREADS] = {{0}};
	int t;

	for (t = 0; t < threads; t++) {
		w[t].cx = cx;
		w[t].d = d;
		w[t].sc = sc[t];
		w[t].n = n;
		w[t].from = (size_t)t;
		w[t].step = (size_t)threads;
	}
	for (t = 1; t < threads; t++)
		started[t] = !pthread_create(&tid[t], NULL, decode_some, &w[t]);
	decode_some(&w[0]);
	for (t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else /* no thread: this one takes its share */
			decode_some(&w[t]);
	}
}

/* A line's type, as a canonical line ends: "type":"ballot"} */
static int ends_with(const char *p, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(p + n - k, suffix, k);
}

/*
 * Before a chunk's ballots are decoded in bulk: the primary's slug and
 * grades and the candidates, from the entries that state them (checked
 * again, in order, with everything else).
 */
static void context_scan(struct context *cx, struct state *pre,
			 const struct decoded *d, size_t n, size_t first)
{
	struct agora_error ignored = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		const char *payload, *type;
		json_t *line, *pl;

		if (d[i].ballot ||
		    !(ends_with(d[i].p, d[i].n, "\"type\":\"primary\"}") ||
		      ends_with(d[i].p, d[i].n, "\"type\":\"phase\"}")))
			continue;
		line = json_loadb(d[i].p, d[i].n, 0, NULL);
		if (!line || json_unpack(line, "{s:s, s:s}", "payload",
					 &payload, "type", &type)) {
			json_decref(line);
			continue;
		}
		pl = json_loads(payload, 0, NULL);
		if (pl && !strcmp(type, "primary") && !pre->slug[0])
			entry_primary(pre, 0, pl, &ignored);
		else if (pl && !strcmp(type, "phase") && !pre->cands &&
			 json_object_get(pl, "candidates") &&
			 entry_phase(pre, first + i, pl, &ignored)) {
			/* a bad list: decode against none, fail in order */
			size_t k;

			for (k = 0; pre->cands && k < pre->ncands; k++)
				free(pre->cands[k]);
			free(pre->cands);
			pre->cands = NULL;
			pre->ncands = 0;
		}
		json_decref(pl);
		json_decref(line);
	}
	cx->slug = pre->slug;
	cx->cands = pre->cands;
	cx->ncands = pre->cands ? pre->ncands : 0;
	cx->ngrades = pre->ngrades;
}
static int entry_result(struct state *st, size_t e, json_t *pl,
			struct agora_error *err)
{
	const char *text, *sighex;
	unsigned char sig[64];

	if (st->phase != 3 || st->have_result)
		return failf(err, e, "a result before the close, or twice");
	if (json_unpack(pl, "{s:s, s:s}", "result", &text, "signature",
			&sighex) ||
	    json_object_size(pl) != 2 || !unhex(sighex, sig, 64))
		return failf(err, e, "the 'result' payload is malformed");
	if (crypto_sign_verify_detached(sig, (const unsigned char *)text,
					strlen(text), st->organiser))
		return failf(err, e,
			     "the result is not signed by the organiser's "
			     "key");
	st->result = strdup(text);
	if (!st->result)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	st->have_result = 1;
	return 0;
}

/* The counted ballots' result must be the signed one, byte for byte */
static int check_result(struct state *st, size_t e, struct agora_error *err)
{
	uint64_t *counts, voters = 0;
	char *mine;
	size_t i, c;
	int rc = 0;
	json_t *a, *b;

	counts = calloc(st->ncands ? st->ncands * (size_t)st->ngrades : 1,
			sizeof(*counts));
	if (!counts)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	/* one slot of grades per credential that voted: its last ballot */
	for (i = 0; i < st->gslots; i++) {
		const unsigned char *row = st->grades + i * st->ncands;

		voters++;
		for (c = 0; c < st->ncands; c++)
			if (row[c] != NO_GRADE)
				counts[c * (size_t)st->ngrades + row[c]]++;
	}
	mine = primary_result_text(st->slug, (const char *const *)st->cands,
				   st->ncands, st->ngrades, counts, voters,
				   err);
	free(counts);
	if (!mine)
		return err->code ? err->code : AGORA_ENOMEM;
	if (strcmp(mine, st->result)) {
		const char *what = "its ranking";

		a = json_loads(mine, 0, NULL);
		b = json_loads(st->result, 0, NULL);
		if (!b)
			what = "its form";
		else if (!json_equal(json_object_get(a, "voters"),
				     json_object_get(b, "voters")))
			what = "the number of voters";
		else if (!json_equal(json_object_get(a, "counts"),
				     json_object_get(b, "counts")))
			what = "the counts";
		rc = failf(err, e,
			   "the signed result does not match the ballots "
			   "(%s differs)",
			   what);
		json_decref(a);
		json_decref(b);
	}
	free(mine);
	return rc;
}

void board_report_fini(struct board_report *r)
{
	free(r->result);
	memset(r, 0, sizeof(*r));
}

static void state_fini(struct state *st)
{
	size_t i;

	free(st->result);
	for (i = 0; st->cands && i < st->ncands; i++)
		free(st->cands[i]);
	free(st->cands);
	free(st->lot);
	free(st->voters);
	free(st->index);
	free(st->grades);
}

/* The chain checks of an entry, in order; prev becomes its hash */
static int entry_chain(size_t e, int64_t seq, const char *lprev,
		       const char *lhash, const char *type,
		       const char *payload, size_t npayload, char prev[65],
		       struct agora_error *err)
{
	char hash[65];

	if (seq != (int64_t)e)
		return failf(err, e,
			     "its seq is %lld: entries were dropped, added or "
			     "reordered",
			     (long long)seq);
	if (strcmp(lprev, prev))
		return failf(err, e,
			     "prev is not the hash of entry %zu: the chain is "
			     "broken",
			     e ? e - 1 : 0);
	board_entry_hash(seq, prev, type, payload, npayload, hash);
	if (strcmp(hash, lhash))
		return failf(err, e, "its hash does not match its content");
	memcpy(prev, hash, 65);
	return 0;
}

/*
 * A 'credentials' line as agora writes it, {"keys":["hex",...]}: its
 * keys, without building a JSON tree of 10,000 strings (jansson takes
 * 20 times longer, in the part of the work that runs on one thread).
 * -1: not in that form, jansson decides; otherwise the verdict.
 */
static int fast_credentials(struct state *st, size_t e,
			    const struct decoded *d, char prev[65],
			    struct agora_error *err)
{
	const char *s, *end;
	char lhash[65], lprev[65], *payload = NULL;
	unsigned char (*keys)[32] = NULL;
	size_t npl, nkeys = 0, max, i;
	int64_t seq;
	int rc = -1;

	if (!board_verify_fast ||
	    !ends_with(d->p, d->n, ",\"type\":\"credentials\"}") ||
	    !(payload = malloc(d->n)))
		goto out;
	s = d->p;
	end = d->p + d->n;
	if (!LIT(&s, end, "{\"hash\":\"") || !hex_text(&s, end, lhash) ||
	    !LIT(&s, end, "\",\"payload\":\"") ||
	    !canon_str(&s, end, payload, &npl) ||
	    !LIT(&s, end, ",\"prev\":\"") || !hex_text(&s, end, lprev) ||
	    !LIT(&s, end, "\",\"seq\":") || !canon_int(&s, end, 18, &seq) ||
	    !LIT(&s, end, ",\"type\":\"credentials\"}") || s != end)
		goto out;
	s = payload;
	end = payload + npl;
	/* at most one key per 67 bytes of payload */
	max = npl / 67 + 1;
	if (!(keys = malloc(max * sizeof(*keys))) ||
	    !LIT(&s, end, "{\"keys\":["))
		goto out;
	if (!LIT(&s, end, "]")) {
		do {
			if (nkeys == max || !LIT(&s, end, "\"") ||
			    !hex_bytes(&s, end, keys[nkeys], 32) ||
			    !LIT(&s, end, "\""))
				goto out;
			nkeys++;
		} while (LIT(&s, end, ","));
		if (!LIT(&s, end, "]"))
			goto out;
	}
	if (!LIT(&s, end, "}") || s != end)
		goto out;
	/* well-formed: the same checks as for any entry, in the same order */
	if ((rc = entry_chain(e, seq, lprev, lhash, "credentials", payload,
			      npl, prev, err)))
		goto out;
	if (e == 0) {
		rc = failf(err, e, "a board starts with 'primary'");
		goto out;
	}
	if (st->have_result) {
		rc = failf(err, e, "an entry after the result");
		goto out;
	}
	if (st->phase == 3) {
		rc = failf(err, e, "credentials published after the close");
		goto out;
	}
	for (i = 0; i < nkeys && !rc; i++) {
		rc = voter_add(st, keys[i]);
		if (rc == AGORA_EEXIST)
			rc = failf(err, e, "key %zu was published before", i);
		else if (rc)
			rc = agora_errorf(err, rc, "out of memory");
	}
out:
	free(keys);
	free(payload);
	return rc;
}

/* One entry that is not decoded in bulk, checked in order */
static int entry_other(struct state *st, size_t e, const struct decoded *d,
		       char prev[65], size_t *result_entry,
		       struct agora_error *err)
{
	const char *lhash, *lprev, *type, *payload;
	json_t *line, *pl = NULL;
	json_int_t seq;
	int rc;

	if ((rc = fast_credentials(st, e, d, prev, err)) != -1)
		return rc;
	line = json_loadb(d->p, d->n, JSON_REJECT_DUPLICATES, NULL);
	if (!line ||
	    json_unpack(line, "{s:s, s:s, s:s, s:I, s:s}", "hash", &lhash,
			"payload", &payload, "prev", &lprev, "seq", &seq,
			"type", &type) ||
	    json_object_size(line) != 5) {
		rc = failf(err, e, "not an entry {hash, payload, prev, seq, "
				   "type}");
		goto out;
	}
	if ((rc = entry_chain(e, seq, lprev, lhash, type, payload,
			      strlen(payload), prev, err)))
		goto out;
	pl = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	if (!pl || !json_is_object(pl)) {
		rc = failf(err, e, "its payload is not a JSON object");
		goto out;
	}
	if (e == 0 && strcmp(type, "primary")) {
		rc = failf(err, e, "a board starts with 'primary'");
		goto out;
	}
	if (st->have_result) {
		rc = failf(err, e, "an entry after the result");
		goto out;
	}
	if (!strcmp(type, "primary"))
		rc = entry_primary(st, e, pl, err);
	else if (!strcmp(type, "credentials"))
		rc = entry_credentials(st, e, pl, err);
	else if (!strcmp(type, "phase"))
		rc = entry_phase(st, e, pl, err);
	else if (!strcmp(type, "ballot"))
		rc = failf(err, e, "a ballot entry that is not one line of "
				   "canonical JSON");
	else if (!strcmp(type, "result")) {
		rc = entry_result(st, e, pl, err);
		*result_entry = e;
	} else
		rc = failf(err, e, "unknown type '%.32s'", type);
out:
	json_decref(pl);
	json_decref(line);
	return rc;
}

/* ------------------------------------------------------------ the board */

/* A verification in progress: what the chunks of lines leave behind */
struct verifier {
	struct state st;
	struct state pre; /* what context_scan read ahead */
	struct context cx;
	struct decoded *d;
	size_t dcap;
	unsigned char *rows;
	size_t rows_cap;
	struct scratch *sc[MAX_THREADS];
	int threads;
	char prev[65];
	size_t e, result_entry;
	const char *head;
	int head_seen;
	struct board_report *r;
};

static int verifier_init(struct verifier *v, const char *head, int threads,
			 struct board_report *r, struct agora_error *err)
{
	int t;

	memset(v, 0, sizeof(*v));
	memset(r, 0, sizeof(*r));
	v->r = r;
	v->cx.slug = "";
	v->head = head;
	v->head_seen = !head;
	memset(v->prev, '0', 64);
	v->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS
							     : threads;
	randombytes_buf(v->st.hkey, sizeof(v->st.hkey));
	for (t = 0; t < v->threads; t++)
		if (!(v->sc[t] = calloc(1, sizeof(*v->sc[t]))))
			return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	return 0;
}

static void verifier_fini(struct verifier *v)
{
	int t;

	state_fini(&v->st);
	state_fini(&v->pre);
	for (t = 0; t < MAX_THREADS; t++) {
		if (v->sc[t]) {
			free(v->sc[t]->payload);
			free(v->sc[t]->body);
		}
		free(v->sc[t]);
	}
	free(v->rows);
	free(v->d);
}

/* The checks of one entry in board order, its ballot decoded already */
static int verifier_entry(struct verifier *v, const struct decoded *d,
			  struct agora_error *err)
{
	struct state *st = &v->st;
	size_t e = v->e;
	int rc;

	if (!d->ballot) {
		rc = entry_other(st, e, d, v->prev, &v->result_entry, err);
	} else if (!d->parsed) {
		rc = failf(err, e, "%s", d->err);
	} else if (d->seq != (int64_t)e) {
		rc = failf(err, e,
			   "its seq is %lld: entries were dropped, added or "
			   "reordered",
			   (long long)d->seq);
	} else if (strcmp(d->prev, v->prev)) {
		rc = failf(err, e,
			   "prev is not the hash of entry %zu: the chain is "
			   "broken",
			   e ? e - 1 : 0);
	} else if (st->have_result) {
		rc = failf(err, e, "an entry after the result");
	} else {
		rc = ballot_apply(st, e, d, err);
		if (!rc) {
			memcpy(v->prev, d->hash, 65);
			v->r->ballots++;
		}
	}
	if (!rc && v->head && !strcmp(v->head, v->prev))
		v->head_seen = 1;
	return rc;
}

/* Room in each thread's scratch for ballot lines of n bytes (or FAST_MAX) */
static int scratch_fit(struct verifier *v, size_t n)
{
	int t;

	n = n > FAST_MAX ? FAST_MAX : n;
	for (t = 0; t < v->threads; t++) {
		struct scratch *sc = v->sc[t];

		if (sc->cap >= n)
			continue;
		free(sc->payload);
		free(sc->body);
		sc->payload = malloc(n);
		sc->body = malloc(n);
		sc->cap = sc->payload && sc->body ? n : 0;
		if (!sc->cap)
			return AGORA_ENOMEM;
	}
	return 0;
}

/* A line (without its newline) longer than this is refused */
#define LINE_MAX_BYTES ((size_t)64 << 20)

/*
 * Verifies the complete lines at the start of p[0..n), at most CHUNK of
 * them, and says in *used how many bytes they took (0: no complete line
 * there). A line with no newline is left for the next call.
 */
static int verifier_lines(struct verifier *v, const char *p, size_t n,
			  size_t *used, struct agora_error *err)
{
	const char *end = p + n, *q, *nl;
	size_t m, i, w, longest;
	int rc = 0;

	*used = 0;
	/* how many lines, to size the chunk for short boards */
	for (m = 0, q = p; m < CHUNK && q < end; m++, q = nl + 1) {
		nl = memchr(q, '\n', (size_t)(end - q));
		if (!nl || (size_t)(nl - q) > LINE_MAX_BYTES) {
			if (nl || (size_t)(end - q) > LINE_MAX_BYTES)
				return failf(err, v->e + m,
					     "a line longer than %zu MB: not "
					     "a board",
					     LINE_MAX_BYTES >> 20);
			break;
		}
	}
	if (!m)
		return 0;
	if (m > v->dcap) {
		struct decoded *nd = realloc(v->d, m * sizeof(*nd));

		if (!nd)
			return agora_errorf(err, AGORA_ENOMEM, "out of memory");
		v->d = nd;
		v->dcap = m;
	}
	for (i = 0, q = p, longest = 0; i < m; i++, q = nl + 1) {
		nl = memchr(q, '\n', (size_t)(end - q));
		memset(&v->d[i], 0, offsetof(struct decoded, err) + 1);
		v->d[i].p = q;
		v->d[i].n = (size_t)(nl - q);
		v->d[i].ballot =
			ends_with(q, v->d[i].n, "\"type\":\"ballot\"}");
		if (v->d[i].ballot && v->d[i].n > longest)
			longest = v->d[i].n;
	}
	if ((rc = scratch_fit(v, longest)))
		return agora_errorf(err, rc, "out of memory");
	*used = (size_t)(q - p);
	context_scan(&v->cx, &v->pre, v->d, m, v->e);
	w = v->cx.ncands ? v->cx.ncands : 1;
	if (v->rows_cap < m * w) {
		free(v->rows);
		v->rows_cap = m * w;
		v->rows = malloc(v->rows_cap);
		if (!v->rows) {
			v->rows_cap = 0;
			return agora_errorf(err, AGORA_ENOMEM, "out of memory");
		}
	}
	for (i = 0; i < m; i++)
		v->d[i].row = v->rows + i * w;
	decode_all(&v->cx, v->d, m, v->sc, m > 64 ? v->threads : 1);
	/* then everything in board order */
	for (i = 0; i < m && !rc; i++, v->e++)
		rc = verifier_entry(v, &v->d[i], err);
	return rc;
}

/* After the last line; cut: bytes without a newline followed it */
static int verifier_end(struct verifier *v, int cut, struct agora_error *err)
{
	struct state *st = &v->st;
	struct board_report *r = v->r;
	int rc = 0;

	if (cut)
		rc = failf(err, v->e,
			   "the last line does not end with a newline (a cut "
			   "file?)");
	if (!rc && !v->e)
		rc = agora_errorf(err, AGORA_ECHECK, "the board is empty");
	if (!rc && !v->head_seen)
		rc = agora_errorf(err, AGORA_ECHECK,
				  "no entry has the hash %.64s: the board was "
				  "rewritten since that head was noted",
				  v->head);
	/* agora writes the close and the result in one transaction */
	if (!rc && st->phase == 3 && !st->have_result)
		rc = failf(err, v->e,
			   "the board ends after the close without the signed "
			   "result (a cut file?)");
	if (!rc && st->have_result)
		rc = check_result(st, v->result_entry, err);
	if (rc)
		return rc;
	memcpy(r->primary, st->slug, sizeof(r->primary));
	memcpy(r->head, v->prev, 65);
	r->entries = v->e;
	r->credentials = st->nvoters;
	r->voters = st->gslots;
	r->closed = st->phase == 3;
	r->result = st->result;
	st->result = NULL;
	return 0;
}

int board_verify(const char *data, size_t n, const char *head, int threads,
		 struct board_report *r, struct agora_error *err)
{
	struct verifier v;
	size_t off = 0, used = 1;
	int rc;

	rc = verifier_init(&v, head, threads, r, err);
	while (!rc && off < n && used) {
		rc = verifier_lines(&v, data + off, n - off, &used, err);
		off += used;
	}
	if (!rc)
		rc = verifier_end(&v, off < n, err);
	verifier_fini(&v);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

int board_verify_fd(int fd, size_t block, const char *head, int threads,
		    struct board_report *r, struct agora_error *err)
{
	struct verifier v;
	size_t cap = block ? block : BLOCK, len = 0, off, used;
	char *buf = malloc(cap);
	int rc, eof = 0;
	ssize_t got;

	if (!buf)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	rc = verifier_init(&v, head, threads, r, err);
	while (!rc) {
		while (!eof && len < cap) {
			got = read(fd, buf + len, cap - len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = agora_errorf(err, AGORA_EIO,
						  "cannot read the board: %s",
						  strerror(errno));
				break;
			}
			eof = !got;
			len += (size_t)got;
		}
		for (off = 0, used = 1; !rc && used && off < len;
		     off += used)
			rc = verifier_lines(&v, buf + off, len - off, &used,
					    err);
		if (rc)
			break;
		if (eof) {
			rc = verifier_end(&v, off < len, err);
			break;
		}
		/* the start of a line is kept; a line longer than the buffer
		 * makes it grow (verifier_lines refuses one past the limit) */
		memmove(buf, buf + off, len - off);
		len -= off;
		if (len == cap) {
			char *nb;

			cap = cap * 2 > LINE_MAX_BYTES + 1 ? LINE_MAX_BYTES + 1
							   : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				break;
			}
			buf = nb;
		}
	}
	verifier_fini(&v);
	free(buf);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}
