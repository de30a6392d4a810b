/*
 * builtin.c - the built-in workload's program
 */
#include <stddef.h>

#include "builtin.h"

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
