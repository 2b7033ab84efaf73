// SPDX-License-Identifier: GPL-2.0-only
/*
 * `sealwatch trace` (hidden, for tests and debugging): the BPF exec layer on
 * its own. One JSON object per event on stdout; at the end one JSON line of
 * counters on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "bpf_loader.h"
#include "commands.h"
#include "daemon_metrics.h"
#include "errors.h"
#include "events.h"
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "path.h"
#include "procpath.h"

struct trace_state {
	unsigned long max_events; /* 0: no limit */
	unsigned long printed;
	bool file_events; /* --file-events: the file doors' events too, not only exec */
	int error;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* enum sw_event_flags, bit by bit */
static const char *const flag_names[] = {
	"deleted", /* SW_EF_DELETED */
	"memfd", /* SW_EF_MEMFD */
	"overlay", /* SW_EF_OVERLAY */
	"overlay_upper", /* SW_EF_OVERLAY_UPPER */
	"upper_known", /* SW_EF_UPPER_KNOWN */
	"script", /* SW_EF_SCRIPT */
	"filename_trunc", /* SW_EF_FILENAME_TRUNC */
	"cgroup_v1", /* SW_EF_CGROUP_V1 */
	"fallback_tp", /* SW_EF_FALLBACK_TP */
	"lsm", /* SW_EF_LSM */
	"d_path", /* SW_EF_DPATH */
	"path_dentry", /* SW_EF_PATH_DENTRY */
	"path_top", /* SW_EF_PATH_TOP */
	"mprotect", /* SW_EF_MPROTECT */
	"no_file_id", /* SW_EF_NO_FILE_ID */
	"exe_dentry", /* SW_EF_EXE_DENTRY */
};
_Static_assert(sizeof(flag_names) / sizeof(flag_names[0]) == 16 && SW_EF_EXE_DENTRY == 1 << 15,
	       "one name per flag, in bit order");

static const char *type_name(__u32 type)
{
	switch (type) {
	case SW_EVENT_EXEC:
		return "exec";
	case SW_EVENT_MMAP_EXEC:
		return "mmap_exec";
	case SW_EVENT_OPEN_WRITE:
		return "open_write";
	case SW_EVENT_SCRIPT_OPEN:
		return "script_open";
	case SW_EVENT_UNLINK:
		return "unlink";
	case SW_EVENT_RENAME:
		return "rename";
	case SW_EVENT_TRUNCATE:
		return "truncate";
	case SW_EVENT_READ_OPEN:
		return "read_open";
	default:
		return "other";
	}
}

/* a fixed-size, maybe unterminated kernel string → escaped JSON string */
static json_t *jstr(const char *s, size_t size)
{
	char raw[SW_FILENAME_LEN + 1];
	json_t *v;
	char *esc;

	if (size > SW_FILENAME_LEN)
		size = SW_FILENAME_LEN;
	memcpy(raw, s, size);
	raw[size] = '\0';
	esc = path_escape(raw);
	if (!esc)
		return NULL;
	v = json_string(esc);
	free(esc);
	return v;
}

/*
 * filename/interp as a path: a dentry walk's leaf-first names reversed (when
 * it reached the task's root; else the names joined as they came, leaf
 * first, with no leading '/'), anything else as sent.
 */
static json_t *path_json(const struct sw_exec_event *e, const char *field, bool dentries)
{
	char path[PATH_MAX];
	size_t n = 0;

	if (!dentries || !field[0])
		return jstr(field, SW_FILENAME_LEN);
	if ((e->flags & SW_EF_PATH_TOP) &&
	    !procpath_from_dentries(field, SW_FILENAME_LEN, path, sizeof(path)))
		return jstr(path, strlen(path));
	/* leaf first, "<" between the names: visibly not a path */
	for (size_t i = 0; i < SW_FILENAME_LEN && n + 2 < sizeof(path);) {
		size_t len = strnlen(field + i, SW_FILENAME_LEN - i);

		if (!len)
			break;
		if (n)
			path[n++] = '<';
		if (len > sizeof(path) - n - 1)
			len = sizeof(path) - n - 1;
		memcpy(path + n, field + i, len);
		n += len;
		i += len + 1;
	}
	path[n] = '\0';
	return jstr(path, n);
}

/* json_object_set_new for a chain of calls: takes @value in every case */
static void set(json_t *obj, const char *key, json_t *value, int *err)
{
	if (!obj) {
		json_decref(value);
		*err = -ENOMEM;
		return;
	}
	/* json_object_set_new releases @value when it fails */
	if (!value || json_object_set_new(obj, key, value))
		*err = -ENOMEM;
}

