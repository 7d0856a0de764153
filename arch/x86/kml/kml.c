// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux, x86-64: the per-CPU KML state and the hooks of
 * asm/kml.h.  See the invariants there and in Documentation/kml.rst.
 *
 * While a KML task is current, a CPU runs with:
 *  - the KML IDT: a copy of the IDT in which every present gate that has
 *    no IST of its own goes through a stub on IST_INDEX_KML (entry_kml.S),
 *    so that no interrupt or exception ever pushes a frame on a KML
 *    program's stack (stack starvation, red zone);
 *  - CR4.SMEP and CR4.SMAP clear: the program executes and accesses user
 *    pages at CPL 0;
 *  - MSR_KERNEL_GS_BASE equal to MSR_GS_BASE, the per-CPU base, so that
 *    SWAPGS on any path is harmless;
 *  - MSR_LSTAR pointing to entry_SYSCALL_64_kml, the system call entry for
 *    SYSCALL executed at CPL 0, or with FSGSBASE to the CPU's stub of it.
 * Every other task runs with the stock IDT, CR4 and GS bases: programs
 * that never run from the trusted directory see no difference.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/context_tracking_state.h>
#include <linux/entry-common.h>
#include <linux/execmem.h>
#include <linux/init.h>
#include <linux/kasan.h>
#include <linux/kml.h>
#include <linux/kprobes.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/memory.h>
#include <linux/percpu.h>
#include <linux/pkeys.h>
#include <linux/printk.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/apic.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/elf.h>
#include <asm/hwcap2.h>
#include <asm/insn.h>
#include <asm/set_memory.h>
#include <asm/text-patching.h>
#include <asm/kml.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/pgtable.h>
#include <asm/prctl.h>
#include <asm/processor.h>
#include <asm/proto.h>
#include <asm/tlbflush.h>
#include <asm/traps.h>
#include <asm/trapnr.h>
#include <asm/user.h>

DEFINE_STATIC_KEY_FALSE(kml_active_key);

/*
 * The exit work of a fast system call (entry_kml_syscall.S), IRQs
 * disabled and the result in pt_regs: what the stock exit does after
 * its syscall exit work, exit_to_user_mode_prepare() (the work loop:
 * rescheduling, signals, rseq's update; then the FPU registers that a
 * context switch left to load).  It returns 0 where the fast exit may
 * then go on as if there had been none: RIP is where the call returns
 * (no signal frame, restart or rseq abort moved it), the flags are still
 * those R11 returns and the fast path checked at entry (not so after a
 * tracer's PTRACE_SINGLESTEP at a stop in that work, which sets TF in
 * pt_regs without a register write), nothing wrote pt_regs
 * (TIF_KML_EXIT) and the program is a KML one (an execve() of a
 * normal program that slept after leaving the KML mm, so that
 * __kml_start_thread() found the CPU in the stock state, sets no flag
 * but puts __USER_CS there).  Else, and where the stock exit has syscall
 * exit work to do (a tracer or audit rule that arrived during the call)
 * or pt_regs was written already, the generic exit decides
 * (.Lkml_return).  A call that slept thus returns as fast as one that
 * did not, plus its work, as from ring 3.  What it leaves out is what
 * the fast path leaves out (context tracking and lockdep hooks, which
 * it is not used with; the AMD divider clear).
 */
noinstr int kml_syscall_exit_work(struct pt_regs *regs)
{
	unsigned long ip = regs->ip;
	int generic = 1;

	instrumentation_begin();
	if (unlikely((read_thread_flags() & _TIF_KML_EXIT) ||
		     (READ_ONCE(current_thread_info()->syscall_work) & SYSCALL_WORK_EXIT))) {
		local_irq_enable();
		syscall_exit_to_user_mode(regs);
	} else {
		exit_to_user_mode_prepare(regs);
		generic = regs->ip != ip || regs->flags != regs->r11 ||
			  regs->cs != __KML_CS || (read_thread_flags() & _TIF_KML_EXIT);
	}
	instrumentation_end();
	return generic;
}

/* 1 while this CPU is in the KML state; read by entry_64.S and user_mode(). */
DEFINE_PER_CPU(u8, kml_cpu_state);

/* Each CPU's KML IST stack; the stub only ever uses its top. */
static DEFINE_PER_CPU_PAGE_ALIGNED(char, kml_ist_stack[KML_IST_SIZE]);

/*
 * Where the stubs jump: [vector] for kernel frames, [256 + vector] for KML
 * user frames.  Both are the stock handlers, but for a KML user #DB.
 */
unsigned long kml_handlers[2 * IDT_ENTRIES] __ro_after_init;

/*
 * The KML entry code that runs on the program's stack, where a frame at a
 * kernel-half RIP is still a KML user frame (kml_user_regs()): {start,
 * size} of the entries' text (direct-call prologue and exits, SYSCALL
 * entry before its stack switch), the landing trampolines, and the
 * per-CPU SYSCALL stubs.  Read by the IST stub too (entry_kml.S).
 */
unsigned long kml_entry_code[3][2] __ro_after_init;

static gate_desc kml_idt[IDT_ENTRIES] __page_aligned_bss;
static struct desc_ptr kml_idt_descr __ro_after_init;

/* MSR_LSTAR in the KML state: entry_SYSCALL_64_kml or its fast variant. */
static unsigned long kml_lstar __ro_after_init;

/* What this CPU's MSR_LSTAR is in the KML state: its stub, or kml_lstar. */
static DEFINE_PER_CPU_READ_MOSTLY(unsigned long, kml_cpu_lstar);

/* Direct calls that entered the kernel on this CPU (entry_kml_syscall.S). */
DEFINE_PER_CPU(unsigned long, kml_direct_calls);

