// SPDX-License-Identifier: GPL-2.0-only
/*
 * File operations through io_uring, with raw syscalls (no liburing), for
 * tests/integration/test_blind.sh:
 *   open PATH          IORING_OP_OPENAT(AT_FDCWD, PATH, O_WRONLY|O_APPEND), then write "#u"
 *   unlink DIR NAME    IORING_OP_UNLINKAT(open(DIR), NAME)
 *   rename DIR OLD NEW IORING_OP_RENAMEAT(open(DIR), OLD, same dirfd, NEW)
 * Exits 0 when the request completed with success, 1 when it failed, 2 when
 * io_uring is not available (seccomp, kernel).
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int ring_fd;
static struct io_uring_sqe *sqes;
static unsigned *sq_tail, *sq_array, *sq_mask, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_cqe *cqes;

static int setup(void)
{
	struct io_uring_params p;
	void *sq, *cq;

	memset(&p, 0, sizeof(p));
	ring_fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (ring_fd < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -1;
	sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	sq_mask = (unsigned *)((char *)sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	cq_mask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	return 0;
}

/* Submit @sqe, wait for its completion: its result. */
static int run(const struct io_uring_sqe *sqe)
{
	unsigned tail = *sq_tail, idx = tail & *sq_mask, head;
	int res;

	sqes[idx] = *sqe;
	sq_array[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring_fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -1;
	head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		return -1;
	res = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	int dfd, r;

	if (argc < 3)
		return 1;
	if (setup())
		return 2;
	memset(&sqe, 0, sizeof(sqe));
	if (!strcmp(argv[1], "open") && argc == 3) {
		sqe.opcode = IORING_OP_OPENAT;
		sqe.fd = AT_FDCWD;
		sqe.addr = (unsigned long)argv[2];
		sqe.open_flags = O_WRONLY | O_APPEND;
		r = run(&sqe);
		return r < 0 || write(r, "#u\n", 3) != 3;
	}
	dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return 1;
	if (!strcmp(argv[1], "unlink") && argc == 4) {
		sqe.opcode = IORING_OP_UNLINKAT;
		sqe.fd = dfd;
		sqe.addr = (unsigned long)argv[3];
		return run(&sqe) != 0;
	}
	if (!strcmp(argv[1], "rename") && argc == 5) {
		sqe.opcode = IORING_OP_RENAMEAT;
		sqe.fd = dfd;
		sqe.addr = (unsigned long)argv[3];
		sqe.len = (unsigned)dfd; /* the new dirfd */
		sqe.addr2 = (unsigned long)argv[4];
		return run(&sqe) != 0;
	}
	return 1;
}
