/*
 * version.c - the version of the library linked in
 */
#include "zbud.h"

unsigned int zbud_version_number(void)
{
	return ZBUD_VERSION_NUMBER;
}

const char *zbud_version_string(void)
{
	return ZBUD_VERSION_STRING;
}
