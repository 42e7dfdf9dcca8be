/*
 * web.h - agora on the web: an HTTP server (libmicrohttpd) that serves
 * the comparator's pages, its JSON API, static assets, health and
 * metrics. The only module besides the CLI's rendering that knows HTTP,
 * HTML and JSON.
 *
 * The server runs in its own threads; the caller starts it, waits for
 * whatever tells it to stop (a signal, in `agora serve`), and stops it.
 */
#ifndef AGORA_WEB_H
#define AGORA_WEB_H

#include "core.h"

struct web_config {
	const char *db_path; /* an existing database */
	const char *listen;  /* "ADDR:PORT" or "[ADDR6]:PORT"; port 0: any */
	unsigned threads;    /* worker threads; 0: one per core */
	/*
	 * Seconds; 0: WEB_DEFAULT_TIMEOUT. A request's line and headers
	 * must arrive within it, its body at WEB_MIN_BODY_RATE on average
	 * after that grace, and an idle connection is closed after it.
	 */
	unsigned timeout;
	const char *outbox;    /* folder for e-mail (.eml); NULL: var/outbox */
	const char *base_url;  /* of links in e-mail; NULL: the server's URL */
	const char *mail_from; /* From: of e-mail; NULL: agora@localhost */
};

#define WEB_DEFAULT_TIMEOUT 30
#define WEB_MAX_TIMEOUT 3600
#define WEB_MIN_BODY_RATE 2048 /* bytes per second, on average */

struct web_server;

/*
 * Checks the database (migrating it if needed), binds the address and
 * starts the worker threads. Fails with AGORA_EINVAL for a bad address,
 * AGORA_EIO when it cannot listen, AGORA_EDB when the database is bad.
 */
int web_server_start(const struct web_config *cfg, struct web_server **out,
		     struct agora_error *err) AGORA_WUR;
/* The URL the server answers on, e.g. "http://127.0.0.1:8080/" */
const char *web_server_url(const struct web_server *s);
/*
 * Stops accepting connections, lets requests in flight finish (waiting
 * at most grace_ms), stops the threads and frees the server.
 */
void web_server_stop(struct web_server *s, unsigned grace_ms);

/* The files embedded in web: "agora.css", "openapi.json" */
const struct embedded_file *web_data_find(const char *name);

#endif
