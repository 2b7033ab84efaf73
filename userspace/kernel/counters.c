// SPDX-License-Identifier: GPL-2.0-only
/* counters.c: the BPF programs' per-CPU counters (enum sw_counter, include/events.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "loader_internal.h"

static const char *const counter_names[SW_CNT__MAX] = {
#define COUNTER_NAME(id, name, metric, help) [SW_CNT_##id] = name,
	SW_COUNTERS(COUNTER_NAME)
#undef COUNTER_NAME
};

int bpf_loader_counters(const struct bpf_loader *l, __u64 out[SW_CNT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *values;
	int ret = 0;

	memset(out, 0, sizeof(__u64) * SW_CNT__MAX);
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	values = calloc((size_t)ncpu, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (__u32 key = 0; key < SW_CNT__MAX; key++) {
		ret = bpf_map__lookup_elem(l->counters_map, &key, sizeof(key), values,
					   sizeof(*values) * (size_t)ncpu, 0);
		if (ret)
			break;
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[key] += values[cpu];
	}
	free(values);
	return ret;
}

const char *bpf_loader_counter_name(enum sw_counter c)
{
	return (unsigned int)c < SW_CNT__MAX ? counter_names[c] : NULL;
}
