/*
 * smtp.c - the SMTP relay (`agora serve --smtp-relay URL`): messages
 * already written to the outbox are sent by one thread, off the request
 * threads, through libcurl's SMTP client. A message is first an .eml
 * file in the outbox (so nothing is lost if the relay is down or the
 * server stops); once the relay accepts it the file moves to the
 * outbox's sent/ folder. A failure is logged and retried with a
 * doubling delay; after the last try the file stays in the outbox,
 * where a mail transfer agent (or the next start, see the README) can
 * still send it.
 *
 * Security: smtps:// is TLS from the first byte; smtp:// must upgrade
 * with STARTTLS (the send fails if the server does not offer it), except
 * to a loopback address, where a local MTA on port 25 usually has no
 * certificate. Credentials never come from the command line: the URL
 * may not carry them; they come from the caller (an environment
 * variable or a file, read by the CLI).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "auth.h"

#define SMTP_QUEUE_MAX 1024	    /* messages waiting; more: refused */
#define SMTP_MESSAGE_MAX (4u << 20) /* bytes of one .eml */

struct smtp_job {
	char *path, *to;
	unsigned tries;
	double next_at; /* monotonic seconds */
};

struct smtp_relay {
	char *url, *user, *password, *from, *outbox;
	int require_tls;
	unsigned max_tries;
	double first_delay, max_delay;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started;
	_Atomic int stopping; /* also read by a transfer in progress */
	struct smtp_job q[SMTP_QUEUE_MAX];
	size_t n;
	/* counters, for tests and logs */
	unsigned long sent, failed;
	int storage_waiting; /* the outbox is read-only: sending waits */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when host (as in a URL, IPv6 in brackets or not) is loopback */
static int host_is_loopback(const char *h)
{
	if (!strcmp(h, "localhost") || !strcmp(h, "::1") || !strcmp(h, "[::1]"))
		return 1;
	return !strncmp(h, "127.", 4) && strspn(h, "0123456789.") == strlen(h);
}

/* The bare address of "Name <a@b>" or "a@b", into out */
static int envelope_address(const char *s, char *out, size_t n)
{
	const char *lt = strrchr(s, '<'), *gt;
	size_t len;

	if (lt && (gt = strchr(lt, '>'))) {
		s = lt + 1;
		len = (size_t)(gt - s);
	} else {
		len = strlen(s);
	}
	if (!len || len >= n || memchr(s, '\r', len) || memchr(s, '\n', len))
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int smtp_url_check(const char *url, int *require_tls, struct agora_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *pw = NULL;
	int rc = 0;

	if (!u)
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the SMTP relay '%s' is not a URL such as "
				  "smtp://mail.example.org:587 or "
				  "smtps://mail.example.org",
				  url);
		goto out;
	}
	if (strcmp(scheme, "smtp") && strcmp(scheme, "smtps")) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the SMTP relay '%s' must be an smtp:// or "
				  "smtps:// URL",
				  url);
		goto out;
	}
	if (!curl_url_get(u, CURLUPART_USER, &user, 0) ||
	    !curl_url_get(u, CURLUPART_PASSWORD, &pw, 0)) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the SMTP relay's URL must not hold a user "
				  "or password (they would show in the "
				  "process list): use AGORA_SMTP_CREDENTIALS "
				  "or --smtp-credentials FILE");
		goto out;
	}
	/* smtps: TLS already; smtp: STARTTLS, unless on this machine */
	*require_tls = !strcmp(scheme, "smtp") && !host_is_loopback(host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pw);
	curl_url_cleanup(u);
	return rc;
}

static void relay_fini(struct smtp_relay *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->q[i].path);
		free(s->q[i].to);
	}
	free(s->url);
	if (s->password)
		sodium_memzero(s->password, strlen(s->password));
	free(s->user);
	free(s->password);
	free(s->from);
	free(s->outbox);
}

/* ------------------------------------------------------------- sending */

struct upload {
	const char *p;
	size_t n, off;
};

/* A transfer in progress stops when the server does */
static int progress_cb(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct smtp_relay *s = ctx;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return s->stopping ? 1 : 0;
}

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct upload *u = ctx;
	size_t n = size * nmemb;

	if (n > u->n - u->off)
		n = u->n - u->off;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	return n;
}

