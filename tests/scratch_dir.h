/*
 * scratch_dir.h - a test's own scratch directory: made before its tests,
 * removed with everything in it after them
 */
#ifndef ZBUD_TEST_SCRATCH_DIR_H
#define ZBUD_TEST_SCRATCH_DIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* scratch_dir_make - mkdtemp() of @tmpl ("name-XXXXXX", in the working
 * directory, or an absolute path) into @buf of @len bytes; 0 or -1 */
static inline int scratch_dir_make(char *buf, size_t len, const char *tmpl)
{
	return snprintf(buf, len, "%s", tmpl) < (int)len && mkdtemp(buf) ? 0 : -1;
}

static inline int scratch_dir_unlink(const char *path, const struct stat *st, int type,
				     struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* scratch_dir_remove - @top and all below it, symlinks not followed; 0 or -1 */
static inline int scratch_dir_remove(const char *top)
{
	return nftw(top, scratch_dir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* ZBUD_TEST_SCRATCH_DIR_H */
