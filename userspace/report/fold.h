/* SPDX-License-Identifier: GPL-2.0-only */
/* Folding repeats of one finding (report.h, fold.c); internal to report/. */
#ifndef SW_FOLD_H
#define SW_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FOLD_SLOTS 4096 /* power of two */
#define FOLD_PROBE 16

struct fold_slot {
	uint64_t key; /* 0: empty */
	double opened; /* CLOCK_MONOTONIC seconds: start of its window */
	uint64_t count; /* repeats folded in this window */
	char *last; /* the last repeat's JSON line, for the summary */
};

struct fold {
	unsigned int window; /* seconds, 0: off */
	struct fold_slot slots[FOLD_SLOTS];
};

uint64_t fold_key(const char *container, const char *path, const char *action, int verdict,
		  const unsigned char *sha256, size_t sha_len, const char *reason);
/* @key of an event with a permission decision (NULL: @key): a denial is not a repeat of a run. */
uint64_t fold_key_decision(uint64_t key, const char *decision);
/* A repeat inside the window of @key? Then it is counted (and @line kept), true. */
bool fold_seen(struct fold *f, uint64_t key, const char *line);
/* Summaries (malloc'd lines) of the windows that closed (@all: every one) into @out. */
size_t fold_flush(struct fold *f, bool all, char **out, size_t max);
void fold_reset(struct fold *f);

#endif
