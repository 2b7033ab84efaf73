// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the daemon's event path (docs/architecture.md): kernel event
 * structs (include/events.h) go into daemon_on_event() exactly as the ring
 * buffer delivers them, the JSON events come out of a file: sink. No BPF, no
 * root: the "process" is this test itself (/proc/self/exe is the executed
 * file), the baselines are signed here, the container runtime state is a
 * containers.json in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jansson.h>

#include "baseline.h"
#include "bstore.h"
#include "check.h"
#include "config.h"
#include "content.h"
#include "crypto.h"
#include "daemon.h"
#include "errors.h"
#include "events.h"
#include "fetcher.h"
#include "report.h"
#include "resolver.h"
#include "sink.h"
#include "vcache.h"
#include "verdict.h"
#include "verifier.h"

#define CID "4f1d3b5c6a7e8f9011223344556677889900aabbccddeeff0011223344556677"
#define IMG "aa11bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900"

static char tmp[64];
static char self_path[PATH_MAX]; /* this test binary: the "executed" file */
static struct sw_entry self_entry; /* its path, size and true sha256 */
static struct sw_file_id self_id; /* its identity as the kernel would send it */
static __u32 host_mntns;
static int run_no;

static const char *tpath(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void file_id_of(const struct stat *st, struct sw_file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = major(st->st_dev) << 20 | minor(st->st_dev);
	id->ino = st->st_ino;
	id->size = (__u64)st->st_size;
	id->ctime_sec = st->st_ctim.tv_sec;
	id->ctime_nsec = (__u32)st->st_ctim.tv_nsec;
	id->nlink = (__u32)st->st_nlink;
}

static int setup(void)
{
	struct sw_error err = { { 0 } };
	struct content_hash ch;
	struct stat st;
	ssize_t n;
	int fd, r;

	snprintf(tmp, sizeof(tmp), "/tmp/sw-test-events.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0)
		return -1;
	self_path[n] = '\0';
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || content_hash_init(&ch))
		return -1;
	file_id_of(&st, &self_id);
	r = content_hash_fd(&ch, fd, &self_entry, &err);
	content_hash_free(&ch);
	close(fd);
	if (r)
		return -1;
	/* metadata is compared too: the entry records the file's own */
	self_entry.mode = st.st_mode & 07777;
	self_entry.uid = st.st_uid;
	self_entry.gid = st.st_gid;
	free(self_entry.path);
	self_entry.path = strdup(self_path);
	if (stat("/proc/self/ns/mnt", &st))
		return -1;
	host_mntns = (__u32)st.st_ino;
	if (crypto_keygen(SW_KEY_ECDSA_P256, tpath("key.pem"), tpath("pub.pem"), &err))
		return -1;
	/* podman's state: one container of image IMG, no config.json (never started) */
	{
		char cmd[PATH_MAX];

		snprintf(cmd, sizeof(cmd),
			 "mkdir -p %s/node/var/lib/containers/storage/overlay-containers", tmp);
		if (system(cmd) != 0)
			return -1;
	}
	return write_text(
		tpath("node/var/lib/containers/storage/overlay-containers/containers.json"),
		"[{\"id\":\"" CID "\",\"names\":[\"web\"],\"image\":\"" IMG "\"}]");
}

/* Write and sign a baseline of @n entries (sorted) at @path; image baselines name IMG. */
static int write_baseline(const char *path, bool image, struct sw_entry *const *entries, size_t n)
{
	struct sw_baseline_header hdr = {
		.source = image ? "oci" : "dir",
		.image_name = image ? "localhost/test:1" : "/",
		.config_digest = image ? "sha256:" IMG : NULL,
		.manifest_digest = image ? "sha256:" IMG : NULL,
		.platform = image ? "linux/amd64" : NULL,
		.generator = "sealwatch test",
	};
	struct sw_error err = { { 0 } };
	char *data = NULL, *b64 = NULL, sig[PATH_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	int r;

	if (!f)
		return -1;
	r = baseline_write(f, &hdr, entries, n, &err);
	fclose(f);
	if (!r) {
		f = fopen(path, "w");
		r = f && fwrite(data, 1, len, f) == len ? 0 : -1;
		if (f)
			fclose(f);
	}
	if (!r)
		r = crypto_sign(tpath("key.pem"), (unsigned char *)data, len, &b64, &err);
	if (!r) {
		snprintf(sig, sizeof(sig), "%s.sig", path);
		f = fopen(sig, "w");
		r = f && fprintf(f, "%s\n", b64) > 0 ? 0 : -1;
		if (f)
			fclose(f);
	}
	if (r)
		fprintf(stderr, "  baseline %s: %s\n", path, err.msg);
	free(data);
	free(b64);
	return r;
}

/* The test binary as a baseline entry; @tamper flips its hash (a "modified" file). */
static struct sw_entry entry_of_self(bool tamper)
{
	struct sw_entry e = self_entry;

	if (tamper)
		e.sha256[0] ^= 0xff;
	return e;
}

struct harness {
	struct daemon d;
	struct sw_pubkey *key;
	char events_path[PATH_MAX];
	json_t *events; /* array of what was emitted, after harness_finish() */
	struct report_stats stats;
};

enum { NO_HOST, HOST_OK, HOST_MODIFIED, HOST_OTHER };

/*
 * A daemon state as setup() in daemon.c builds it, without BPF: a file:
 * sink, the report, the verdict cache, one hash worker, the resolver on the
 * fixture, a store with the host baseline @host and, with @image_modified,
 * the container image's baseline holding the test binary with a wrong hash.
 */
static int harness_start(struct harness *h, int host, bool image_baseline, bool all_events)
{
	struct sw_error err = { { 0 } };
	struct resolver_opts ro = { 0 };
	struct verifier_opts vo = { .workers = 1, .queue_size = 64 };
	struct bstore_opts bo = { 0 };
	struct sw_entry self = entry_of_self(host == HOST_MODIFIED), other = self_entry;
	struct sw_entry *list[1] = { &self };
	char spec[PATH_MAX + 8], dir[PATH_MAX], root[PATH_MAX];
	char *specs[1] = { spec };
	int r;

	snprintf(root, sizeof(root), "%s", tpath("node"));
	ro.root = root;

	memset(h, 0, sizeof(*h));
	config_init(&h->d.cfg);
	h->d.cfg.all_events = all_events;
	h->d.cfg.no_baseline_severity = SW_SEVERITY_LOW;
	h->d.sigfd = h->d.inofd = -1;
	h->d.host_mntns = host_mntns;
	snprintf(h->events_path, sizeof(h->events_path), "%s/events-%d.jsonl", tmp, ++run_no);
	snprintf(spec, sizeof(spec), "file:%s", h->events_path);
	snprintf(dir, sizeof(dir), "%s/baselines-%d", tmp, run_no);
	if (mkdir(dir, 0755))
		return -1;
	if (host == HOST_OTHER) { /* a host baseline without the test binary */
		other.path = "/nonexistent/sealwatch-test";
		list[0] = &other;
	}
	if (host != NO_HOST && write_baseline(tpath("host.jsonl"), false, list, 1))
		return -1;
	if (image_baseline) {
		struct sw_entry modified = entry_of_self(true);
		struct sw_entry *ilist[1] = { &modified };
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/img.jsonl", dir);
		if (write_baseline(path, true, ilist, 1))
			return -1;
	}
	r = crypto_pubkey_load(tpath("pub.pem"), &h->key, &err);
	if (!r)
		r = sinks_new(specs, 1, &h->d.sinks, &err);
	if (!r)
		r = report_new(h->d.sinks, all_events, &h->d.report);
	if (!r)
		r = vcache_new(1024, &h->d.cache);
	if (!r)
		r = resolver_new(&ro, &h->d.resolver, &err);
	if (!r) {
		bo.dir = dir;
		bo.host_baseline = host != NO_HOST ? tpath("host.jsonl") : NULL;
		bo.keys = &h->key;
		bo.n_keys = 1;
		r = bstore_load(&bo, &h->d.store, &err);
	}
	if (!r) {
		vo.report = h->d.report;
		vo.cache = h->d.cache;
		vo.on_report = prevent_on_report; /* as daemon.c: a no-op without d.prevent */
		vo.ctx = &h->d;
		r = verifier_new(&vo, &h->d.verifier);
	}
	if (r)
		fprintf(stderr, "  harness: %s (%d)\n", err.msg, r);
	return r;
}

/* Finish every job, flush the sink, read what it wrote. */
static void harness_finish(struct harness *h)
{
	char line[65536];
	FILE *f;

	verifier_free(h->d.verifier);
	report_stats(h->d.report, &h->stats);
	report_free(h->d.report);
	sinks_free(h->d.sinks);
	resolver_free(h->d.resolver);
	vcache_free(h->d.cache);
	bstore_unref(h->d.store);
	crypto_pubkey_free(h->key);
	config_clear(&h->d.cfg);
	h->events = json_array();
	f = fopen(h->events_path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);

		if (j)
			json_array_append_new(h->events, j);
		else
			fprintf(stderr, "  not JSON: %s", line);
	}
	if (f)
		fclose(f);
}

static void harness_free(struct harness *h)
{
	json_decref(h->events);
}

/* The value at a dotted path ("sealwatch.verdict") of @j, or NULL. */
static json_t *at(json_t *j, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	return json_string_value(at(j, path));
}

static long long int_at(json_t *j, const char *path)
{
	return json_integer_value(at(j, path));
}

/* The only event of @action; NULL (and a failed check) unless exactly one. */
static json_t *only(struct harness *h, const char *action)
{
	json_t *found = NULL, *e;
	size_t i, n = 0;

	json_array_foreach(h->events, i, e)
		if (!strcmp(str_at(e, "event.action") ?: "", action)) {
			found = e;
			n++;
		}
	if (n != 1) {
		fprintf(stderr, "  %zu events of action %s, expected 1\n", n, action);
		check_current_failed = 1;
		return NULL;
	}
	return found;
}

/* An exec event of this test process, as the BPF programs fill it. */
static struct sw_exec_event exec_event(__u32 type)
{
	struct sw_exec_event ev = { .type = type };

	ev.pid = ev.tgid = (__u32)getpid();
	ev.ppid = (__u32)getppid();
	ev.mntns = host_mntns;
	ev.file = self_id;
	ev.fd = ev.fd2 = -1;
	snprintf(ev.comm, sizeof(ev.comm), "test_events");
	snprintf(ev.filename, sizeof(ev.filename), "%s", self_path);
	return ev;
}

static struct sw_exec_event container_exec(void)
{
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);

	ev.mntns = host_mntns + 1; /* not the host's mount namespace */
	snprintf(ev.cgroup_name, sizeof(ev.cgroup_name), "libpod-%s", CID);
	return ev;
}