/*
 * The direct-call page, mapped read-only and executable at address 0 of
 * every KML process (Documentation/kml.rst, "Direct calls").  A "call
 * *%rax" with a system call number in %rax lands at byte %rax of it and
 * must reach the direct-call entry in a few instructions, whatever the
 * number, without changing a register.  Every byte below
 * KML_DIRECT_SLED starts such a path:
 *
 *   sled blocks, 14 bytes:     3e x 12, eb 67           (jmp +0x67)
 *   landing blocks, 14 bytes:  3e x 9,  e9 fe fe fe fe  (jmp to a trampoline)
 *
 * 0x3e (a DS override, without effect in 64-bit mode) and 0x67 (an
 * address-size prefix, without effect on a relative jump) are prefixes,
 * so decoding from any byte runs through prefixes into the next jump,
 * each instruction at most 15 bytes long.  A sled jump lands 117 bytes
 * on, at byte 5 of a block eight blocks later: a prefix, in a sled or a
 * landing block.  The sled covers numbers 0..559.
 *
 * Numbers past the sled land somewhere else in the page, and must fault
 * there before they change anything.  A landing jump's rel32 is always
 * 0xfefefefe: "fe fe" and "fe 3e" are undefined (#UD), so a call into it
 * faults at once, and its target is chosen to fit, a trampoline page
 * near the end of the module area (kml_direct_tramp) that jumps on to
 * the entry.  One 0x3e follows the last landing block, the rest of the
 * page is int3, and its last 32 bytes describe it (struct
 * kml_direct_header) in bytes 0x40-0x4f only: REX prefixes, which run
 * into the end of the page and fault there (#GP for more than 15 bytes,
 * else #PF on the next page).  The IST stub turns each of these faults
 * (#UD, #BP, #GP, #PF of a KML user frame whose RIP is in the page past
 * the sled) into a jump to the entry, which gives -ENOSYS for the number
 * as after SYSCALL.
 */
#define KML_DIRECT_LANDING	8
#define KML_DIRECT_PREFIX	0x3e
#define KML_DIRECT_HOP		0x67
#define KML_DIRECT_REL32	((s32)0xfefefefe)
/* The trampoline of a landing block that ends at byte @end of the page. */
#define KML_DIRECT_TRAMP(end)	((unsigned long)(long)KML_DIRECT_REL32 + (end))

struct kml_direct_header {
	char magic[8];		/* "KMLDCALL" */
	char version[4];	/* 2 */
	char sled[4];		/* numbers below this go to the entry */
	char entry[16];		/* the entry itself, for "call *%rcx" */
};

static struct page *kml_direct_pages[2] __ro_after_init;

/*
 * The entry the page leads to.  A call that lands in the page past the
 * sled, or in the top page of the address space (a negative number),
 * faults there; the IST stub (entry_kml.S) continues it here.
 */
unsigned long kml_direct_entry_ip __ro_after_init;

/* The trampoline page; kml_exc_debug_user() treats it as entry code. */
static unsigned long kml_direct_tramp __ro_after_init;

static int kml_direct_mremap(const struct vm_special_mapping *sm,
			     struct vm_area_struct *new_vma)
{
	return -EINVAL;		/* the sled only works at address 0 */
}

static const struct vm_special_mapping kml_direct_mapping = {
	.name	= "[kml]",
	.pages	= kml_direct_pages,
	.mremap	= kml_direct_mremap,
};

/* A header field: hex digits, 0x40 + digit, most significant first. */
static void kml_direct_field(char *f, int digits, u64 v)
{
	while (digits--) {
		f[digits] = 0x40 | (v & 0xf);
		v >>= 4;
	}
}

/*
 * The landing trampolines: at KML_DIRECT_TRAMP(end) for each landing
 * block, a jmp to @entry behind a guard, in a page of its own at a fixed
 * address of the module area, read-only and executable.  The guard,
 * "test %rsp, %rsp; jns 1f; ud2; 1:", stops a call from kernel code: a
 * NULL function pointer called in the kernel on behalf of a process with
 * the sled (SMEP is off in the KML state) runs the sled into here with
 * RSP in the kernel half, and oopses at the UD2 (a kernel frame) instead
 * of entering the system call entry.  A program's call has its RSP in
 * the user half.
 */
static const u8 kml_direct_guard[] = { 0x48, 0x85, 0xe4, 0x79, 0x02, 0x0f, 0x0b };

static int __init kml_direct_tramp_init(unsigned long entry)
{
	unsigned long first = KML_DIRECT_SLED + KML_DIRECT_BLOCK;
	unsigned long last = KML_DIRECT_SLED + KML_DIRECT_LANDING * KML_DIRECT_BLOCK;
	unsigned long base = KML_DIRECT_TRAMP(first) & PAGE_MASK;
	unsigned long end;
	u8 *p;

	BUILD_BUG_ON(sizeof(kml_direct_guard) + JMP32_INSN_SIZE > KML_DIRECT_BLOCK);
	BUILD_BUG_ON(KML_DIRECT_TRAMP(first) >> PAGE_SHIFT !=
		     (KML_DIRECT_TRAMP(last) + sizeof(kml_direct_guard) +
		      JMP32_INSN_SIZE - 1) >> PAGE_SHIFT);
	if (base < MODULES_VADDR || base + PAGE_SIZE > MODULES_END)
		return -ERANGE;
	p = __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, base, base + PAGE_SIZE,
				 GFP_KERNEL, PAGE_KERNEL,
				 VM_NO_GUARD | VM_DEFER_KMEMLEAK,
				 NUMA_NO_NODE, __builtin_return_address(0));
	if (!p)
		return -ENOMEM;
	if ((unsigned long)p != base) {
		vfree(p);
		return -EBUSY;
	}
	/*
	 * Like execmem_alloc(): without KASAN_VMALLOC the module area has
	 * shadow only where it is allocated for, and the writes below are
	 * checked.
	 */
	if (kasan_alloc_module_shadow(p, PAGE_SIZE, GFP_KERNEL)) {
		vfree(p);
		return -ENOMEM;
	}
	memset(p, INT3_INSN_OPCODE, PAGE_SIZE);
	for (end = first; end <= last; end += KML_DIRECT_BLOCK) {
		unsigned long at = KML_DIRECT_TRAMP(end) + sizeof(kml_direct_guard);
		long rel = entry - (at + JMP32_INSN_SIZE);
		s32 rel32 = rel;

		if (rel != rel32) {
			vfree(p);
			return -ERANGE;
		}
		memcpy(p + KML_DIRECT_TRAMP(end) - base, kml_direct_guard,
		       sizeof(kml_direct_guard));
		p[at - base] = JMP32_INSN_OPCODE;
		memcpy(p + at - base + 1, &rel32, sizeof(rel32));
	}
	if (set_memory_rox(base, 1)) {
		vfree(p);
		return -EFAULT;
	}
	kml_direct_tramp = base;
	kml_entry_code[1][0] = base;
	kml_entry_code[1][1] = PAGE_SIZE;
	return 0;
}

