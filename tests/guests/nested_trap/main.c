/* Nested traps: a trap taken inside the trap handler overwrites sepc,
 * scause and sstatus.SPP/SPIE; a handler that saved them (here through an
 * sscratch-based frame, as kernels do) still returns to the right place. */
#include "../lib/guest.h"

struct frame {
    uint64_t regs[16];
    uint64_t sp, sepc, sstatus, scause;
};

void nested_vector(void);
void nested_handler(struct frame *f);
extern char outer_insn[], inner_insn[], third_insn[];

static uint8_t trap_stack[8192] __attribute__((aligned(16)));
#define TRAP_STACK_TOP ((unsigned long)trap_stack + sizeof(trap_stack))

struct record { uint64_t scause, sepc, spp, sp_in_trap_stack; int depth; };
static struct record records[8];
static int nrecords, depth, max_depth;
static uint64_t sepc_after_nested, sstatus_after_nested, sscratch_in_handler;

void nested_handler(struct frame *f)
{
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    if (nrecords < 8) {
        unsigned long sp;
        __asm__ volatile("mv %0, sp" : "=r"(sp));
        records[nrecords++] = (struct record){
            f->scause, f->sepc, (f->sstatus & SSTATUS_SPP) >> 8,
            sp > (unsigned long)trap_stack && sp <= TRAP_STACK_TOP, depth };
    }
    if (depth == 1) {
        sscratch_in_handler = csr_read(sscratch);
        /* A trap inside the handler: it gets its own frame below ours. */
        __asm__ volatile(".globl inner_insn\ninner_insn: ebreak" ::: "memory");
        sepc_after_nested = csr_read(sepc);
        sstatus_after_nested = csr_read(sstatus);
    } else if (depth == 2) {
        __asm__ volatile(".globl third_insn\nthird_insn: ebreak" ::: "memory");
    }
    uint16_t low = *(volatile uint16_t *)f->sepc;
    f->sepc += (low & 3) == 3 ? 4 : 2;
    depth--;
}

static const char *where(uint64_t pc)
{
    return pc == (uint64_t)outer_insn ? "outer_insn" : pc == (uint64_t)inner_insn ? "inner_insn"
         : pc == (uint64_t)third_insn ? "third_insn" : pc == (uint64_t)inner_insn + 2 ||
           pc == (uint64_t)inner_insn + 4 ? "after inner_insn" : "elsewhere";
}

int guest_main(void)
{
    gprintf("=== begin: nested_trap ===\n");
    unsigned long saved_stvec = csr_read(stvec);
    csr_write(sscratch, TRAP_STACK_TOP);
    csr_write(stvec, (unsigned long)nested_vector);

    /* csrr t0, mstatus is illegal in S-mode; t3 must survive the traps. */
    unsigned long kept, resumed = 0;
    __asm__ volatile("li t3, 0x5a5a1234\n"
                     ".globl outer_insn\nouter_insn: csrr t0, mstatus\n"
                     "li %1, 1\n"
                     "mv %0, t3" : "=r"(kept), "+r"(resumed) :: "t0", "t3", "memory");

    csr_write(stvec, saved_stvec);
    gprintf("case resumed_after_outer: %lu\n", resumed);
    gprintf("case caller_saved_kept: 0x%lx\n", kept);
    gprintf("case max_depth: %d\n", max_depth);
    gprintf("case traps: %d\n", nrecords);
    for (int i = 0; i < nrecords && i < 3; i++)
        gprintf("case trap%d: depth=%d scause=%lu sepc=%s spp=%lu on_trap_stack=%lu\n", i,
                records[i].depth, (unsigned long)records[i].scause, where(records[i].sepc),
                (unsigned long)records[i].spp, (unsigned long)records[i].sp_in_trap_stack);
    gprintf("case sscratch_in_handler: top-%lu\n", TRAP_STACK_TOP - sscratch_in_handler);
    gprintf("case sepc_after_nested: %s\n", where(sepc_after_nested));
    gprintf("case spp_after_nested: %lu\n", (sstatus_after_nested & SSTATUS_SPP) >> 8);
    gprintf("case sscratch_restored: %s\n", csr_read(sscratch) == TRAP_STACK_TOP ? "yes" : "no");
    CHECK(resumed == 1 && kept == 0x5a5a1234 && max_depth == 3);
    return failures;
}