/* Reads the .eml (bounded); 0 or -1 with errno */
static int read_file(const char *path, struct sb *out)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;
	int rc = 0;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (sb_append(out, buf, n)) {
			errno = EFBIG;
			rc = -1;
			break;
		}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return rc;
}

/* One attempt; 0 when the relay accepted the message, else why in msg */
static int send_one(struct smtp_relay *s, const struct smtp_job *j, char *msg,
		    size_t msgn)
{
	char errbuf[CURL_ERROR_SIZE] = "", from[320], to[320];
	struct curl_slist *rcpt = NULL;
	struct upload up;
	struct sb m;
	CURL *c;
	CURLcode cc;
	int rc = -1;

	sb_init(&m, SMTP_MESSAGE_MAX);
	if (read_file(j->path, &m)) {
		snprintf(msg, msgn, "cannot read '%s': %s", j->path,
			 strerror(errno));
		goto out;
	}
	if (envelope_address(s->from, from, sizeof(from)) ||
	    envelope_address(j->to, to, sizeof(to))) {
		snprintf(msg, msgn, "a bad sender or recipient address");
		goto out;
	}
	if (!(c = curl_easy_init()) || !(rcpt = curl_slist_append(NULL, to))) {
		if (c)
			curl_easy_cleanup(c);
		snprintf(msg, msgn, "out of memory");
		goto out;
	}
	up.p = m.buf;
	up.n = m.len;
	up.off = 0;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m.len);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 s->require_tls ? (long)CURLUSESSL_ALL
					: (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (s->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 s->password ? s->password : "");
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		rc = 0;
	} else {
		snprintf(msg, msgn, "%s",
			 *errbuf ? errbuf : curl_easy_strerror(cc));
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
out:
	sb_fini(&m);
	return rc;
}

/* outbox/x.eml -> outbox/sent/x.eml: a sent message is not sent again */
static void move_sent(struct smtp_relay *s, const char *path)
{
	const char *base = strrchr(path, '/');
	struct sb dir, to;

	sb_init(&dir, 8192);
	sb_init(&to, 8192);
	sb_printf(&dir, "%s/sent", s->outbox);
	sb_printf(&to, "%s/%s", dir.buf ? dir.buf : "", base ? base + 1 : path);
	if (sb_error(&dir) || sb_error(&to) ||
	    (mkdir(dir.buf, 0700) && errno != EEXIST) || rename(path, to.buf))
		LOG(LOG_WARN, "smtp: '%s' was sent but stays in the outbox: %s",
		    path, strerror(errno));
	sb_fini(&dir);
	sb_fini(&to);
}

/* The job due first, or SIZE_MAX */
static size_t next_job(struct smtp_relay *s)
{
	size_t i, best = (size_t)-1;

	for (i = 0; i < s->n; i++)
		if (best == (size_t)-1 || s->q[i].next_at < s->q[best].next_at)
			best = i;
	return best;
}

/* Back in the queue after its delay: first_delay, doubling, capped */
static void retry_later(struct smtp_relay *s, struct smtp_job *j,
			const char *why)
{
	double d = s->first_delay;
	unsigned k;

	for (k = 1; k < j->tries && d < s->max_delay; k++)
		d *= 2;
	if (d > s->max_delay)
		d = s->max_delay;
	LOG(LOG_WARN,
	    "smtp: cannot send '%s' (try %u of %u, next in %.0f s): %s",
	    j->path, j->tries, s->max_tries, d, why);
	j->next_at = now_mono() + d;
	s->q[s->n++] = *j;
}

/*
 * A message is sent only when the outbox can take it back afterwards:
 * sent, it moves to sent/, and a message that stayed would be sent
 * again at the next start. So on read-only storage the relay waits,
 * as the outbox does (writes that need mail get 503 meanwhile), and
 * looks again every few seconds; nothing is lost, no try is counted.
 * 1 when the outbox is writable (or fails otherwise: then the send
 * goes on and the failure to move it is logged, as before).
 */
