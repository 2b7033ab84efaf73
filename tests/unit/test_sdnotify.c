// SPDX-License-Identifier: GPL-2.0-only
/* sdnotify.c: the systemd notification datagram and the watchdog interval. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sdnotify.h"

TEST(sends_to_notify_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], buf[64];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ssize_t n;

	snprintf(path, sizeof(path), "/tmp/sw-test-notify.%d", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	unsetenv("NOTIFY_SOCKET");
	CHECK_INT(sdnotify_send("READY=1"), 0); /* unset: nothing to do */
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK_INT(sdnotify_send("WATCHDOG=1"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK_INT(n, 10);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "WATCHDOG=1");
	setenv("NOTIFY_SOCKET", "relative", 1);
	CHECK(sdnotify_send("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}

TEST(watchdog_usec)
{
	char pid[32];

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	CHECK_INT(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	CHECK_INT(sdnotify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	CHECK_INT(sdnotify_watchdog_usec(), 30000000);
	setenv("WATCHDOG_PID", "1", 1); /* meant for another process */
	CHECK_INT(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	CHECK_INT(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	RUN(sends_to_notify_socket);
	RUN(watchdog_usec);
	return check_exit();
}
