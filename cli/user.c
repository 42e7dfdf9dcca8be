/*
 * user.c - `agora user add` and `agora user list`: the first
 * administrator, and accounts made by scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "compare.h"

#define LINK_TTL (3 * 24 * 3600) /* a set-password link from the CLI */

/* Reads one line of at most AUTH_PASSWORD_MAX bytes; -1 at EOF */
static int read_line(FILE *f, char *buf, size_t cap)
{
	size_t n;

	if (!fgets(buf, (int)cap, f))
		return -1;
	n = strlen(buf);
	if (n && buf[n - 1] != '\n' && !feof(f))
		return -2; /* longer than the buffer */
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/* On a terminal: asked twice, without echo; otherwise stdin's 1st line */
static int read_password(char *pw, size_t cap)
{
	struct termios old, quiet;
	char again[AUTH_PASSWORD_MAX + 2];
	int rc, tty = isatty(STDIN_FILENO);

	if (!tty) {
		rc = read_line(stdin, pw, cap);
		if (rc == -1)
			fprintf(stderr, "agora user: no password on the "
					"standard input (or use --link)\n");
		return rc;
	}
	if (tcgetattr(STDIN_FILENO, &old))
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(stderr, "Password: ");
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = read_line(stdin, pw, cap);
	fprintf(stderr, "\nAgain: ");
	if (!rc)
		rc = read_line(stdin, again, sizeof(again));
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	if (!rc && strcmp(pw, again)) {
		fprintf(stderr, "agora user: the passwords differ\n");
		rc = -3;
	}
	sodium_memzero(again, sizeof(again));
	return rc;
}

/* An audit entry for the command line (actor 0) */
static int audit(struct agora_db *db, const char *action, int64_t id, int role,
		 const char *election, const char *candidate,
		 struct agora_error *err)
{
	char object[32];
	struct sb detail;
	int rc;

	snprintf(object, sizeof(object), "user:%lld", (long long)id);
	sb_init(&detail, 1024);
	sb_printf(&detail, "role=%s", auth_role_name(role));
	if (election)
		sb_printf(&detail, " election=%s", election);
	if (candidate)
		sb_printf(&detail, " candidate=%s", candidate);
	rc = sb_error(&detail)
		     ? agora_errorf(err, AGORA_ENOMEM, "out of memory")
		     : auth_audit(db, 0, action, object, detail.buf, err);
	sb_fini(&detail);
	return rc;
}

struct user_add {
	const char *email, *name, *election, *candidate;
	const char *outbox, *base_url, *from;
	int role, link;
};

static int user_add(struct cli *cli, const struct user_add *a)
{
	char pw[AUTH_PASSWORD_MAX + 2], hash[AUTH_PWHASH_BYTES];
	char tok[AUTH_TOKEN_CHARS + 1];
	struct agora_error err = {0};
	struct auth_user u = {0};
	struct agora_db *db = NULL;
	char *email = NULL, *file = NULL;
	struct outbox_msg mail = {0};
	int rc, exists, ret = EXIT_CHECK;
	struct sb body;

	sb_init(&body, 65536);
	hash[0] = '\0';
	if ((rc = auth_email_normalize(a->email, &email, &err)))
		goto fail;
	if ((ret = cli_open(cli, 1, &db)))
		goto out;
	ret = EXIT_CHECK;
	if ((rc = auth_db_prepare(db, &err)))
		goto fail;
	rc = auth_user_by_email(db, email, &u, NULL, &err);
	if (rc && rc != AGORA_ENOTFOUND)
		goto fail;
	exists = !rc;
	auth_user_fini(&u);
	if (a->election) { /* said before a password is asked for */
		struct election_info e;

		if ((rc = election_get(db, a->election, &e, &err)))
			goto fail;
		election_info_fini(&e);
	}
	if (!exists && !a->link) {
		/* the slow hash comes before the write lock is taken */
		if ((rc = read_password(pw, sizeof(pw)))) {
			if (rc == -2)
				fprintf(stderr,
					"agora user: the password is "
					"longer than %d bytes\n",
					AUTH_PASSWORD_MAX);
			ret = EXIT_USAGE;
			goto out;
		}
		rc = auth_password_ok(pw, &err);
		if (!rc)
			rc = auth_password_hash(pw, hash, &err);
		sodium_memzero(pw, sizeof(pw));
		if (rc)
			goto fail;
	}
	if ((rc = db_begin_write(db, &err)))
		goto fail;
	if (exists) {
		rc = auth_user_by_email(db, email, &u, NULL, &err);
	} else {
		/* made by an administrator: the address is taken as verified */
		rc = auth_user_create(db, email, a->name, hash[0] ? hash : NULL,
				      1, &u.id, &err);
	}
	if (!rc && !exists)
		rc = audit(db, "user.create", u.id, ROLE_CITIZEN, NULL, NULL,
			   &err);
	if (!rc && a->role != ROLE_CITIZEN)
		rc = auth_grant(db, u.id, a->role, a->election, a->candidate,
				&err);
	if (!rc && a->role != ROLE_CITIZEN)
		rc = audit(db, "role.grant", u.id, a->role, a->election,
			   a->candidate, &err);
	if (!rc && !exists && a->link) {
		rc = auth_link_create(db, u.id, AUTH_LINK_RESET, time(NULL),
				      LINK_TTL, tok, &err);
		sb_printf(&body,
			  "Bonjour,\n\nUn compte agora a été créé pour cette "
			  "adresse. Choisissez son mot de passe ici (lien "
			  "valable trois jours, une seule fois) :\n\n"
			  "An agora account was made for this address. Choose "
			  "its password here (the link is valid for three "
			  "days, once):\n\n%s%sreset?token=%s\n",
			  a->base_url,
			  a->base_url[strlen(a->base_url) - 1] == '/' ? ""
								      : "/",
			  tok);
		sodium_memzero(tok, sizeof(tok));
		if (!rc && sb_error(&body))
			rc = agora_errorf(&err, AGORA_ENOMEM, "out of memory");
		/* published once the link is committed, never before */
		if (!rc)
			rc = outbox_prepare(a->outbox, a->from, email,
					    "Votre compte agora / Your agora "
					    "account",
					    body.buf, &mail, &err);
	}
	if (!rc)
		rc = db_commit(db, &err);
	if (rc) {
		db_rollback(db);
		goto fail;
	}
	if (mail.tmp) {
		/* committed: a link that cannot be published is said lost */
		if ((rc = outbox_publish(&mail, &err))) {
			fprintf(stderr,
				"agora: account '%s' added, but its "
				"set-password link is lost: %s\n",
				email, err.msg);
			ret = EXIT_CHECK;
			goto out;
		}
		file = mail.path;
		mail.path = NULL;
	}
	if (!cli->quiet) {
		if (exists)
			printf("role %s granted to '%s'\n",
			       auth_role_name(a->role), email);
		else
			printf("account '%s' added (%s)\n", email,
			       auth_role_name(a->role));
		if (file)
			printf("set-password link written to %s\n", file);
	}
	ret = EXIT_OK;
	goto out;
fail:
	ret = cli_fail(&err);
out:
	sodium_memzero(hash, sizeof(hash));
	sodium_memzero(body.buf, body.len);
	sb_fini(&body);
	outbox_discard(&mail); /* a link not committed: nothing is sent */
	auth_user_fini(&u);
	free(email);
	free(file);
	db_close(db);
	return ret;
}

static int user_list(struct cli *cli, int json)
{
	struct auth_user_list l = {0};
	struct agora_error err = {0};
	struct agora_db *db;
	json_t *arr = json ? json_array() : NULL;
	size_t i;
	int rc, bit;

	if ((rc = cli_open(cli, 0, &db))) {
		json_decref(arr);
		return rc;
	}
	if ((rc = auth_db_prepare(db, &err)) ||
	    (rc = auth_user_list(db, &l, &err))) {
		db_close(db);
		json_decref(arr);
		return cli_fail(&err);
	}
	for (i = 0; i < l.n; i++) {
		json_t *roles = json_array();
		struct sb line;

		sb_init(&line, 256);
		for (bit = ROLE_ADMIN; bit; bit >>= 1) {
			if (!(l.v[i].roles & bit))
				continue;
			json_array_append_new(roles,
					      json_string(auth_role_name(bit)));
			sb_printf(&line, "%s%s", line.len ? "," : "",
				  auth_role_name(bit));
		}
		if (json)
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:b, s:o, s:s}", "email",
					  l.v[i].email, "name",
					  l.v[i].display_name, "verified",
					  l.v[i].verified, "roles", roles,
					  "created_at", l.v[i].created_at));
		else
			printf("%-36s %-28s %s%s\n", l.v[i].email, line.buf,
			       l.v[i].created_at,
			       l.v[i].verified ? "" : "  (not verified)");
		if (!json)
			json_decref(roles);
		sb_fini(&line);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	}
	auth_user_list_fini(&l);
	db_close(db);
	return EXIT_OK;
}

