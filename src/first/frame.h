/* The per-vCPU trap frame: one page of the first portion, reached through
 * sscratch while the guest runs. The trap entry (src/first/entry.S) uses its
 * fields by offsets generated from this struct (src/first/offsets.c). Each
 * host hart also owns one frame of its own, used while lodger itself runs. */
#ifndef LODGER_FIRST_FRAME_H
#define LODGER_FIRST_FRAME_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/vcsr.h"

struct trap_frame {
    /* The virtual supervisor CSRs, first: their first FRAME_PLAIN_SIZE
     * bytes (sscratch, sepc, scause, stval) end the page before the rest
     * of the frame, a page that holds nothing else and that the guest's
     * virtual S-mode may map at FRAME_PLAIN_VA (core/patch.c, trap-free
     * sites); the fast paths and the second portion use these same slots. */
    struct vcsr csr;
    uint64_t x[32];          /* guest x0..x31 (x0 unused) */
    uint64_t pc;             /* guest pc at the trap (sepc) */
    uint64_t cause;          /* host scause at the trap */
    uint64_t tval;           /* host stval at the trap */
    uint64_t status;         /* host sstatus at the trap */
    uint64_t guest_satp;     /* shadow table the guest runs on */
    uint64_t host_satp;      /* lodger's own table (second address space) */
    uint64_t host_sp;        /* top of this hart's lodger stack */
    uint64_t host_tp;        /* this hart's struct hart */
    uint64_t host_scratch;   /* sscratch while lodger runs: the hart's own frame */
    uint64_t host_trap;      /* C entry for guest traps (vcpu_trap_from_guest) */
    uint64_t host_fault;     /* C entry for lodger's own traps (lodger_fault) */
    uint64_t flush_on_switch;/* non-zero: sfence.vma after each satp switch (no ASIDs) */
    /* The vCPU's state that fast paths need, kept here rather than copied
     * (and the virtual CSRs, csr, at the start). */
    uint64_t vmode;          /* enum vmode, kept equal to the vCPU's on resume */
    uint64_t fast_hits[16];  /* fast-path hits by kind (enum fast_kind) */
    /* The host satp of the S-mode shadow views with SUM=0 and SUM=1, and of
     * the U-mode view, for the guest's current satp (0: not built yet): a
     * SUM toggle, a trap into the guest kernel or an sret is then a satp
     * write in the first portion. */
    uint64_t sum_satp[2];
    uint64_t user_satp;
    uint64_t nested_t1;      /* entry.S: t1 while it checks a trap from S-mode */
    /* The guest-RAM window (vm.h): where guest-physical ram_gpa is mapped,
     * read-only, in the shadows of the guest's current satp; 0 if none. */
    uint64_t window_va;
    uint64_t ram_gpa, ram_size;
    /* Patched guest-kernel code (core/patch.c, issue 15): the trapping
     * instructions of the guest kernel's hot code run from copies in which
     * each is an ebreak. sites[] is the VM's table of them, hashed by pc
     * (frame_site_slot): each entry holds the low half of the site's pc
     * (bits 31:0, never 0) and, above it, the original instruction; every
     * site's pc has site_high as its upper half. patch_learn counts the
     * guest kernel's illegal-instruction traps down to the next one the fast
     * path leaves to the second portion, which learns its site (0: no
     * patching in this VM). */
    uint64_t patch_learn;
    uint64_t site_high;
    uint64_t sites[128];
    /* Non-zero (FRAME_SITE_REFERENCED) for each slot of sites[] whose site
     * the fast path took since core/patch.c last looked: which copies are
     * hot, when one must make room (its clock, patch_clock.h). */
    uint8_t site_ref[128];
};

/* Trap-free sites (core/patch.c, issue 15 item 2): the plain-storage CSRs
 * at the start of the frame fill the last FRAME_PLAIN_SIZE bytes of their
 * own page, which the guest's S-mode shadow views map (U=1, RW) at the top
 * of the address space, FRAME_PLAIN_VA: `ld rd, FRAME_PLAIN_IMM(CSR)(zero)`
 * then reads the CSR with no trap. */