static json_t *jint(__u64 v)
{
	return json_integer((json_int_t)v);
}

static json_t *event_json(const struct sw_exec_event *e)
{
	json_t *obj = json_object(), *file = json_object(), *flags = json_array();
	char dev[32];
	int err = 0;

	for (size_t i = 0; flags && i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (e->flags & (1U << i) &&
		    json_array_append_new(flags, json_string(flag_names[i])))
			err = -ENOMEM;
	/* kernel dev_t: MAJOR << 20 | MINOR */
	snprintf(dev, sizeof(dev), "%u:%u", e->file.dev >> 20, e->file.dev & 0xfffff);
	set(file, "dev", json_string(dev), &err);
	set(file, "ino", jint(e->file.ino), &err);
	set(file, "size", jint(e->file.size), &err);
	set(file, "ctime_sec", json_integer(e->file.ctime_sec), &err);
	set(file, "ctime_nsec", jint(e->file.ctime_nsec), &err);
	set(file, "nlink", jint(e->file.nlink), &err);

	set(obj, "type", json_string(type_name(e->type)), &err);
	set(obj, "flags", jint(e->flags), &err);
	set(obj, "flag_names", flags, &err);
	set(obj, "boot_ns", jint(e->boot_ns), &err);
	set(obj, "pid", jint(e->pid), &err);
	set(obj, "tgid", jint(e->tgid), &err);
	set(obj, "ppid", jint(e->ppid), &err);
	set(obj, "uid", jint(e->uid), &err);
	set(obj, "gid", jint(e->gid), &err);
	set(obj, "mntns", jint(e->mntns), &err);
	set(obj, "cgroup_id", jint(e->cgroup_id), &err);
	set(obj, "comm", jstr(e->comm, sizeof(e->comm)), &err);
	set(obj, "cgroup_name", jstr(e->cgroup_name, sizeof(e->cgroup_name)), &err);
	set(obj, "filename", path_json(e, e->filename, e->flags & SW_EF_PATH_DENTRY), &err);
	set(obj, "interp",
	    path_json(e, e->interp, e->flags & (SW_EF_PATH_DENTRY | SW_EF_EXE_DENTRY)), &err);
	set(obj, "file", file, &err);
	if (err) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int print_event(void *ctx, const struct sw_exec_event *e)
{
	struct trace_state *st = ctx;
	json_t *obj;

	if (st->max_events && st->printed >= st->max_events)
		return 0;
	/* the exec layer; the file doors' events only when asked (--file-events) */
	if (e->type != SW_EVENT_EXEC && !st->file_events)
		return 0;
	obj = event_json(e);
	if (!obj || json_dumpf(obj, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF) {
		json_decref(obj);
		st->error = -EIO;
		return -EIO;
	}
	json_decref(obj);
	fflush(stdout);
	st->printed++;
	return 0;
}

static int print_counters(const struct bpf_loader *l)
{
	__u64 counters[SW_CNT__MAX], used, size;
	char labels[32];
	json_t *obj;
	int ret;

	ret = bpf_loader_counters(l, counters);
	if (ret)
		return ret;
	bpf_loader_ringbuf_fill(l, &used, &size);
	obj = json_pack("{s:s, s:I, s:I, s:I}", "attach_mode", bpf_loader_attach_mode(l),
			"bad_records", (json_int_t)bpf_loader_bad_records(l), "ringbuf_used",
			(json_int_t)used, "ringbuf_size", (json_int_t)size);
	for (int c = 0; obj && c < SW_CNT__MAX; c++)
		json_object_set_new(obj, bpf_loader_counter_name(c),
				    json_integer((json_int_t)counters[c]));
	/* what operators see: sealwatch_attach_info{mode=...}, sampled like the daemon does */
	daemon_metrics_sample(&(struct daemon_metrics_sources){ .bpf = l });
	snprintf(labels, sizeof(labels), "mode=\"%s\"", bpf_loader_mode_name(bpf_loader_mode(l)));
	if (obj)
		json_object_set_new(obj, "attach_info",
				    json_real(metrics_get("sealwatch_attach_info", labels)));
	if (!obj)
		return -ENOMEM;
	json_dumpf(obj, stderr, JSON_COMPACT | JSON_SORT_KEYS);
	fputc('\n', stderr);
	json_decref(obj);
	return 0;
}

static void trace_usage(FILE *out)
{
	fprintf(out, "Usage: sealwatch trace [--duration SEC] [--count N] [--force-tp]\n"
		     "                       [--attach MODE] [--file-events] [-v]\n\n"
		     "Debug tool: load the exec BPF programs and print one JSON object per\n"
		     "exec on stdout until SIGINT/SIGTERM, SEC seconds or N events; then the\n"
		     "BPF counters as one JSON line on stderr. Needs root.\n\n"
		     "  --duration SEC  stop after SEC seconds (default: never)\n"
		     "  --count N       stop after N events\n"
		     "  --force-tp      use tp/sched/sched_process_exec even if tp_btf works\n"
		     "  --attach MODE   auto (default), lsm, tp_btf or tp (only that mode)\n"
		     "  --file-events   also the file doors' events (mmap_exec, open_write, …)\n"
		     "  --ringbuf-size BYTES  ring buffer size (power of two, default 8 MiB)\n"
		     "  -v, --verbose   libbpf debug output\n");
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' ? -EINVAL : 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The command line into @opts, @st, *@duration: 0, 1 after --help, or -1 (logged). */
static int parse_trace_args(int argc, char **argv, struct bpf_loader_opts *opts,
			    struct trace_state *st, unsigned long *duration)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "force-tp", no_argument, NULL, 't' },
		{ "attach", required_argument, NULL, 'a' },
		{ "file-events", no_argument, NULL, 'f' },
		{ "ringbuf-size", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_ulong(optarg, duration) || *duration > INT_MAX) {
				log_error("trace: bad --duration '%s'", optarg);
				return -1;
			}
			break;
		case 'n':
			if (parse_ulong(optarg, &st->max_events)) {
				log_error("trace: bad --count '%s'", optarg);
				return -1;
			}
			break;
		case 'r':
			if (parse_ulong(optarg, &opts->ringbuf_bytes)) {
				log_error("trace: bad --ringbuf-size '%s'", optarg);
				return -1;
			}
			break;
		case 't':
			opts->force_tp = true;
			break;
		case 'a':
			if (bpf_loader_attach_parse(optarg, &opts->attach)) {
				log_error("trace: bad --attach '%s' (auto, lsm, tp_btf, tp)",
					  optarg);
				return -1;
			}
			break;
		case 'f':
			st->file_events = true;
			break;
		case 'v':
			opts->verbose = true;
			log_set_level(SW_LOG_DEBUG);
			break;
		case 'h':
			trace_usage(stdout);
			return 1;
		default:
			log_error("trace: bad option '%s' (try 'sealwatch trace --help')",
				  argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc) {
		log_error("trace: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* Print events until a signal, the deadline or the count; 0 or SW_EXIT_IO. */
static int trace_loop(struct bpf_loader *l, struct trace_state *st, unsigned long duration)
{
	double deadline = duration ? now_seconds() + (double)duration : 0;
	int ret;

	while (!stop_signal) {
		if (st->max_events && st->printed >= st->max_events)
			break;
		if (deadline && now_seconds() >= deadline)
			break;
		ret = bpf_loader_poll(l, 100);
		if (ret < 0 && ret != -EINTR) {
			log_error("trace: reading events: %s", strerror(-ret));
			return SW_EXIT_IO;
		}
	}
	return SW_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_state st = {};
	struct bpf_loader_opts opts = { .on_event = print_event, .ctx = &st };
	unsigned long duration = 0;
	struct sigaction sa = {};
	struct bpf_loader *l = NULL;
	struct sw_error err = { "" };
	int ret, rc;

	ret = parse_trace_args(argc, argv, &opts, &st, &duration);
	if (ret)
		return ret > 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
	/* no SA_RESTART: the poll returns -EINTR and the loop sees the flag */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = bpf_loader_open(&opts, &l, &err);
	if (ret) {
		log_error("trace: %s", err.msg[0] ? err.msg : strerror(-ret));
		return sw_exit_from_errno(ret);
	}
	rc = trace_loop(l, &st, duration);
	/* what is already in the ring buffer still counts (and frees the slots) */
	if (rc == SW_EXIT_OK)
		bpf_loader_poll(l, 0);
	ret = print_counters(l);
	if (ret) {
		log_error("trace: reading counters: %s", strerror(-ret));
		rc = SW_EXIT_IO;
	}
	bpf_loader_close(l);
	return rc;
}
