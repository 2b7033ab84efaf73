// SPDX-License-Identifier: GPL-2.0-only
/* metrics_http.c: listen address parsing, health state; config_error_key(). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "errors.h"
#include "metrics_http.h"

static int parse(const char *spec, struct sockaddr_storage *sa, struct sw_error *err)
{
	socklen_t len;

	memset(err, 0, sizeof(*err));
	return metrics_http_parse_addr(spec, sa, &len, err);
}

TEST(addr_valid)
{
	struct sockaddr_storage sa;
	struct sw_error err;

	CHECK_INT(parse("127.0.0.1:9464", &sa, &err), 0);
	CHECK_INT(sa.ss_family, AF_INET);
	CHECK_INT(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9464);
	CHECK_INT(parse("0.0.0.0:1", &sa, &err), 0);
	CHECK_INT(parse("[::1]:65535", &sa, &err), 0);
	CHECK_INT(sa.ss_family, AF_INET6);
	CHECK_INT(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port), 65535);
	CHECK_INT(parse("[::]:9464", &sa, &err), 0);
}

TEST(addr_invalid)
{
	static const char *const bad[] = {
		"",
		":9464",
		"127.0.0.1",
		"127.0.0.1:",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:94x",
		"localhost:9464",
		"::1:9464",
		"[::1]9464",
		"[::1:9464",
		"1.2.3.4.5:80",
		"127.0.0.1:-1",
		"[]:80",
		"a:b:c",
	};
	struct sockaddr_storage sa;
	struct sw_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &sa, &err);

		if (r != -EINVAL || !err.msg[0])
			fprintf(stderr, "  accepted or no message: '%s'\n", bad[i]);
		CHECK_INT(r, -EINVAL);
		CHECK(err.msg[0] != '\0');
	}
	CHECK_INT(metrics_http_parse_addr(NULL, &sa, &(socklen_t){ 0 }, &err), -EINVAL);
}

TEST(health_states)
{
	char why[128];

	health_set_config_loaded(false);
	health_set_attached(false);
	CHECK(!health_check(why, sizeof(why)));
	CHECK(strstr(why, "config") != NULL);
	health_set_config_loaded(true);
	CHECK(!health_check(why, sizeof(why)));
	CHECK(strstr(why, "attached") != NULL);
	health_set_attached(true);
	CHECK(!health_check(why, sizeof(why))); /* never ticked */
	CHECK(strstr(why, "stalled") != NULL);
	health_tick();
	CHECK(health_check(why, sizeof(why)));
	CHECK_STR(why, "ok");
}

TEST(error_key)
{
	char key[16];

	CHECK(config_error_key("/etc/c.json: key 'hash_workers' must be an integer in range", key,
			       sizeof(key)));
	CHECK_STR(key, "hash_workers");
	CHECK(!config_error_key("/etc/c.json:1:2: end of file expected", key, sizeof(key)));
	CHECK_STR(key, "");
	CHECK(!config_error_key("x: key 'a_much_too_long_key_name' bad", key, sizeof(key)));
	CHECK(!config_error_key(NULL, key, sizeof(key)));
	CHECK(!config_error_key("x: key 'unterminated", key, sizeof(key)));
}

/* GET /healthz on a fresh connection: the status code, or -1. */
static int get_healthz(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[256] = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req) &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 12)
		sscanf(buf, "HTTP/1.1 %d", &code);
	close(fd);
	return code;
}

/*
 * Issue 18: 40 connections from the probe's own address that never finish
 * their request (slowloris) must not keep a fresh /healthz out.
 */
TEST(slowloris_cannot_block_healthz)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct metrics_http *h = NULL;
	struct sw_error err = { { 0 } };
	int port = 20000 + getpid() % 20000, slow[40], ok = 0;
	char spec[32];

	signal(SIGPIPE, SIG_IGN); /* evicted connections: writes fail, never kill */
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	health_set_config_loaded(true);
	health_set_attached(true);
	health_tick();
	CHECK_INT(metrics_http_start(spec, &h, &err), 0);
	if (!h)
		return;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 40; i++) {
		slow[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (!connect(slow[i], (struct sockaddr *)&sa, sizeof(sa)))
			CHECK(write(slow[i], "GET /metrics HTTP/1.1\r\n", 23) == 23);
	}
	for (int k = 0; k < 5; k++) {
		health_tick();
		ok += get_healthz(port) == 200;
		for (int i = 0; i < 40; i++) /* trickle: never idle */
			(void)!write(slow[i], "X", 1);
	}
	CHECK_INT(ok, 5);
	for (int i = 0; i < 40; i++)
		close(slow[i]);
	metrics_http_stop(h);
}

/* Stalled hash workers fail the check; dropped work says so but stays 200. */
TEST(health_workers_and_drops)
{
	char why[160];

	health_set_config_loaded(true);
	health_set_attached(true);
	health_tick();
	health_set_workers_stalled(1, 75);
	CHECK(!health_check(why, sizeof(why)));
	CHECK(strstr(why, "stalled") != NULL);
	health_set_workers_stalled(0, 0);
	CHECK(health_check(why, sizeof(why)));
	health_note_dropped(3);
	CHECK(health_check(why, sizeof(why)));
	CHECK(strstr(why, "degraded") != NULL);
}

/* config_parse_size: hash_max_size / baseline_max_size values (issue 18) */
TEST(size_values)
{
	uint64_t v = 0;

	CHECK_INT(config_parse_size("4096", 4096, 1ULL << 40, &v), 0);
	CHECK_INT(v, 4096);
	CHECK_INT(config_parse_size("64K", 4096, 1ULL << 40, &v), 0);
	CHECK_INT(v, 65536);
	CHECK_INT(config_parse_size("1G", 4096, 1ULL << 40, &v), 0);
	CHECK_INT(v, 1ULL << 30);
	CHECK_INT(config_parse_size("1T", 4096, 1ULL << 40, &v), 0);
	CHECK_INT(config_parse_size("2T", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("4095", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("1KB", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("-1", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("99999999999999999999", 4096, 1ULL << 40, &v), -EINVAL);
	CHECK_INT(config_parse_size("17179869184T", 4096, UINT64_MAX, &v), -EINVAL);
}

int main(void)
{
	RUN(size_values);
	RUN(addr_valid);
	RUN(addr_invalid);
	RUN(health_states);
	RUN(error_key);
	RUN(slowloris_cannot_block_healthz);
	RUN(health_workers_and_drops);
	return check_exit();
}
