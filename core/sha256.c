/*
 * sha256.c - SHA-256 of a whole buffer (FIPS 180-4), with the x86 SHA
 * extensions when the CPU has them, libsodium's otherwise.
 *
 * Ingest hashes every original it stores, and libsodium 1.0.18 only has
 * portable C for SHA-256: 54 instructions a byte, 7% of HTML ingest and
 * 8% of CSV's (callgrind, bench/README.md). The SHA instructions (Intel
 * since Goldmont and Ice Lake, every AMD Zen) do two rounds in one
 * instruction: about 3 instructions a byte. The digest is the same: the
 * unit test compares both paths with libsodium over every length up to
 * a few blocks and over large random buffers.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "core_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SHA256_X86 1
#endif

#ifdef SHA256_X86
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * Compresses nblocks 64-byte blocks into state (a..h). The message
 * schedule is kept four words to a register, the last four registers in
 * a ring: W[j] = msg2(msg1(W[j-4], W[j-3]) + W[j-1]:W[j-2] >> 4 bytes,
 * W[j-1]), words 4j..4j+3; each group of four rounds adds K to W[j]
 * and runs sha256rnds2 twice (two rounds each).
 */
__attribute__((target("sha,sse4.1"))) static void
sha256_blocks_x86(uint32_t state[8], const unsigned char *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
					     0x0405060700010203ULL);
	__m128i abef, cdgh, abef0, cdgh0, tmp, msg, w[4];
	int j;

	tmp = _mm_loadu_si128((const __m128i *)&state[0]);	 /* dcba */
	cdgh = _mm_loadu_si128((const __m128i *)&state[4]);	 /* hgfe */
	tmp = _mm_shuffle_epi32(tmp, 0xb1);		 /* cdab */
	cdgh = _mm_shuffle_epi32(cdgh, 0x1b);		 /* efgh */
	abef = _mm_alignr_epi8(tmp, cdgh, 8);		 /* abef */
	cdgh = _mm_blend_epi16(cdgh, tmp, 0xf0);	 /* cdgh */
	for (; nblocks > 0; nblocks--, p += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
		/* unrolled: the ring indices become registers */
#pragma GCC unroll 16
		for (j = 0; j < 16; j++) {
			if (j < 4) {
				w[j] = _mm_shuffle_epi8(
					_mm_loadu_si128(
						(const __m128i *)(p + 16 * j)),
					bswap);
			} else {
				tmp = _mm_sha256msg1_epu32(w[j & 3],
							   w[(j + 1) & 3]);
				tmp = _mm_add_epi32(
					tmp, _mm_alignr_epi8(w[(j + 3) & 3],
							     w[(j + 2) & 3], 4));
				w[j & 3] = _mm_sha256msg2_epu32(tmp,
								w[(j + 3) & 3]);
			}
			msg = _mm_add_epi32(
				w[j & 3],
				_mm_loadu_si128(
					(const __m128i *)&sha256_k[4 * j]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
			msg = _mm_shuffle_epi32(msg, 0x0e);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, msg);
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	tmp = _mm_shuffle_epi32(abef, 0x1b);		 /* feba */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);		 /* dchg */
	abef = _mm_blend_epi16(tmp, cdgh, 0xf0);	 /* dcba */
	cdgh = _mm_alignr_epi8(cdgh, tmp, 8);		 /* hgfe */
	_mm_storeu_si128((__m128i *)&state[0], abef);
	_mm_storeu_si128((__m128i *)&state[4], cdgh);
}

static void sha256_x86(const unsigned char *p, size_t n,
		       unsigned char out[32])
{
	uint32_t state[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	unsigned char tail[128];
	uint64_t bits = (uint64_t)n * 8;
	size_t full = n / 64, rest = n % 64, tn;
	int i;

	sha256_blocks_x86(state, p, full);
	/* the padding: 0x80, zeros, the length in bits, big-endian */
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + 64 * full, rest);
	tail[rest] = 0x80;
	tn = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tn - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_blocks_x86(state, tail, tn / 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(state[i] >> 8);
		out[4 * i + 3] = (unsigned char)state[i];
	}
}
#endif

/* -1: not decided yet; 0: libsodium; 1: the SHA extensions */
static int sha256_path = -1;

void sha256_force_portable(int portable)
{
	__atomic_store_n(&sha256_path, portable ? 0 : -1, __ATOMIC_RELAXED);
}

int sha256_accelerated(void)
{
#ifdef SHA256_X86
	/* threads may race here: they all store the same answer */
	int path = __atomic_load_n(&sha256_path, __ATOMIC_RELAXED);

	if (path < 0) {
		__builtin_cpu_init();
		path = __builtin_cpu_supports("sha") &&
		       __builtin_cpu_supports("sse4.1");
		__atomic_store_n(&sha256_path, path, __ATOMIC_RELAXED);
	}
	return path;
#else
	return 0;
#endif
}

void sha256(const void *p, size_t n, unsigned char out[32])
{
#ifdef SHA256_X86
	if (sha256_accelerated()) {
		sha256_x86(p, n, out);
		return;
	}
#endif
	crypto_hash_sha256(out, p, n);
}
