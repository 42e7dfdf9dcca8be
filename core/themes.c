/*
 * themes.c - the default theme taxonomy, parsed once from the embedded
 * core/data/themes.tsv (group, key, label_fr, label_en; "-" for no group).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define THEME_MAX 64

static struct theme_def themes[THEME_MAX];
static size_t nthemes;
static char *theme_text;
static pthread_once_t theme_once = PTHREAD_ONCE_INIT;

/* Splits the copy of the file in place; leaves nthemes at 0 on error */
static void theme_parse(void)
{
	const struct embedded_file *f = core_data_find("themes.tsv");
	char *line, *next, *field[4];
	size_t n = 0;
	int i;

	if (!f || !(theme_text = strdup(f->data)))
		return;
	line = strchr(theme_text, '\n'); /* skip the header */
	while (line && *++line) {
		next = strchr(line, '\n');
		if (next)
			*next = '\0';
		for (i = 0; i < 4; i++) {
			field[i] = line;
			line = strchr(line, '\t');
			if (!line && i < 3)
				return;
			if (line)
				*line++ = '\0';
		}
		if (n == THEME_MAX)
			return;
		themes[n].parent = strcmp(field[0], "-") ? field[0] : NULL;
		themes[n].key = field[1];
		themes[n].label_fr = field[2];
		themes[n].label_en = field[3];
		n++;
		line = next;
	}
	/* a theme that some other theme names as its parent is a group */
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			if (themes[b].parent &&
			    !strcmp(themes[b].parent, themes[a].key))
				themes[a].is_group = 1;
	nthemes = n;
}

const struct theme_def *theme_taxonomy(size_t *n)
{
	pthread_once(&theme_once, theme_parse);
	*n = nthemes;
	return nthemes ? themes : NULL;
}
