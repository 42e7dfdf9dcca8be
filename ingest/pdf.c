/*
 * pdf.c - PDF programmes through poppler's text extraction (poppler-glib):
 * the text of each page in reading order, pages separated by a form feed,
 * then cut by the plain-text extractor, which keeps the page numbers as
 * provenance. The stored original is the PDF itself; `agora verify`
 * re-extracts it, so the extracted text depends on poppler's version as
 * well as ours (a poppler upgrade that changes the text is reported by
 * verify, never silently accepted).
 *
 * Poppler is not bounded in time or memory: a 300 KB file whose pages
 * all draw one compressed stream of 20 MB of spaces takes half an hour,
 * and a single page can loop or allocate inside poppler where no check
 * of ours runs. So poppler runs in a child process, forked for each
 * document: setrlimit bounds its processor time and address space, the
 * parent kills it at a wall-clock deadline, and whatever poppler does
 * (hang, exhaust memory, crash) ends as a clear error here, never in the
 * server or the command. A deadline checked between pages would not
 * interrupt a page that never ends, nor a decompression bomb.
 *
 * The parent never calls poppler or GLib itself, so no lock of theirs is
 * held by another thread when it forks; the child closes every other
 * descriptor and leaves with _exit. Poppler's warnings ("Syntax Error:
 * ...") go to the child's stderr, a pipe: the first one is quoted in the
 * error when the PDF cannot be read, the others logged at debug level
 * instead of reaching the terminal or the server's log unasked.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <poppler.h>

#include "extract_int.h"

/* Pages of one document: a programme has tens, a hostile file millions */
#define PDF_MAX_PAGES 2000
#define PDF_WARN_KEEP 512 /* bytes of poppler's stderr kept */
#define PDF_READ 16384	  /* bytes read from the child at once */

#if defined(__SANITIZE_ADDRESS__)
#define PDF_NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PDF_NO_AS_LIMIT 1
#endif
#endif