TEST(exec_ok_counted_not_emitted)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);

	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	CHECK_INT(daemon_on_event(&h.d, &ev), 0);
	harness_finish(&h);
	CHECK_INT(json_array_size(h.events), 0);
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_EXEC][SW_VERDICT_OK], 1);
	harness_free(&h);
}

TEST(exec_ok_emitted_with_all_events_then_cached)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	uint64_t hits = 0, misses = 0;
	struct verifier_stats vs;
	json_t *e;
	size_t i;

	if (harness_start(&h, HOST_OK, false, true)) {
		CHECK(0);
		return;
	}
	CHECK_INT(daemon_on_event(&h.d, &ev), 0);
	/* let the worker hash it and fill the verdict cache, then the same file again */
	for (int n = 0; n < 5000; n++) {
		verifier_stats(h.d.verifier, &vs);
		if (vs.done == 1)
			break;
		usleep(1000);
	}
	CHECK_INT(vs.done, 1);
	CHECK_INT(daemon_on_event(&h.d, &ev), 0);
	vcache_stats(h.d.cache, &hits, &misses);
	CHECK_INT(hits, 1);
	CHECK_INT(h.d.stats.events, 2);
	harness_finish(&h);
	CHECK_INT(json_array_size(h.events), 2);
	json_array_foreach(h.events, i, e) {
		CHECK_STR(str_at(e, "sealwatch.verdict"), "ok");
		CHECK_STR(str_at(e, "event.action"), "exec");
		CHECK_STR(str_at(e, "event.kind"), "event");
		CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_INFO);
		CHECK_STR(str_at(e, "file.path"), self_path);
		CHECK_STR(str_at(e, "sealwatch.baseline.match"), "host");
		CHECK_INT(int_at(e, "process.pid"), getpid());
	}
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_EXEC][SW_VERDICT_OK], 2);
	harness_free(&h);
}

