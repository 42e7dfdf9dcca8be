/*
 * lang.c - the languages of the pages: which ones this server can render
 * (a locale and a catalog each), which one a request asks for
 * (Accept-Language with its weights), and a request's texts, dates and
 * numbers in its language.
 *
 * The texts are gettext msgids in French with a catalog per other
 * language (po/en.po): French is the default and the programmes' own
 * language, so a server without any catalog or locale still speaks it.
 *
 * Each request is rendered in its own language on a threaded server, so
 * nothing here calls setlocale(). A locale object per language is made
 * once at start-up (newlocale) and lent to one call at a time with
 * uselocale(), which changes the calling thread's locale only; glibc's
 * dgettext() and printf's ' flag read the thread's locale, strftime_l()
 * takes it as an argument. After each call the thread is back in the
 * "C" locale, so that JSON, metrics and logs never get a decimal comma.
 */
#include <ctype.h>
#include <libintl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "web_int.h"

#define TEXT_DOMAIN "agora"

static const struct {
	const char *code, *name;
	/* tried in turn by newlocale(): the first one installed is used */
	const char *locales[3];
} langs[LANG__MAX] = {
	[LANG_FR] = {"fr", "Français", {"fr_FR.UTF-8", "fr_BE.UTF-8", NULL}},
	[LANG_EN] = {"en", "English", {"en_GB.UTF-8", "en_US.UTF-8", NULL}},
};

/* the locales tried for each language, at most */
#define NLOCALES ((int)(sizeof(langs[0].locales) / sizeof(*langs[0].locales)))

/* The msgids' language: rendered even without its catalog or locale */
#define LANG_SOURCE LANG_FR

const char *web_lang_code(int lang)
{
	return langs[lang].code;
}

const char *web_lang_name(int lang)
{
	return langs[lang].name;
}

int web_lang_find(const char *code)
{
	int i;

	for (i = 0; i < LANG__MAX; i++)
		if (!strcasecmp(code, langs[i].code))
			return i;
	return -1;
}

/* ------------------------------------------------------------ start-up */

/*
 * AGORA_LOCALEDIR when set; else the build tree's po/ when this program
 * lies in the build tree it was built in (tests, ./run), so that a stale
 * installed catalog is never picked up there; else the installed
 * directory (meson's localedir).
 */
static void find_localedir(char *out, size_t size)
{
	const char *env = getenv("AGORA_LOCALEDIR");
	char exe[PATH_MAX], root[PATH_MAX];
	ssize_t n;
	size_t k;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && realpath(AGORA_BUILD_ROOT, root)) {
		exe[n] = '\0';
		k = strlen(root);
		if (!strncmp(exe, root, k) && exe[k] == '/') {
			snprintf(out, size, "%s", AGORA_BUILD_LOCALEDIR);
			return;
		}
	}
	snprintf(out, size, "%s", AGORA_LOCALEDIR);
}

void web_i18n_init(struct web_i18n *t)
{
	/* not a literal, which xgettext would take for a text to translate */
	static const char header_msgid[] = "";
	locale_t old;
	const char *header;
	int i, k;

	memset(t, 0, sizeof(*t));
	find_localedir(t->localedir, sizeof(t->localedir));
	/*
	 * glibc's gettext prefers $LANGUAGE to the thread's locale: left
	 * set, it would give every page the same language. This runs
	 * before the server's threads start, so changing the environment
	 * races with nobody.
	 */
	if (getenv("LANGUAGE"))
		unsetenv("LANGUAGE");
	/* process-wide, and the same values every time */
	bindtextdomain(TEXT_DOMAIN, t->localedir);
	bind_textdomain_codeset(TEXT_DOMAIN, "UTF-8");
	for (i = 0; i < LANG__MAX; i++) {
		for (k = 0; !t->loc[i] && k < NLOCALES && langs[i].locales[k];
		     k++)
			t->loc[i] = newlocale(LC_ALL_MASK, langs[i].locales[k],
					      (locale_t)0);
		if (!t->loc[i]) {
			LOG(LOG_WARN, "locale %s is not installed: %s",
			    langs[i].locales[0],
			    i == LANG_SOURCE
				    ? "French pages get ISO dates and "
				      "ungrouped numbers"
				    : "no pages in that language (run "
				      "tools/deps.sh's locale-gen, or see "
				      "the README)");
			t->avail[i] = i == LANG_SOURCE;
			continue;
		}
		if (i == LANG_SOURCE) {
			t->avail[i] = 1;
			continue;
		}
		/* the catalog's header entry is the msgid "": empty when no
		 * catalog was found for this locale */
		old = uselocale(t->loc[i]);
		header = dgettext(TEXT_DOMAIN, header_msgid);
		uselocale(old);
		t->avail[i] = *header != '\0';
		if (!t->avail[i])
			LOG(LOG_WARN,
			    "no catalog %s/%s/LC_MESSAGES/" TEXT_DOMAIN
			    ".mo: no pages in that language",
			    t->localedir, langs[i].code);
	}
}

