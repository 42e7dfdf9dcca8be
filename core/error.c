/*
 * error.c - the human half of an error: a code and a message that says
 * what failed and where, filled by the function that knows.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

int agora_errorf(struct agora_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void agora_error_clear(struct agora_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

void agora_error_prefix(struct agora_error *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n, room;
	va_list ap;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg) / 2, fmt, ap);
	va_end(ap);
	/* the old message goes after "head: ", cut if it must be */
	n = strlen(err->msg);
	room = sizeof(err->msg) - n;
	if (room > 3) {
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		room -= 2;
		memcpy(err->msg + n, old, strnlen(old, room - 1));
		err->msg[n + strnlen(old, room - 1)] = '\0';
	}
}

const char *agora_code_name(int code)
{
	switch (code) {
	case AGORA_OK:
		return "ok";
	case AGORA_EINVAL:
		return "invalid";
	case AGORA_ENOMEM:
		return "out_of_memory";
	case AGORA_EDB:
		return "database";
	case AGORA_EIO:
		return "io";
	case AGORA_ENOTFOUND:
		return "not_found";
	case AGORA_ECHECK:
		return "check_failed";
	case AGORA_ETOOBIG:
		return "too_big";
	case AGORA_EEXIST:
		return "exists";
	case AGORA_EBUSY:
		return "busy";
	case AGORA_ESTORAGE:
		return "storage";
	}
	return "error";
}