static int outbox_writable(struct smtp_relay *s)
{
	if (!access(s->outbox, W_OK | X_OK) || errno != EROFS) {
		if (s->storage_waiting)
			LOG(LOG_WARN, /* as loud as the warning it ends */
			    "smtp: the outbox '%s' is writable again: "
			    "sending",
			    s->outbox);
		s->storage_waiting = 0;
		return 1;
	}
	if (!s->storage_waiting)
		LOG(LOG_WARN,
		    "smtp: the outbox '%s' is on read-only storage: mail "
		    "waits until it is writable",
		    s->outbox);
	s->storage_waiting = 1;
	return 0;
}

/* How often a relay waiting for its storage looks again, in seconds */
static double storage_poll(const struct smtp_relay *s)
{
	return s->first_delay < 5 ? s->first_delay : 5;
}

static void *relay_thread(void *p)
{
	struct smtp_relay *s = p;
	struct smtp_job j;
	char why[CURL_ERROR_SIZE + 256];
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		double now = now_mono();

		if (s->stopping)
			break;
		i = next_job(s);
		if (i == (size_t)-1) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		if (s->q[i].next_at > now) {
			struct timespec ts;
			double wait = s->q[i].next_at - now, at;

			clock_gettime(CLOCK_REALTIME, &ts);
			at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 +
			     wait;
			ts.tv_sec = (time_t)at;
			ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&s->cond, &s->lock, &ts);
			continue;
		}
		if (!outbox_writable(s)) {
			/* every job waits: none is sent, none counts a try */
			for (i = 0; i < s->n; i++)
				if (s->q[i].next_at < now + storage_poll(s))
					s->q[i].next_at = now + storage_poll(s);
			continue;
		}
		j = s->q[i];
		s->q[i] = s->q[--s->n];
		pthread_mutex_unlock(&s->lock);

		j.tries++;
		if (!send_one(s, &j, why, sizeof(why))) {
			LOG(LOG_INFO, "smtp: sent '%s'", j.path);
			move_sent(s, j.path);
			free(j.path);
			free(j.to);
			pthread_mutex_lock(&s->lock);
			s->sent++;
			continue;
		}
		pthread_mutex_lock(&s->lock);
		if (j.tries >= s->max_tries || s->stopping ||
		    s->n == SMTP_QUEUE_MAX) {
			LOG(LOG_ERROR,
			    "smtp: cannot send '%s' (try %u, giving up; it "
			    "stays in the outbox): %s",
			    j.path, j.tries, why);
			s->failed++;
			free(j.path);
			free(j.to);
			continue;
		}
		retry_later(s, &j, why);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ------------------------------------------------------------- the API */

/*
 * AGORA_SMTP_RETRY="TRIES,FIRST,MAX" (seconds) overrides the retries:
 * for tests, and for an operator whose relay needs another rhythm.
 * Malformed or out of range (1..100 tries, 0.1 s..1 day): ignored,
 * with a warning.
 */
static void retry_env(struct smtp_relay *s)
{
	const char *e = getenv("AGORA_SMTP_RETRY");
	unsigned tries;
	double first, max;
	char tail;

	if (!e || !*e)
		return;
	if (sscanf(e, "%u,%lf,%lf%c", &tries, &first, &max, &tail) != 3 ||
	    tries < 1 || tries > 100 || !(first >= 0.1) || !(max >= first) ||
	    max > 86400) {
		LOG(LOG_WARN,
		    "AGORA_SMTP_RETRY='%s' ignored: it is "
		    "TRIES,FIRST,MAX (seconds)",
		    e);
		return;
	}
	s->max_tries = tries;
	s->first_delay = first;
	s->max_delay = max;
	LOG(LOG_INFO, "smtp: %u tries, %.1f s then doubling up to %.0f s",
	    tries, first, max);
}

