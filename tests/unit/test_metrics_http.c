// SPDX-License-Identifier: GPL-2.0-only
/* metrics_http.c: listen address parsing, health state; config_error_key(). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

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

int main(void)
{
	RUN(addr_valid);
	RUN(addr_invalid);
	RUN(health_states);
	RUN(error_key);
	return check_exit();
}