static int user_main(struct cli *cli, int argc, char **argv, char *outbox);

int cmd_user(struct cli *cli, int argc, char **argv)
{
	char *outbox = cli_default_outbox(cli);
	int rc;

	if (!outbox) {
		fprintf(stderr, "agora: out of memory\n");
		return EXIT_CHECK;
	}
	rc = user_main(cli, argc, argv, outbox);
	free(outbox);
	return rc;
}

static int user_main(struct cli *cli, int argc, char **argv, char *outbox)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"election", required_argument, NULL, 'e'},
		{"candidate", required_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'},
		{"link", no_argument, NULL, 'L'},
		{"outbox", required_argument, NULL, 'o'},
		{"base-url", required_argument, NULL, 'b'},
		{"mail-from", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct user_add a = {0};
	const char *role = NULL, *sub;
	int ch, json = 0;

	a.outbox = outbox;
	a.base_url = "http://127.0.0.1:8080/";
	a.from = "agora <agora@localhost>";
	a.name = "";
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 'e':
			a.election = optarg;
			break;
		case 'c':
			a.candidate = optarg;
			break;
		case 'n':
			a.name = optarg;
			break;
		case 'L':
			a.link = 1;
			break;
		case 'o':
			a.outbox = optarg;
			break;
		case 'b':
			a.base_url = optarg;
			break;
		case 'f':
			a.from = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error("user", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("user", "expected 'add' or 'list'");
	sub = argv[optind++];
	if (!strcmp(sub, "list")) {
		if (optind != argc)
			return cli_usage_error("user",
					       "'list' takes no argument");
		return user_list(cli, json);
	}
	if (strcmp(sub, "add"))
		return cli_usage_error("user", "unknown subcommand '%s'", sub);
	if (optind + 1 != argc)
		return cli_usage_error("user", "'add' takes one EMAIL");
	a.email = argv[optind];
	if (!role)
		return cli_usage_error("user", "--role is required");
	if (!(a.role = auth_role_parse(role)))
		return cli_usage_error("user",
				       "unknown role '%s': administrator, "
				       "editor, candidate or citizen",
				       role);
	if ((a.role == ROLE_EDITOR || a.role == ROLE_CANDIDATE) && !a.election)
		return cli_usage_error("user", "an %s needs --election", role);
	if ((a.role == ROLE_ADMIN || a.role == ROLE_CITIZEN) && a.election)
		return cli_usage_error("user", "an %s has no --election", role);
	if (a.candidate && a.role != ROLE_CANDIDATE)
		return cli_usage_error("user", "--candidate is for the "
					       "candidate role");
	if (strlen(a.name) > 100)
		return cli_usage_error("user", "--name is at most 100 bytes");
	if (!*a.base_url)
		return cli_usage_error("user", "--base-url is empty");
	return user_add(cli, &a);
}
