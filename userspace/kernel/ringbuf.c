// SPDX-License-Identifier: GPL-2.0-only
/* ringbuf.c: events from the ring buffer, and how full it is (bpf_loader.h). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "events.h"
#include "loader_internal.h"

static int handle_record(void *ctx, void *data, size_t size)
{
	struct bpf_loader *l = ctx;

	if (size != sizeof(struct sw_exec_event)) {
		l->bad_records++;
		return 0;
	}
	/*
	 * The fill as the backlog is read (every 64 records): sampled once a
	 * second after the loop caught up, it would read 0 during an overflow.
	 */
	if (!(l->records++ & 63) && l->consumer_pos && l->producer_pos) {
		unsigned long used = __atomic_load_n(l->producer_pos, __ATOMIC_ACQUIRE) -
				     __atomic_load_n(l->consumer_pos, __ATOMIC_ACQUIRE);

		if (used > __atomic_load_n(&l->fill_peak, __ATOMIC_RELAXED))
			__atomic_store_n(&l->fill_peak, used, __ATOMIC_RELAXED);
	}
	return l->on_event(l->ctx, data);
}

static int map_positions(struct bpf_loader *l, struct sw_error *err)
{
	int fd = bpf_map__fd(l->events_map);
	void *p;

	/* page 0: consumer position; page 1: producer position (both read-only here) */
	p = mmap(NULL, l->page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return sw_error_set(err, -errno, "mmap ring buffer: %s", strerror(errno));
	l->consumer_pos = p;
	p = mmap(NULL, l->page_size, PROT_READ, MAP_SHARED, fd, (off_t)l->page_size);
	if (p == MAP_FAILED)
		return sw_error_set(err, -errno, "mmap ring buffer: %s", strerror(errno));
	l->producer_pos = p;
	return 0;
}

int loader_ringbuf_open(struct bpf_loader *l, struct sw_error *err)
{
	l->rb = ring_buffer__new(bpf_map__fd(l->events_map), handle_record, l, NULL);
	if (!l->rb)
		return sw_error_set(err, -errno, "ring buffer: %s", strerror(errno));
	return map_positions(l, err);
}

void loader_ringbuf_close(struct bpf_loader *l)
{
	ring_buffer__free(l->rb);
	if (l->consumer_pos)
		munmap((void *)l->consumer_pos, l->page_size);
	if (l->producer_pos)
		munmap((void *)l->producer_pos, l->page_size);
}

int bpf_loader_poll(struct bpf_loader *l, int timeout_ms)
{
	int r = ring_buffer__poll(l->rb, timeout_ms);

	/*
	 * The kernel only wakes the consumer when it has caught up: should a
	 * notification ever be missed, records would wait forever. Consume on
	 * every timeout too (cheap when empty).
	 */
	if (r == 0)
		r = ring_buffer__consume(l->rb);
	return r;
}

int bpf_loader_epoll_fd(const struct bpf_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

__u64 bpf_loader_bad_records(const struct bpf_loader *l)
{
	return l->bad_records;
}

void bpf_loader_ringbuf_fill(const struct bpf_loader *l, __u64 *ret_used, __u64 *ret_size)
{
	unsigned long cons = __atomic_load_n(l->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(l->producer_pos, __ATOMIC_ACQUIRE);

	*ret_used = prod - cons;
	*ret_size = l->ringbuf_bytes;
}

__u64 bpf_loader_ringbuf_peak(struct bpf_loader *l)
{
	unsigned long peak = __atomic_exchange_n(&l->fill_peak, 0, __ATOMIC_RELAXED);
	__u64 used, size;

	bpf_loader_ringbuf_fill(l, &used, &size);
	return used > peak ? used : peak;
}