TEST(exec_modified)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	json_t *e;

	if (harness_start(&h, HOST_MODIFIED, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "modified");
	CHECK_STR(str_at(e, "event.kind"), "alert");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_CRITICAL);
	CHECK(str_at(e, "file.hash.sha256") != NULL);
	CHECK(str_at(e, "sealwatch.expected.sha256") != NULL);
	CHECK(json_array_size(at(e, "process.args")) >= 1);
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_EXEC][SW_VERDICT_MODIFIED], 1);
	harness_free(&h);
}

/*
 * Prevention beside the monitor (daemon/prevent.c): in an audit scope the
 * fanotify backend reports a refused exec itself, with its decision; the
 * monitor's verdict on the same exec is not reported again. A memfd exec,
 * which no fanotify mark reaches, is the monitor's to report: would_deny.
 * The backend is a stub here (only its presence is looked at).
 */
TEST(audit_finding_reported_once_beside_fanotify)
{
	static char fanotify_stub;
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	struct sw_exec_event memfd = exec_event(SW_EVENT_EXEC);
	json_t *e;

	if (harness_start(&h, HOST_MODIFIED, false, false)) {
		CHECK(0);
		return;
	}
	h.d.cfg.policy.default_mode = SW_MODE_AUDIT;
	CHECK_INT(prevent_init(&h.d), 0);
	h.d.enforce = (struct enforce *)&fanotify_stub;
	daemon_on_event(&h.d, &ev);
	memfd.flags |= SW_EF_MEMFD;
	daemon_on_event(&h.d, &memfd);
	verifier_free(h.d.verifier); /* every verdict out before the stub goes */
	h.d.verifier = NULL;
	h.d.enforce = NULL;
	prevent_stop(&h.d);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "fileless");
	CHECK_STR(str_at(e, "sealwatch.decision"), "would_deny");
	CHECK_STR(str_at(e, "sealwatch.mode"), "audit");
	CHECK_STR(str_at(e, "event.outcome"), "success");
	harness_free(&h);
}

