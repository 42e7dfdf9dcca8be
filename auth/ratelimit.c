/*
 * ratelimit.c - token buckets for sign-in and sign-up attempts, per
 * client address and per account, in memory.
 *
 * A fixed open table (no allocation per request, bounded memory
 * whatever an attacker sends): a key hashes to a slot; a different key
 * in that slot is replaced, which can only forget a limit, never invent
 * one. Limits are per server process: several web nodes each count
 * their own (said in the README).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"

#define RL_SLOTS 4096 /* a power of two */
#define RL_KEY 64     /* key bytes kept (longer keys are hashed in full) */

struct rl_slot {
	unsigned char id[16]; /* a hash of the whole key */
	double tokens;
	double last;
	int used;
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned char salt[crypto_shorthash_KEYBYTES];
	struct rl_slot s[RL_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	pthread_mutex_init(&rl->lock, NULL);
	/* keyed, so that nobody can aim keys at one slot to evict another */
	randombytes_buf(rl->salt, sizeof(rl->salt));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The slot of key, under the lock; id receives the key's hash */
static struct rl_slot *slot_of(struct ratelimit *rl, const char *key,
			       unsigned char id[16])
{
	uint64_t h;

	crypto_generichash(id, 16, (const unsigned char *)key, strlen(key),
			   rl->salt, sizeof(rl->salt));
	memcpy(&h, id, sizeof(h));
	return &rl->s[h & (RL_SLOTS - 1)];
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	unsigned char id[16];
	struct rl_slot *s = slot_of(rl, key, id);

	pthread_mutex_lock(&rl->lock);
	if (s->used && !memcmp(s->id, id, sizeof(id)))
		s->used = 0;
	pthread_mutex_unlock(&rl->lock);
}

int ratelimit_take(struct ratelimit *rl, const char *key, double burst,
		   double interval, double now, unsigned *retry_after)
{
	unsigned char id[16];
	struct rl_slot *s = slot_of(rl, key, id);
	int ok;

	pthread_mutex_lock(&rl->lock);
	if (!s->used || memcmp(s->id, id, sizeof(id))) {
		memcpy(s->id, id, sizeof(id));
		s->used = 1;
		s->tokens = burst;
		s->last = now;
	}
	if (now > s->last) {
		s->tokens += (now - s->last) / interval;
		if (s->tokens > burst)
			s->tokens = burst;
		s->last = now;
	}
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	else if (retry_after)
		*retry_after = (unsigned)ceil((1.0 - s->tokens) * interval);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