void web_i18n_fini(struct web_i18n *t)
{
	int i;

	for (i = 0; i < LANG__MAX; i++)
		if (t->loc[i])
			freelocale(t->loc[i]);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------- translations */

static locale_t req_locale(const struct web_req *r)
{
	return r->i18n ? r->i18n->loc[r->lang] : (locale_t)0;
}

const char *tr(const struct web_req *r, const char *msgid)
{
	locale_t loc = req_locale(r), old;
	const char *s;

	if (!loc)
		return msgid;
	old = uselocale(loc);
	s = dgettext(TEXT_DOMAIN, msgid);
	uselocale(old);
	return s;
}

const char *tr_n(const struct web_req *r, const char *one, const char *many,
		 unsigned long long n)
{
	locale_t loc = req_locale(r), old;
	const char *s;

	/* gettext's own fallback is English's rule (n == 1); the msgids
	 * are French, where 0 is singular too */
	if (!loc)
		return n > 1 ? many : one;
	old = uselocale(loc);
	s = dngettext(TEXT_DOMAIN, one, many,
		      n > ULONG_MAX ? ULONG_MAX : (unsigned long)n);
	uselocale(old);
	/* untranslated, gettext applies n == 1: keep the French rule */
	if (s == one || s == many)
		return n > 1 ? many : one;
	return s;
}

const char *theme_label(const struct web_req *r, const struct theme_coverage *t)
{
	return r->lang == LANG_EN && *t->label_en ? t->label_en : t->label_fr;
}

/* ------------------------------------------------------- Accept-Language */

/* How a range matches a language: the higher, the more specific */
enum { MATCH_NONE, MATCH_ANY, MATCH_PREFIX, MATCH_EXACT };

/*
 * A qvalue, "0", "0.5", "1.000" (RFC 9110 12.4.2), in thousandths, or
 * -1 when malformed.
 */
static int parse_qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q <= 1000 ? q : -1;
}

/* 1*8ALPHA *("-" 1*8alphanum), or "*" */
static int range_valid(const char *s, size_t n)
{
	size_t i, run = 0;

	if (n == 1 && s[0] == '*')
		return 1;
	for (i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (run == 0 || i == 0)
				return 0;
			run = 0;
		} else if (isalpha((unsigned char)s[i]) ||
			   (isdigit((unsigned char)s[i]) &&
			    memchr(s, '-', i) != NULL)) {
			if (++run > 8)
				return 0;
		} else {
			return 0;
		}
	}
	return run > 0;
}

static int range_match(const char *s, size_t n, const char *code)
{
	size_t k = strlen(code);

	if (n == 1 && s[0] == '*')
		return MATCH_ANY;
	if (n < k || strncasecmp(s, code, k))
		return MATCH_NONE;
	if (n == k)
		return MATCH_EXACT;
	return s[k] == '-' ? MATCH_PREFIX : MATCH_NONE;
}

/*
 * Splits one element, "en-GB ; q=0.8", into its range and weight; 0, or
 * -1 when it is malformed (then it is ignored, as if absent).
 */
static int parse_element(const char *p, const char *e, const char **range,
			 size_t *rn, int *q)
{
	const char *s;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	for (s = p; s < e && *s != ';' && *s != ' ' && *s != '\t'; s++)
		;
	*range = p;
	*rn = (size_t)(s - p);
	*q = 1000;
	if (!range_valid(p, *rn))
		return -1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s == e)
		return 0;
	if (*s++ != ';')
		return -1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (e - s < 2 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=')
		return -1;
	*q = parse_qvalue(s + 2, (size_t)(e - s - 2));
	return *q < 0 ? -1 : 0;
}

