/*
 * test_zblock_faults.c - what zblock does when things go wrong: the
 * invariant checker sees each kind of corruption; a debug build stops a
 * broken pool.  (Every page allocation failing in turn, for every
 * allocator: src/zpool/test_zpool_fault.c.)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "zblock_test.h"

/* ---- The checker ---- */

static void expect_caught(struct zblock_pool *pool, const char *what)
{
	char msg[256];

	if (zblock_check_pool(pool, msg, sizeof(msg)) != -EUCLEAN)
		fail_msg("the checker missed: %s", what);
	print_message("%-34s -> %s\n", what, msg);
}

static void test_checker_catches_corruption(void **state)
{
	struct zblock_pool *pool = new_pool();
	unsigned long h[300], big;
	struct zblock_page *zp, *tail, saved, saved_tail;
	unsigned int slot, t;
	uint32_t first, run;

	(void)state;
	for (int i = 0; i < 300; i++)
		h[i] = alloc_ok(pool, 40 + (size_t)i * 13);
	for (int i = 0; i < 300; i += 3)
		zblock_free(pool, h[i]);
	big = alloc_ok(pool, 1050);     /* an 8-page block, open */
	check_ok(pool);
	slot = slot_of(pool, big, &first);
	zp = zblock_page(pool, first);
	tail = zblock_page(pool, first + 3);
	saved = *zp;
	saved_tail = *tail;
	t = zp->type;

	zp->inuse++;
	expect_caught(pool, "slots in use off by one");
	*zp = saved;
	zp->used &= ~(1ULL << slot);
	expect_caught(pool, "a used slot marked free");
	*zp = saved;
	zp->used |= 1ULL << 40;
	expect_caught(pool, "a slot past the block's");
	*zp = saved;
	zp->type = (uint8_t)(t + 1);
	expect_caught(pool, "a block's type");
	*zp = saved;
	zp->prev = first;
	expect_caught(pool, "a list link");
	*zp = saved;
	tail->first = first + 1;
	expect_caught(pool, "a page of a block naming another");
	*tail = saved_tail;
	tail->flags = ZBLOCK_PAGE_FREE;
	expect_caught(pool, "a block's page marked free");
	*tail = saved_tail;
	check_ok(pool);

	pool->blocks[t]--;
	expect_caught(pool, "a type's block count");
	pool->blocks[t]++;
	atomic_fetch_add(&pool->pages_nr, 1);
	expect_caught(pool, "the pool's page count");
	atomic_fetch_sub(&pool->pages_nr, 1);
	check_ok(pool);

	/* A free run: its page count, its stack, its flags. */
	for (int i = 1; i < 300; i += 3)
		zblock_free(pool, h[i]);
	run = ZBUD_PAGE_NIL;
	for (unsigned int n = 1; n <= ZBLOCK_MAX_BLOCK_PAGES && run == ZBUD_PAGE_NIL; n *= 2)
		run = pool->runs.hot[n];
	assert_true(run != ZBUD_PAGE_NIL);
	check_ok(pool);
	zp = zblock_page(pool, run);
	saved = *zp;
	zp->flags &= (uint8_t)~ZBLOCK_PAGE_HOT;
	expect_caught(pool, "a hot run marked cold");
	*zp = saved;
	zp->flags = ZBLOCK_PAGE_BLOCK;
	expect_caught(pool, "a free run marked a block");
	*zp = saved;
	pool->runs.resident++;
	expect_caught(pool, "the resident count");
	pool->runs.resident--;
	pool->src.in_use++;
	expect_caught(pool, "the source's pages out");
	pool->src.in_use--;
	check_ok(pool);
	zblock_destroy_pool(pool);
}

/* A debug build (ZBUD_DEBUG) runs the checker as the pool works: a broken
 * pool stops the process within ZBUD_DEBUG_EVERY operations. */
static void test_debug_build_stops_a_broken_pool(void **state)
{
#ifdef ZBUD_DEBUG
	pid_t pid;
	int status;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct zblock_pool *pool = new_pool();
		unsigned long h = alloc_ok(pool, 1000);
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, STDERR_FILENO); /* its message is not the test's output */
		zblock_page(pool, block_of(pool, h))->inuse++;
		for (int i = 0; i < 2 * ZBUD_DEBUG_EVERY; i++)
			zblock_free(pool, alloc_ok(pool, 1000));
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#else
	(void)state;
	skip(); /* not a debug build */
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_catches_corruption),
		cmocka_unit_test(test_debug_build_stops_a_broken_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