static int __init kml_direct_page_init(unsigned long entry)
{
	struct kml_direct_header *hdr;
	struct page *page;
	s32 rel32 = KML_DIRECT_REL32;
	u8 *p;
	int b, i, err;

	err = kml_direct_tramp_init(entry);
	if (err)
		return err;
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	p = page_address(page);
	memset(p, INT3_INSN_OPCODE, PAGE_SIZE);
	for (b = 0; b < KML_DIRECT_SLED; b += KML_DIRECT_BLOCK) {
		memset(p + b, KML_DIRECT_PREFIX, KML_DIRECT_BLOCK - 2);
		p[b + KML_DIRECT_BLOCK - 2] = JMP8_INSN_OPCODE;
		p[b + KML_DIRECT_BLOCK - 1] = KML_DIRECT_HOP;
	}
	for (i = 0; i < KML_DIRECT_LANDING; i++, b += KML_DIRECT_BLOCK) {
		memset(p + b, KML_DIRECT_PREFIX, KML_DIRECT_BLOCK - 5);
		p[b + KML_DIRECT_BLOCK - 5] = JMP32_INSN_OPCODE;
		memcpy(p + b + KML_DIRECT_BLOCK - 4, &rel32, sizeof(rel32));
	}
	p[b] = KML_DIRECT_PREFIX;	/* "fe 3e" ends the last rel32 */
	hdr = (void *)(p + PAGE_SIZE - sizeof(*hdr));
	memcpy(hdr->magic, "KMLDCALL", sizeof(hdr->magic));
	kml_direct_field(hdr->version, sizeof(hdr->version), 2);
	kml_direct_field(hdr->sled, sizeof(hdr->sled), KML_DIRECT_SLED);
	kml_direct_field(hdr->entry, sizeof(hdr->entry), entry);
	kml_direct_pages[0] = page;
	kml_direct_entry_ip = entry;
	return 0;
}

/*
 * Map the direct-call page at address 0 of @mm, a KML mm, with its mmap
 * lock held for writing: 0 once it is there, else an error (something
 * else is at 0).
 *
 * Where the CPU has protection keys the page is execute-only: it gets
 * the process's execute-only key, whose access the thread's PKRU denies
 * (as mprotect(PROT_EXEC) does), so that a read through a NULL pointer
 * faults, and so do the kernel's own copies from it (PKRU applies to
 * supervisor accesses to user pages too): a NULL argument gives EFAULT.
 * Instruction fetches ignore keys; the sled still runs.
 */
static int kml_install_sled(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long flags;
	int pkey;

	mmap_assert_write_locked(mm);
	if (mm->context.kml_sled)
		return 0;
	if (!kml_direct_pages[0])
		return -ENODEV;
	flags = VM_EXEC | VM_MAYREAD | VM_MAYEXEC | VM_DONTEXPAND | VM_MIXEDMAP;
	pkey = execute_only_pkey(mm);
	if (pkey > 0)
		flags |= arch_calc_vm_prot_bits(PROT_EXEC, pkey);
	else
		flags |= VM_READ;
	vma = _install_special_mapping(mm, 0, PAGE_SIZE, flags, &kml_direct_mapping);
	if (IS_ERR(vma))
		return PTR_ERR(vma);
	WRITE_ONCE(mm->context.kml_sled, true);
	return 0;
}

/*
 * arch_prctl(ARCH_KML_SLED, flags): map the direct-call page at address 0
 * of the calling KML process, for "call *%rax" sites (the rewriter).
 * Nothing is mapped at 0 otherwise, so that a NULL pointer faults as in
 * ring 3; the entry itself, for "call *%rcx", is in the auxiliary vector
 * (AT_KML_ENTRY).  Returns the numbers the sled covers.  The mapping
 * stays until exec.  Fork copies it with its page-table entry
 * (VM_MIXEDMAP, as for a mapping filled by vm_insert_page(); see
 * vma_needs_copy()), so a child's first direct call does not fault the
 * page in, with the page table under it.  Once asked for, a call that lands
 * past the sled or in the top page of the address space is continued at
 * the entry (entry_kml.S), even if the program unmapped the page.
 *
 * ARCH_KML_SLED_EXEC in @flags: the KML programs that this process and
 * its children execute start in the direct mode as well, without the
 * rewriter (see arch_kml_grant_mm() and kernel/kml/core.c, "Patched
 * copies").  A program executed in user mode drops it.
 */
long kml_arch_prctl_sled(struct task_struct *task, unsigned long flags)
{
	struct mm_struct *mm = task->mm;
	long ret;

	if (task != current || !kml_mm(mm))
		return -EPERM;
	if (flags & ~ARCH_KML_SLED_EXEC)
		return -EINVAL;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	ret = kml_install_sled(mm);
	if (!ret && (flags & ARCH_KML_SLED_EXEC))
		WRITE_ONCE(mm->context.kml_sled_exec, true);
	mmap_write_unlock(mm);
	return ret ? ret : KML_DIRECT_SLED;
}

/* Whether @mm maps registered patched copies (kml_mmap_image()). */
bool arch_kml_images_mm(struct mm_struct *mm)
{
	return kml_mm(mm) && READ_ONCE(mm->context.kml_sled_exec);
}

/*
 * do_mmap(), with @mm's lock held for writing, about to map a patched
 * copy: the copy's "call *%rax" sites need the sled.  False if it cannot
 * be mapped; the original is mapped then.
 */
bool arch_kml_images_sled(struct mm_struct *mm)
{
	return !kml_install_sled(mm);
}

/* The AT_KML_ENTRY entry of a new program's auxiliary vector, or 0. */
unsigned long kml_auxv_entry(void)
{
	return kml_mm(current->mm) ? kml_direct_entry_ip : 0;
}

unsigned long arch_kml_direct_calls(void)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(kml_direct_calls, cpu);
	return sum;
}

/*
 * #DB from KML user code (kml_asm_exc_debug_user).  The direct-call
 * prologue runs on the program's stack until it switches to the task
 * stack with IF clear; TF must not survive that switch, or the next
 * instruction would trap in the kernel.  A single step inside the
 * prologue, or at a landing trampoline on the way there, is therefore
 * dropped and TF cleared: the prologue finishes
 * without traps, and a ptrace single step (TIF_SINGLESTEP) is reported
 * at the return address by the system call exit, as for SYSCALL.
 */
static __always_inline bool kml_in(unsigned long ip, const char *start,
				    const char *end)
{
	return ip - (unsigned long)start < (unsigned long)(end - start);
}

noinstr void kml_exc_debug_user(struct pt_regs *regs)
{
	unsigned long dr6;

	if (kml_in(regs->ip, entry_kml_direct, entry_kml_direct_saved) ||
	    kml_in(regs->ip, entry_kml_direct_fast, entry_kml_direct_fast_saved) ||
	    (kml_direct_tramp && regs->ip - kml_direct_tramp < PAGE_SIZE)) {
		regs->flags &= ~X86_EFLAGS_TF;
		get_debugreg(dr6, 6);
		if ((dr6 & ~DR6_RESERVED) == DR_STEP) {
			set_debugreg(DR6_RESERVED, 6);
			return;
		}
	}
	noist_exc_debug(regs);
}

