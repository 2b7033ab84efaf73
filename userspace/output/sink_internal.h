/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between the sink core (sink.c: specs, queues, workers, metrics)
 * and the drivers (sink_file.c, sink_syslog.c, sink_http.c). A driver parses
 * its options at open time, then its deliver() runs on the sink's own worker
 * thread only, so drivers need no locking of their own.
 */
#ifndef SW_SINK_INTERNAL_H
#define SW_SINK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sw_error;

#define SINK_MAX_OPTS 24
#define SINK_DEFAULT_QUEUE 10000
#define SINK_FLUSH_TIMEOUT_MS 5000

enum sink_format {
	SINK_FORMAT_JSON, /* the ECS line as is */
	SINK_FORMAT_FALCO, /* falcosidekick's input (a Falco alert) */
	SINK_FORMAT_SPLUNK_HEC, /* Splunk HTTP Event Collector envelope */
	SINK_FORMAT_ELASTIC_BULK, /* Elasticsearch _bulk: action line + document */
};

struct sink_opt {
	char *key, *value;
	bool used;
};

/* "SCHEME:TARGET?k=v&…" split once; option values are %-decoded. */
struct sink_spec {
	const char *raw; /* the spec as given (may hold credentials: never print it) */
	char *text; /* the spec with any user:password@ replaced: for messages and names */
	char *scheme; /* "stdout", "file", "syslog+tcp", "https", … */
	char *target; /* after "SCHEME:" up to '?' */
	struct sink_opt opts[SINK_MAX_OPTS];
	size_t n_opts;
};

int sink_spec_parse(const char *text, struct sink_spec *spec, struct sw_error *err);
/*
 * @text with the userinfo of a URL ("scheme://user:secret@host…") replaced by
 * "REDACTED": what metrics labels, logs and events may show. Malloc'd, or NULL.
 */
char *sink_spec_redact(const char *text);
void sink_spec_clear(struct sink_spec *spec);
/* Option getters: 0 and @ret untouched when absent; -EBADMSG naming the option when bad. */
int sink_opt_str(struct sink_spec *spec, const char *key, const char **ret);
int sink_opt_size(struct sink_spec *spec, const char *key, uint64_t *ret, struct sw_error *err);
int sink_opt_ms(struct sink_spec *spec, const char *key, unsigned int *ret, struct sw_error *err);
int sink_opt_uint(struct sink_spec *spec, const char *key, unsigned int min, unsigned int max,
		  unsigned int *ret, struct sw_error *err);
int sink_opt_bool(struct sink_spec *spec, const char *key, bool *ret, struct sw_error *err);
/* "HOST:PORT" or "[V6]:PORT" (an optional "/path" after it is returned in @path). */
int sink_parse_hostport(const char *target, char **host, char **port, const char **path,
			struct sw_error *err);

struct sink;

/* The metric families of every sink (labelled sink="NAME"). */
#define SINK_M_EVENTS "sealwatch_sink_events_total"
#define SINK_M_ERRORS "sealwatch_sink_errors_total"
#define SINK_M_DROPPED "sealwatch_sink_dropped_total"
#define SINK_M_QUEUE "sealwatch_sink_queue_depth"

struct sink_driver {
	const char *scheme;
	const char *const *options; /* the options it takes (NULL-terminated), besides the core's */
	/* Parse options (sink_opt_*), open files, load keys; no network I/O. */
	int (*open)(struct sink *k, struct sink_spec *spec, struct sw_error *err);
	/*
	 * Deliver @n lines in order: 0 when all are delivered; -ECANCELED when
	 * refused for good (the driver counted them dropped); else -errno (retried).
	 */
	int (*deliver)(struct sink *k, char **lines, size_t n);
	/* Optional: the whole worker loop (http with a spool); false: use the default loop. */
	bool (*run)(struct sink *k);
	void (*close)(struct sink *k);
};

struct sink {
	const struct sink_driver *drv;
	void *priv;
	char name[256]; /* the spec without its options: the metrics label */
	char label[300]; /* sink="…" */
	enum sink_format format;
	unsigned int batch; /* lines handed to deliver() at once */
	unsigned int batch_wait_ms; /* how long to wait for a batch to fill */
	unsigned int retry_min_ms, retry_max_ms;
	unsigned int timeout_ms; /* one network operation */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **q; /* ring of malloc'd lines */
	size_t cap, head, count;
	bool stop;
	struct timespec deadline; /* CLOCK_MONOTONIC, valid once stop is set */
	uint64_t lost; /* dropped lines not yet reported to the sink */
	uint64_t held; /* lines the worker took and has not delivered, dropped or spooled */
	int reopen; /* sinks_reopen() asked (atomic): a file driver reopens its path before writing */
	pthread_t thread;
	bool started;
};