#define FRAME_PLAIN_SIZE 32
#define FRAME_PLAIN_VA 0xfffffffffffff000UL
#ifndef __ASSEMBLER__
_Static_assert(__builtin_offsetof(struct trap_frame, csr.sscratch) == 0 &&
               __builtin_offsetof(struct trap_frame, csr.sepc) == 8 &&
               __builtin_offsetof(struct trap_frame, csr.scause) == 16 &&
               __builtin_offsetof(struct trap_frame, csr.stval) == 24,
               "the plain-storage CSRs open the frame, in CSR-number order");
#endif
/* The 12-bit immediate that reaches the CSR at offset off of the frame
 * from x0 (sign-extended: the last FRAME_PLAIN_SIZE bytes below 2^64). */
#define FRAME_PLAIN_IMM(off) ((off) - FRAME_PLAIN_SIZE)

/* Kinds of fast path (frame->fast_hits index): one per virtual CSR served
 * in the first portion, sret, and traps reflected into the guest kernel. */
enum fast_kind {
    FAST_SSTATUS, FAST_SIE, FAST_SIP, FAST_SSCRATCH, FAST_SEPC, FAST_SCAUSE, FAST_STVAL,
    FAST_SRET,          /* sret from virtual S */
    FAST_REFLECT,       /* a guest-user ecall, or a breakpoint, into the guest kernel */
    FAST_CHAINED,       /* a CSR access or sret served in the trap of the one before */
    FAST_PAGE_FAULT,    /* a guest-user page fault its own table causes, into the guest kernel */
    FAST_PATCHED,       /* an ebreak at a patched site, taken as its original instruction */
    FAST_LANE,          /* of those, patched sites served by a lane of entry.S's trap entry */
    FAST_KINDS,
};

/* Chaining: after serving a CSR access, the fast path reads the guest's next
 * instruction and, if it is another CSR access or sret in the same page,
 * serves it in the same trap (at most FAST_CHAIN_MAX more): Linux's trap
 * entry reads five CSRs in a row, its return writes two. */
#define FAST_CHAIN_MAX 8

/* The site table (trap_frame.sites): slots, and how many from a pc's own
 * slot on a lookup probes (an empty slot ends it earlier). */
#define FRAME_SITES 128
#define FRAME_SITE_PROBES 8
/* Bit 0 of an entry (a pc's bit 0 is always 0): the instruction after the
 * site, at pc + 4, is a site too (core/patch.c patches runs of trapping
 * instructions). The fast path chains after a patched site only then: the
 * next instruction of any other is an instruction of the guest's own, or
 * trap-free, so reading it would find nothing to serve. */
#define FRAME_SITE_RUN 1u
/* What the fast path stores in trap_frame.site_ref[slot] of a site it takes. */
#define FRAME_SITE_REFERENCED 1
/* One in this many of the guest kernel's illegal-instruction traps goes to
 * the second portion to have its site patched (trap_frame.patch_learn). */
#define PATCH_LEARN_PERIOD 64
/* The instruction a patched site holds in its copy. */
#define PATCH_EBREAK 0x00100073u
/* The SIE toggles entry.S's lanes serve (rd = x0 here; the clear takes any rd):
 * csrrci rd, sstatus, SIE (local_irq_save/disable), csrsi sstatus, SIE. */
#define SIE_CLEAR_INSN 0x10017073u
#define SIE_SET_INSN 0x10016073u
#ifndef __ASSEMBLER__
_Static_assert(sizeof(((struct trap_frame *)0)->sites) == FRAME_SITES * 8 &&
               sizeof(((struct trap_frame *)0)->site_ref) == FRAME_SITES,
               "the frame's site table has FRAME_SITES slots");
static inline unsigned frame_site_slot(uint64_t pc)
{
    return (unsigned)(pc >> 1) & (FRAME_SITES - 1);
}
/* The low half of the pc of a non-empty entry. */
static inline uint32_t frame_site_low(uint64_t entry)
{
    return (uint32_t)entry & ~FRAME_SITE_RUN;
}
/* The entry of a site table (trap_frame.sites, or core/patch.c's master
 * copy) for a pc's low half, or NULL: the probe fast_site_entry and the
 * run marking share. */
