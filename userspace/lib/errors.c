// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "exitcode.h"

int sw_error_set(struct sw_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

int sw_error_prefix(struct sw_error *e, int err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return err;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (old[0])
		snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	else
		snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, strerror(-err));
	return err;
}

int sw_exit_from_errno(int err)
{
	switch (-err) {
	case 0:
		return SW_EXIT_OK;
	case EBADMSG:
	case EINVAL:
	case ENOTSUP:
	case EPROTO:
	case EILSEQ:
		return SW_EXIT_BAD_INPUT;
	case EKEYREJECTED:
	case ENOKEY:
		return SW_EXIT_BAD_SIGNATURE;
	case EFBIG:
	case E2BIG:
		return SW_EXIT_LIMIT;
	default:
		return SW_EXIT_IO;
	}
}
