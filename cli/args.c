/*
 * args.c - what the commands that decide on one item share after their
 * options (`agora moderate`, `agora claims`): two opposite decisions,
 * not both, and one positional id that needs one of them.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"

int cli_parse_id(const struct cli_decide *d, int yes, int no, int argc,
		 char **argv, int64_t *id)
{
	char *end;

	*id = 0;
	if (yes && no)
		return cli_usage_error(d->cmd, "%s or %s, not both", d->yes,
				       d->no);
	if (optind >= argc) {
		if (yes || no)
			return cli_usage_error(d->cmd, "%s", d->which);
		return EXIT_OK;
	}
	*id = strtoll(argv[optind], &end, 10);
	if (*end || *id <= 0 || optind + 1 < argc)
		return cli_usage_error(d->cmd, "'%s' is not %s", argv[optind],
				       d->id_name);
	if (!yes && !no)
		return cli_usage_error(d->cmd, "%s or %s REASON", d->yes,
				       d->no);
	return EXIT_OK;
}
