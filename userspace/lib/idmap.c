// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "idmap.h"

int idmap_read(int pid, const char *which, struct sw_idmap *map)
{
	char path[64];
	unsigned long in, out, count;
	FILE *f;

	memset(map, 0, sizeof(*map));
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, which);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (map->n < sizeof(map->e) / sizeof(map->e[0]) &&
	       fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
		map->e[map->n].inside = (uint32_t)in;
		map->e[map->n].outside = (uint32_t)out;
		map->e[map->n].count = (uint32_t)count;
		map->n++;
	}
	fclose(f);
	return map->n ? 0 : -ENODATA;
}

bool idmap_inside(const struct sw_idmap *map, uint32_t outside, uint32_t *inside)
{
	for (uint32_t i = 0; i < map->n; i++)
		if (outside >= map->e[i].outside &&
		    (uint64_t)outside - map->e[i].outside < map->e[i].count) {
			*inside = map->e[i].inside + (outside - map->e[i].outside);
			return true;
		}
	return false;
}
