// SPDX-License-Identifier: GPL-2.0-only
/* strutil.c: string helpers (strutil.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

int strdup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}