int ingest_is_pdf(const char *p, size_t n)
{
	return n >= 5 && !memcmp(p, "%PDF-", 5);
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The child: extracts and writes one record on fd 1, a status byte ('T'
 * text, 'I' unreadable, 'B' too big) and the text or the message.
 */
static void pdf_child(const char *p, size_t n, const struct ingest_limits *lim)
{
	PopplerDocument *pd;
	GBytes *bytes;
	GError *gerr = NULL;
	struct sb text;
	char status = 'T';
	int i, npages;

	sb_init(&text, lim->max_bytes + 1);
	bytes = g_bytes_new_static(p, n);
	pd = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	if (!pd) {
		status = 'I';
		sb_printf(&text, "cannot read the PDF: %s",
			  gerr && gerr->message ? gerr->message
						: "unknown error");
		goto out;
	}
	npages = poppler_document_get_n_pages(pd);
	if (npages > PDF_MAX_PAGES) {
		status = 'B';
		sb_printf(&text,
			  "the PDF has %d pages, more than the limit of "
			  "%d",
			  npages, PDF_MAX_PAGES);
		goto out;
	}
	for (i = 0; i < npages; i++) {
		PopplerPage *page = poppler_document_get_page(pd, i);
		char *t = page ? poppler_page_get_text(page) : NULL;

		if (i > 0)
			sb_putc(&text, '\f');
		if (t)
			sb_puts(&text, t);
		g_free(t);
		if (page)
			g_object_unref(page);
		if (sb_error(&text)) {
			status = 'B';
			sb_reset(&text);
			sb_printf(&text,
				  "the PDF's text is larger than %zu "
				  "bytes (page %d)",
				  lim->max_bytes, i + 1);
			goto out;
		}
	}
out:
	if (write_all(1, &status, 1) ||
	    write_all(1, text.buf ? text.buf : "", text.len))
		_exit(3);
	_exit(0);
}

/* Starts the child; *out and *errs read its fd 1 and 2 */
static pid_t pdf_spawn(const char *p, size_t n, const struct ingest_limits *lim,
		       int *out, int *errs)
{
	int o[2], e[2];
	pid_t pid;

	if (pipe(o))
		return -1;
	if (pipe(e)) {
		close(o[0]);
		close(o[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		struct rlimit cpu = {lim->pdf_ms / 1000 + 1,
				     lim->pdf_ms / 1000 + 2};

		if (dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
			_exit(3);
		closefrom(3);
		setrlimit(RLIMIT_CPU, &cpu);
#ifndef PDF_NO_AS_LIMIT
		{
			struct rlimit as = {lim->pdf_memory, lim->pdf_memory};

			setrlimit(RLIMIT_AS, &as);
		}
#endif
		pdf_child(p, n, lim);
	}
	close(o[1]);
	close(e[1]);
	if (pid < 0) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	*out = o[0];
	*errs = e[0];
	return pid;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * Reads the child's record into rec and the start of its stderr into
 * warn until both pipes close; 1 when the deadline passed first.
 */
static int pdf_collect(int out, int errs, unsigned ms, struct sb *rec,
		       struct sb *warn)
{
	struct pollfd f[2] = {{out, POLLIN, 0}, {errs, POLLIN, 0}};
	long long deadline = now_ms() + ms, left;
	char buf[PDF_READ];
	ssize_t r;
	int i, k;

	while (f[0].fd >= 0 || f[1].fd >= 0) {
		left = deadline - now_ms();
		if (left <= 0)
			return 1;
		k = poll(f, 2, (int)(left > 60000 ? 60000 : left));
		if (k < 0 && errno != EINTR)
			return 1;
		for (i = 0; k > 0 && i < 2; i++) {
			if (f[i].fd < 0 || !f[i].revents)
				continue;
			r = read(f[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				f[i].fd = -1; /* closed: poll ignores it */
				continue;
			}
			if (i == 0)
				sb_append(rec, buf, (size_t)r);
			else if (warn->len < PDF_WARN_KEEP)
				sb_append(warn, buf, (size_t)r);
		}
	}
	return 0;
}

/* The first line of poppler's warnings, for a message */
static const char *first_warning(struct sb *warn)
{
	char *nl;

	if (!warn->len || sb_error(warn))
		return "";
	nl = memchr(warn->buf, '\n', warn->len);
	if (nl)
		*nl = 0;
	return warn->buf;
}

/* The text of the PDF in text; an error for whatever stopped poppler */
static int pdf_text(const char *p, size_t n, const struct ingest_limits *lim,
		    struct sb *text, struct agora_error *err)
{
	struct sb warn;
	int out = -1, errs = -1, late, status = 0;
	pid_t pid;
	int rc = 0;

	sb_init(&warn, PDF_WARN_KEEP + PDF_READ);
	pid = pdf_spawn(p, n, lim, &out, &errs);
	if (pid < 0) {
		sb_fini(&warn);
		return agora_errorf(err, AGORA_EIO,
				    "cannot start reading the PDF: %s",
				    strerror(errno));
	}
	late = pdf_collect(out, errs, lim->pdf_ms, text, &warn);
	if (late)
		kill(pid, SIGKILL);
	close(out);
	close(errs);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (late) {
		rc = agora_errorf(err, AGORA_ETOOBIG,
				  "the PDF takes more than %u ms to read: "
				  "refused (a hostile or broken file?)",
				  lim->pdf_ms);
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
		rc = agora_errorf(err, AGORA_ETOOBIG,
				  "the PDF needs more than %u s of processor "
				  "time to read: refused",
				  lim->pdf_ms / 1000 + 1);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) ||
		   sb_error(text) || !text->len) {
		rc = agora_errorf(err, AGORA_EINVAL,
				  "cannot read the PDF: poppler stopped (%s "
				  "%d; out of memory past %zu MiB?) %s",
				  WIFSIGNALED(status) ? "signal" : "status",
				  WIFSIGNALED(status) ? WTERMSIG(status)
						      : WEXITSTATUS(status),
				  lim->pdf_memory >> 20, first_warning(&warn));
	} else if (text->buf[0] != 'T') {
		const char *w = first_warning(&warn);

		rc = agora_errorf(
			err, text->buf[0] == 'B' ? AGORA_ETOOBIG : AGORA_EINVAL,
			"%.*s%s%s%s", (int)(text->len - 1), text->buf + 1,
			*w ? " (poppler: " : "", w, *w ? ")" : "");
	} else if (warn.len) {
		LOG(LOG_DEBUG, "poppler warnings on a PDF that was read: %s",
		    first_warning(&warn));
	}
	sb_fini(&warn);
	return rc;
}

int ingest_extract_pdf(const char *p, size_t n, const struct ingest_limits *lim,
		       struct ingest_doc *doc, struct agora_error *err)
{
	struct sb text;
	int rc;

	if (!ingest_is_pdf(p, n))
		return agora_errorf(err, AGORA_EINVAL,
				    "not a PDF: the file does not start with "
				    "'%%PDF-'");
	/* the status byte, the text, and an error message at most */
	sb_init(&text, lim->max_bytes + 1024);
	if (!(rc = pdf_text(p, n, lim, &text, err))) {
		rc = ingest_extract_text(text.buf + 1, text.len - 1, lim, doc,
					 err);
		if (!rc)
			doc->format = INGEST_PDF;
	}
	sb_fini(&text);
	return rc;
}
