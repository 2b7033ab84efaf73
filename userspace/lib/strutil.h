/* SPDX-License-Identifier: GPL-2.0-only */
/* String helpers every room may use. */
#ifndef SW_STRUTIL_H
#define SW_STRUTIL_H

/* Copy @src into *@dst, NULL staying NULL: 0, or -ENOMEM (then *@dst is NULL). */
int strdup_opt(char **dst, const char *src);

#endif
