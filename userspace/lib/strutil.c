// SPDX-License-Identifier: GPL-2.0-only
/* strutil.c: string helpers (strutil.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

int strdup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

unsigned int str_distance(const char *a, const char *b, unsigned int max)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int d[3][65], *pp = d[0], *prev = d[1], *cur = d[2], *t;

	if (la > 64 || lb > 64)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int row_min;

		cur[0] = (unsigned int)i;
		row_min = cur[0];
		for (size_t j = 1; j <= lb; j++) {
			unsigned int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			unsigned int del = prev[j] + 1, ins = cur[j - 1] + 1;
			unsigned int v = sub < del ? sub : del;

			v = v < ins ? v : ins;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			row_min = v < row_min ? v : row_min;
		}
		if (row_min > max)
			return max + 1;
		t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > max ? max + 1 : prev[lb];
}

const char *str_closest(const char *word, const char *const *candidates, size_t n)
{
	unsigned int best = strlen(word) <= 4 ? 1 : 2, best_d = best + 1;
	const char *found = NULL;
	bool tie = false;

	for (size_t i = 0; word[0] && i < n; i++) {
		unsigned int dist = strncmp(candidates[i], word, strlen(word)) ?
					    str_distance(word, candidates[i], best) :
					    0;

		if (dist < best_d) {
			best_d = dist;
			found = candidates[i];
			tie = false;
		} else if (dist == best_d && dist <= best) {
			tie = true;
		}
	}
	return best_d <= best && !tie ? found : NULL;
}
