// SPDX-License-Identifier: GPL-2.0-only
/*
 * prevent.c: which prevention backend runs (docs/enforce.md), and the
 * monitor path's part in it. One policy core (verify/policy.c) for both:
 *
 * - BPF LSM backend (LSM attach mode with the file doors): the kernel decides
 *   execs and executable mappings from the maps the daemon fills
 *   (bpf/enforce.bpf.h, kernel/kenforce.c). The monitor path stays the one
 *   that hashes: each of its verdicts in a deciding scope becomes a decision
 *   in the kernel (ok: allow, refused: deny) and the event says what happened
 *   (prevent_on_report): "denied" when the kernel refused the exec (EPERM),
 *   "would_deny" in audit, "fallback_allow" for a file the kernel had no
 *   decision on yet in a scope that is not strict (it ran).
 * - fanotify backend (daemon/enforce.c) elsewhere: it reports its own
 *   decisions; the monitor path drops its report of the same finding (one
 *   event per exec, prevent_on_report).
 *
 * The event loop refreshes the kernel's heartbeat (prevent_tick): a daemon
 * that stops refreshing it for longer than decision_deadline_ms makes every
 * hook allow.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_loader.h"
#include "bstore.h"
#include "config.h"
#include "daemon.h"
#include "ecs.h"
#include "enforce.h"
#include "errors.h"
#include "events.h"
#include "log.h"
#include "policy.h"
#include "verifier.h"

#ifndef NS_GET_MNTNS_ID /* linux/nsfs.h of 6.8+ */
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

struct prevent {
	pthread_mutex_t lock; /* policy */
	struct sw_policy policy;
	bool lsm; /* the BPF LSM backend runs */
	bool kernel; /* the kernel's switch is on (LSM backend, or memfd kills beside fanotify) */
};

static bool policy_any_decides(const struct sw_policy *p)
{
	bool decides = policy_mode_decides(p->default_mode);

	for (size_t i = 0; i < p->n_scopes; i++)
		decides |= policy_mode_decides(p->scopes[i].mode);
	return decides;
}

static enum sw_kmode kmode(enum sw_mode m)
{
	return m == SW_MODE_ENFORCE ? SW_KMODE_ENFORCE :
	       m == SW_MODE_AUDIT   ? SW_KMODE_AUDIT :
				      SW_KMODE_MONITOR;
}

/* The host's scope as the kernel names it (bpf/event.bpf.h task_scope()). */
static __u64 host_scope(const struct daemon *d)
{
	__u64 id = 0;
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (ioctl(fd, NS_GET_MNTNS_ID, &id))
			id = 0;
		close(fd);
	}
	return id ? id : d->host_mntns;
}

/*
 * The default mode (key 0) and the host's into the kernel, the other scopes
 * forgotten (learned again from the next verdicts); with @files the decisions
 * on files too (new baselines: a verdict may change; a new policy alone
 * changes no verdict).
 */
static int lsm_policy(struct daemon *d, const struct sw_policy *p, bool files)
{
	enum sw_mode mode;
	bool strict;
	int r = 0;

	if (files)
		r = bpf_loader_enforce_flush(d->bpf, true);
	else
		r = bpf_loader_enforce_flush_scopes(d->bpf);
	if (r < 0)
		return r;
	r = bpf_loader_enforce_scope(d->bpf, 0, kmode(p->default_mode), p->default_strict);
	policy_match(p, false, NULL, NULL, &mode, &strict);
	if (!bstore_host(d->store))
		mode = SW_MODE_MONITOR; /* a host without a host baseline is never denied */
	return r ?: bpf_loader_enforce_scope(d->bpf, host_scope(d), kmode(mode), strict);
}

/* The kernel's part on: the policy in its maps, then the switch. */
static int kernel_start(struct daemon *d, struct prevent *pv, unsigned int deadline)
{
	int r = lsm_policy(d, &pv->policy, true);

	if (!r)
		r = bpf_loader_enforce_switch(d->bpf, true, (__u32)getpid(),
					      (__u64)deadline * 1000000ULL);
	pv->kernel = !r;
	return r;
}

static int lsm_start(struct daemon *d, struct prevent *pv, struct sw_error *err)
{
	unsigned int deadline =
		pv->policy.deadline_ms ? pv->policy.deadline_ms : SW_POLICY_DEADLINE_DEFAULT_MS;
	int r = kernel_start(d, pv, deadline);

	if (r)
		return sw_error_set(err, r, "BPF LSM prevention: %s", strerror(-r));
	pv->lsm = true;
	log_info("enforce: BPF LSM backend, default mode %s%s, %zu scopes, heartbeat deadline "
		 "%u ms",
		 policy_mode_name(pv->policy.default_mode),
		 pv->policy.default_strict ? ",strict" : "", pv->policy.n_scopes, deadline);
	return 0;
}

