// SPDX-License-Identifier: GPL-2.0-only
/*
 * enforce_watchdog.c: the watchdog process of the fanotify backend
 * (enforce_internal.h, docs/enforce.md): it answers for a daemon that is
 * stopped or hung, and leaves with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "enforce_internal.h"
#include "errors.h"

/*
 * The watchdog process: holds the same fanotify group. While the daemon's
 * heartbeat is fresh it only watches; when it is older than the deadline
 * (the daemon is stopped or hung), it answers every event fd the daemon holds
 * and every new event with allow. Only async-signal-safe calls (it is a
 * fork() of a threaded process). Dies with the daemon (PR_SET_PDEATHSIG).
 */
static void watchdog_main(struct enforce_shared *sh, int fan_fd, int life_fd, pid_t parent)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd life = { .fd = life_fd, .events = POLLIN };
	int lo = fan_fd < life_fd ? fan_fd : life_fd, hi = fan_fd ^ life_fd ^ lo;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "sealwatch-wd");
	/* keep the group and the read end of the life pipe only */
	if (lo > 0)
		close_range(0, (unsigned int)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0);
	close_range((unsigned int)hi + 1, ~0U, 0);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = now_ns(CLOCK_MONOTONIC) / 1000000ULL;
		uint64_t beat = __atomic_load_n(&sh->heartbeat_ms, __ATOMIC_ACQUIRE);
		uint64_t limit = __atomic_load_n(&sh->deadline_ms, __ATOMIC_RELAXED);

		if (beat && now > beat + limit) {
			struct pollfd p = { .fd = fan_fd, .events = POLLIN };
			ssize_t n;

			for (int i = 0; i < ENFORCE_SLOTS; i++) {
				int fd = __atomic_load_n(&sh->fds[i], __ATOMIC_ACQUIRE);

				if (fd >= 0 && respond(fan_fd, fd, true))
					__atomic_add_fetch(&sh->answered, 1, __ATOMIC_RELAXED);
			}
			while (poll(&p, 1, 0) > 0 && (n = read(fan_fd, buf, sizeof(buf))) > 0) {
				struct fanotify_event_metadata *m;

				for (m = (void *)buf; FAN_EVENT_OK(m, n);
				     m = FAN_EVENT_NEXT(m, n)) {
					if (m->fd < 0)
						continue;
					if (m->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM) &&
					    respond(fan_fd, m->fd, true))
						__atomic_add_fetch(&sh->answered, 1,
								   __ATOMIC_RELAXED);
					close(m->fd);
				}
			}
			if (getppid() != parent)
				_exit(0);
			/* while the daemon is stopped, wake for the next event at once */
			struct pollfd both[2] = { { .fd = fan_fd, .events = POLLIN },
						  { .fd = life_fd, .events = POLLIN } };

			if (poll(both, 2, ENFORCE_WATCHDOG_POLL_MS) > 0 && both[1].revents)
				_exit(0);
			continue;
		}
		/*
		 * The daemon's end of the life pipe closes as soon as it exits
		 * (before its exit completes, which PR_SET_PDEATHSIG waits for):
		 * then leave at once, so that the group closes and the kernel
		 * releases the pending events.
		 */
		life.revents = 0;
		if (poll(&life, 1, ENFORCE_WATCHDOG_POLL_MS) > 0 && life.revents)
			_exit(0);
	}
	_exit(0);
}

int enforce_watchdog_start(struct enforce *e, struct sw_error *err)
{
	pid_t parent = getpid(), pid;

	e->sh = mmap(NULL, sizeof(*e->sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (e->sh == MAP_FAILED) {
		e->sh = NULL;
		return sw_error_set(err, -errno, "mmap: %s", strerror(errno));
	}
	for (int i = 0; i < ENFORCE_SLOTS; i++)
		e->sh->fds[i] = -1;
	e->sh->deadline_ms = e->policy.deadline_ms;
	if (pipe2(e->life, O_CLOEXEC))
		return sw_error_set(err, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return sw_error_set(err, -errno, "fork: %s", strerror(errno));
	if (!pid)
		watchdog_main(e->sh, e->fan_fd, e->life[0], parent);
	close(e->life[0]);
	e->life[0] = -1;
	e->watchdog = pid;
	return 0;
}
