/*
 * log.c - one line per event on stderr, with a UTC timestamp and level.
 */
#include <stdio.h>
#include <time.h>

#include "core.h"

int log_threshold = LOG_WARN;

void log_write(int level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char line[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line so that threads do not interleave */
	fprintf(stderr, "%s %s %s\n", stamp,
		names[level < 0 ? 0 : level > 3 ? 3 : level], line);
}
