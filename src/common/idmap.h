/*
 * idmap.h - the hash map from uint64_t keys to uint64_t values (internal)
 *
 * Declared in zbud.h for static linking, since the tools use it too.
 */
#ifndef ZBUD_IDMAP_H
#define ZBUD_IDMAP_H

#define ZBUD_STATIC_LINKING_ONLY
#include "zbud.h"

#endif /* ZBUD_IDMAP_H */
