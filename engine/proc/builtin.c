/*
 * builtin.c - the built-in workload's program, and the reading of a heap
 * program that stops itself once built
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtin.h"
#include "child.h"

const char builtin_python_heap[] =
	"import random, signal, os\n"
	"r = random.Random(1)\n"
	"w = ('the of and to in is that for it as with was on be by at this from or an '\n"
	"     'are not have but which they you one all were their there page pool').split()\n"
	"def text(n): return ' '.join([r.choice(w) for _ in range(n)])\n"
	"people = {}\n"
	"for i in range(50000):\n"
	"    people['user%06d' % i] = {'id': i, 'name': text(2).title(),\n"
	"        'age': r.randint(18, 90), 'email': 'user%d@example.org' % i,\n"
	"        'score': r.random() * 100, 'bio': text(r.randint(2, 40)),\n"
	"        'tags': [r.choice(w) for _ in range(r.randint(0, 6))]}\n"
	"series = [[r.randint(0, 1 << 20) for _ in range(64)] for _ in range(3000)]\n"
	"blobs = [r.getrandbits(32000).to_bytes(4000, 'little') if i % 4 == 0\n"
	"         else text(600).encode() if i % 4 == 1\n"
	"         else bytes(4000) if i % 4 == 2 else bytes(range(256)) * 16\n"
	"         for i in range(3000)]\n"
	"os.kill(os.getpid(), signal.SIGSTOP)\n";

char *const *builtin_argv(void)
{
	static char *argv[] = { "python3", "-c", (char *)builtin_python_heap, NULL };

	return argv;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start @argv and wait, @timeout_s seconds at most, until it stops itself:
 * 0 with it held, or a negative errno with @how saying what it did instead. */
static int wait_stop(struct child *c, char *const *argv, int timeout_s, char *how, size_t len)
{
	struct child_event ev = { .kind = CHILD_TIMEOUT };
	const double until = now() + timeout_s;
	char why[200];
	int err = child_start(c, argv, 0, why, sizeof(why));

	if (err) {
		snprintf(how, len, "cannot be started: %s", strerror(-err));
		return err;
	}
	while (!(err = child_next(c, until - now(), &ev)) && ev.kind == CHILD_TIMEOUT &&
	       now() < until)
		;
	if (!err && ev.kind == CHILD_STOPPED)
		return 0;
	if (!err && ev.kind == CHILD_DONE) {
		child_describe_end(ev.status, why, sizeof(why));
		snprintf(how, len, "%s before it stopped itself", why);
	} else if (!err) {
		snprintf(how, len, "did not stop itself within %d s", timeout_s);
	} else {
		snprintf(how, len, "cannot be followed: %s", strerror(-err));
	}
	child_kill(c);
	child_end(c);
	return err ? err : -ECHILD;
}

int builtin_heap_read(char *const *argv, int timeout_s, struct pageset *ps,
		      struct procmem_counts *c, uint64_t *unreadable, char *how, size_t len)
{
	struct procmem *pm = NULL;
	struct child ch;
	char why[200];
	int err = wait_stop(&ch, argv, timeout_s, how, len);

	if (err)
		return err;
	err = procmem_open(&pm, ch.pid, why, sizeof(why));
	if (!err)
		err = pageset_add_process(ps, pm, c, unreadable, why, sizeof(why));
	procmem_close(pm);
	if (err)
		snprintf(how, len, "cannot be read: %s", why);
	child_kill(&ch);
	child_end(&ch);
	return err;
}
