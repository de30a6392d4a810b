/*
 * stat_report.h - what `zbud stat` prints of a kernel snapshot (kstat.h):
 * a report for people, JSON and Prometheus for programs, and the lines of
 * --watch.  Each returns 0 or -errno (writing).
 */
#ifndef ZBUD_STAT_REPORT_H
#define ZBUD_STAT_REPORT_H

#include <stdio.h>

#include "kstat.h"

int stat_print_text(FILE *f, const struct kstat_snapshot *s);
int stat_print_json(FILE *f, const struct kstat_snapshot *s);
int stat_print_prometheus(FILE *f, const struct kstat_snapshot *s);

/* --watch: the column heads, and one line of rates between two snapshots
 * of the same devices (a device added or removed between them is left out) */
int stat_print_watch_head(FILE *f, const struct kstat_snapshot *s);
int stat_print_watch_line(FILE *f, const struct kstat_snapshot *prev,
			  const struct kstat_snapshot *s);

#endif /* ZBUD_STAT_REPORT_H */