/*
 * A reload that loads the same baselines keeps the BPF LSM backend's
 * decisions (daemon/reload.c swap_store): told by the baselines' digests.
 */
TEST(store_same_by_digest)
{
	struct harness h;
	struct sw_error err = { { 0 } };
	struct bstore_opts bo = { 0 };
	struct sw_bstore *again = NULL, *none = NULL;

	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	bo.host_baseline = tpath("host.jsonl");
	bo.keys = &h.key;
	bo.n_keys = 1;
	CHECK_INT(bstore_load(&bo, &again, &err), 0);
	bo.host_baseline = NULL;
	CHECK_INT(bstore_load(&bo, &none, &err), 0);
	CHECK(bstore_same(h.d.store, again));
	CHECK(bstore_same(again, h.d.store));
	CHECK(!bstore_same(h.d.store, none));
	CHECK(!bstore_same(none, h.d.store));
	CHECK(bstore_same(none, NULL));
	bstore_unref(again);
	bstore_unref(none);
	harness_finish(&h);
	harness_free(&h);
}

TEST(exec_unknown)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	json_t *e;

	if (harness_start(&h, HOST_OTHER, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "unknown");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_HIGH);
	/* a renamed copy: the same content is in the baseline under another path */
	CHECK_STR(str_at(e, "sealwatch.same_content_as"), "/nonexistent/sealwatch-test");
	harness_free(&h);
}

TEST(exec_fileless_without_baseline)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	json_t *e;

	ev.flags |= SW_EF_MEMFD;
	if (harness_start(&h, NO_HOST, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "fileless");
	CHECK_STR(str_at(e, "sealwatch.reason"), "executed from memory (memfd/shmem)");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_HIGH);
	harness_free(&h);
}

