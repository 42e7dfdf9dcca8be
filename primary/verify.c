/*
 * verify.c - the independent verifier of a primary's bulletin board: a
 * board file in, a verdict out, no database, no server (doc/board.md is
 * the specification it follows, so that anyone can write another).
 *
 * One pass over the entries checks the chain and everything that depends
 * on order (phases, credentials published before their ballots, ballot
 * numbers, lots) and keeps the last grades of each credential; signatures
 * are checked in batches on several threads, since they cost ten times
 * the rest. At the end the counts are rebuilt from the last ballot of
 * each credential and the signed result must be their majority-judgment
 * result, byte for byte.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

#define CHUNK 32768 /* lines decoded in parallel, then checked in order */
#define MAX_THREADS 64
#define NO_GRADE 0xff

struct voter {
	unsigned char pk[32];
	uint32_t ballots; /* 0: published, has not voted */
	uint32_t slot;	  /* its grades in st->grades, once it voted */
	int used;
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
	/* credentials: open addressing on the key's first bytes */
	struct voter *voters;
	size_t vcap, nvoters;
	unsigned char *grades; /* ncands bytes per credential that voted */
	size_t gslots, gcap;
	size_t *lot;
	int threads;
	char *result, *result_sig_msg;
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

static uint64_t key_hash(const unsigned char pk[32])
{
	uint64_t h;

	memcpy(&h, pk, sizeof(h));
	return h;
}

static struct voter *voter_find(struct state *st, const unsigned char pk[32])
{
	size_t i;

