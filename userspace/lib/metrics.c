// SPDX-License-Identifier: GPL-2.0-only
/* metrics.c: the process-wide counter/gauge registry behind /metrics. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct series {
	char *labels; /* "" when none */
	double value;
};

struct family {
	char *name;
	char *help; /* NULL until described */
	enum metric_type type;
	bool described;
	struct series *series;
	size_t n_series, cap_series;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct family *families;
static size_t n_families, cap_families;

static struct family *family_get(const char *name, bool create)
{
	struct family *f;

	for (size_t i = 0; i < n_families; i++)
		if (!strcmp(families[i].name, name))
			return &families[i];
	if (!create)
		return NULL;
	if (n_families == cap_families) {
		size_t cap = cap_families ? cap_families * 2 : 32;
		struct family *p = realloc(families, cap * sizeof(*p));

		if (!p)
			return NULL;
		families = p;
		cap_families = cap;
	}
	f = &families[n_families];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return NULL;
	n_families++;
	return f;
}

static struct series *series_get(struct family *f, const char *labels, bool create)
{
	struct series *s;

	if (!labels)
		labels = "";
	for (size_t i = 0; i < f->n_series; i++)
		if (!strcmp(f->series[i].labels, labels))
			return &f->series[i];
	if (!create)
		return NULL;
	if (f->n_series == f->cap_series) {
		size_t cap = f->cap_series ? f->cap_series * 2 : 4;
		struct series *p = realloc(f->series, cap * sizeof(*p));

		if (!p)
			return NULL;
		f->series = p;
		f->cap_series = cap;
	}
	s = &f->series[f->n_series];
	s->labels = strdup(labels);
	if (!s->labels)
		return NULL;
	s->value = 0;
	f->n_series++;
	return s;
}

void metrics_describe(const char *name, enum metric_type type, const char *help)
{
	struct family *f;

	pthread_mutex_lock(&lock);
	f = family_get(name, true);
	if (f && !f->described) {
		f->help = strdup(help ? help : "");
		f->type = type;
		f->described = f->help != NULL;
	}
	pthread_mutex_unlock(&lock);
}

static void update(const char *name, const char *labels, double v, bool add)
{
	struct family *f;
	struct series *s;

	pthread_mutex_lock(&lock);
	f = family_get(name, true);
	s = f ? series_get(f, labels, true) : NULL;
	if (s)
		s->value = add ? s->value + v : v;
	pthread_mutex_unlock(&lock);
}

void metrics_add(const char *name, const char *labels, uint64_t n)
{
	update(name, labels, (double)n, true);
}

void metrics_set(const char *name, const char *labels, double v)
{
	update(name, labels, v, false);
}

double metrics_get(const char *name, const char *labels)
{
	struct family *f;
	struct series *s;
	double v = 0;

	pthread_mutex_lock(&lock);
	f = family_get(name, false);
	s = f ? series_get(f, labels, false) : NULL;
	if (s)
		v = s->value;
	pthread_mutex_unlock(&lock);
	return v;
}

void metrics_escape_label(const char *value, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (const char *p = value ? value : ""; *p; p++) {
		const char *rep = NULL;
		char one[2] = { *p, '\0' };
		size_t n;

		if (*p == '\\')
			rep = "\\\\";
		else if (*p == '"')
			rep = "\\\"";
		else if (*p == '\n')
			rep = "\\n";
		else
			rep = one;
		n = strlen(rep);
		if (o + n >= size)
			break;
		memcpy(out + o, rep, n);
		o += n;
	}
	out[o] = '\0';
}

static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == (double)(int64_t)v && fabs(v) < 9.0e15)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%.17g", v);
}

char *metrics_render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_families; i++) {
		const struct family *fam = &families[i];

		if (fam->described) {
			fprintf(f, "# HELP %s %s\n", fam->name, fam->help);
			fprintf(f, "# TYPE %s %s\n", fam->name,
				fam->type == METRIC_COUNTER ? "counter" : "gauge");
		}
		for (size_t j = 0; j < fam->n_series; j++) {
			const struct series *s = &fam->series[j];

			if (s->labels[0])
				fprintf(f, "%s{%s} ", fam->name, s->labels);
			else
				fprintf(f, "%s ", fam->name);
			put_value(f, s->value);
			fputc('\n', f);
		}
	}
	pthread_mutex_unlock(&lock);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_families; i++) {
		for (size_t j = 0; j < families[i].n_series; j++)
			free(families[i].series[j].labels);
		free(families[i].series);
		free(families[i].name);
		free(families[i].help);
	}
	free(families);
	families = NULL;
	n_families = cap_families = 0;
	pthread_mutex_unlock(&lock);
}