TEST(exec_host_without_baseline_is_unmonitored)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);

	if (harness_start(&h, NO_HOST, false, true)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	CHECK_INT(h.d.stats.host_unmonitored, 1);
	harness_finish(&h);
	CHECK_INT(json_array_size(h.events), 0);
	harness_free(&h);
}

TEST(exec_identity_differs_unverified)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	json_t *e;

	ev.file.ctime_nsec ^= 1; /* the file the kernel ran is not the one found now */
	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "unverified");
	CHECK_STR(str_at(e, "sealwatch.reason"), "file replaced since the exec (identity differs)");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_MEDIUM);
	harness_free(&h);
}

TEST(container_without_baseline_no_baseline)
{
	struct harness h;
	struct sw_exec_event ev = container_exec();
	json_t *e;

	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "no_baseline");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_LOW); /* the configured one */
	CHECK_STR(str_at(e, "container.id"), CID);
	CHECK_STR(str_at(e, "container.runtime"), "podman");
	CHECK_STR(str_at(e, "container.name"), "web");
	CHECK_STR(str_at(e, "container.image.id"), "sha256:" IMG);
	CHECK(at(e, "sealwatch.baseline") == NULL);
	harness_free(&h);
}

/*
 * With a registry configured (here one that refuses connections: loopback
 * port 1), a container without a baseline is pending until the fetcher
 * answers: unverified with sealwatch.baseline.status "pending", never ok; once
 * the answer is "none to be had" (this fixture records no manifest digest),
 * no_baseline.
 */
TEST(container_baseline_pending_then_no_baseline)
{
	char cache[PATH_MAX], key[PATH_MAX], *regs[] = { "127.0.0.1:1" }, *keys[] = { key };
	struct fetcher_opts fo = {
		.registries = regs,
		.n_registries = 1,
		.reg = { .insecure = true, .connect_timeout_s = 2 },
		.cache_dir = cache,
		.key_paths = keys,
		.n_keys = 1,
	};
	struct sw_exec_event ev = container_exec();
	struct pollfd pfd;
	struct harness h;
	json_t *e;

	snprintf(cache, sizeof(cache), "%s", tpath("fetch-cache"));
	snprintf(key, sizeof(key), "%s", tpath("pub.pem")); /* tpath's buffers rotate */
	if (harness_start(&h, HOST_OK, false, false) || fetcher_new(&fo, &h.d.fetcher, NULL)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	pfd = (struct pollfd){ .fd = fetcher_fd(h.d.fetcher), .events = POLLIN };
	CHECK_INT(poll(&pfd, 1, 30000), 1); /* hang guard */
	fetch_results(&h.d);
	daemon_on_event(&h.d, &ev);
	fetcher_free(h.d.fetcher);
	harness_finish(&h);
	CHECK_INT(json_array_size(h.events), 2);
	e = json_array_get(h.events, 0);
	CHECK_STR(str_at(e, "sealwatch.verdict"), "unverified");
	CHECK_STR(str_at(e, "sealwatch.baseline.status"), "pending");
	CHECK_STR(str_at(e, "sealwatch.reason"),
		  "baseline.pending: the image's baseline is being fetched from a registry");
	CHECK_STR(str_at(e, "container.image.id"), "sha256:" IMG);
	e = json_array_get(h.events, 1);
	CHECK_STR(str_at(e, "sealwatch.verdict"), "no_baseline");
	CHECK(at(e, "sealwatch.baseline") == NULL);
	harness_free(&h);
}

TEST(container_image_baseline_modified)
{
	struct harness h;
	struct sw_exec_event ev = container_exec();
	json_t *e;

	if (harness_start(&h, HOST_OK, true, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "modified");
	CHECK_STR(str_at(e, "sealwatch.baseline.match"), "image_id");
	CHECK_STR(str_at(e, "container.image.id"), "sha256:" IMG);
	harness_free(&h);
}

TEST(container_unknown_to_runtimes_unverified)
{
	struct harness h;
	struct sw_exec_event ev = container_exec();
	json_t *e;

	/* a container id no runtime knows */
	memset(ev.cgroup_name + strlen("libpod-"), 'e', SW_CONTAINER_ID_LEN);
	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "unverified");
	CHECK_STR(str_at(e, "sealwatch.reason"), "container not found in any runtime's state");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_MEDIUM);
	harness_free(&h);
}

