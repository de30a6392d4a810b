/*
 * shim_asm.S - the only code whose system calls syscall user dispatch lets
 * through (the section zbud_sud is the allowed range; shim_sud.c)
 *
 * The kernel checks the address after the syscall instruction, so each
 * syscall here is followed by at least one more instruction in the section.
 */
	.section zbud_sud,"ax",@progbits

/* long shim_syscall6(long nr, long a, long b, long c, long d, long e, long f) */
	.globl shim_syscall6
	.hidden shim_syscall6
	.type shim_syscall6,@function
shim_syscall6:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret
	.size shim_syscall6, .-shim_syscall6

/*
 * The return of every signal handler (sa_restorer), and the place where a
 * trapped rt_sigreturn of the program's is made again: the stack pointer is
 * then the program's signal frame, as the kernel wants it.
 */
	.globl shim_restorer
	.hidden shim_restorer
shim_restorer:
	mov $15, %eax                   /* __NR_rt_sigreturn */
	syscall
	ud2

/*
 * A clone that shares the address space (a thread, vfork) cannot be made
 * from inside the SIGSYS handler: the child would start on another stack in
 * the middle of it.  The handler returns instead to one of these stubs,
 * with the registers of the trapped call; the stub makes the call and both
 * parent and child go on where the program's syscall instruction left off
 * (shim_clone_target[i]).  The child first turns syscall user dispatch on
 * for itself: the kernel gives a new task none.  The parent lets go of
 * shim_clone_hold, which stops evictions while a vfork child runs in the
 * parent's memory (and for the moment a thread is made).
 */
	.macro CLONE_STUB i
	.globl shim_clone_stub\i
	.hidden shim_clone_stub\i
shim_clone_stub\i:
	syscall
	test %rax, %rax
	jnz 1f
	push %rdi
	push %rsi
	push %rdx
	push %r10
	push %r8
	mov $157, %eax                  /* __NR_prctl */
	mov $59, %edi                   /* PR_SET_SYSCALL_USER_DISPATCH */
	mov $1, %esi                    /* PR_SYS_DISPATCH_ON */
	mov shim_sud_start(%rip), %rdx
	mov shim_sud_len(%rip), %r10
	mov shim_sud_selector(%rip), %r8
	syscall
	pop %r8
	pop %r10
	pop %rdx
	pop %rsi
	pop %rdi
	xor %eax, %eax
	jmp *shim_clone_target+8*\i(%rip)
1:	lock decq shim_clone_hold(%rip)
	jmp *shim_clone_target+8*\i(%rip)
	ud2
	.endm

	.globl shim_clone_stubs
	.hidden shim_clone_stubs
shim_clone_stubs:
	CLONE_STUB 0
	CLONE_STUB 1
	CLONE_STUB 2
	CLONE_STUB 3
	CLONE_STUB 4
	CLONE_STUB 5
	CLONE_STUB 6
	CLONE_STUB 7
	CLONE_STUB 8
	CLONE_STUB 9
	CLONE_STUB 10
	CLONE_STUB 11
	CLONE_STUB 12
	CLONE_STUB 13
	CLONE_STUB 14
	CLONE_STUB 15
	.globl shim_clone_stubs_end
	.hidden shim_clone_stubs_end
shim_clone_stubs_end:
	ud2

	.section .note.GNU-stack,"",@progbits
