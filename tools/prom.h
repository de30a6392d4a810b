/*
 * prom.h - Prometheus's text exposition format (version 0.0.4), as
 * node_exporter's textfile collector reads it: `zbud stat --prometheus` and
 * `zbud estimate --prometheus`
 *
 * A family is its "# HELP" and "# TYPE" lines, then all its samples, none
 * elsewhere: write each family's samples right after prom_family().  Names
 * must match [a-zA-Z_:][a-zA-Z0-9_:]* (asserted); HELP text and label values
 * are escaped here.  Errors stick to the FILE (ferror()).
 */
#ifndef ZBUD_PROM_H
#define ZBUD_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct prom_label {
	const char *name, *value;
};

/* "gauge", "counter" or "untyped" */
void prom_family(FILE *f, const char *name, const char *type, const char *help);

/* name{label="value",...} value; @v printed as C's %.17g, NaN and +-Inf as
 * the format spells them */
void prom_sample(FILE *f, const char *name, const struct prom_label *l, size_t nl, double v);

/* The same with an exact integer (Prometheus keeps float64: past 2^53 the
 * reader rounds, but the text stays exact). */
void prom_sample_u64(FILE *f, const char *name, const struct prom_label *l, size_t nl,
		     uint64_t v);

#endif /* ZBUD_PROM_H */