int smtp_relay_new(struct smtp_relay **out, const struct smtp_config *cfg,
		   struct agora_error *err)
{
	struct smtp_relay *s;
	char addr[320];
	int rc;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	if ((rc = smtp_url_check(cfg->url, &s->require_tls, err)))
		goto fail;
	if (envelope_address(cfg->from, addr, sizeof(addr)) ||
	    !strchr(addr, '@')) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "the sender '%s' has no address for SMTP "
				  "(--mail-from you@example.org)",
				  cfg->from);
		goto fail;
	}
	s->url = strdup(cfg->url);
	s->from = strdup(cfg->from);
	s->outbox = strdup(cfg->outbox);
	if (cfg->user)
		s->user = strdup(cfg->user);
	if (cfg->password)
		s->password = strdup(cfg->password);
	if (!s->url || !s->from || !s->outbox || (cfg->user && !s->user) ||
	    (cfg->password && !s->password)) {
		rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
		goto fail;
	}
	s->max_tries = cfg->max_tries ? cfg->max_tries : 8;
	s->first_delay = cfg->first_delay > 0 ? cfg->first_delay : 30;
	s->max_delay = cfg->max_delay > 0 ? cfg->max_delay : 3600;
	retry_env(s);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		rc = agora_errorf(err, AGORA_EIO, "cannot start libcurl");
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, relay_thread, s)) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		curl_global_cleanup();
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot start the SMTP thread");
		goto fail;
	}
	s->started = 1;
	*out = s;
	return 0;
fail:
	relay_fini(s);
	free(s);
	return rc;
}

int smtp_relay_send(struct smtp_relay *s, const char *path, const char *to,
		    struct agora_error *err)
{
	struct smtp_job j = {0};
	int rc = 0;

	j.path = strdup(path);
	j.to = strdup(to);
	if (!j.path || !j.to) {
		free(j.path);
		free(j.to);
		return agora_errorf(err, AGORA_ENOMEM, "out of memory");
	}
	j.next_at = now_mono();
	pthread_mutex_lock(&s->lock);
	if (s->n == SMTP_QUEUE_MAX || s->stopping) {
		rc = agora_errorf(err, AGORA_ETOOBIG,
				  "the SMTP queue is full: '%s' stays in the "
				  "outbox",
				  path);
	} else {
		s->q[s->n++] = j;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		free(j.path);
		free(j.to);
	}
	return rc;
}

/* The To: of a message agora wrote (outbox_write puts it in the head) */
static int eml_recipient(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "rb");
	char line[1024];
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\r' || line[0] == '\n')
			break; /* the end of the head */
		if (!strncmp(line, "To: ", 4)) {
			line[strcspn(line, "\r\n")] = '\0';
			rc = envelope_address(line + 4, out, n);
			break;
		}
	}
	fclose(f);
	return rc;
}

int smtp_relay_send_outbox(struct smtp_relay *s, size_t *queued,
			   struct agora_error *err)
{
	DIR *d = opendir(s->outbox);
	struct dirent *e;
	char to[320];
	struct sb path;
	size_t len;
	int rc = 0;

	*queued = 0;
	/* no outbox yet (the storage was read-only when it was to be made) */
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return agora_errorf(err, AGORA_EIO,
				    "cannot read the outbox "
				    "'%s': %s",
				    s->outbox, strerror(errno));
	sb_init(&path, 8192);
	while (!rc && (e = readdir(d))) {
		/* .tmp-* files are being written; sent/ is done */
		len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 ||
		    strcmp(e->d_name + len - 4, ".eml"))
			continue;
		sb_reset(&path);
		sb_printf(&path, "%s/%s", s->outbox, e->d_name);
		if (sb_error(&path)) {
			rc = agora_errorf(err, AGORA_ENOMEM, "out of memory");
			break;
		}
		if (eml_recipient(path.buf, to, sizeof(to))) {
			LOG(LOG_WARN, "smtp: '%s' has no To: line, not sent",
			    path.buf);
			continue;
		}
		if (!(rc = smtp_relay_send(s, path.buf, to, err)))
			(*queued)++;
	}
	closedir(d);
	sb_fini(&path);
	return rc;
}

void smtp_relay_stats(struct smtp_relay *s, unsigned long *sent,
		      unsigned long *failed, size_t *waiting)
{
	pthread_mutex_lock(&s->lock);
	*sent = s->sent;
	*failed = s->failed;
	*waiting = s->n;
	pthread_mutex_unlock(&s->lock);
}

void smtp_relay_free(struct smtp_relay *s)
{
	size_t i;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (i = 0; i < s->n; i++)
		LOG(LOG_WARN,
		    "smtp: stopping: '%s' not sent, it stays in the "
		    "outbox",
		    s->q[i].path);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	curl_global_cleanup();
	relay_fini(s);
	free(s);
}
