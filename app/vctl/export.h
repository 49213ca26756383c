/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl export: net_vpmd's telemetry in Prometheus' text exposition format
 * (version 0.0.4).
 *
 * A scrape gathers samples into a struct prom: metric families in the
 * order they first appear, each with its HELP and TYPE and the sample
 * lines added to it so far. The format wants every sample of a family
 * together under one HELP/TYPE pair, while telemetry gives them port by
 * port and queue by queue; so the lines are kept per family and written
 * out at the end (prom_write).
 *
 * Error convention: functions return 0 or a negative errno (-ENOMEM,
 * -EINVAL for a name or a type that cannot be, -EEXIST for a family met
 * again with another type, -ENAMETOOLONG for labels past their buffer);
 * scraping functions also leave a sentence in the error buffer given.
 * Nothing here is thread-safe: one scrape at a time.
 */
#ifndef VCTL_EXPORT_H
#define VCTL_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "vctl.h"

#define PROM_NAME_MAX 128
#define PROM_LABELS_MAX 2048

enum prom_type { PROM_COUNTER, PROM_GAUGE };

struct prom_family {
	char name[PROM_NAME_MAX];
	enum prom_type type;
	char *help;
	char *body; /* sample lines, each ending in '\n' */
	size_t len, cap;
};

struct prom {
	struct prom_family *fams;
	size_t n, cap;
};

/** A label set being built: `key="value",...`, values escaped. */
struct prom_labels {
	char buf[PROM_LABELS_MAX];
	size_t len;
	int err; /* the first error, kept until the labels are used */
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);

/** Append key="@value" to @l, escaping backslash, double quote and newline. */
void prom_label(struct prom_labels *l, const char *key, const char *value);
void prom_labelf(struct prom_labels *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * One sample of family @name (created with @type and @help if new) with
 * labels @l (NULL: none). An integer value is written exactly.
 */
int prom_add(struct prom *p, const char *name, enum prom_type type, const char *help,
	     const struct prom_labels *l, uint64_t value);
int prom_add_real(struct prom *p, const char *name, enum prom_type type, const char *help,
		  const struct prom_labels *l, double value);

/** Move @src's samples to the end of @dst's families (their lines stay together); @src is emptied. */
int prom_merge(struct prom *dst, struct prom *src);

/** The exposition: HELP, TYPE and samples of every family. */
int prom_write(const struct prom *p, FILE *f);

/*
 * What an xstat of net_vpmd becomes: the family, and the labels beyond
 * the port's. Names the driver gives per queue ("rx_q0_kicks") get
 * queue and direction labels; bucketed ones (bursts, frame sizes,
 * refusals by reason, control commands by outcome) one family with a
 * label for the bucket. Any other name keeps its words under
 * vpmd_port_xstat_, so that every xstat is exported.
 */
struct prom_xstat {
	char family[PROM_NAME_MAX];
	const char *help;
	int queue;             /* -1: a port-wide xstat */
	char dir[3];           /* "rx", "tx", or "" */
	const char *label;     /* the bucket's label key, or NULL */
	char value[PROM_NAME_MAX]; /* its value */
};

/**
 * Map xstat @name; -EINVAL for a name that gives no metric (empty),
 * -ENOENT for ethdev's basic xstats (the port's counters, exported from
 * /vpmd/stats already).
 */
int prom_xstat_map(const char *name, struct prom_xstat *out);

/* export_scrape.c */

/** What the exporter keeps from one scrape to the next. */
struct export_state {
	uint64_t errors; /* applications left out of a scrape since start */
	int timeout_ms;
};

/**
 * One scrape of every application with net_vpmd under the runtime
 * directories, into @p. An application that fails is left out, said on
 * stderr and counted in @st->errors; the scrape itself fails only for
 * lack of memory.
 */
int export_scrape(struct export_state *st, struct prom *p);

#endif /* VCTL_EXPORT_H */