TEST(script_exec_verifies_script_and_interpreter)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_EXEC);
	json_t *e;

	if (write_text(tpath("script.sh"), "#!/bin/sh\necho hi\n")) {
		CHECK(0);
		return;
	}
	ev.flags |= SW_EF_SCRIPT;
	snprintf(ev.filename, sizeof(ev.filename), "%s", tpath("script.sh"));
	snprintf(ev.interp, sizeof(ev.interp), "%s", self_path); /* the "interpreter" */
	if (harness_start(&h, HOST_MODIFIED, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "exec_script");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "unknown");
	CHECK_STR(str_at(e, "file.path"), tpath("script.sh"));
	e = only(&h, "exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "modified");
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_EXEC_SCRIPT][SW_VERDICT_UNKNOWN], 1);
	harness_free(&h);
}

TEST(mmap_exec_counted_under_its_own_action)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_MMAP_EXEC);
	int fd = open(self_path, O_RDONLY | O_CLOEXEC);
	json_t *e;

	ev.fd = fd; /* no mapping address: the daemon opens /proc/PID/fd/N */
	if (fd < 0 || harness_start(&h, HOST_MODIFIED, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	close(fd);
	e = only(&h, "mmap_exec");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "modified");
	CHECK_STR(str_at(e, "file.path"), self_path);
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_MMAP_EXEC][SW_VERDICT_MODIFIED], 1);
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_EXEC][SW_VERDICT_MODIFIED], 0);
	harness_free(&h);
}

TEST(open_write_of_baseline_file_is_tamper)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_OPEN_WRITE);
	json_t *e;

	ev.fd = AT_FDCWD;
	ev.flags |= SW_EF_NO_FILE_ID;
	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "open_write");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "tamper");
	CHECK_STR(str_at(e, "sealwatch.reason"), "a file of the image opened for writing");
	CHECK_INT(int_at(e, "event.severity"), SW_SEVERITY_CRITICAL);
	CHECK_STR(str_at(e, "file.path"), self_path);
	CHECK_INT(h.stats.verdicts[REPORT_ACTION_OPEN_WRITE][SW_VERDICT_TAMPER], 1);
	harness_free(&h);
}

TEST(rename_names_the_old_path)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_RENAME);
	json_t *e;

	ev.fd = ev.fd2 = AT_FDCWD;
	ev.flags |= SW_EF_NO_FILE_ID;
	snprintf(ev.old_path, sizeof(ev.old_path), "%s", self_path); /* moved away */
	snprintf(ev.filename, sizeof(ev.filename), "%s", tpath("elsewhere"));
	if (harness_start(&h, HOST_OK, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "rename");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "tamper");
	CHECK_STR(str_at(e, "sealwatch.reason"), "a file of the image replaced or moved");
	CHECK_STR(str_at(e, "file.path"), self_path);
	harness_free(&h);
}

TEST(ld_so_preload_write_is_tamper_without_baseline)
{
	struct harness h;
	struct sw_exec_event ev = exec_event(SW_EVENT_OPEN_WRITE);
	json_t *e;

	ev.fd = AT_FDCWD;
	ev.flags |= SW_EF_NO_FILE_ID;
	snprintf(ev.filename, sizeof(ev.filename), "/etc/ld.so.preload");
	if (harness_start(&h, NO_HOST, false, false)) {
		CHECK(0);
		return;
	}
	daemon_on_event(&h.d, &ev);
	harness_finish(&h);
	e = only(&h, "open_write");
	CHECK_STR(str_at(e, "sealwatch.verdict"), "tamper");
	CHECK_STR(str_at(e, "file.path"), "/etc/ld.so.preload");
	CHECK(strstr(str_at(e, "sealwatch.reason") ?: "", "ld.so.preload written") != NULL);
	harness_free(&h);
}

