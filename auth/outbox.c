/*
 * outbox.c - outgoing e-mail as files: one RFC 5322 message per .eml
 * file in a folder, for a mail transfer agent (or a person) to send,
 * or for smtp.c's relay, which sends the file and moves it to sent/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"

/* "=?UTF-8?B?...?=" when s is not plain ASCII (RFC 2047) */
static void header_text(struct sb *b, const char *s)
{
	const unsigned char *p;
	size_t n = strlen(s), cap;
	char *enc;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p >= 127 || *p < ' ')
			break;
	if (!*p) {
		sb_puts(b, s);
		return;
	}
	cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	if (!(enc = malloc(cap))) {
		b->err = AGORA_ENOMEM;
		return;
	}
	sodium_bin2base64(enc, cap, (const unsigned char *)s, n,
			  sodium_base64_VARIANT_ORIGINAL);
	sb_printf(b, "=?UTF-8?B?%s?=", enc);
	free(enc);
}

/*
 * A full or read-only disk is the storage's state, not an error of
 * ours: AGORA_ESTORAGE, which the web answers with 503 (the mail's
 * transaction rolls back), worded as the database's own storage errors
 */
static int storage_error(struct agora_error *err, int e, const char *what,
			 const char *dir)
{
	if (e == ENOSPC || e == EDQUOT)
		return agora_errorf(err, AGORA_ESTORAGE,
				    "%s '%s': the disk is full (%s)", what, dir,
				    strerror(e));
	if (e == EROFS)
		return agora_errorf(err, AGORA_ESTORAGE,
				    "%s '%s': the storage is read-only (%s)",
				    what, dir, strerror(e));
	return agora_errorf(err, AGORA_EIO, "%s '%s': %s", what, dir,
			    strerror(e));
}

/*
 * The message is written and synced under a dot name (".tmp-<random>",
 * which neither the relay nor a `*.eml` glob picks up) and only
 * renamed to its .eml name by outbox_publish(): a caller that writes
 * mail about a decision publishes it once the decision is committed,
 * and discards it if the transaction fails, so that no mail tells of
 * something that did not happen.
 */
int outbox_prepare(const char *dir, const char *from, const char *to,
		   const char *subject, const char *body,
		   struct outbox_msg *out, struct agora_error *err)
{
	struct sb m, tmp, final;
	unsigned char rnd[8];
	char hex[17], date[64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *p;
	int fd = -1, rc = 0;
	ssize_t w;
	size_t off;

	memset(out, 0, sizeof(*out));
	sb_init(&m, 1 << 20);
	sb_init(&tmp, 4096);
	sb_init(&final, 4096);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = storage_error(err, errno, "cannot create the outbox", dir);
		goto out;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	sb_printf(&m, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: ", date, from,
		  to);
	header_text(&m, subject);
	sb_printf(&m,
		  "\r\nMessage-ID: <%s.%s@agora>\r\nMIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: 8bit\r\n\r\n",
		  stamp, hex);
	for (p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			sb_putc(&m, '\r');
		sb_putc(&m, *p);
	}
	sb_printf(&tmp, "%s/.tmp-%s", dir, hex);
	sb_printf(&final, "%s/%s-%s.eml", dir, stamp, hex);
	if (sb_error(&m) || sb_error(&tmp) || sb_error(&final)) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto io;
	for (off = 0; off < m.len; off += (size_t)w)
		if ((w = write(fd, m.buf + off, m.len - off)) < 0)
			goto io;
	if (fsync(fd) || close(fd)) {
		fd = -1;
		goto io;
	}
	fd = -1;
	out->tmp = sb_detach(&tmp, NULL);
	out->path = sb_detach(&final, NULL);
	out->dir = strdup(dir);
	if (!out->tmp || !out->path || !out->dir) {
		outbox_discard(out);
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	goto out;
io:
	rc = storage_error(err, errno, "cannot write to the outbox", dir);
	if (fd >= 0)
		close(fd);
	unlink(tmp.buf);
out:
	sb_fini(&m);
	sb_fini(&tmp);
	sb_fini(&final);
	return rc;
}

int outbox_publish(struct outbox_msg *m, struct agora_error *err)
{
	int rc = 0;

	if (rename(m->tmp, m->path)) {
		rc = storage_error(err, errno, "cannot write to the outbox",
				   m->dir);
		unlink(m->tmp);
	}
	free(m->tmp);
	free(m->dir);
	m->tmp = m->dir = NULL;
	return rc;
}

void outbox_discard(struct outbox_msg *m)
{
	if (m->tmp)
		unlink(m->tmp);
	free(m->tmp);
	free(m->path);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}

int outbox_write(const char *dir, const char *from, const char *to,
		 const char *subject, const char *body, char **path,
		 struct agora_error *err)
{
	struct outbox_msg m;
	int rc;

	if (path)
		*path = NULL;
	if ((rc = outbox_prepare(dir, from, to, subject, body, &m, err)))
		return rc;
	if ((rc = outbox_publish(&m, err))) {
		outbox_discard(&m);
		return rc;
	}
	if (path)
		*path = m.path;
	else
		free(m.path);
	return 0;
}

/*
 * A process that died between outbox_prepare() and outbox_publish()
 * (a crash, a kill, a power cut) leaves its ".tmp-" file behind: mail
 * about a write that may never have been committed, which must not be
 * sent, and which may hold a sign-in link. Removes those last changed
 * more than max_age seconds before now; a younger one may be another
 * process's mail being written (`agora user add` beside the server).
 * Returns how many were removed.
 */
size_t outbox_sweep(const char *dir, time_t now, time_t max_age)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	char path[4096];

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".tmp-", 5))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path) ||
		    lstat(path, &st) || !S_ISREG(st.st_mode) ||
		    st.st_mtime > now - max_age)
			continue;
		if (!unlink(path))
			n++;
	}
	closedir(d);
	return n;
}
