/*
 * estimate_kernel.h - the running kernel beside the estimate: its zswap's
 * compressor and zpool, each zram device's algorithm, and with --vs-kernel
 * the same pages written through the kernel's own compressors
 */
#ifndef ZBUD_ESTIMATE_KERNEL_H
#define ZBUD_ESTIMATE_KERNEL_H

#include <jansson.h>

#include "estimate_cli.h"

/* estimate_kernel_json - the kernel beside, or null when not looked at */
json_t *estimate_kernel_json(const struct est_kernel *k);

#endif /* ZBUD_ESTIMATE_KERNEL_H */