/*
 * #DB in kernel context right after a direct call's stack switch: the
 * prologue runs with IF set, so a tracer can stop the task at the switch
 * instruction itself and single-step it; the trap follows the switch.
 * Drop it as kml_exc_debug_user() drops the prologue's other steps: the
 * step is reported at the return address by the system call's exit.
 */
noinstr bool __kml_exc_debug_switch(struct pt_regs *regs)
{
	if (regs->ip != (unsigned long)entry_kml_direct_switched &&
	    regs->ip != (unsigned long)entry_kml_direct_fast_switched)
		return false;
	regs->flags &= ~X86_EFLAGS_TF;
	return true;
}

/* kml_fastpath=off: every KML system call takes the generic path. */
static bool kml_fastpath __initdata = true;

static int __init kml_fastpath_setup(char *arg)
{
	return kstrtobool(arg, &kml_fastpath);
}
early_param("kml_fastpath", kml_fastpath_setup);

static __always_inline bool kml_in_entry_code(unsigned long ip)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kml_entry_code); i++)
		if (ip - kml_entry_code[i][0] < kml_entry_code[i][1])
			return true;
	return false;
}

/*
 * The second half of kml_user_frame() in asm/ptrace.h: the current task
 * runs a KML program; @sp is on neither the task's kernel stack nor,
 * while it is in use, this CPU's IRQ stack, the two stacks on which
 * kernel code runs with __KML_CS; and not both @ip and @sp are in the
 * kernel half, but where @ip is in the KML entry code above or the top
 * page (a call with a negative number, entry_kml.S): that is kernel code
 * that ran off its stack (into the guard page below it, say), while a
 * program at a stray kernel address, or with RSP at one, is the
 * program's business.  The IRQ stack counts only while in use, as KML
 * user code never runs then: a program that points RSP into it (a stray
 * kernel address) still gets user frames.  hardirq_stack_ptr is the IRQ
 * stack's top minus 8 (see in_irq_stack()).
 */
noinstr bool kml_user_regs(unsigned long ip, unsigned long sp)
{
	unsigned long irq_bottom;

	if (!kml_mm(current->mm))
		return false;
	if ((long)sp < 0 && (long)ip < 0 && ip < -PAGE_SIZE && !kml_in_entry_code(ip))
		return false;
	/* RSP at the top itself is an empty stack: the direct call's switch */
	if (sp - (current_top_of_stack() - THREAD_SIZE) <= THREAD_SIZE)
		return false;
	if (!this_cpu_read(pcpu_hot.hardirq_stack_inuse))
		return true;
	irq_bottom = (unsigned long)this_cpu_read(pcpu_hot.hardirq_stack_ptr) +
		     8 - IRQ_STACK_SIZE;
	return sp - irq_bottom >= IRQ_STACK_SIZE;
}

bool arch_kml_mm(struct mm_struct *mm)
{
	return kml_mm(mm);
}

static void kml_write_cr4(unsigned long cr4)
{
	asm volatile("mov %0,%%cr4" : : "r" (cr4) : "memory");
}

/* The selectors of KML user code, whatever exec, a signal or sigreturn set. */
static void kml_set_selectors(struct pt_regs *regs)
{
	regs->csx = __KML_CS;
	regs->ssx = __KML_DS;
}

/*
 * Bring this CPU into the KML state.  IRQs are disabled.  Nothing is
 * written that already holds its value: on a switch between two KML
 * tasks, nothing at all.  MSR_KERNEL_GS_BASE is the per-CPU base while
 * the CPU is in the KML state; @load_gs: write it when entering that
 * state (exec; a context switch where the stock code leaves it alone).
 */
static void kml_cpu_enter(bool load_gs)
{
	if (this_cpu_read(kml_cpu_state))
		return;
	this_cpu_write(kml_cpu_state, 1);
	kml_write_cr4(this_cpu_read(cpu_tlbstate.cr4) &
		      ~(X86_CR4_SMEP | X86_CR4_SMAP));
	load_idt(&kml_idt_descr);
	wrmsrl(MSR_LSTAR, this_cpu_read(kml_cpu_lstar));
	if (load_gs)
		wrmsrl(MSR_KERNEL_GS_BASE, this_cpu_read(this_cpu_off));
}

/*
 * Return this CPU to the stock state; @next is the task about to run.
 * @load_gs: write @next's GS base, which the caller's stock code does not.
 */
static void kml_cpu_leave(struct task_struct *next, bool load_gs)
{
	if (!this_cpu_read(kml_cpu_state))
		return;
	wrmsrl(MSR_LSTAR, (unsigned long)entry_SYSCALL_64);
	load_current_idt();
	kml_write_cr4(this_cpu_read(cpu_tlbstate.cr4));
	this_cpu_write(kml_cpu_state, 0);
	if (load_gs)
		wrmsrl(MSR_KERNEL_GS_BASE, next->thread.gsbase);
}

/*
 * A direct call's prologue reads the CPU number with IF set and then
 * writes that CPU's per-CPU base to GS (KML_DIRECT_PROLOGUE).  A task
 * interrupted in between may resume on another CPU, and would then write
 * the old CPU's base: every later per-CPU access of the entry, current
 * included, would be the other CPU's (seen as a WARN in
 * fpregs_restore_userregs() about a kernel thread, then a double fault).
 * Until the WRGSBASE has run nothing has changed but R11, which the
 * convention clobbers, so such a task starts the entry again: checked
 * when it is switched in on another CPU than the one it left, and after
 * a sigreturn (a signal handler run in between may have moved, and R11
 * comes back from its frame).  A task switched in again where it was
 * goes on where it was: a debugger sees it there, and stops at every
 * instruction of the prologue stay possible.  A tracer that changes RIP
 * or R11 (__kml_ptrace_putreg()) makes the next switch-in check too.
 */
static void kml_direct_rewind(struct pt_regs *regs)
{
	if (!cpu_feature_enabled(X86_FEATURE_FSGSBASE) || regs->cs != __KML_CS)
		return;
	if (kml_in(regs->ip, entry_kml_direct, entry_kml_direct_gs))
		regs->ip = (unsigned long)entry_kml_direct;
	else if (kml_in(regs->ip, entry_kml_direct_fast, entry_kml_direct_fast_gs))
		regs->ip = (unsigned long)entry_kml_direct_fast;
}

