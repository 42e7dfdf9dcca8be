/*
 * export.c - `agora export`: an election as open data, JSON or CSV, to
 * stdout or to a file that appears whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"

struct out_file {
	FILE *f;
	int errnum; /* errno of the first failed write */
};

/* The export's write callback: to a stdio stream */
static int write_file(void *ctx, const char *p, size_t n)
{
	struct out_file *o = ctx;

	if (fwrite(p, 1, n, o->f) == n)
		return 0;
	o->errnum = errno ? errno : EIO;
	return AGORA_EIO;
}

/*
 * With --out, the export goes to "FILE.tmp-PID" and is renamed over
 * FILE only once complete and flushed: a failed export never leaves a
 * truncated file where a script expects a whole one.
 */
static int export_to(struct agora_db *db, const char *election,
		     enum export_format fmt, const char *path,
		     struct agora_error *err)
{
	struct out_file o = {stdout, 0};
	char tmp[4096];
	int rc, fd = -1;

	if (path) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path,
			     (long)getpid()) >= (int)sizeof(tmp))
			return agora_errorf(err, AGORA_EINVAL,
					    "the file name '%.200s...' is too "
					    "long",
					    path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 || !(o.f = fdopen(fd, "w"))) {
			rc = agora_errorf(err, AGORA_EIO,
					  "cannot create '%s': %s", tmp,
					  strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			return rc;
		}
	}
	errno = 0;
	rc = compare_export(db, election, fmt, write_file, &o, err);
	if (!rc && fflush(o.f)) {
		o.errnum = errno ? errno : EIO;
		rc = AGORA_EIO;
	}
	if (rc == AGORA_EIO && o.errnum && path)
		agora_errorf(err, AGORA_EIO, "cannot write '%s': %s", tmp,
			     strerror(o.errnum));
	else if (rc == AGORA_EIO && o.errnum)
		agora_errorf(err, AGORA_EIO,
			     "cannot write the standard output: %s",
			     strerror(o.errnum));
	if (!path)
		return rc;
	if (!rc && fsync(fileno(o.f)))
		rc = agora_errorf(err, AGORA_EIO, "cannot write '%s': %s", tmp,
				  strerror(errno));
	if (fclose(o.f) && !rc)
		rc = agora_errorf(err, AGORA_EIO, "cannot write '%s': %s", tmp,
				  strerror(errno));
	if (!rc && rename(tmp, path))
		rc = agora_errorf(err, AGORA_EIO,
				  "cannot rename '%s' to '%s': %s", tmp, path,
				  strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"election", required_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'f'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct agora_error err = {0};
	enum export_format fmt = EXPORT_JSON;
	const char *election = NULL, *out = NULL;
	struct agora_db *db;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			election = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				fmt = EXPORT_JSON;
			else if (!strcmp(optarg, "csv"))
				fmt = EXPORT_CSV;
			else if (!strcmp(optarg, "csv-candidates"))
				fmt = EXPORT_CSV_CANDIDATES;
			else if (!strcmp(optarg, "csv-material"))
				fmt = EXPORT_CSV_MATERIAL;
			else
				return cli_usage_error(
					"export",
					"--format is json, csv, "
					"csv-candidates or csv-material, "
					"not '%s'",
					optarg);
			break;
		case 'o':
			out = optarg;
			if (!*out)
				return cli_usage_error("export",
						       "--out needs a file");
			break;
		default:
			return cli_usage_error("export", "bad option");
		}
	}
	if (!election)
		return cli_usage_error("export", "--election is required");
	if (optind != argc)
		return cli_usage_error("export", "unexpected '%s'",
				       argv[optind]);
	if ((rc = cli_open(cli, 0, &db)))
		return rc;
	rc = export_to(db, election, fmt, out, &err);
	db_close(db);
	return rc ? cli_fail(&err) : EXIT_OK;
}
