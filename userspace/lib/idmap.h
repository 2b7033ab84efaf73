/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A process's user namespace ID maps (/proc/PID/uid_map, gid_map): file
 * owners as the daemon sees them (host IDs) translated to the IDs inside the
 * container, which is what a baseline records.
 */
#ifndef SW_IDMAP_H
#define SW_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct sw_idmap {
	uint32_t n; /* 0: not read */
	struct {
		uint32_t inside, outside, count;
	} e[8]; /* the first 8 extents (more are rare; an ID beyond them is unmapped) */
};

/* Read /proc/@pid/@which ("uid_map" or "gid_map"). 0 or a negative errno. */
int idmap_read(int pid, const char *which, struct sw_idmap *map);
/* The ID inside the namespace of host ID @outside; false when it is unmapped there. */
bool idmap_inside(const struct sw_idmap *map, uint32_t outside, uint32_t *inside);

#endif