/* Worker side of the queue (sink_worker.c). */
/* The thread of a sink: the driver's run(), else take → deliver with retries. */
void *sink_worker(void *arg);
/* @n lines lost; @held: lines the worker held (else never queued: the queue was full). */
void sink_count_dropped(struct sink *k, uint64_t n, bool held);
/* Up to @max lines; waits for the first, then up to @wait_ms for more. 0: stopped and empty. */
size_t sink_take(struct sink *k, char **lines, size_t max, unsigned int wait_ms);
size_t sink_take_nowait(struct sink *k, char **lines, size_t max);
/* Sleep until @until (CLOCK_MONOTONIC) or a new line or, once stopping, the deadline. */
void sink_wait(struct sink *k, const struct timespec *until);
bool sink_stopping(struct sink *k);
bool sink_past_deadline(struct sink *k);
/* Milliseconds an I/O operation may take now: timeout_ms, less near the deadline. */
unsigned int sink_io_timeout_ms(struct sink *k);
void sink_free_lines(char **lines, size_t n);
/* Accounting (metrics and the lost-events report). */
void sink_delivered(struct sink *k, size_t n);
/* @n lines the worker held went to the spool (neither delivered nor dropped). */
void sink_settled(struct sink *k, size_t n);
void sink_error(struct sink *k);
void sink_dropped(struct sink *k, uint64_t n);
/* The `sink_events_lost` line for what was dropped since the last report; NULL if none. */
char *sink_take_lost_report(struct sink *k);
void sink_restore_lost(struct sink *k, char *report);
/* Deliver the pending `sink_events_lost` line, if any (kept for later when that fails). */
void sink_send_lost_report(struct sink *k);
void sink_set_gauge(struct sink *k, const char *name, double v);
void sink_timespec_add_ms(struct timespec *t, unsigned int ms);
struct timespec sink_now_mono(void);
int sink_timespec_cmp(const struct timespec *a, const struct timespec *b);

/* Formats (sink_format.c). */
struct sink_buf {
	char *data;
	size_t len, cap;
};
int sink_buf_add(struct sink_buf *b, const void *data, size_t len);
void sink_buf_free(struct sink_buf *b);
int sink_format_parse(const char *name, enum sink_format *ret);
/*
 * Append @line in @format plus '\n' to @out; @index is Elasticsearch's _index
 * (NULL: the URL's). -EBADMSG when @line is not a JSON object (non-JSON formats).
 */
int sink_format_line(enum sink_format format, const char *line, const char *index,
		     struct sink_buf *out);
/* RFC 5424 PRI severity (0-7) and MSGID (event.action) of an ECS line. */
void sink_syslog_fields(const char *line, int *severity, char *msgid, size_t msgid_size,
			char *timestamp, size_t ts_size);

/* Spool (sink_spool.c): a directory of segment files, bounded in bytes. */
struct sink_spool;
int spool_open(const char *dir, uint64_t max_bytes, struct sink_spool **ret, struct sw_error *err);
void spool_close(struct sink_spool *sp);
/* Append lines; those past the bound are not written: their count is returned. */
uint64_t spool_append(struct sink_spool *sp, char **lines, size_t n, int *ret_err);
bool spool_empty(const struct sink_spool *sp);
uint64_t spool_bytes(const struct sink_spool *sp);
/* Entries named like segments that were not ours (symlinks, other owners…): never shipped. */
uint64_t spool_ignored(const struct sink_spool *sp);
/* The oldest lines (at most @max), still owned by the spool until spool_consume(). */
int spool_peek(struct sink_spool *sp, char **lines, size_t max, size_t *ret_n);
void spool_consume(struct sink_spool *sp, size_t n);

extern const struct sink_driver sink_stdout_driver, sink_file_driver;
extern const struct sink_driver sink_syslog_udp_driver, sink_syslog_tcp_driver,
	sink_syslog_tls_driver;
extern const struct sink_driver sink_http_driver, sink_https_driver;

#endif /* SW_SINK_INTERNAL_H */
