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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "primary.h"
#include "primary_int.h"

#define BATCH 8192
#define MAX_THREADS 64
#define NO_GRADE 0xff

struct sigjob {
	unsigned char pk[32], sig[64];
	char *msg;
	size_t len;
	size_t entry;
	int bad;
};

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
	/* signatures to check */
	struct sigjob *jobs;
	size_t njobs;
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

/* ------------------------------------------------------------ signatures */

struct worker {
	struct state *st;
	size_t from, step;
};

static void *verify_some(void *arg)
{
	struct worker *w = arg;
	size_t i;

	for (i = w->from; i < w->st->njobs; i += w->step) {
		struct sigjob *j = &w->st->jobs[i];

		j->bad = crypto_sign_verify_detached(
				 j->sig, (const unsigned char *)j->msg, j->len,
				 j->pk) != 0;
	}
	return NULL;
}

/* Checks the queued signatures; the first bad one, in board order, fails */
static int flush_jobs(struct state *st, struct agora_error *err)
{
	pthread_t tid[MAX_THREADS];
	int started[MAX_THREADS] = {0};
	struct worker w[MAX_THREADS];
	int t, nt = st->njobs > 64 ? st->threads : 1, rc = 0;
	size_t i;

	for (t = 0; t < nt; t++) {
		w[t].st = st;
		w[t].from = (size_t)t;
		w[t].step = (size_t)nt;
	}
	for (t = 1; t < nt; t++)
		started[t] = !pthread_create(&tid[t], NULL, verify_some, &w[t]);
	verify_some(&w[0]);
	for (t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else /* no thread: this one takes its share */
			verify_some(&w[t]);
	}
	for (i = 0; i < st->njobs; i++) {
		if (!rc && st->jobs[i].bad)
			rc = failf(err, st->jobs[i].entry,
				   "the ballot's signature does not match its "
				   "credential");
		free(st->jobs[i].msg);
	}
	st->njobs = 0;
	return rc;
}

static int queue_sig(struct state *st, size_t entry, const unsigned char pk[32],
		     const unsigned char sig[64], const char *msg,
		     struct agora_error *err)
{
	struct sigjob *j;

	if (st->njobs == BATCH) {
		int rc = flush_jobs(st, err);

		if (rc)
			return rc;
	}
	j = &st->jobs[st->njobs];
	j->len = strlen(msg);
	j->msg = malloc(j->len + 1);
	if (!j->msg)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	memcpy(j->msg, msg, j->len + 1);
	memcpy(j->pk, pk, 32);
	memcpy(j->sig, sig, 64);
	j->entry = entry;
	st->njobs++;
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
	if (lot < 0 || lot == 1 || lot > 1000)
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

static int entry_ballot(struct state *st, size_t e, json_t *pl,
			struct agora_error *err)
{
	const char *body, *sighex, *pkhex, *slug;
	unsigned char pk[32], sig[64];
	json_int_t n, version;
	json_t *b, *grades, *g;
	unsigned char *row;
	struct voter *v;
	size_t k, i;
	int rc = 0;

	if (st->phase != 2)
		return failf(err, e, "a ballot outside the vote");
	if (json_unpack(pl, "{s:s, s:s}", "body", &body, "signature",
			&sighex) ||
	    json_object_size(pl) != 2 || !unhex(sighex, sig, 64))
		return failf(err, e, "the 'ballot' payload is malformed");
	b = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	if (!b)
		return failf(err, e, "the ballot is not JSON");
	if (json_unpack(b, "{s:s, s:o, s:I, s:s, s:I}", "credential", &pkhex,
			"grades", &grades, "n", &n, "primary", &slug,
			"version", &version) ||
	    json_object_size(b) != 5 || !json_is_object(grades) ||
	    version != 1 || !unhex(pkhex, pk, 32)) {
		rc = failf(err, e, "the ballot is malformed");
		goto out;
	}
	if (strcmp(slug, st->slug)) {
		rc = failf(err, e, "a ballot for another primary");
		goto out;
	}
	v = voter_find(st, pk);
	if (!v) {
		rc = failf(err, e,
			   "the ballot's credential was never published");
		goto out;
	}
	if (n != (json_int_t)v->ballots + 1) {
		rc = failf(err, e,
			   "ballot number %lld of a credential that cast %u "
			   "(a replay, or two counted ballots)",
			   (long long)n, v->ballots);
		goto out;
	}
	/* exactly its lot, each with a grade */
	if (!json_object_size(grades)) {
		if (!st->allow_blank) {
			rc = failf(err, e, "a blank ballot, not allowed here");
			goto out;
		}
		k = 0;
	} else {
		k = primary_lot(st->slug, pk, st->ncands, st->lot_size,
				st->lot);
		if (json_object_size(grades) != k) {
			rc = failf(err, e,
				   "the ballot grades %zu candidates, its lot "
				   "has %zu",
				   json_object_size(grades), k);
			goto out;
		}
	}
	if (!v->ballots) {
		if (st->gslots == st->gcap) {
			size_t ncap = st->gcap ? st->gcap * 2 : 1024;
			unsigned char *ng =
				realloc(st->grades,
					ncap * (st->ncands ? st->ncands : 1));

			if (!ng) {
				rc = agora_errorf(err, AGORA_ENOMEM,
						  "out of memory");
				goto out;
			}
			st->grades = ng;
			st->gcap = ncap;
		}
		v->slot = (uint32_t)st->gslots++;
	}
	row = st->grades + (size_t)v->slot * st->ncands;
	memset(row, NO_GRADE, st->ncands);
	for (i = 0; i < k; i++) {
		g = json_object_get(grades, st->cands[st->lot[i]]);
		if (!g || !json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) >= st->ngrades) {
			rc = failf(err, e,
				   "candidate '%s' of the ballot's lot has no "
				   "valid grade",
				   st->cands[st->lot[i]]);
			goto out;
		}
		row[st->lot[i]] = (unsigned char)json_integer_value(g);
	}
	v->ballots++;
	rc = queue_sig(st, e, pk, sig, body, err);
out:
	json_decref(b);
	return rc;
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

int board_verify(const char *data, size_t n, const char *head, int threads,
		 struct board_report *r, struct agora_error *err)
{
	struct state st = {0};
	char prev[65], hash[65];
	const char *p = data, *end = data + n, *nl;
	const char *lhash, *lprev, *type, *payload;
	json_int_t seq;
	json_t *line = NULL, *pl = NULL;
	size_t e = 0, result_entry = 0;
	int rc = 0, head_seen = !head;