int lang_accept(const char *header, const int avail[LANG__MAX])
{
	int match[LANG__MAX] = {0}, q[LANG__MAX] = {0}, pos[LANG__MAX] = {0};
	const char *p, *e, *range;
	size_t rn;
	int i, m, w, valid = 0, best = -1;

	if (!header)
		return -1;
	for (p = header; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (parse_element(p, e, &range, &rn, &w))
			continue;
		valid++;
		for (i = 0; i < LANG__MAX; i++) {
			m = range_match(range, rn, langs[i].code);
			/* a more specific range decides; among equals, the
			 * highest weight, the first listed */
			if (m == MATCH_NONE || m < match[i] ||
			    (m == match[i] && w <= q[i]))
				continue;
			match[i] = m;
			q[i] = w;
			pos[i] = valid;
		}
	}
	for (i = 0; i < LANG__MAX; i++) {
		if (!avail[i] || !match[i] || q[i] == 0)
			continue;
		if (best < 0 || q[i] > q[best] ||
		    (q[i] == q[best] && pos[i] < pos[best]))
			best = i;
	}
	if (best >= 0 || !valid)
		return best;
	/* nothing asked for is here: any language not refused will do */
	for (i = 0; i < LANG__MAX; i++)
		if (avail[i] && !match[i])
			return i;
	return -1;
}

/* ---------------------------------------------------- dates and numbers */

void lang_format_number(locale_t loc, long long n, char *buf, size_t size)
{
	locale_t old;

	if (!loc) {
		snprintf(buf, size, "%lld", n);
		return;
	}
	old = uselocale(loc);
	/* the ' flag (group digits as the locale says) is POSIX, not ISO
	 * C, which -Wpedantic's format check reports */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	snprintf(buf, size, "%'lld", n);
#pragma GCC diagnostic pop
	uselocale(old);
}

static int two_digits(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1])
		       ? (s[0] - '0') * 10 + s[1] - '0'
		       : -1;
}

/* "YYYY-MM-DD" followed by the end, 'T' or ' ': a real calendar day */
static int parse_iso_date(const char *s, struct tm *tm)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int c, y, m, d;

	if ((c = two_digits(s)) < 0 || (y = two_digits(s + 2)) < 0 ||
	    s[4] != '-' || (m = two_digits(s + 5)) < 0 || s[7] != '-' ||
	    (d = two_digits(s + 8)) < 0 ||
	    (s[10] && s[10] != 'T' && s[10] != ' '))
		return -1;
	y += c * 100;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = 12;
	/* the weekday and the day of the year, for a format that wants
	 * them */
	if (timegm(tm) == (time_t)-1)
		return -1;
	return 0;
}

void lang_format_date(locale_t loc, const char *fmt, const char *fmt_first,
		      const char *iso, char *buf, size_t size)
{
	struct tm tm;

	if (parse_iso_date(iso, &tm)) {
		snprintf(buf, size, "%s", iso);
		return;
	}
	if (loc && strftime_l(buf, size, tm.tm_mday == 1 ? fmt_first : fmt, &tm,
			      loc) > 0)
		return;
	snprintf(buf, size, "%.10s", iso);
}

const char *web_num(const struct web_req *r, long long n,
		    char buf[LANG_NUM_MAX])
{
	lang_format_number(req_locale(r), n, buf, LANG_NUM_MAX);
	return buf;
}

void html_number(struct web_req *r, long long n)
{
	char buf[LANG_NUM_MAX];

	html_text(&r->body, web_num(r, n, buf));
}

void html_date(struct web_req *r, const char *iso)
{
	struct sb *b = &r->body;
	const char *fmt, *first;
	struct tm tm;
	char buf[128];

	if (!*iso)
		return;
	/* TRANSLATORS: how a date is written, a strftime(3) format with
	   the locale's month names: "22 avril 2027", "22 April 2027" */
	/* xgettext:no-c-format */
	fmt = tr(r, "%-d %B %Y");
	/* TRANSLATORS: the same for the first day of a month: "1er avril
	   2027" in French, "1 April 2027" in English */
	/* xgettext:no-c-format */
	first = tr(r, "1er %B %Y");
	lang_format_date(req_locale(r), fmt, first, iso, buf, sizeof(buf));
	if (parse_iso_date(iso, &tm)) {
		html_text(b, buf);
		return;
	}
	html_raw(b, "<time datetime=\"");
	html_attr(b, iso);
	html_raw(b, "\">");
	html_text(b, buf);
	html_raw(b, "</time>");
}

void html_textf(struct sb *b, const char *fmt, ...)
{
	struct sb tmp;
	va_list ap;

	sb_init(&tmp, b->max);
	va_start(ap, fmt);
	sb_vprintf(&tmp, fmt, ap);
	va_end(ap);
	if (sb_error(&tmp) && !b->err)
		b->err = sb_error(&tmp);
	else
		html_textn(b, tmp.buf, tmp.len);
	sb_fini(&tmp);
}
