/*
 * estimate_prom.h - `zbud estimate --prometheus`: its figures in
 * Prometheus's text exposition format (prom.h), for node_exporter's
 * textfile collector; the metrics are listed in docs/estimate.md
 */
#ifndef ZBUD_ESTIMATE_PROM_H
#define ZBUD_ESTIMATE_PROM_H

#include <stdio.h>

#include "estimate_cli.h"

/* 0, or -EIO when @f could not be written */
int estimate_print_prometheus(FILE *f, const struct est_report *rep);

#endif /* ZBUD_ESTIMATE_PROM_H */
