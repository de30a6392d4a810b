/*
 * fuzz.h - what the fuzz targets and the corpus-replay driver share
 *
 * Each fuzz_*.c defines LLVMFuzzerTestOneInput().  Built with
 * -fsanitize=fuzzer it is a libFuzzer target; linked with corpus_replay.c it
 * is a plain program that runs saved inputs (see README.md).
 */
#ifndef ZBUD_FUZZ_H
#define ZBUD_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point: 0 always; a broken property aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken property: say which and abort().  abort(), not exit(): libFuzzer
 * and the sanitizers treat SIGABRT as a crash, save the input and print a
 * stack, where an exit would look like a target that merely stopped.
 */
static inline _Noreturn void __attribute__((format(printf, 4, 5)))
fuzz_die(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: fuzz check failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* FUZZ_CHECK(cond, fmt, ...): as assert(), but never compiled out (the
 * targets are built in every build type) and with a message. */
#define FUZZ_CHECK(cond, ...) \
	((cond) ? (void)0 : fuzz_die(__FILE__, __LINE__, #cond, __VA_ARGS__))

#endif /* ZBUD_FUZZ_H */
