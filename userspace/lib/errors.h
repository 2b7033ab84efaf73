/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Error reporting for library-like modules. They never log: they return a
 * negative errno and, when the caller passes a struct sw_error, fill it with a
 * one-line message. errno values carry a meaning the CLI maps to exit codes:
 *   -EBADMSG       malformed input (image, layer, manifest, baseline, signature)
 *   -EINVAL        invalid argument or unsupported option value
 *   -ENOTSUP       input uses a feature sealwatch does not support
 *   -EKEYREJECTED  signature does not verify
 *   -ENOKEY        signature or key missing
 *   -EFBIG, -E2BIG a safety limit was exceeded
 *   anything else  I/O or system error
 */
#ifndef SW_ERRORS_H
#define SW_ERRORS_H

#include <stddef.h>

struct sw_error {
	char msg[512];
};

/* Store a message in @e (may be NULL) and return @err (a negative errno). */
int sw_error_set(struct sw_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in @e with "prefix: "; returns @err. */
int sw_error_prefix(struct sw_error *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
