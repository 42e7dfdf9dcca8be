/*
 * sha256.c - SHA-256 of a whole buffer (FIPS 180-4): OpenSSL's libcrypto
 * for large buffers, libsodium's for small ones.
 *
 * Ingest hashes every original it stores, and libsodium 1.0.18 only has
 * portable C for SHA-256: 54 instructions a byte, 7% of HTML ingest and
 * 8% of CSV's (callgrind, bench/README.md). OpenSSL picks at run time
 * the fastest code the CPU allows (the SHA extensions, AVX2, SSSE3):
 * about 3 instructions a byte with the SHA extensions. Its EVP layer
 * costs a context per call, yet measured on this machine it is ahead at
 * every size: 0.23 against 0.62 us at 128 bytes, 2.6 against 11.6 us at
 * 4 KiB, 1,729 against 389 MB/s at 1 MiB. The digest is the same:
 * the unit test compares both paths with libsodium over every length up
 * to a few blocks and over large random buffers.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "core.h"
#include "core_int.h"

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;		/* NULL when OpenSSL has none */
static int sha256_portable;		/* tests: libsodium only */

static void sha256_fetch(void)
{
	/* fetched once: an implicit fetch per call costs a lock and a
	 * lookup in OpenSSL 3 */
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_force_portable(int portable)
{
	__atomic_store_n(&sha256_portable, portable != 0, __ATOMIC_RELAXED);
}

int sha256_uses_openssl(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL &&
	       !__atomic_load_n(&sha256_portable, __ATOMIC_RELAXED);
}

void sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 0;

	if (sha256_uses_openssl() &&
	    EVP_Digest(p, n, out, &len, sha256_md, NULL) == 1 && len == 32)
		return;
	crypto_hash_sha256(out, p, n);
}
