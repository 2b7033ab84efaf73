// SPDX-License-Identifier: GPL-2.0-only
/*
 * verifier.c: the hash queue is fair per scope (issue 18, finding 3), and
 * the opens of attacker-influenced paths never block on a FIFO (finding 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "verifier.h"

static struct verify_job *job(const char *scope, int n)
{
	struct verify_job *j = verify_job_alloc();

	j->in_container = scope != NULL;
	j->c_id = scope ? strdup(scope) : NULL;
	j->ev.pid = (__u32)n; /* tells the jobs apart */
	return j;
}

/* A tenant with a backlog does not delay another tenant's job behind it. */
TEST(round_robin_over_scopes)
{
	struct verify_queue *q;
	struct verify_job *j;
	int a = 0, b = 0, pos = 0, b_pos = -1;

	CHECK_INT(verify_queue_new(64, &q), 0);
	for (int i = 0; i < 20; i++)
		CHECK_INT(verify_queue_push(q, job("aaaa", i)), 0);
	CHECK_INT(verify_queue_push(q, job("bbbb", 100)), 0);
	CHECK_INT(verify_queue_push(q, job(NULL, 200)), 0); /* the host */
	CHECK_INT(verify_queue_count(q), 22);
	while ((j = verify_queue_pop(q))) {
		if (j->ev.pid == 100)
			b_pos = pos;
		if (j->c_id && !strcmp(j->c_id, "aaaa")) {
			CHECK_INT(j->ev.pid, a); /* FIFO within a scope */
			a++;
		} else {
			b++;
		}
		pos++;
		verify_job_free(j);
	}
	CHECK_INT(a, 20);
	CHECK_INT(b, 2);
	CHECK(b_pos >= 0 && b_pos <= 2);
	CHECK_INT(verify_queue_count(q), 0);
	verify_queue_free(q);
}

/* One scope cannot fill the queue: others still find room. */
TEST(share_per_scope)
{
	struct verify_queue *q;
	struct verify_job *j;
	int r, n_a = 0;

	CHECK_INT(verify_queue_new(64, &q), 0);
	for (int i = 0; i < 64; i++) {
		j = job("aaaa", i);
		r = verify_queue_push(q, j);
		if (r) {
			CHECK_INT(r, -EDQUOT);
			verify_job_free(j);
		} else {
			n_a++;
		}
	}
	CHECK_INT(n_a, 32); /* alone: half the queue */
	for (int i = 0; i < 10; i++)
		CHECK_INT(verify_queue_push(q, job("bbbb", i)), 0);
	for (int i = 0; i < 10; i++)
		CHECK_INT(verify_queue_push(q, job("cccc", i)), 0);
	CHECK_INT(verify_queue_count(q), 52);
	verify_queue_free(q); /* frees the queued jobs (ASan: no leak) */
}

TEST(full_queue)
{
	struct verify_queue *q;
	struct verify_job *j;
	char id[16];
	int ok = 0;

	CHECK_INT(verify_queue_new(16, &q), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		j = job(id, i);
		if (verify_queue_push(q, j))
			verify_job_free(j);
		else
			ok++;
	}
	CHECK_INT(ok, 16);
	j = job("late", 0);
	CHECK_INT(verify_queue_push(q, j), -EAGAIN);
	verify_job_free(j);
	verify_queue_free(q);
}

/* A FIFO where a file is expected is refused at once, never opened for reading. */
TEST(open_fifo_refused)
{
	char dir[] = "/tmp/sw-vq-XXXXXX", path[PATH_MAX];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	errno = 0;
	fd = verifier_open_in_root(dir, "/fifo");
	CHECK_INT(fd, -1);
	CHECK_INT(errno, EINVAL);
	fd = verifier_open_regular(path);
	CHECK_INT(fd, -1);
	CHECK_INT(errno, EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	fd = verifier_open_in_root(dir, "/file");
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = verifier_open_in_root(dir, "/../../../file"); /* stays in the root */
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = verifier_open_in_root(dir, "/etc/passwd"); /* no such file in this root */
	CHECK_INT(fd, -1);
	unlink(path);
	/* a socket: refused without an open */
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
		CHECK(s >= 0 && !bind(s, (struct sockaddr *)&sun, sizeof(sun)));
		errno = 0;
		CHECK_INT(verifier_open_regular(sun.sun_path), -1);
		CHECK_INT(errno, EINVAL);
		CHECK_INT(verifier_open_in_root(dir, "/sock"), -1);
		CHECK_INT(errno, EINVAL);
		close(s);
		unlink(sun.sun_path);
	}
	rmdir(dir);
}

int main(void)
{
	RUN(round_robin_over_scopes);
	RUN(share_per_scope);
	RUN(full_queue);
	RUN(open_fifo_refused);
	return check_exit();
}