/* thread.kml_cpu of a task to check at its next switch-in, wherever. */
#define KML_CPU_NONE	UINT_MAX

/*
 * MSR_KERNEL_GS_BASE on a context switch, before the stock code loads the
 * GS bases from the saved ones (x86_fsgsbase_load()).  With FSGSBASE it
 * always writes the next task's thread.gsbase (SWAPGS and WRGSBASE, no
 * WRMSR): a KML task's is made this CPU's per-CPU base (inline, in
 * kml_switch_gsbase()), which costs nothing beyond what every switch pays.
 * Without FSGSBASE it writes the MSR (WRMSR) only for a nonzero base, and
 * clears it with a null selector load when the previous task had one
 * (load_seg_legacy()): a KML task's
 * saved base is 0, so a switch between two KML tasks leaves the per-CPU
 * base in place, and for a switch to a normal task the KML task's is
 * made the per-CPU base, which the stock code then clears (or replaces).
 * Only entering the KML state then writes the MSR (kml_cpu_enter()).
 * Switched out, a KML task's thread.gsbase reads 0 again
 * (__kml_switch_to()): it has no GS base of its own, and a tracer sees
 * none.
 */
void __kml_switch_gsbase(struct task_struct *prev, struct task_struct *next)
{
	/* Without FSGSBASE, from a KML task (kml_switch_gsbase() does the rest). */
	if (!kml_mm(next->mm))
		prev->thread.gsbase = this_cpu_read(this_cpu_off);
}

/* Between two KML tasks on the same CPU: two stores and four tests. */
void __kml_switch_to(struct task_struct *prev, struct task_struct *next)
{
	unsigned int cpu = smp_processor_id();

	if (kml_mm(prev->mm)) {
		prev->thread.gsbase = 0;
		prev->thread.kml_cpu = cpu;
	}
	if (!kml_mm(next->mm)) {
		kml_cpu_leave(next, false);
		return;
	}
	if (unlikely(next->thread.kml_cpu != cpu))
		kml_direct_rewind(task_pt_regs(next));
	if (unlikely(!this_cpu_read(kml_cpu_state)))
		kml_cpu_enter(!cpu_feature_enabled(X86_FEATURE_FSGSBASE));
}

/*
 * The fast system call exit of entry_kml_syscall.S reloads neither the
 * callee-saved registers (the system call preserved them) nor anything
 * else a system call does not change; it returns at CPL 0.  Whatever
 * writes a KML task's pt_regs during a system call (execve, rt_sigreturn,
 * a ptrace write during a ptrace event stop) sends that exit down the
 * generic path, which reloads every register and knows how to return to
 * user mode, by setting TIF_KML_EXIT: a flag of KML's own, which only the
 * fast exits test and which the generic exit clears (.Lkml_return), so it
 * costs no work.  TIF_NOTIFY_RESUME did the same, but its work ran rseq's
 * handler a second time after every rt_sigreturn (glibc registers rseq).
 */
static void kml_force_generic_exit(struct task_struct *task)
{
	set_tsk_thread_flag(task, TIF_KML_EXIT);
	/* and that exit then restores every register with IRET */
	task->thread.kml_direct_ip = 0;
}

void __kml_regs_written(struct task_struct *task)
{
	if (kml_mm(task->mm))
		kml_force_generic_exit(task);
}

/*
 * A tracer writes one register of a stopped KML task.  Stopped in a
 * direct call's GS prologue, the task would write R11 to GS: a new R11,
 * or a RIP moved into the prologue with whatever R11 holds, must not get
 * there, so the prologue starts again (kml_direct_rewind()) when the
 * task is switched in, on any CPU.  A write of the value the register
 * already has (PTRACE_SETREGS of what PTRACE_GETREGS gave) changes
 * nothing.
 */
void __kml_ptrace_putreg(struct task_struct *task, unsigned long offset,
			 unsigned long value)
{
	struct pt_regs *regs = task_pt_regs(task);

	if (!kml_mm(task->mm))
		return;
	kml_force_generic_exit(task);
	if ((offset == offsetof(struct user_regs_struct, ip) && value != regs->ip) ||
	    (offset == offsetof(struct user_regs_struct, r11) && value != regs->r11))
		task->thread.kml_cpu = KML_CPU_NONE;
}

void __kml_start_thread(struct pt_regs *regs)
{
	unsigned long flags;
	bool from_kml;

	/* The IDT, CR4 and MSRs of this CPU change together. */
	local_irq_save(flags);
	from_kml = this_cpu_read(kml_cpu_state);
	if (kml_mm(current->mm)) {
		kml_set_selectors(regs);
		current->thread.gsbase = 0;
		kml_cpu_enter(true);
	} else {
		kml_cpu_leave(current, true);
	}
	local_irq_restore(flags);
	/*
	 * An execve() issued in kernel mode may end in the fast exit: every
	 * register is new, and for a normal program pt_regs->cs is now
	 * __USER_CS.
	 */
	if (from_kml)
		kml_force_generic_exit(current);
}

void __kml_cr4_written(unsigned long cr4)
{
	if (this_cpu_read(kml_cpu_state))
		kml_write_cr4(cr4 & ~(X86_CR4_SMEP | X86_CR4_SMAP));
}

bool __kml_pgd_keep_exec(pgd_t *pgdp)
{
	unsigned long pgd_page = (unsigned long)pgdp & PAGE_MASK;

	if (pgd_page == ((unsigned long)init_mm.pgd & PAGE_MASK))
		return false;
	return kml_mm(pgd_page_get_mm(virt_to_page(pgd_page)));
}

/*
 * exec granted kernel mode to @mm.  Under PTI the kernel copy of each
 * user PGD entry is made non-executable; the entries populated so far
 * (argument pages) are fixed here, later ones by __kml_pgd_keep_exec().
 */
void arch_kml_grant_mm(struct mm_struct *mm)
{
	int i;

	mm->context.kml = true;
	/* ARCH_KML_SLED_EXEC: current->mm is the caller's until exec_mmap() */
	if (current->mm && READ_ONCE(current->mm->context.kml_sled_exec))
		mm->context.kml_sled_exec = true;
	if (!boot_cpu_has(X86_FEATURE_PTI))
		return;
	for (i = 0; i < KERNEL_PGD_BOUNDARY; i++) {
		pgd_t *pgdp = mm->pgd + i;

		if (pgd_present(*pgdp) && (pgd_flags(*pgdp) & _PAGE_USER))
			WRITE_ONCE(pgdp->pgd, pgdp->pgd & ~_PAGE_NX);
	}
}

