// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "errors.h"
#include "sink.h"

struct sink {
	int fd;
	int owned;
};

struct sw_sinks {
	pthread_mutex_t lock;
	struct sink *v;
	size_t n;
	uint64_t errors;
};

int sinks_new(char *const *specs, size_t n, struct sw_sinks **ret, struct sw_error *err)
{
	struct sw_sinks *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v) {
		sinks_free(s);
		return sw_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct sink *k = &s->v[s->n];

		if (!strcmp(specs[i], "stdout")) {
			k->fd = STDOUT_FILENO;
		} else if (!strncmp(specs[i], "file:", 5) && specs[i][5]) {
			k->fd = open(specs[i] + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (k->fd < 0) {
				r = sw_error_set(err, -errno, "output %s: %s", specs[i],
						 strerror(errno));
				break;
			}
			k->owned = 1;
		} else {
			r = sw_error_set(err, -EINVAL, "output '%s': use stdout or file:PATH",
					 specs[i]);
			break;
		}
		s->n++;
	}
	if (r) {
		sinks_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void sinks_free(struct sw_sinks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].owned)
			close(s->v[i].fd);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int write_all(int fd, const char *line, size_t len)
{
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	size_t left = len + 1;

	while (left) {
		ssize_t n = writev(fd, iov, 2);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left -= (size_t)n;
		for (int i = 0; i < 2 && n; i++) {
			size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			n -= (ssize_t)take;
		}
	}
	return 0;
}

void sinks_emit(struct sw_sinks *s, const char *line)
{
	size_t len = strlen(line);

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++)
		if (write_all(s->v[i].fd, line, len))
			s->errors++;
	pthread_mutex_unlock(&s->lock);
}

uint64_t sinks_errors(const struct sw_sinks *s)
{
	return __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
}
