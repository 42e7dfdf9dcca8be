/*
 * serve.c - `agora serve`: the web comparator and its JSON API, until
 * SIGTERM or SIGINT, then a graceful stop.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "web.h"

/*
 * The signals are blocked before the server's threads start (they
 * inherit the mask), so only this thread receives them, in sigwait():
 * no handler runs in the middle of a request.
 */
int cmd_serve(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"outbox", required_argument, NULL, 'o'},
		{"base-url", required_argument, NULL, 'b'},
		{"mail-from", required_argument, NULL, 'f'},
		{"smtp-relay", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	struct web_config cfg = {0};
	struct agora_error err = {0};
	struct web_server *s;
	char *outbox = NULL;
	sigset_t set;
	unsigned long n;
	char *end;
	int ch, sig = 0;

	cfg.db_path = cli->db_path;
	cfg.listen = "127.0.0.1:8080";
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 't':
			n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 256)
				return cli_usage_error(
					"serve",
					"--threads is 1 to 256, not '%s'",
					optarg);
			cfg.threads = (unsigned)n;
			break;
		case 'T':
			n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > WEB_MAX_TIMEOUT)
				return cli_usage_error(
					"serve",
					"--timeout is 1 to %d seconds, not '%s'",
					WEB_MAX_TIMEOUT, optarg);
			cfg.timeout = (unsigned)n;
			break;
		case 'o':
			cfg.outbox = optarg;
			break;
		case 'b':
			cfg.base_url = optarg;
			break;
		case 'f':
			cfg.mail_from = optarg;
			break;
		case 's':
			/*
			 * Refused rather than ignored: accepting it would let
			 * an operator believe mail goes out when it does not.
			 */
			return cli_usage_error(
				"serve",
				"--smtp-relay is not implemented yet: mail is "
				"written to --outbox as .eml files for a mail "
				"transfer agent to send (see the README)");
		default:
			return cli_usage_error("serve", "bad option");
		}
	}
	if (!cfg.outbox) {
		if (!(outbox = cli_default_outbox(cli))) {
			fprintf(stderr, "agora: out of memory\n");
			return EXIT_CHECK;
		}
		cfg.outbox = outbox;
	}
	if (optind < argc) {
		free(outbox);
		return cli_usage_error("serve", "unexpected argument '%s'",
				       argv[optind]);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (web_server_start(&cfg, &s, &err)) {
		if (err.code == AGORA_EDB)
			fprintf(stderr,
				"agora: %s\n(is there a database yet? "
				"'./run' or 'agora election add' creates it)\n",
				err.msg);
		else
			fprintf(stderr, "agora: %s\n", err.msg);
		free(outbox);
		return cli_exit_code(err.code);
	}
	printf("agora: serving %s (database %s, outbox %s)\n",
	       web_server_url(s), cli->db_path, cfg.outbox);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	if (!cli->quiet)
		fprintf(stderr, "agora: %s: stopping\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	web_server_stop(s, 10000);
	free(outbox);
	return EXIT_OK;
}