/*
 * AT_HWCAP2 for the program being exec'ed (create_elf_tables(), with the
 * new mm installed): a KML program is not offered FSGSBASE.  At CPL 0 the
 * GS base is the kernel's per-CPU base, and nothing traps a WRGSBASE
 * there; the ABI lets a program use the instruction only if this bit is
 * set (Documentation/arch/x86/x86_64/fsgs.rst).
 */
u32 kml_hwcap2(u32 hwcap2)
{
	if (static_branch_unlikely(&kml_active_key) && kml_mm(current->mm))
		hwcap2 &= ~HWCAP2_FSGSBASE;
	return hwcap2;
}

/*
 * Sigreturn: rt_sigreturn() may have come in through a fast path, whose
 * exit reloads only what a system call changes; it must take the generic
 * exit, which reloads every register.
 */
void __kml_signal_regs(struct pt_regs *regs)
{
	if (kml_mm(current->mm)) {
		kml_set_selectors(regs);
		kml_direct_rewind(regs);
		__kml_regs_written(current);
	}
}

/*
 * Signal delivery runs as exit work, and the exit after it reloads every
 * register: the generic exit, the IST stubs' exit, or after a fast call's
 * exit work the generic exit too, since RIP moved (kml_syscall_exit_work()).
 * No work flag to set, whose work would run once more (rseq's, say).  The
 * frame is no longer a direct call's.
 */
void __kml_signal_frame_regs(struct pt_regs *regs)
{
	if (kml_mm(current->mm)) {
		kml_set_selectors(regs);
		kml_direct_rewind(regs);
		current->thread.kml_direct_ip = 0;
	}
}

/*
 * The generic exit of entry_kml_syscall.S, for a KML user frame that its
 * RIP and RCX do not let it return to without IRET: whether the 8 bytes
 * below the frame's stack pointer hold its RIP already, so that a RET
 * from there returns exactly (and writes nothing).  After rt_sigreturn a
 * direct call's frame is so: RCX is the entry, as the call left it, and
 * the return address is in the slot the call pushed it to.  A slot that
 * cannot be read without a fault, or holds anything else (a vfork()
 * child's data, a restart's RIP two bytes back), takes IRET.
 */
noinstr bool kml_return_slot(struct pt_regs *regs)
{
	unsigned long slot;
	bool same;

	instrumentation_begin();
	same = !copy_from_user_nofault(&slot, (void __user *)(regs->sp - 8),
				       sizeof(slot)) && slot == regs->ip;
	instrumentation_end();
	return same;
}

int __kml_ptrace_set_segment(struct task_struct *task, unsigned long offset,
			     u16 value)
{
	u16 want;

	if (!kml_mm(task->mm))
		return 0;
	if (offset == offsetof(struct user_regs_struct, cs))
		want = __KML_CS;
	else if (offset == offsetof(struct user_regs_struct, ss))
		want = __KML_DS;
	else
		return 0;
	/* A KML task keeps its selectors; writing them back is allowed. */
	return value == want ? 1 : -EIO;
}

/*
 * The fast system call path does not call the context tracking, lockdep
 * and entry-debug hooks of the generic path: use it only where they are
 * compiled out or, for context tracking (nohz_full=), not enabled.  The
 * FPU state check of CONFIG_X86_DEBUG_FPU, which distribution kernels
 * have, it makes itself.
 */
static unsigned long __init kml_syscall_entry(void)
{
	if (!kml_fastpath) {
		pr_info("system call fast path disabled (kml_fastpath=off)\n");
		return (unsigned long)entry_SYSCALL_64_kml;
	}
	if (IS_ENABLED(CONFIG_TRACE_IRQFLAGS) || IS_ENABLED(CONFIG_LOCKDEP) ||
	    IS_ENABLED(CONFIG_DEBUG_ENTRY) || IS_ENABLED(CONFIG_KMSAN) ||
	    IS_ENABLED(CONFIG_DEBUG_RSEQ) || context_tracking_enabled()) {
		pr_info("system call fast path not used with this configuration (debug hooks or context tracking)\n");
		return (unsigned long)entry_SYSCALL_64_kml;
	}
	pr_info("system call fast path enabled\n");
	return (unsigned long)entry_SYSCALL_64_kml_fast;
}

/*
 * With FSGSBASE, each CPU enters through its own copy of kml_syscall_stub
 * (entry_kml_syscall.S), which restores the GS base without using it:
 * pairs of pages in the module area, the copy followed by its data page,
 * within a jmp of the entry.  Without FSGSBASE, or if that fails, every
 * CPU uses @entry itself.
 */
static void __init kml_syscall_stubs_init(unsigned long entry)
{
	unsigned long hwframe = entry == (unsigned long)entry_SYSCALL_64_kml ?
		(unsigned long)entry_SYSCALL_64_kml_hwframe :
		(unsigned long)entry_SYSCALL_64_kml_fast_hwframe;
	size_t len = kml_syscall_stub_end - kml_syscall_stub;
	size_t jmp = kml_syscall_stub_jmp - kml_syscall_stub;
	u8 *pages, *code;
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(kml_cpu_lstar, cpu) = entry;
	if (!cpu_feature_enabled(X86_FEATURE_FSGSBASE))
		return;
	BUILD_BUG_ON(KML_STUB_BASE + sizeof(long) > PAGE_SIZE);
	pages = execmem_alloc(EXECMEM_MODULE_TEXT, 2 * PAGE_SIZE * nr_cpu_ids);
	if (!pages)
		goto fail;
	for_each_possible_cpu(cpu) {
		long rel;

		code = pages + 2 * PAGE_SIZE * cpu;
		rel = hwframe - (unsigned long)(code + jmp + JMP32_INSN_SIZE);
		if (rel != (s32)rel || jmp + JMP32_INSN_SIZE != len)
			goto fail_free;
		memset(code, INT3_INSN_OPCODE, PAGE_SIZE);
		memcpy(code, kml_syscall_stub, len);
		memcpy(code + jmp,
		       text_gen_insn(JMP32_INSN_OPCODE, code + jmp, (void *)hwframe),
		       JMP32_INSN_SIZE);
		*(unsigned long *)(code + PAGE_SIZE + KML_STUB_BASE) = per_cpu_offset(cpu);
	}
	for_each_possible_cpu(cpu)
		if (set_memory_rox((unsigned long)pages + 2 * PAGE_SIZE * cpu, 1))
			goto fail;	/* some may be read-only now: keep them */
	for_each_possible_cpu(cpu)
		per_cpu(kml_cpu_lstar, cpu) = (unsigned long)pages + 2 * PAGE_SIZE * cpu;
	kml_entry_code[2][0] = (unsigned long)pages;
	kml_entry_code[2][1] = 2 * PAGE_SIZE * nr_cpu_ids;
	return;

fail_free:
	execmem_free(pages);
fail:
	pr_warn("no per-CPU SYSCALL stubs: a KML program that writes GS crashes the kernel\n");
}

