/*
 * zram.h - a scratch zram device, made for one comparison and removed:
 * the kernel's own compressor and zsmalloc on the pages zbud measured
 *
 *	struct est_zram z;
 *	if (!est_zram_new(&z, "lz4", pages, why, len)) {
 *		est_zram_write(&z, bytes, pages, why, len);
 *		est_zram_stat(&z, mm, &n, why, len);
 *		est_zram_remove(&z);                    always, once made
 *	}
 *
 * Only a device made here is touched: /sys/class/zram-control/hot_add
 * makes a new one and says its number (reading that file is what makes
 * it); est_zram_remove() resets it and hands that number back to
 * hot_remove.  Needs root and the zram module.  A process killed with
 * SIGKILL between the two leaves the device behind: nothing can help that.
 */
#ifndef ZBUD_ZRAM_H
#define ZBUD_ZRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct est_zram {
	int id;                         /* -1: none made */
	char sys[64];                   /* /sys/block/zramN */
};

/*
 * est_zram_usable - 0 when zram devices can be made here, else a negative
 * errno with one line in @why (not root, no zram module)
 */
int est_zram_usable(char *why, size_t len);

/* est_zram_offers - whether @algorithm is one of @algorithms, a list as
 * comp_algorithm gives it (space-separated) */
bool est_zram_offers(const char *algorithms, const char *algorithm);

/*
 * est_zram_new - a new device compressing with @algorithm, of @pages
 * pages.  0; or a negative errno with @why, with nothing left behind.
 */
int est_zram_new(struct est_zram *z, const char *algorithm, uint64_t pages, char *why,
		 size_t len);

/* est_zram_algorithms - the device's comp_algorithm list, into @out */
int est_zram_algorithms(const struct est_zram *z, char *out, size_t size, char *why,
			size_t len);

/* est_zram_write - @n pages at @bytes written to the device, and synced */
int est_zram_write(const struct est_zram *z, const unsigned char *bytes, size_t n, char *why,
		   size_t len);

/* est_zram_stat - its mm_stat: the fields in @mm (KSTAT_MM_STAT_N), their
 * count in *@n */
int est_zram_stat(const struct est_zram *z, uint64_t *mm, int *n, char *why, size_t len);

/* est_zram_remove - reset and hot_remove the device; nothing when none */
void est_zram_remove(struct est_zram *z);

#endif /* ZBUD_ZRAM_H */