static inline const uint64_t *frame_site_find(const uint64_t *table, uint32_t low)
{
    for (unsigned i = 0, slot = frame_site_slot(low); i < FRAME_SITE_PROBES; i++, slot++) {
        const uint64_t *e = &table[slot & (FRAME_SITES - 1)];
        if (!*e)
            return NULL;
        if (frame_site_low(*e) == low)
            return e;
    }
    return NULL;
}
#endif

/* sstatus bits a guest may write (vcsr.c's rule with FS offered), and those
 * whose change needs the second portion (shadow view, FPU state). */
#define FAST_SSTATUS_WRITABLE 0xc6122UL   /* SIE SPIE SPP FS SUM MXR */
#define FAST_SSTATUS_SLOW 0x80000UL       /* MXR (SUM switches view, FS the hart's FS, in place) */

#ifndef __ASSEMBLER__
/* The C twin of the first portion's fast paths (src/first/fast_path.c):
 * true if the trap in f was served, with f updated as the assembly would. */
bool fast_path_csr(struct trap_frame *f);
/* All the fast paths: reflected traps, sret, then fast_path_csr. */
bool fast_path_trap(struct trap_frame *f);
/* After fast_path_csr served f: true if the next instruction, whose bits are
 * next (readable: the assembly's load did not fault), is to be served in
 * the same trap; f then describes it as its own trap would. */
bool fast_path_chain(struct trap_frame *f, uint32_t next, bool readable);
/* What the assembly does for one trap: fast_path_trap, then chaining with
 * the guest's code read through fetch (false: the load would fault). True
 * if the guest resumes without the second portion; if false, f is the trap
 * the second portion gets (a chained instruction may be the one declined). */
bool fast_path_run(struct trap_frame *f, bool (*fetch)(void *ctx, uint64_t va, uint32_t *bits),
                   void *ctx);
/* The first field in which two frames differ: its name ("x", "csr.sstatus",
 * ...), index in an array (else -1) and both values. False if equal. */
struct frame_diff {
    const char *field;
    int index;
    uint64_t a, b;
};
bool fast_frame_diff(const struct trap_frame *a, const struct trap_frame *b, struct frame_diff *d);
/* The original instruction of the patched site at pc (frame->sites), or 0. */
uint32_t fast_site_lookup(const struct trap_frame *f, uint64_t pc);
/* The table entry of the patched site at pc, or 0. */
uint64_t fast_site_entry(const struct trap_frame *f, uint64_t pc);
#endif

/* Checking builds (make CHECK_FAST=1, LODGER_CHECK_FAST): the upper half of
 * each vCPU's frame page holds the frame as the trap entry left it, before
 * any fast path ran, and whether a fast path served the trap. A served
 * trap then goes to the second portion instead of back to the guest, which
 * runs the C twin on the copy and compares (core/fast_check.c). */
#define FRAME_CHECK_OFFSET 2048
#ifndef __ASSEMBLER__
struct fast_check_area {
    struct trap_frame entry;    /* the frame at the trap, before the fast paths */
    uint64_t served;            /* non-zero: a fast path served the trap */
};
_Static_assert(sizeof(struct trap_frame) <= FRAME_CHECK_OFFSET,
               "the trap frame must fit below the check area");
_Static_assert(FRAME_CHECK_OFFSET + sizeof(struct fast_check_area) <= 4096,
               "the check area must fit in the frame page");
static inline struct fast_check_area *fast_check_area_of(struct trap_frame *f)
{
    return (struct fast_check_area *)((char *)f + FRAME_CHECK_OFFSET);
}
#endif

/* Registers of lodger itself, saved on its stack when it traps. */
struct host_regs {
    uint64_t x[32];
    uint64_t pc, cause, tval, status;
};

/* The place's layout (code pages, frame pages, size) is core/first_portion.h's. */
#ifndef __ASSEMBLER__
/* Symbols of the first portion's code, as linked inside lodger's image. */
extern char first_portion_start[], first_portion_end[];
extern char first_trap_entry[], first_resume_guest[];
#endif

#endif
