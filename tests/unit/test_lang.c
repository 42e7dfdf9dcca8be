/*
 * test_lang.c - the pages' languages (web/lang.c): Accept-Language with
 * its weights, numbers and dates in each locale and without one, and the
 * catalogs found or missing. The tests that need fr_FR.UTF-8 or
 * en_GB.UTF-8 skip, saying so, when the locale is not installed
 * (tools/deps.sh generates both).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "web_int.h"

static const int both[LANG__MAX] = {1, 1};
static const int french_only[LANG__MAX] = {1, 0};

static void test_accept_language(void **state)
{
	static const struct {
		const char *header;
		int want;
	} cases[] = {
		{NULL, -1},
		{"", -1},
		{"fr", LANG_FR},
		{"en", LANG_EN},
		{"EN-gb", LANG_EN},
		{"fr-CA", LANG_FR},
		{"en-GB,en;q=0.8", LANG_EN},
		/* the highest weight, wherever it is listed */
		{"en;q=0.5, fr;q=0.8", LANG_FR},
		{"fr;q=0.2, en", LANG_EN},
		{"de, en-US;q=0.3", LANG_EN},
		/* equal weights: the first listed */
		{"fr;q=0.5, en;q=0.5", LANG_FR},
		{"en;q=0.5, fr;q=0.5", LANG_EN},
		/* q=0 refuses; another language not refused will do */
		{"fr;q=0", LANG_EN},
		{"en;q=0", LANG_FR},
		{"fr;q=0.000, de", LANG_EN},
		{"*;q=0", -1},
		/* "*" for the languages not named, below the named ones */
		{"*", LANG_FR},
		{"*;q=0.5, fr;q=0.1", LANG_EN},
		{"de-DE, *;q=0.1, en;q=0.05", LANG_FR},
		{"en, *;q=0", LANG_EN},
		/* the more specific range decides */
		{"fr;q=0.1, fr-CA;q=0.9, en;q=0.5", LANG_EN},
		{"en-GB;q=0.9, en;q=0.1, fr;q=0.5", LANG_FR},
		/* malformed elements are ignored, the rest counts */
		{"fr;q=1.5, en;q=0.5", LANG_EN},
		{"fr;q=0.0001, en;q=0.5", LANG_EN},
		{"fr;q=-1, en;q=0.5", LANG_EN},
		{"fr;x=1, en;q=0.5", LANG_EN},
		{"fr ;q = 1, en;q=0.5", LANG_EN},
		{"f1, en;q=0.1", LANG_EN},
		{"frenchfries, en;q=0.1", LANG_EN},
		{"en-, fr;q=0.1", LANG_FR},
		{"en-abcdefghi, fr;q=0.1", LANG_FR},
		{",,, ;q=1, en", LANG_EN},
		{"fr;q=1.000, en", LANG_FR},
		{"fr;q=1.001, en;q=0.9", LANG_EN},
		{"en ; q=0.9 , fr ; q=0.95", LANG_FR},
		{"en;Q=0.9, fr;q=0.8", LANG_EN},
		/* languages we do not have */
		{"de", LANG_FR},
		{"de, fr;q=0", LANG_EN},
		{"english", LANG_FR}, /* a valid tag, not ours */
		{"englishes", -1},    /* nine letters: not a tag */
		{"en_GB", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = lang_accept(cases[i].header, both);

		if (got != cases[i].want)
			fail_msg("'%s': %d, want %d",
				 cases[i].header ? cases[i].header : "(null)",
				 got, cases[i].want);
	}
	/* only what the server can render */
	assert_int_equal(lang_accept("en", french_only), LANG_FR);
	assert_int_equal(lang_accept("en, fr;q=0", french_only), -1);
	assert_int_equal(lang_accept("en, fr;q=0.1", french_only), LANG_FR);
	assert_int_equal(lang_accept("de", french_only), LANG_FR);
}

static locale_t need_locale(const char *name)
{
	locale_t loc = newlocale(LC_ALL_MASK, name, (locale_t)0);

	if (!loc)
		printf("# SKIP: locale %s is not installed (tools/deps.sh "
		       "generates it)\n",
		       name);
	return loc;
}

