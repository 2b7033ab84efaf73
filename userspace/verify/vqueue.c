// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"
#include "verifier.h"

/*
 * The hash queue is fair per scope (a container, or the host): each scope
 * has its own FIFO, workers serve the scopes with jobs round robin, and one
 * scope may hold at most cap / (other scopes + 2) jobs, so a tenant that
 * floods the queue leaves room, and turns, to every other.
 */
struct vq_scope {
	struct vq_scope *prev, *next; /* ring of the scopes that have jobs */
	struct verify_job *head, *tail;
	size_t count;
	char key[SW_CONTAINER_ID_LEN + 1];
};

struct verify_queue {
	size_t cap, count, n_scopes;
	struct vq_scope *cur; /* the scope served next, NULL when empty */
};

static const char *scope_key(const struct verify_job *job)
{
	return job->in_container && job->c_id ? job->c_id : "";
}

int verify_queue_new(size_t cap, struct verify_queue **ret)
{
	struct verify_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->cap = cap;
	*ret = q;
	return 0;
}

void verify_queue_free(struct verify_queue *q)
{
	struct verify_job *job;

	if (!q)
		return;
	while ((job = verify_queue_pop(q)))
		verify_job_free(job);
	free(q);
}

size_t verify_queue_count(const struct verify_queue *q)
{
	return q->count;
}

int verify_queue_push(struct verify_queue *q, struct verify_job *job)
{
	const char *key = scope_key(job);
	struct vq_scope *s = NULL;
	size_t others, share;

	if (q->count >= q->cap)
		return -EAGAIN;
	if (q->cur) {
		struct vq_scope *it = q->cur;

		do {
			if (!strcmp(it->key, key)) {
				s = it;
				break;
			}
			it = it->next;
		} while (it != q->cur);
	}
	others = q->n_scopes - (s ? 1 : 0);
	share = q->cap / (others + 2);
	if (share < 1)
		share = 1;
	if (s && s->count >= share)
		return -EDQUOT;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		snprintf(s->key, sizeof(s->key), "%s", key);
		if (q->cur) { /* join the ring just before the scope served next: served last */
			s->next = q->cur;
			s->prev = q->cur->prev;
			s->prev->next = s;
			q->cur->prev = s;
		} else {
			s->next = s->prev = s;
			q->cur = s;
		}
		q->n_scopes++;
	}
	job->qnext = NULL;
	if (s->tail)
		s->tail->qnext = job;
	else
		s->head = job;
	s->tail = job;
	s->count++;
	q->count++;
	return 0;
}

struct verify_job *verify_queue_pop(struct verify_queue *q)
{
	struct vq_scope *s = q->cur;
	struct verify_job *job;

	if (!s)
		return NULL;
	job = s->head;
	s->head = job->qnext;
	if (!s->head)
		s->tail = NULL;
	job->qnext = NULL;
	s->count--;
	q->count--;
	if (s->count) {
		q->cur = s->next;
	} else if (s->next == s) {
		q->cur = NULL;
		free(s);
		q->n_scopes--;
	} else {
		s->prev->next = s->next;
		s->next->prev = s->prev;
		q->cur = s->next;
		free(s);
		q->n_scopes--;
	}
	return job;
}
