/*
 * cli.h - `agora COMMAND`: a thin dispatcher over the module APIs. Each
 * command parses its options, calls a module, renders text or JSON.
 */
#ifndef AGORA_CLI_H
#define AGORA_CLI_H

#include <stdio.h>

#include "core.h"

/* Exit codes, as documented in `agora --help` and the man page */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_CHECK = 1, /* a check failed, or an internal error */
	EXIT_USAGE = 2, /* bad usage or bad input */
};

struct cli {
	const char *db_path;
	int quiet;
};

struct cli_command {
	const char *name;
	const char *summary;
	const char *usage; /* full help for `agora COMMAND --help` */
	int (*run)(struct cli *cli, int argc, char **argv);
};

extern const struct cli_command cli_commands[];

/* Opens the database (creating it for writers), with every module ready */
int cli_open(struct cli *cli, int write, struct agora_db **db);
/* "outbox" in the database's folder, the default outbox; caller frees */
char *cli_default_outbox(const struct cli *cli);
/* Prints "agora: <msg>" and returns the exit code for err->code */
int cli_fail(const struct agora_error *err);
int cli_exit_code(int code);
/* Prints "agora CMD: msg" and a pointer to --help; returns EXIT_USAGE */
int cli_usage_error(const char *cmd, const char *fmt, ...) AGORA_PRINTF(2, 3);
/* Prints the command's usage when argv holds -h/--help; returns 1 then */
int cli_want_help(const char *cmd, int argc, char **argv);

/* A command that decides on one item, as its usage errors name it */
struct cli_decide {
	const char *cmd;      /* "claims" */
	const char *yes, *no; /* "--confirm", "--refuse" (which takes REASON) */
	const char *id_name;  /* "a request id": "'x' is not a request id" */
	const char *which;    /* "which request?": a decision without an id */
};
/*
 * After getopt_long: yes and no say whether each decision was given
 * (not both); argv[optind], if any, is the one positional id, which
 * needs a decision, as a decision needs it. EXIT_OK with *id (0: no id,
 * the command lists), else EXIT_USAGE after the message.
 */
int cli_parse_id(const struct cli_decide *d, int yes, int no, int argc,
		 char **argv, int64_t *id);

int cmd_election(struct cli *cli, int argc, char **argv);
int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
int cmd_mj(struct cli *cli, int argc, char **argv);
int cmd_compare(struct cli *cli, int argc, char **argv);
int cmd_themes(struct cli *cli, int argc, char **argv);
int cmd_candidates(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_primary(struct cli *cli, int argc, char **argv);
int cmd_verify_board(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_moderate(struct cli *cli, int argc, char **argv);
int cmd_claims(struct cli *cli, int argc, char **argv);
int cmd_review(struct cli *cli, int argc, char **argv);

#endif