/*
 * Software interrupts (Documentation/kml.rst).  At CPL 0 a gate's DPL
 * lets a program's "int $n" through, where ring 3 gets #GP(n * 8 + 2):
 * the stubs tell such an INT from the event it names and give the #GP.
 *
 * kml_soft_vectors: exception vectors at which a 5-word frame of a KML
 * program can only come from an INT: the exception pushes an error code,
 * or this CPU never raises it at CPL 0.  #DE, #DB, #UD, #MF and #XM
 * happen in programs and leave the same frame as the INT (so do #NM
 * with XFD, #VE in a TDX guest, #HV under SEV-SNP): those run their
 * handler, which asks __kml_soft_int() for all but #UD.
 */
u32 kml_soft_vectors __ro_after_init;

static bool __init kml_int_only(int v)
{
	switch (v) {
	case X86_TRAP_DE:
	case X86_TRAP_DB:
	case X86_TRAP_UD:
	case X86_TRAP_MF:
	case X86_TRAP_XF:
		return false;
	case X86_TRAP_NM:
		return !cpu_feature_enabled(X86_FEATURE_XFD);
	case X86_TRAP_VE:
		return !cpu_feature_enabled(X86_FEATURE_TDX_GUEST);
	case 28:		/* #HV */
		return !cpu_feature_enabled(X86_FEATURE_SEV_SNP);
	default:
		return true;
	}
}

/*
 * kml_user_int_common (entry_kml.S): an external vector whose INT bytes
 * precede the program's RIP, or whose bytes could not be read.  The
 * local APIC's in-service bit is set for an interrupt it delivered until
 * the handler's EOI, and never by an INT.  Without a local APIC there is
 * nothing to ask: an interrupt.
 */
noinstr bool kml_vector_in_service(unsigned int vector)
{
	if (!boot_cpu_has(X86_FEATURE_APIC))
		return true;
	return apic_read(APIC_ISR + (vector / 32) * 0x10) & BIT(vector % 32);
}

/*
 * The instruction at @ip may be a DIV or IDIV (F6 or F7 /6 or /7, after
 * prefixes), which #DE comes from; also when it cannot be read.
 */
static bool kml_divides(unsigned long ip)
{
	unsigned long end = ip + MAX_INSN_SIZE - 1;
	u8 b;

	for (; ip < end; ip++) {
		if (copy_from_user_nofault(&b, (void __user *)ip, 1))
			return true;
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		case 0x40 ... 0x4f:
			continue;	/* a prefix, or REX */
		case 0xf6: case 0xf7:
			if (copy_from_user_nofault(&b, (void __user *)ip + 1, 1))
				return true;
			return ((b >> 3) & 7) >= 6;
		default:
			return false;
		}
	}
	return false;
}

/*
 * The handler of exception @vector runs for a frame of a KML program
 * that an "int $vector" may have left: #DE, #DB that is no debug
 * condition (ICEBP's, or the INT's), #MF or #XM with no FPU exception
 * pending.  It was the INT if its bytes, cd @vector, precede RIP, and,
 * for #DE, no DIV or IDIV is at RIP.
 */
bool __kml_soft_int(struct pt_regs *regs, int vector)
{
	u8 insn[2];

	if (!kml_mm(current->mm) || regs->cs != __KML_CS || regs->ip < 2 ||
	    copy_from_user_nofault(insn, (void __user *)regs->ip - 2, sizeof(insn)) ||
	    insn[0] != 0xcd || insn[1] != vector)
		return false;
	return vector != X86_TRAP_DE || !kml_divides(regs->ip);
}

#ifdef CONFIG_KML_DEBUG_NEST_NMI
/*
 * The IST nesting test hook (Kconfig KML_DEBUG_NEST_NMI): with
 * kml_nest_nmi=1, every fourth stub run sends its CPU an NMI from
 * kml_nest_site, which arrives while the stub runs on the KML IST stack.
 * The NMI handler then takes a page fault on a user address that is not
 * present (below mmap_min_addr), in NMI context, as perf's callchains do
 * with copy_from_user_nmi(): the fault must not reuse the stub's frame
 * (kml_ist_nmi_enter()).  The first and the 1024th such NMI are logged.
 */
static bool kml_nest_nmi __initdata;
static DEFINE_PER_CPU(unsigned int, kml_nest_runs);
static DEFINE_PER_CPU(bool, kml_nest_armed);
static atomic_t kml_nest_hits;

static int __init kml_nest_nmi_setup(char *arg)
{
	return kstrtobool(arg, &kml_nest_nmi);
}
early_param("kml_nest_nmi", kml_nest_nmi_setup);

notrace void kml_nest_nmi_send(void)
{
	if (this_cpu_inc_return(kml_nest_runs) & 3)
		return;
	this_cpu_write(kml_nest_armed, true);
	__apic_send_IPI_self(NMI_VECTOR);
}
NOKPROBE_SYMBOL(kml_nest_nmi_send);

static int kml_nest_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	unsigned long bottom = (unsigned long)this_cpu_ptr(&kml_ist_stack);
	int n;
	char c;

	if (!this_cpu_read(kml_nest_armed))
		return NMI_DONE;
	this_cpu_write(kml_nest_armed, false);
	if (regs->sp - bottom < KML_IST_SIZE) {
		n = atomic_inc_return(&kml_nest_hits);
		if (!copy_from_user_nofault(&c, (void __user *)(8 * PAGE_SIZE), 1))
			pr_warn("ist-nest: the test address is mapped\n");
		if (n == 1 || n == 1024)
			pr_info("ist-nest: %d NMIs hit an IST stub and took a page fault\n", n);
	}
	return NMI_HANDLED;
}