	if (!st->vcap)
		return NULL;
	for (i = key_hash(pk) & (st->vcap - 1); st->voters[i].used;
	     i = (i + 1) & (st->vcap - 1))
		if (!memcmp(st->voters[i].pk, pk, 32))
			return &st->voters[i];
	return NULL;
}

static int voter_add(struct state *st, const unsigned char pk[32])
{
	struct voter *nv, *old = st->voters;
	size_t i, j, ocap = st->vcap;

	if (2 * (st->nvoters + 1) > st->vcap) {
		st->vcap = st->vcap ? st->vcap * 2 : 1024;
		nv = calloc(st->vcap, sizeof(*nv));
		if (!nv)
			return AGORA_ENOMEM;
		st->voters = nv;
		for (i = 0; i < ocap; i++) {
			if (!old[i].used)
				continue;
			for (j = key_hash(old[i].pk) & (st->vcap - 1);
			     nv[j].used; j = (j + 1) & (st->vcap - 1))
				;
			nv[j] = old[i];
		}
		free(old);
	}
	for (i = key_hash(pk) & (st->vcap - 1); st->voters[i].used;
	     i = (i + 1) & (st->vcap - 1))
		if (!memcmp(st->voters[i].pk, pk, 32))
			return AGORA_EEXIST;
	memcpy(st->voters[i].pk, pk, 32);
	st->voters[i].used = 1;
	st->nvoters++;
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

static void derr(struct decoded *d, const char *msg)
{
	snprintf(d->err, sizeof(d->err), "%s", msg);
}

static long cand_index(const struct context *cx, const char *slug)
{
	size_t lo = 0, hi = cx->ncands, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(cx->cands[mid], slug);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

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
		k = cand_index(cx, key);
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
	size_t n, from, step;
};

static void *decode_some(void *arg)
{
	struct decoder *w = arg;
	size_t i;

	for (i = w->from; i < w->n; i += w->step)
		if (w->d[i].ballot)
			decode_ballot(w->cx, &w->d[i]);
	return NULL;
}

static void decode_all(const struct context *cx, struct decoded *d, size_t n,
		       int threads)
{
	pthread_t tid[MAX_THREADS];
	int started[MAX_THREADS] = {0};
	struct decoder w[MAX_THREADS] = {{0}};
	int t;

	for (t = 0; t < threads; t++) {
		w[t].cx = cx;
		w[t].d = d;
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
	for (i = 0; i < st->vcap; i++) {
		const unsigned char *row;

		if (!st->voters[i].used || !st->voters[i].ballots)
			continue;
		voters++;
		row = st->grades + (size_t)st->voters[i].slot * st->ncands;
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
	free(st->grades);
}

/* One entry that is not decoded in bulk, checked in order */
static int entry_other(struct state *st, size_t e, const struct decoded *d,
		       char prev[65], size_t *result_entry,
		       struct agora_error *err)
{
	const char *lhash, *lprev, *type, *payload;
	json_t *line, *pl = NULL;
	json_int_t seq;
	char hash[65];
	int rc;

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
	if (seq != (json_int_t)e) {
		rc = failf(err, e,
			   "its seq is %lld: entries were dropped, added or "
			   "reordered",
			   (long long)seq);
		goto out;
	}
	if (strcmp(lprev, prev)) {
		rc = failf(err, e,
			   "prev is not the hash of entry %zu: the chain is "
			   "broken",
			   e ? e - 1 : 0);
		goto out;
	}
	board_entry_hash(seq, prev, type, payload, strlen(payload), hash);
	if (strcmp(hash, lhash)) {
		rc = failf(err, e, "its hash does not match its content");
		goto out;
	}
	memcpy(prev, hash, 65);
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

int board_verify(const char *data, size_t n, const char *head, int threads,
		 struct board_report *r, struct agora_error *err)
{
	struct state st = {0}, pre = {0};
	struct context cx = {"", NULL, 0, 0};
	struct decoded *d;
	unsigned char *rows = NULL;
	const char *p = data, *end = data + n, *nl;
	char prev[65];
	size_t e = 0, m, i, result_entry = 0, rows_cap = 0, chunk;
	int rc = 0, cut = 0, head_seen = !head;

	memset(r, 0, sizeof(*r));
	memset(prev, '0', 64);
	prev[64] = 0;
	st.threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS
							     : threads;
	/* a chunk, or fewer lines when the board is short */
	for (m = 0, p = data; m < CHUNK && p < end; m++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
	}
	p = data;
	chunk = m + 1;
	d = calloc(chunk, sizeof(*d));
	if (!d)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	while (!rc && p < end) {
		/* the next chunk of lines */
		for (m = 0; m < chunk && p < end; m++, p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				cut = 1; /* said after the lines before it */
				p = end;
				break;
			}
			memset(&d[m], 0, offsetof(struct decoded, err) + 1);
			d[m].p = p;
			d[m].n = (size_t)(nl - p);
			d[m].ballot =
				ends_with(p, d[m].n, "\"type\":\"ballot\"}");
		}
		context_scan(&cx, &pre, d, m, e);
		if (rows_cap < m * (cx.ncands ? cx.ncands : 1)) {
			free(rows);
			rows_cap = chunk * (cx.ncands ? cx.ncands : 1);
			rows = malloc(rows_cap);
			if (!rows) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				break;
			}
		}
		for (i = 0; i < m; i++)
			d[i].row = rows + i * (cx.ncands ? cx.ncands : 1);
		decode_all(&cx, d, m, m > 64 ? st.threads : 1);
		/* then everything in board order */
		for (i = 0; i < m && !rc; i++, e++) {
			if (!d[i].ballot) {
				rc = entry_other(&st, e, &d[i], prev,
						 &result_entry, err);
			} else if (!d[i].parsed) {
				rc = failf(err, e, "%s", d[i].err);
			} else if (d[i].seq != (int64_t)e) {
				rc = failf(err, e,
					   "its seq is %lld: entries were "
					   "dropped, added or reordered",
					   (long long)d[i].seq);
			} else if (strcmp(d[i].prev, prev)) {
				rc = failf(err, e,
					   "prev is not the hash of entry %zu: "
					   "the chain is broken",
					   e ? e - 1 : 0);
			} else if (st.have_result) {
				rc = failf(err, e, "an entry after the result");
			} else {
				rc = ballot_apply(&st, e, &d[i], err);
				if (!rc) {
					memcpy(prev, d[i].hash, 65);
					r->ballots++;
				}
			}
			if (!rc && head && !strcmp(head, prev))
				head_seen = 1;
		}
	}
	if (!rc && cut)
		rc = failf(err, e,
			   "the last line does not end with a newline (a cut "
			   "file?)");
	if (!rc && !e)
		rc = agora_errorf(err, AGORA_ECHECK, "the board is empty");
	if (!rc && !head_seen)
		rc = agora_errorf(err, AGORA_ECHECK,
				  "no entry has the hash %.64s: the board was "
				  "rewritten since that head was noted",
				  head);
	/* agora writes the close and the result in one transaction */
	if (!rc && st.phase == 3 && !st.have_result)
		rc = failf(err, e,
			   "the board ends after the close without the signed "
			   "result (a cut file?)");
	if (!rc && st.have_result)
		rc = check_result(&st, result_entry, err);
	if (!rc) {
		memcpy(r->primary, st.slug, sizeof(r->primary));
		memcpy(r->head, prev, 65);
		r->entries = e;
		r->credentials = st.nvoters;
		for (i = 0; i < st.vcap; i++)
			r->voters += st.voters[i].used &&
				     st.voters[i].ballots;
		r->closed = st.phase == 3;
		r->result = st.result;
		st.result = NULL;
	}
	state_fini(&st);
	state_fini(&pre);
	free(rows);
	free(d);
	return rc;
}
