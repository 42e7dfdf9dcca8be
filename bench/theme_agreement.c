/*
 * theme_agreement.c - how often the text rules agree with the candidates'
 * own filing of their proposals.
 *
 * usage: theme_agreement [-v] CSV...
 *
 * For each CSV of labelled proposals (the French 2017 campaign sites),
 * suggests themes from the text alone (no heading, no label) and compares
 * with the theme that the candidate's label maps to. Prints, per file:
 * rows, labelled rows, rows whose label maps to a theme, agreement (top
 * suggestion is the label's theme), agreement@any (the label's theme is
 * among the suggestions), the untagged rate and the mean number of
 * suggestions. With -v, each disagreement is printed too, for tuning the
 * tables by looking at real sentences rather than at single words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define SUGG_MAX 4

static int read_all(const char *path, struct sb *out)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return AGORA_EIO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(out, buf, n);
	fclose(f);
	return sb_error(out);
}

static int one_file(const struct theme_rules *r, struct fr_stemmer *st,
		    const char *path, int verbose)
{
	struct theme_suggestion sg[SUGG_MAX];
	struct agora_error err = {0};
	struct ingest_doc doc;
	struct sb data;
	size_t i, k, ns, rows = 0, labelled = 0, mapped = 0, top = 0, any = 0,
			 untagged = 0, nsugg = 0;
	const char *name, *want;
	int rc;

	sb_init(&data, 0);
	ingest_doc_init(&doc);
	if ((rc = read_all(path, &data))) {
		fprintf(stderr, "theme_agreement: cannot read '%s'\n", path);
		goto out;
	}
	if ((rc = ingest_extract_csv(data.buf, data.len, NULL, &doc, &err))) {
		fprintf(stderr, "theme_agreement: %s: %s\n", path, err.msg);
		goto out;
	}
	for (i = 0; i < doc.nblocks; i++) {
		const struct ingest_block *b = &doc.blocks[i];

		rows++;
		ns = theme_suggest(r, st, "", NULL, doc.text.buf + b->start,
				   b->end - b->start, sg, SUGG_MAX);
		nsugg += ns;
		if (!ns)
			untagged++;
		if (!b->label)
			continue;
		labelled++;
		want = theme_map_label(r, b->label);
		if (!want)
			continue;
		mapped++;
		if (ns && !strcmp(sg[0].theme, want))
			top++;
		for (k = 0; k < ns; k++)
			if (!strcmp(sg[k].theme, want))
				break;
		if (k < ns)
			any++;
		else if (verbose)
			printf("  want %-28s got %-28s | %.100s\n", want,
			       ns ? sg[0].theme : "-", doc.text.buf + b->start);
	}
	name = strrchr(path, '/');
	name = name ? name + 1 : path;
	printf("%-24s rows %4zu  labelled %4zu  mapped %4zu  agreement "
	       "%5.1f%%  @any %5.1f%%  untagged %5.1f%%  suggestions/row "
	       "%.2f\n",
	       name, rows, labelled, mapped,
	       mapped ? 100.0 * (double)top / (double)mapped : 0.0,
	       mapped ? 100.0 * (double)any / (double)mapped : 0.0,
	       rows ? 100.0 * (double)untagged / (double)rows : 0.0,
	       rows ? (double)nsugg / (double)rows : 0.0);
out:
	ingest_doc_fini(&doc);
	sb_fini(&data);
	return rc;
}

int main(int argc, char **argv)
{
	struct agora_error err = {0};
	struct theme_rules *r = NULL;
	struct fr_stemmer *st = NULL;
	int i, verbose = 0, status = 0;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: theme_agreement [-v] CSV...\n");
		return 2;
	}
	if (theme_rules_load(&r, &err)) {
		fprintf(stderr, "theme_agreement: %s\n", err.msg);
		return 1;
	}
	st = fr_stemmer_new();
	if (!st) {
		fprintf(stderr, "theme_agreement: cannot create the stemmer\n");
		theme_rules_free(r);
		return 1;
	}
	for (i = 1; i < argc; i++)
		if (one_file(r, st, argv[i], verbose))
			status = 1;
	fr_stemmer_free(st);
	theme_rules_free(r);
	return status;
}