static void __init kml_nest_init(void)
{
	void *site = (void *)kml_nest_site;

	if (!kml_nest_nmi)
		return;
	OPTIMIZER_HIDE_VAR(site);	/* a relocation to the ENDBR, not past it */
	site += ENDBR_INSN_SIZE;
	if (register_nmi_handler(NMI_LOCAL, kml_nest_nmi_handler, 0, "kml_nest"))
		return;
	mutex_lock(&text_mutex);
	text_poke_bp(site, text_gen_insn(CALL_INSN_OPCODE, site, kml_nest_thunk),
		     CALL_INSN_SIZE, NULL);
	mutex_unlock(&text_mutex);
	pr_info("ist-nest: an NMI inside every fourth IST stub run (kml_nest_nmi=1)\n");
}
#else
static inline void kml_nest_init(void) { }
#endif

static bool kml_overlaps(unsigned long addr, unsigned long end, const void *base, size_t size)
{
	return end >= (unsigned long)base && addr < (unsigned long)base + size;
}

bool kml_within_entry(unsigned long addr, unsigned long end)
{
	int cpu;

	if (kml_overlaps(addr, end, kml_ist_stubs, kml_ist_text_size) ||
	    kml_overlaps(addr, end, kml_handlers, sizeof(kml_handlers)) ||
	    kml_overlaps(addr, end, kml_entry_code, sizeof(kml_entry_code)) ||
	    kml_overlaps(addr, end, &kml_soft_vectors, sizeof(kml_soft_vectors)) ||
	    kml_overlaps(addr, end, &kml_direct_entry_ip, sizeof(kml_direct_entry_ip)) ||
	    kml_overlaps(addr, end, kml_errcode_vectors, sizeof(kml_errcode_vectors)) ||
	    kml_overlaps(addr, end, kml_idt, sizeof(kml_idt)))
		return true;
	for_each_possible_cpu(cpu)
		if (kml_overlaps(addr, end, per_cpu_ptr(&kml_ist_stack, cpu), KML_IST_SIZE))
			return true;
	return false;
}

static void kml_set_gate_offset(gate_desc *g, unsigned long addr)
{
	g->offset_low = (u16)addr;
	g->offset_middle = (u16)(addr >> 16);
	g->offset_high = (u32)(addr >> 32);
}

static void __init kml_star_init(void *unused)
{
	wrmsr(MSR_STAR, 0, (__USER32_CS << 16) | kml_syscall_cs());
}

static int __init kml_arch_init(void)
{
	unsigned long user_int = (unsigned long)kml_user_int_stubs;
	struct desc_ptr cur;
	const gate_desc *idt;
	int v, cpu;

	if (!kml_enabled)
		return 0;
	if (cpu_feature_enabled(X86_FEATURE_XENPV)) {
		pr_warn("not available on Xen PV\n");
		kml_enabled = false;
	} else if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_warn("FRED is active and replaces the IDT: boot with fred=off to use KML\n");
		kml_enabled = false;
	} else if (cpu_feature_enabled(X86_FEATURE_IBT)) {
		pr_warn("kernel IBT is active and would fault on KML programs: boot with ibt=off to use KML\n");
		kml_enabled = false;
	}
	if (!kml_enabled)
		return 0;

	store_idt(&cur);
	idt = (const gate_desc *)cur.address;
	/* a relocation to kml_user_int_stubs, not before it (objtool) */
	OPTIMIZER_HIDE_VAR(user_int);
	for (v = 0; v < IDT_ENTRIES; v++) {
		gate_desc g = idt[v];

		/*
		 * Gates with an IST of their own keep it, except #DB: a KML
		 * user #DB must reach the task stack, a kernel #DB is fine on
		 * the interrupted stack.
		 */
		if (g.bits.p && (!g.bits.ist || v == X86_TRAP_DB)) {
			kml_handlers[v] = gate_offset(&g);
			kml_handlers[IDT_ENTRIES + v] = gate_offset(&g);
			if (!g.bits.dpl && v >= FIRST_EXTERNAL_VECTOR)
				kml_handlers[IDT_ENTRIES + v] = user_int +
					16 * (v - FIRST_EXTERNAL_VECTOR);
			else if (!g.bits.dpl && kml_int_only(v))
				kml_soft_vectors |= BIT(v);
			kml_set_gate_offset(&g, (unsigned long)kml_ist_stubs + 16 * v);
			g.bits.ist = IST_INDEX_KML + 1;
		} else if (g.bits.p && v == X86_TRAP_DF) {
			/* its own IST; kml_double_fault tells "int $8" from #DF */
			kml_set_gate_offset(&g, (unsigned long)kml_double_fault);
			kml_handlers[IDT_ENTRIES + v] = gate_offset(&idt[v]);
			kml_soft_vectors |= BIT(v);
		}
		kml_idt[v] = g;
	}
	/* Where the stub sends a kernel stack overflow (entry_kml.S). */
	kml_handlers[X86_TRAP_DF] = (unsigned long)asm_exc_double_fault;
	kml_handlers[IDT_ENTRIES + X86_TRAP_DB] = (unsigned long)kml_asm_exc_debug_user;
	kml_handlers[IDT_ENTRIES + X86_TRAP_BP] = (unsigned long)kml_asm_exc_int3_user;
	kml_entry_code[0][0] = (unsigned long)entry_SYSCALL_64_kml;
	kml_entry_code[0][1] = entry_kml_text_end - (const char *)entry_SYSCALL_64_kml;
	kml_lstar = kml_syscall_entry();
	kml_syscall_stubs_init(kml_lstar);
	if (kml_direct_page_init(kml_lstar == (unsigned long)entry_SYSCALL_64_kml ?
				 (unsigned long)entry_kml_direct :
				 (unsigned long)entry_kml_direct_fast))
		pr_warn("no direct-call page: direct calls are not available\n");
	kml_idt_descr.size = sizeof(kml_idt) - 1;
	kml_idt_descr.address = (unsigned long)kml_idt;

	/*
	 * The per-CPU base at the top, and at the top an NMI moves it to
	 * (kml_ist_nmi_enter()): no stub uses KML_IST_NEST bytes of stack.
	 */
	for_each_possible_cpu(cpu) {
		char *top = per_cpu(kml_ist_stack, cpu) + KML_IST_TOP;

		*(unsigned long *)top = per_cpu_offset(cpu);
		*(unsigned long *)(top - KML_IST_NEST) = per_cpu_offset(cpu);
		per_cpu(cpu_tss_rw, cpu).x86_tss.ist[IST_INDEX_KML] = (unsigned long)top;
	}

	kml_nest_init();
	static_branch_enable(&kml_active_key);
	/* SYSCALL now lands with __KML_CS (kml_syscall_cs()), here and on CPUs to come. */
	on_each_cpu(kml_star_init, NULL, 1);
	return 0;
}
arch_initcall(kml_arch_init);