	memset(r, 0, sizeof(*r));
	memset(prev, '0', 64);
	prev[64] = 0;
	st.threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS
							     : threads;
	st.jobs = calloc(BATCH, sizeof(*st.jobs));
	if (!st.jobs)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	for (; p < end; p = nl + 1, e++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			rc = failf(err, e,
				   "the last line does not end with a "
				   "newline (a cut file?)");
			break;
		}
		line = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES,
				  NULL);
		if (!line ||
		    json_unpack(line, "{s:s, s:s, s:s, s:I, s:s}", "hash",
				&lhash, "payload", &payload, "prev", &lprev,
				"seq", &seq, "type", &type) ||
		    json_object_size(line) != 5) {
			rc = failf(err, e,
				   "not an entry {hash, payload, prev, seq, "
				   "type}");
			break;
		}
		if (seq != (json_int_t)e) {
			rc = failf(err, e,
				   "its seq is %lld: entries were dropped, "
				   "added or reordered",
				   (long long)seq);
			break;
		}
		if (strcmp(lprev, prev)) {
			rc = failf(err, e,
				   "prev is not the hash of entry %zu: the "
				   "chain is broken",
				   e ? e - 1 : 0);
			break;
		}
		board_entry_hash(seq, prev, type, payload, strlen(payload),
				 hash);
		if (strcmp(hash, lhash)) {
			rc = failf(err, e,
				   "its hash does not match its content");
			break;
		}
		memcpy(prev, hash, 65);
		if (head && !strcmp(head, hash))
			head_seen = 1;
		pl = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
		if (!pl || !json_is_object(pl)) {
			rc = failf(err, e, "its payload is not a JSON object");
			break;
		}
		if (e == 0 && strcmp(type, "primary")) {
			rc = failf(err, e, "a board starts with 'primary'");
			break;
		}
		if (st.have_result) {
			rc = failf(err, e, "an entry after the result");
			break;
		}
		if (!strcmp(type, "primary"))
			rc = entry_primary(&st, e, pl, err);
		else if (!strcmp(type, "credentials"))
			rc = entry_credentials(&st, e, pl, err);
		else if (!strcmp(type, "phase"))
			rc = entry_phase(&st, e, pl, err);
		else if (!strcmp(type, "ballot"))
			rc = entry_ballot(&st, e, pl, err);
		else if (!strcmp(type, "result")) {
			rc = entry_result(&st, e, pl, err);
			result_entry = e;
		} else
			rc = failf(err, e, "unknown type '%.32s'", type);
		if (rc)
			break;
		if (!strcmp(type, "ballot"))
			r->ballots++;
		json_decref(pl);
		json_decref(line);
		pl = line = NULL;
	}
	json_decref(pl);
	json_decref(line);
	if (!rc && !e)
		rc = agora_errorf(err, AGORA_ECHECK, "the board is empty");
	/* a bad signature earlier in the board is the first failure */
	if (st.njobs) {
		struct agora_error serr = {0};
		int src = flush_jobs(&st, &serr);

		if (src)
			*err = serr, rc = src;
	}
	if (!rc && !head_seen)
		rc = agora_errorf(err, AGORA_ECHECK,
				  "no entry has the hash %.64s: the board was "
				  "rewritten since that head was noted",
				  head);
	if (!rc && st.have_result)
		rc = check_result(&st, result_entry, err);
	if (!rc) {
		size_t i;

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
	free(st.result);
	if (st.cands)
		for (e = 0; e < st.ncands; e++)
			free(st.cands[e]);
	free(st.cands);
	free(st.lot);
	free(st.voters);
	free(st.grades);
	free(st.jobs);
	return rc;
}
