/*
 * test_themes.c - theme suggestions: clear sentences get the theme a
 * reader would give them, whatever the accents and plurals; labels and
 * headings map; nothing is forced on a sentence that says nothing.
 */
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest.h"

struct fixture {
	struct theme_rules *r;
	struct fr_stemmer *st;
};

static int setup(void **state)
{
	static struct fixture fx;
	struct agora_error err = {0};

	if (theme_rules_load(&fx.r, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	fx.st = fr_stemmer_new();
	*state = &fx;
	return fx.st ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	theme_rules_free(fx->r);
	fr_stemmer_free(fx->st);
	return 0;
}

static size_t suggest(void **state, const char *heading, const char *label,
		      const char *text, struct theme_suggestion *out)
{
	struct fixture *fx = *state;

	return theme_suggest(fx->r, fx->st, heading, label, text,
			     text ? strlen(text) : 0, out, 4);
}

/* The top suggestion of a text alone */
static void expect_text(void **state, const char *text, const char *theme)
{
	struct theme_suggestion s[4];
	size_t n = suggest(state, NULL, NULL, text, s);

	if (!n)
		fail_msg("'%s': no suggestion, want %s", text, theme);
	if (strcmp(s[0].theme, theme))
		fail_msg("'%s': got %s, want %s", text, s[0].theme, theme);
	assert_int_equal(s[0].origin, THEME_RULE);
	assert_true(s[0].confidence > 0 && s[0].confidence <= 0.75);
}

static void test_sentences(void **state)
{
	expect_text(state,
		    "Nous porterons l'âge légal de départ à la "
		    "retraite à 65 ans.",
		    "pensions");
	expect_text(state, "Les retraites seront revalorisées.", "pensions");
	expect_text(state, "la retraite sera revalorisee", "pensions");
	expect_text(state,
		    "Nous ouvrirons une maison de santé avec des "
		    "médecins dans chaque canton.",
		    "health");
	expect_text(state,
		    "Construire 100 000 logements sociaux et encadrer "
		    "les loyers.",
		    "housing");
	expect_text(state,
		    "Recruter 10 000 policiers et gendarmes contre la "
		    "délinquance.",
		    "security");
	expect_text(state,
		    "Dédoubler les classes de CP dans les écoles "
		    "des quartiers.",
		    "education");
	expect_text(state,
		    "Sortir du nucléaire et développer les énergies "
		    "renouvelables.",
		    "energy");
	expect_text(state, "Créer 15 000 places de prison.", "justice");
}

static void test_accents_plurals(void **state)
{
	struct theme_suggestion a[4], b[4];
	size_t na, nb;

	na = suggest(state, NULL, NULL, "LES RETRAITÉS ET LES HÔPITAUX", a);
	nb = suggest(state, NULL, NULL, "le retraite et l'hopital", b);
	assert_int_equal(na, nb);
	assert_true(na >= 2);
	assert_string_equal(a[0].theme, b[0].theme);
	assert_string_equal(a[1].theme, b[1].theme);
}

static void test_nothing(void **state)
{
	struct theme_suggestion s[4];

	assert_int_equal(suggest(state, NULL, NULL,
				 "Nous ferons mieux, "
				 "ensemble et demain.",
				 s),
			 0);
	assert_int_equal(suggest(state, "", NULL, "", s), 0);
}

static void test_labels(void **state)
{
	struct fixture *fx = *state;
	struct theme_suggestion s[4];
	size_t n;

	assert_string_equal(theme_map_label(fx->r, "retraites"), "pensions");
	assert_string_equal(
		theme_map_label(fx->r, "enseignement-superieur-recherche"),
		"higher_ed_research");
	assert_string_equal(theme_map_label(fx->r, "%C3%A9galit%C3%A9-"
						   "hommes-et-femmes"),
			    "society_rights");
	assert_string_equal(theme_map_label(fx->r, "égalité-hommes-et-femmes"),
			    "society_rights");
	assert_null(theme_map_label(fx->r, "programme"));
	assert_null(theme_map_label(fx->r, NULL));

	n = suggest(state, NULL, "sante", "Nous ferons mieux.", s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].theme, "health");
	assert_int_equal(s[0].origin, THEME_LABEL);
	assert_true(s[0].confidence >= 0.9);
	assert_string_equal(theme_origin_name(s[0].origin), "label");
}

static void test_headings(void **state)
{
	struct theme_suggestion s[4];
	size_t n;

	n = suggest(state, "Notre projet \xe2\x80\xba Santé", NULL,
		    "Nous ferons mieux.", s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].theme, "health");
	assert_int_equal(s[0].origin, THEME_HEADING);
	assert_string_equal(theme_origin_name(s[0].origin), "heading");

	/* the deepest heading counts most */
	n = suggest(state, "Logement \xe2\x80\xba Transports", NULL,
		    "Nous ferons mieux.", s);
	assert_true(n >= 2);
	assert_string_equal(s[0].theme, "transport");
	assert_string_equal(s[1].theme, "housing");
	assert_true(s[0].confidence > s[1].confidence);

	/* English headings of the UK manifestos */
	n = suggest(state, "Crime and policing", NULL, "We will act.", s);
	assert_true(n >= 1);
	assert_string_equal(s[0].theme, "security");

	/* one theme once, with its best origin */
	n = suggest(state, "Retraites", "retraites",
		    "Les retraites seront revalorisées.", s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].theme, "pensions");
	assert_int_equal(s[0].origin, THEME_LABEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_accents_plurals),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_headings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
