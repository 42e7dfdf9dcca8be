/*
 * secret.c - the secrets accounts rest on: random tokens and their
 * hashes, CSRF tokens (HMAC-SHA-256), Argon2id password hashes, and the
 * e-mail address rule.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"

static const char *const role_names[] = {
	"citizen",
	"candidate",
	"editor",
	"administrator",
};

const char *auth_role_name(int role)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (role == 1 << i)
			return role_names[i];
	return NULL;
}

int auth_role_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (!strcmp(s, role_names[i]))
			return 1 << i;
	return 0;
}

/* ---------------------------------------------------------------- tokens */

void auth_token_new(char out[AUTH_TOKEN_CHARS + 1])
{
	unsigned char raw[AUTH_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, AUTH_TOKEN_CHARS + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

int auth_token_hash(const char *s, unsigned char out[AUTH_HASH_BYTES])
{
	size_t i;

	for (i = 0; i < AUTH_TOKEN_CHARS; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return -1;
	if (s[i])
		return -1;
	crypto_hash_sha256(out, (const unsigned char *)s, AUTH_TOKEN_CHARS);
	return 0;
}

void auth_csrf_make(const unsigned char key[32], const void *binding, size_t n,
		    char out[AUTH_CSRF_CHARS + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, binding, n, key);
	sodium_bin2base64(out, AUTH_CSRF_CHARS + 1, mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int auth_csrf_check(const unsigned char key[32], const void *binding, size_t n,
		    const char *given)
{
	char want[AUTH_CSRF_CHARS + 1];

	if (!given || strlen(given) != AUTH_CSRF_CHARS)
		return 0;
	auth_csrf_make(key, binding, n, want);
	return sodium_memcmp(want, given, AUTH_CSRF_CHARS) == 0;
}

/* ------------------------------------------------------------- passwords */

int auth_password_ok(const char *pw, struct agora_error *err)
{
	size_t n = strlen(pw), bad;

	if (n < AUTH_PASSWORD_MIN)
		return agora_errorf(err, AGORA_EINVAL,
				    "the password is shorter than %d "
				    "characters",
				    AUTH_PASSWORD_MIN);
	if (n > AUTH_PASSWORD_MAX)
		return agora_errorf(err, AGORA_EINVAL,
				    "the password is longer than %d bytes",
				    AUTH_PASSWORD_MAX);
	if (!utf8_valid(pw, n, &bad))
		return agora_errorf(err, AGORA_EINVAL,
				    "the password is not valid UTF-8");
	return 0;
}

static unsigned long long pw_ops;
static size_t pw_mem;
static int pw_overridden;
static pthread_once_t pw_once = PTHREAD_ONCE_INIT;

/*
 * Read once per process. The override exists so that the test suite,
 * under AddressSanitizer, does not spend half a second and 64 MiB on
 * every sign-in; it is never lower than libsodium's minimums, and the
 * server says so in its log when it is set.
 */
static void pw_limits_init(void)
{
	const char *e = getenv("AGORA_PWHASH_LIMITS");
	unsigned long long ops;
	unsigned long long mem;

	pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (e && *e && sscanf(e, "%llu,%llu", &ops, &mem) == 2) {
		pw_ops = ops < crypto_pwhash_OPSLIMIT_MIN
				 ? crypto_pwhash_OPSLIMIT_MIN
				 : ops;
		pw_mem = mem < crypto_pwhash_MEMLIMIT_MIN
				 ? crypto_pwhash_MEMLIMIT_MIN
				 : (size_t)mem;
		pw_overridden = 1;
	}
}

void auth_pwhash_limits(unsigned long long *ops, size_t *mem, int *overridden)
{
	pthread_once(&pw_once, pw_limits_init);
	*ops = pw_ops;
	*mem = pw_mem;
	if (overridden)
		*overridden = pw_overridden;
}

int auth_password_hash(const char *pw, char out[AUTH_PWHASH_BYTES],
		       struct agora_error *err)
{
	unsigned long long ops;
	size_t mem;

	auth_pwhash_limits(&ops, &mem, NULL);
	if (crypto_pwhash_str(out, pw, strlen(pw), ops, mem))
		return agora_errorf(err, AGORA_ENOMEM,
				    "cannot hash the password: out of memory");
	return 0;
}

int auth_password_verify(const char *hash, const char *pw)
{
	return hash && crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

static char dummy_hash[AUTH_PWHASH_BYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
	char pw[AUTH_TOKEN_CHARS + 1];

	auth_token_new(pw);
	if (auth_password_hash(pw, dummy_hash, NULL))
		dummy_hash[0] = '\0';
}

const char *auth_password_dummy(void)
{
	pthread_once(&dummy_once, dummy_init);
	return dummy_hash;
}

/* --------------------------------------------------------------- e-mail */

/*
 * A deliberately plain rule: local@domain, 3 to 254 bytes, printable
 * ASCII without spaces or the characters that would need quoting in a
 * header (<>()[],;:"\), a dot in the domain or "localhost". Lower-cased:
 * one address, one account.
 */
int auth_email_normalize(const char *in, char **out, struct agora_error *err)
{
	const char *s = in, *at;
	size_t n, i;
	char *e;

	*out = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	if (n < 3 || n > 254)
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 127 || strchr("<>()[],;:\"\\", c))
			goto bad;
	}
	at = memchr(s, '@', n);
	if (!at || at == s || at == s + n - 1 ||
	    memchr(at + 1, '@', (size_t)(s + n - at - 1)))
		goto bad;
	if (!memchr(at + 1, '.', (size_t)(s + n - at - 1)) &&
	    ((size_t)(s + n - at - 1) != 9 || strncmp(at + 1, "localhost", 9)))
		goto bad;
	if (!(e = strndup(s, n)))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		e[i] = (char)tolower((unsigned char)e[i]);
	*out = e;
	return 0;
bad:
	return agora_errorf(err, AGORA_EINVAL,
			    "'%.80s' is not an e-mail address", in);
}
