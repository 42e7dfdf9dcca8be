/*
 * test_textcsv.c - the plain-text and CSV extractors: the blocks a reader
 * would see, offsets that give back the original text verbatim, and clear
 * errors for broken CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest.h"

static int extract(int csv, const char *s, struct ingest_doc *doc,
		   struct agora_error *err)
{
	ingest_doc_init(doc);
	agora_error_clear(err);
	return csv ? ingest_extract_csv(s, strlen(s), NULL, doc, err)
		   : ingest_extract_text(s, strlen(s), NULL, doc, err);
}

/* The block's slice of the extracted text, compared with want */
static void assert_block(const struct ingest_doc *doc, size_t i,
			 enum ingest_block_kind kind, const char *want)
{
	const struct ingest_block *b;

	assert_true(i < doc->nblocks);
	b = &doc->blocks[i];
	if (b->kind != kind || b->end - b->start != strlen(want) ||
	    memcmp(doc->text.buf + b->start, want, strlen(want)))
		fail_msg("block %zu: kind %d '%.*s', want kind %d '%s'", i,
			 b->kind, (int)(b->end - b->start),
			 doc->text.buf + b->start, kind, want);
}

static void test_text_blocks(void **state)
{
	static const char in[] =
		"PROGRAMME POUR VALBRUNE\n"
		"\n"
		"Introduction\n"
		"\n"
		"Nous voulons une ville plus juste, plus verte et\n"
		"plus solidaire pour tous les habitants.\n"
		"\n"
		"Proposition 12 : Créer une maison de santé\n"
		"dans chaque quartier.\n"
		"Proposition n°13 Ouvrir les écoles le samedi.\n"
		"• Rénover les gymnases\n"
		"– Planter des arbres\n"
		"1. Premier point\n"
		"12) Douzième point\n";
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(0, in, &doc, &err), 0);
	assert_int_equal(doc.format, INGEST_TEXT);
	assert_int_equal(doc.text.len, strlen(in));
	assert_memory_equal(doc.text.buf, in, strlen(in));
	assert_int_equal(doc.nblocks, 9);
	assert_block(&doc, 0, IB_HEADING, "PROGRAMME POUR VALBRUNE");
	assert_int_equal(doc.blocks[0].level, 1);
	assert_block(&doc, 1, IB_HEADING, "Introduction");
	assert_int_equal(doc.blocks[1].level, 2);
	assert_block(&doc, 2, IB_PARAGRAPH,
		     "Nous voulons une ville plus juste, plus verte et\n"
		     "plus solidaire pour tous les habitants.");
	assert_block(&doc, 3, IB_ITEM,
		     "Proposition 12 : Créer une maison de santé\n"
		     "dans chaque quartier.");
	assert_block(&doc, 4, IB_ITEM,
		     "Proposition n°13 Ouvrir les écoles le samedi.");
	assert_block(&doc, 5, IB_ITEM, "• Rénover les gymnases");
	assert_block(&doc, 6, IB_ITEM, "– Planter des arbres");
	assert_block(&doc, 7, IB_ITEM, "1. Premier point");
	assert_block(&doc, 8, IB_ITEM, "12) Douzième point");
	ingest_doc_fini(&doc);
}

static void test_text_accented_upper_heading(void **state)
{
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(0,
				 "ÉDUCATION ET SANTÉ\nLe texte suit ici "
				 "sans ligne vide, et continue.\n",
				 &doc, &err),
			 0);
	assert_int_equal(doc.nblocks, 2);
	assert_block(&doc, 0, IB_HEADING, "ÉDUCATION ET SANTÉ");
	assert_block(&doc, 1, IB_PARAGRAPH,
		     "Le texte suit ici sans ligne vide, et continue.");
	ingest_doc_fini(&doc);
}

