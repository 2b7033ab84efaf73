/* SPDX-License-Identifier: GPL-2.0-only */
/* String helpers every room may use. */
#ifndef SW_STRUTIL_H
#define SW_STRUTIL_H

#include <stddef.h>

/* Copy @src into *@dst, NULL staying NULL: 0, or -ENOMEM (then *@dst is NULL). */
int strdup_opt(char **dst, const char *src);

/*
 * The edit distance of @a and @b (insert, delete, substitute, swap two
 * neighbours), counted up to @max: max + 1 means "more than @max".
 */
unsigned int str_distance(const char *a, const char *b, unsigned int max);

/*
 * The candidate closest to @word, for a "did you mean" hint: within an edit
 * distance of 2 (1 for words of 4 letters or fewer), or one that starts with
 * @word; NULL when none is near or two are equally near.
 */
const char *str_closest(const char *word, const char *const *candidates, size_t n);

#endif