static void test_numbers(void **state)
{
	char buf[LANG_NUM_MAX];
	locale_t fr, en;

	(void)state;
	lang_format_number((locale_t)0, 1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1234567");
	lang_format_number((locale_t)0, -42, buf, sizeof(buf));
	assert_string_equal(buf, "-42");
	if (!(fr = need_locale("fr_FR.UTF-8")))
		skip();
	lang_format_number(fr, 1234, buf, sizeof(buf));
	assert_string_equal(buf, "1\u202f234");
	lang_format_number(fr, 999, buf, sizeof(buf));
	assert_string_equal(buf, "999");
	lang_format_number(fr, 1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1\u202f234\u202f567");
	lang_format_number(fr, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	freelocale(fr);
	if (!(en = need_locale("en_GB.UTF-8")))
		skip();
	lang_format_number(en, 1234, buf, sizeof(buf));
	assert_string_equal(buf, "1,234");
	lang_format_number(en, 1234567, buf, sizeof(buf));
	assert_string_equal(buf, "1,234,567");
	freelocale(en);
	/* the thread is back in "C": no grouping leaks out */
	snprintf(buf, sizeof(buf), "%.1f", 1.5);
	assert_string_equal(buf, "1.5");
}

static void test_dates(void **state)
{
	char buf[128];
	locale_t fr, en;

	(void)state;
	/* no locale: the date as stored */
	lang_format_date((locale_t)0, "%-d %B %Y", "1er %B %Y", "2027-04-22",
			 buf, sizeof(buf));
	assert_string_equal(buf, "2027-04-22");
	lang_format_date((locale_t)0, "%-d %B %Y", "1er %B %Y",
			 "2026-11-29T03:00:00Z", buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29");
	/* not a date: shown as it is */
	lang_format_date((locale_t)0, "%-d %B %Y", "1er %B %Y", "bientôt", buf,
			 sizeof(buf));
	assert_string_equal(buf, "bientôt");
	if (!(fr = need_locale("fr_FR.UTF-8")))
		skip();
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2027-04-22", buf,
			 sizeof(buf));
	assert_string_equal(buf, "22 avril 2027");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2026-02-01T10:00:00Z",
			 buf, sizeof(buf));
	assert_string_equal(buf, "1er février 2026");
	lang_format_date(fr, "%A %-d %B %Y", "", "2027-04-22", buf,
			 sizeof(buf));
	assert_string_equal(buf, "jeudi 22 avril 2027");
	/* impossible days and malformed dates are not dates */
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2027-02-29", buf,
			 sizeof(buf));
	assert_string_equal(buf, "2027-02-29");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2028-02-29", buf,
			 sizeof(buf));
	assert_string_equal(buf, "29 février 2028");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2027-13-01", buf,
			 sizeof(buf));
	assert_string_equal(buf, "2027-13-01");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2027-4-22", buf,
			 sizeof(buf));
	assert_string_equal(buf, "2027-4-22");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "2027-04-22x", buf,
			 sizeof(buf));
	assert_string_equal(buf, "2027-04-22x");
	lang_format_date(fr, "%-d %B %Y", "1er %B %Y", "", buf, sizeof(buf));
	assert_string_equal(buf, "");
	freelocale(fr);
	if (!(en = need_locale("en_GB.UTF-8")))
		skip();
	lang_format_date(en, "%-d %B %Y", "1 %B %Y", "2027-04-22", buf,
			 sizeof(buf));
	assert_string_equal(buf, "22 April 2027");
	lang_format_date(en, "%-d %B %Y", "1 %B %Y", "2027-05-01", buf,
			 sizeof(buf));
	assert_string_equal(buf, "1 May 2027");
	freelocale(en);
}

/*
 * The catalogs, as the server finds them: this test runs from the build
 * tree, so po/'s compiled catalog is used; AGORA_LOCALEDIR elsewhere
 * makes English unavailable. French is there whatever happens.
 */
static void test_catalogs(void **state)
{
	struct web_i18n t;
	struct web_req r = {0};

	(void)state;
	setenv("AGORA_LOCALEDIR", "/nonexistent", 1);
	web_i18n_init(&t);
	unsetenv("AGORA_LOCALEDIR");
	assert_true(t.avail[LANG_FR]);
	assert_false(t.avail[LANG_EN]);
	r.i18n = &t;
	r.lang = LANG_FR;
	assert_string_equal(tr(&r, "Accueil"), "Accueil");
	/* the msgids' plural rule is French's: 0 and 1 are singular */
	assert_string_equal(tr_n(&r, "%s candidat", "%s candidats", 0),
			    "%s candidat");
	assert_string_equal(tr_n(&r, "%s candidat", "%s candidats", 2),
			    "%s candidats");
	web_i18n_fini(&t);

	web_i18n_init(&t);
	assert_true(t.avail[LANG_FR]);
	if (!t.loc[LANG_EN]) {
		printf("# SKIP: no English locale\n");
		web_i18n_fini(&t);
		skip();
	}
	assert_true(t.avail[LANG_EN]);
	r.i18n = &t;
	r.lang = LANG_EN;
	assert_string_equal(tr(&r, "Accueil"), "Home");
	assert_string_equal(
		tr(&r, "Aucune proposition sur ce thème dans le programme"),
		"No proposal on this theme in the programme");
	assert_string_equal(tr_n(&r, "%s candidat", "%s candidats", 0),
			    "%s candidates");
	assert_string_equal(tr_n(&r, "%s candidat", "%s candidats", 1),
			    "%s candidate");
	/* not in the catalog: the msgid */
	assert_string_equal(tr(&r, "pas traduit"), "pas traduit");
	r.lang = LANG_FR;
	assert_string_equal(tr(&r, "Accueil"), "Accueil");
	assert_string_equal(
		tr(&r, "Aucune proposition sur ce thème dans le programme"),
		"Aucune proposition sur ce thème dans le programme");
	web_i18n_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_language),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_catalogs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