static void test_text_marker(void **state)
{
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(0,
				 "Mesure 3 :\n\nLe texte de la mesure "
				 "trois, assez long pour une phrase.\n",
				 &doc, &err),
			 0);
	assert_int_equal(doc.nblocks, 2);
	assert_block(&doc, 0, IB_MARKER, "Mesure 3 :");
	assert_block(&doc, 1, IB_MEASURE,
		     "Le texte de la mesure trois, assez long pour une "
		     "phrase.");
	ingest_doc_fini(&doc);
}

static void test_text_pages(void **state)
{
	static const char in[] = "Texte de la page un, une phrase.\n"
				 "- 1 -\n"
				 "\fTexte de la page deux\n"
				 "qui continue ici.\n"
				 "\n"
				 "Page 2\n"
				 "\f3/12\n"
				 "— 3 —\n"
				 "Page 3 commence par ce texte.\n";
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(0, in, &doc, &err), 0);
	assert_int_equal(doc.nblocks, 3);
	assert_block(&doc, 0, IB_PARAGRAPH, "Texte de la page un, une phrase.");
	assert_int_equal(doc.blocks[0].page, 1);
	assert_block(&doc, 1, IB_PARAGRAPH,
		     "Texte de la page deux\nqui continue ici.");
	assert_int_equal(doc.blocks[1].page, 2);
	assert_block(&doc, 2, IB_PARAGRAPH, "Page 3 commence par ce texte.");
	assert_int_equal(doc.blocks[2].page, 3);
	ingest_doc_fini(&doc);
}

static void test_text_bom_crlf(void **state)
{
	static const char in[] =
		"\xef\xbb\xbfPremière ligne d'un paragraphe\r\n"
		"qui continue.\r\n"
		"\r\n"
		"- une puce\r\n";
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(0, in, &doc, &err), 0);
	assert_int_equal(doc.text.len, strlen(in)); /* bytes kept as is */
	assert_int_equal(doc.nblocks, 2);
	assert_int_equal(doc.blocks[0].start, 3);
	assert_block(&doc, 0, IB_PARAGRAPH,
		     "Première ligne d'un paragraphe\r\nqui continue.");
	assert_block(&doc, 1, IB_ITEM, "- une puce");
	ingest_doc_fini(&doc);
}

static void test_text_errors(void **state)
{
	struct ingest_doc doc;
	struct agora_error err;
	struct ingest_limits lim;

	(void)state;
	assert_int_equal(extract(0, " \n\n\t\n", &doc, &err), AGORA_EINVAL);
	ingest_doc_fini(&doc);
	assert_int_equal(extract(0, "abc \xff def", &doc, &err), AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "byte 4"));
	ingest_doc_fini(&doc);
	ingest_limits_default(&lim);
	lim.max_bytes = 4;
	ingest_doc_init(&doc);
	assert_int_equal(ingest_extract_text("hello", 5, &lim, &doc, &err),
			 AGORA_ETOOBIG);
	ingest_doc_fini(&doc);
}

static void test_csv_basic(void **state)
{
	static const char in[] =
		"\"proposition\",\"source\"\n"
		"\"Une \"\"belle\"\" idée.\",\"https://x.fr/projet/sante/\"\n"
		"\"Sur deux\nlignes.\",\"https://x.fr/le-programme/"
		"enseignement-superieur-recherche?a=1#top\"\n"
		"\"  \",\"https://x.fr/vide\"\n"
		"Sans guillemets,https://x.fr/p/%C3%A9galit%C3%A9-femmes\n";
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(1, in, &doc, &err), 0);
	assert_int_equal(doc.format, INGEST_CSV);
	assert_string_equal(doc.text.buf, "Une \"belle\" idée.\n\n"
					  "Sur deux\nlignes.\n\n"
					  "Sans guillemets");
	assert_int_equal(doc.nblocks, 3);
	assert_block(&doc, 0, IB_MEASURE, "Une \"belle\" idée.");
	assert_string_equal(doc.blocks[0].label, "sante");
	assert_block(&doc, 1, IB_MEASURE, "Sur deux\nlignes.");
	assert_string_equal(doc.blocks[1].label,
			    "enseignement-superieur-recherche");
	assert_block(&doc, 2, IB_MEASURE, "Sans guillemets");
	assert_string_equal(doc.blocks[2].label, "égalité-femmes");
	ingest_doc_fini(&doc);
}

