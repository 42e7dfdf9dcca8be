/*
 * serve.c - `agora serve`: the web comparator and its JSON API, until
 * SIGTERM or SIGINT, then a graceful stop.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "web.h"

static void free_secret(char *s)
{
	if (s)
		sodium_memzero(s, strlen(s));
	free(s);
}

/*
 * The relay's credentials, never from the command line (the process
 * list shows it): AGORA_SMTP_CREDENTIALS="USER:PASSWORD", or the first
 * line of --smtp-credentials FILE, a file that only its owner may read.
 * *buf receives the copy that cfg's user and password point into.
 */
static int smtp_options(struct web_config *cfg, const char *file, char **buf)
{
	const char *env = getenv("AGORA_SMTP_CREDENTIALS");
	struct agora_error err = {0};
	struct stat st;
	char line[1024], *colon;
	FILE *f;
	int tls;

	*buf = NULL;
	if (!cfg->smtp_relay) {
		if (file)
			return cli_usage_error("serve", "--smtp-credentials "
							"needs --smtp-relay");
		return 0;
	}
	if (smtp_url_check(cfg->smtp_relay, &tls, &err))
		return cli_usage_error("serve", "%s", err.msg);
	if (file) {
		if (!(f = fopen(file, "r")) || fstat(fileno(f), &st)) {
			fprintf(stderr, "agora serve: cannot read '%s': %s\n",
				file, strerror(errno));
			if (f)
				fclose(f);
			return EXIT_USAGE;
		}
		if (st.st_mode & 077) {
			fclose(f);
			return cli_usage_error("serve",
					       "'%s' holds a password: make it "
					       "readable by its owner only "
					       "(chmod 600)",
					       file);
		}
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		*buf = strdup(line);
		sodium_memzero(line, sizeof(line));
	} else if (env && *env) {
		*buf = strdup(env);
	} else {
		return 0;
	}
	if (!*buf) {
		fprintf(stderr, "agora: out of memory\n");
		return EXIT_CHECK;
	}
	if (!(colon = strchr(*buf, ':')) || colon == *buf) {
		free_secret(*buf);
		*buf = NULL;
		return cli_usage_error("serve",
				       "SMTP credentials are USER:PASSWORD "
				       "(%s)",
				       file ? file : "AGORA_SMTP_CREDENTIALS");
	}
	*colon = '\0';
	cfg->smtp_user = *buf;
	cfg->smtp_password = colon + 1;
	return 0;
}

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
		{"smtp-credentials", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct web_config cfg = {0};
	struct agora_error err = {0};
	struct web_server *s;
	char *outbox = NULL, *creds = NULL;
	const char *creds_file = NULL;
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
			cfg.smtp_relay = optarg;
			break;
		case 'c':
			creds_file = optarg;
			break;
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
	if ((ch = smtp_options(&cfg, creds_file, &creds))) {
		free(outbox);
		return ch;
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
		free_secret(creds);
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
	free_secret(creds);
	return EXIT_OK;
}