TEST(write_outside_baseline_and_unwanted_reads_are_silent)
{
	struct harness h;
	struct sw_exec_event w = exec_event(SW_EVENT_TRUNCATE);
	struct sw_exec_event r = exec_event(SW_EVENT_READ_OPEN);
	struct sw_exec_event bad = exec_event(SW_EVENT_EXEC);

	w.fd = r.fd = AT_FDCWD;
	snprintf(w.filename, sizeof(w.filename), "%s", tpath("not-in-baseline"));
	bad.type = 99; /* unknown type: logged, ignored */
	if (harness_start(&h, HOST_OK, false, true)) {
		CHECK(0);
		return;
	}
	CHECK_INT(daemon_on_event(&h.d, &w), 0);
	CHECK_INT(daemon_on_event(&h.d, &r), 0); /* no verify_read_paths configured */
	CHECK_INT(daemon_on_event(&h.d, &bad), 0);
	harness_finish(&h);
	CHECK_INT(json_array_size(h.events), 0);
	harness_free(&h);
}

TEST(daemon_events_counted_by_action)
{
	struct harness h;
	json_t *e;

	if (harness_start(&h, NO_HOST, false, false)) {
		CHECK(0);
		return;
	}
	report_daemon(h.d.report, "alert", "events_lost", SW_SEVERITY_HIGH,
		      json_pack("{s:I}", "lost", (json_int_t)3), "%d events lost", 3);
	report_daemon(h.d.report, "event", "start", SW_SEVERITY_INFO, NULL, "started");
	harness_finish(&h);
	CHECK_INT(h.stats.alerts[REPORT_ALERT_EVENTS_LOST], 1);
	e = only(&h, "events_lost");
	CHECK_STR(str_at(e, "event.kind"), "alert");
	CHECK_INT(int_at(e, "sealwatch.lost"), 3);
	CHECK_STR(str_at(e, "message"), "3 events lost");
	e = only(&h, "start");
	CHECK_STR(str_at(e, "event.kind"), "event");
	harness_free(&h);
}

TEST(severity_mapped_once)
{
	CHECK_INT(verdict_severity(SW_VERDICT_OK), SW_SEVERITY_INFO);
	CHECK_INT(verdict_severity(SW_VERDICT_MODIFIED), SW_SEVERITY_CRITICAL);
	CHECK_INT(verdict_severity(SW_VERDICT_TAMPER), SW_SEVERITY_CRITICAL);
	CHECK_INT(verdict_severity(SW_VERDICT_UNKNOWN), SW_SEVERITY_HIGH);
	CHECK_INT(verdict_severity(SW_VERDICT_FILELESS), SW_SEVERITY_HIGH);
	CHECK_INT(verdict_severity(SW_VERDICT_UNVERIFIED), SW_SEVERITY_MEDIUM);
	CHECK_INT(verdict_severity(SW_VERDICT_NO_BASELINE), SW_SEVERITY_MEDIUM);
}

int main(void)
{
	char cmd[128];

	if (setup()) {
		printf("FAIL: unit/test_events.c/setup\n");
		return 1;
	}
	RUN(exec_ok_counted_not_emitted);
	RUN(exec_ok_emitted_with_all_events_then_cached);
	RUN(exec_modified);
	RUN(audit_finding_reported_once_beside_fanotify);
	RUN(store_same_by_digest);
	RUN(exec_unknown);
	RUN(exec_fileless_without_baseline);
	RUN(exec_host_without_baseline_is_unmonitored);
	RUN(exec_identity_differs_unverified);
	RUN(container_without_baseline_no_baseline);
	RUN(container_baseline_pending_then_no_baseline);
	RUN(container_image_baseline_modified);
	RUN(container_unknown_to_runtimes_unverified);
	RUN(script_exec_verifies_script_and_interpreter);
	RUN(mmap_exec_counted_under_its_own_action);
	RUN(open_write_of_baseline_file_is_tamper);
	RUN(rename_names_the_old_path);
	RUN(ld_so_preload_write_is_tamper_without_baseline);
	RUN(write_outside_baseline_and_unwanted_reads_are_silent);
	RUN(daemon_events_counted_by_action);
	RUN(severity_mapped_once);
	entry_clear(&self_entry);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", tmp);
	return check_exit();
}