static void test_csv_semicolon_label(void **state)
{
	static const char in[] = "Theme;Proposal\r\n"
				 "logement;\"Bâtir; vite\"\r\n"
				 ";Sans label\r\n";
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(1, in, &doc, &err), 0);
	assert_int_equal(doc.nblocks, 2);
	assert_block(&doc, 0, IB_MEASURE, "Bâtir; vite");
	assert_string_equal(doc.blocks[0].label, "logement");
	assert_block(&doc, 1, IB_MEASURE, "Sans label");
	assert_null(doc.blocks[1].label);
	ingest_doc_fini(&doc);
}

static void test_csv_errors(void **state)
{
	struct ingest_doc doc;
	struct agora_error err;

	(void)state;
	assert_int_equal(extract(1,
				 "proposition,source\n\"a\",b\n\"b\",c\n"
				 "\"jamais\nferme,d\n",
				 &doc, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "line 4"));
	ingest_doc_fini(&doc);
	assert_int_equal(extract(1, "titre,source\na,b\n", &doc, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "'proposition'"));
	assert_non_null(strstr(err.msg, "line 1"));
	ingest_doc_fini(&doc);
	assert_int_equal(extract(1, "proposition\n\"a\"x\n", &doc, &err),
			 AGORA_EINVAL);
	assert_non_null(strstr(err.msg, "line 2"));
	ingest_doc_fini(&doc);
	assert_int_equal(extract(1, "proposition\n", &doc, &err), AGORA_EINVAL);
	ingest_doc_fini(&doc);
}

/* A real campaign site's CSV: rows and distinct labels as published */
static void check_corpus(const char *name, size_t rows, size_t labels)
{
	const char *dir = getenv("AGORA_SHARED_CORPUS");
	char path[4096], **seen;
	struct ingest_doc doc;
	struct agora_error err = {0};
	struct sb data;
	size_t i, k, nseen = 0;
	FILE *f;
	char buf[65536];
	size_t n;

	if (!dir) {
		printf("skipped %s: AGORA_SHARED_CORPUS is not set\n", name);
		return;
	}
	snprintf(path, sizeof(path), "%s/fr-2017-sites/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		printf("skipped %s: cannot open '%s'\n", name, path);
		return;
	}
	sb_init(&data, 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&data, buf, n);
	fclose(f);
	ingest_doc_init(&doc);
	assert_int_equal(
		ingest_extract_csv(data.buf, data.len, NULL, &doc, &err), 0);
	assert_int_equal(doc.nblocks, rows);
	seen = calloc(doc.nblocks, sizeof(*seen));
	assert_non_null(seen);
	for (i = 0; i < doc.nblocks; i++) {
		assert_non_null(doc.blocks[i].label);
		for (k = 0; k < nseen; k++)
			if (!strcmp(seen[k], doc.blocks[i].label))
				break;
		if (k == nseen)
			seen[nseen++] = doc.blocks[i].label;
	}
	assert_int_equal(nseen, labels);
	free(seen);
	ingest_doc_fini(&doc);
	sb_fini(&data);
}

static void test_csv_corpus(void **state)
{
	(void)state;
	check_corpus("emmanuel_macron.csv", 598, 36);
	check_corpus("francois_fillon.csv", 556, 39);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_blocks),
		cmocka_unit_test(test_text_accented_upper_heading),
		cmocka_unit_test(test_text_marker),
		cmocka_unit_test(test_text_pages),
		cmocka_unit_test(test_text_bom_crlf),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_csv_basic),
		cmocka_unit_test(test_csv_semicolon_label),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