int prevent_init(struct daemon *d)
{
	struct prevent *pv;

	if (d->prevent)
		return 0;
	pv = calloc(1, sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	pthread_mutex_init(&pv->lock, NULL);
	pv->policy = d->cfg.policy;
	d->prevent = pv;
	return 0;
}

int prevent_start(struct daemon *d, struct sw_error *err)
{
	struct prevent *pv;
	int r;

	if (prevent_init(d))
		return sw_error_set(err, -ENOMEM, "out of memory");
	pv = d->prevent;
	if (!policy_any_decides(&d->cfg.policy) || pv->lsm || d->enforce)
		return 0;
	if (bpf_loader_enforce_possible(d->bpf)) {
		r = lsm_start(d, pv, err);
		if (!r)
			return 0;
		log_warn("%s: the fanotify backend instead", err->msg);
	}
	r = enforce_start(d, err);
	/* beside fanotify, which no memfd reaches: the exec tracepoint kills memfd execs */
	if (!r && d->enforce &&
	    kernel_start(d, pv, pv->policy.deadline_ms ?: SW_POLICY_DEADLINE_DEFAULT_MS))
		log_warn("enforce: memfd execs cannot be stopped in the kernel (tracepoint mode)");
	return r;
}

void prevent_set_policy(struct daemon *d, const struct sw_policy *p)
{
	struct prevent *pv = d->prevent;
	int r;

	if (!pv)
		return;
	pthread_mutex_lock(&pv->lock);
	pv->policy = *p;
	pthread_mutex_unlock(&pv->lock);
	enforce_set_policy(d->enforce, p);
	if (pv->kernel && (r = lsm_policy(d, p, false)))
		log_warn("BPF LSM prevention: new policy: %s", strerror(-r));
}

void prevent_baselines_changed(struct daemon *d)
{
	struct prevent *pv = d->prevent;
	struct sw_policy p;
	int r;

	if (!pv || !pv->kernel)
		return;
	pthread_mutex_lock(&pv->lock);
	p = pv->policy;
	pthread_mutex_unlock(&pv->lock);
	r = lsm_policy(d, &p, true);
	if (r)
		log_warn("BPF LSM prevention: baselines reloaded: %s", strerror(-r));
}

void prevent_tick(struct daemon *d)
{
	if (d->prevent && d->prevent->kernel)
		bpf_loader_enforce_heartbeat(d->bpf);
}

void prevent_stop(struct daemon *d)
{
	struct prevent *pv = d->prevent;

	enforce_stop(d->enforce);
	d->enforce = NULL;
	if (!pv)
		return;
	if (pv->kernel)
		bpf_loader_enforce_switch(d->bpf, false, 0, 0);
	pthread_mutex_destroy(&pv->lock);
	free(pv);
	d->prevent = NULL;
}

/* An action the kernel's hooks decide: execs (a #! script too) and executable mappings. */
static bool kernel_decides(const struct verify_job *job)
{
	const char *a = job->action;

	return !strcmp(a, "exec") || !strcmp(a, "exec_script") || !strcmp(a, "mmap_exec");
}

/* The fanotify backend decided (and reported) this finding itself. */
static bool fanotify_reported(const struct daemon *d, const struct verify_job *job)
{
	const char *a = job->action;

	if (!__atomic_load_n(&d->enforce, __ATOMIC_ACQUIRE) || (job->ev.flags & SW_EF_MEMFD))
		return false; /* no fanotify mark reaches a memfd */
	return !strcmp(a, "exec") || !strcmp(a, "exec_script") ||
	       (!strcmp(a, "mmap_exec") && d->cfg.enforce_libraries);
}

/* The kernel's decision for the next exec of this exact file in its scope. */
static void lsm_learn(struct daemon *d, const struct verify_job *job, bool lsm, enum sw_mode mode,
		      bool strict, bool refused)
{
	int r;

	r = bpf_loader_enforce_scope(d->bpf, job->ev.scope, kmode(mode), strict);
	if (!r && lsm && mode == SW_MODE_ENFORCE && (refused || job->ev.file.nlink))
		r = bpf_loader_enforce_file(d->bpf, &job->ev.file, job->ev.scope,
					    refused ? SW_KDEC_DENY : SW_KDEC_ALLOW);
	if (r)
		log_debug("BPF LSM prevention: map update: %s", strerror(-r));
}

bool prevent_on_report(void *ctx, const struct verify_job *job, struct ecs_exec *x)
{
	struct daemon *d = ctx;
	struct prevent *pv = d->prevent;
	enum sw_decision dec;
	enum sw_mode mode;
	bool strict, refused, lsm, kernel;
	struct sw_policy *p;

	if (!pv)
		return true;
	pthread_mutex_lock(&pv->lock);
	p = &pv->policy;
	policy_match(p, job->in_container, job->c_image_name, job->c_ns, &mode, &strict);
	if (!job->in_container && !job->bl)
		mode = SW_MODE_MONITOR; /* a host without a host baseline is never denied */
	refused = policy_verdict_refused(p, x->verdict);
	dec = policy_decide(p, mode, strict, x->verdict);
	lsm = pv->lsm;
	kernel = pv->kernel;
	pthread_mutex_unlock(&pv->lock);
	if (kernel && (x->verdict == SW_VERDICT_OK || refused))
		lsm_learn(d, job, lsm, mode, strict, refused);
	if (!lsm && !(job->ev.flags & (SW_EF_DENIED | SW_EF_MEMFD)))
		return !(refused && policy_mode_decides(mode) && fanotify_reported(d, job));
	/* decided in the kernel: the LSM backend, or a memfd exec beside fanotify */
	if (!kernel_decides(job))
		return true; /* interpreter reads, read paths: reported, never denied */
	if (job->ev.flags & SW_EF_DENIED)
		dec = policy_decision_denies(dec) ? dec : SW_DECISION_FALLBACK_DENY;
	else if (dec == SW_DECISION_DENY)
		dec = SW_DECISION_FALLBACK_ALLOW; /* no decision in the kernel yet: it ran */
	if (dec != SW_DECISION_ALLOW || (job->ev.flags & SW_EF_DENIED)) {
		x->decision = policy_decision_name(dec);
		x->mode = policy_mode_name(mode);
		x->decision_ms = -1; /* decided in the kernel */
	}
	return true;
}
