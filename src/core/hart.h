/* Per-host-hart state. tp points at the current hart's struct in lodger. */
#ifndef LODGER_CORE_HART_H
#define LODGER_CORE_HART_H

#include <stdint.h>
#include "first/frame.h"
#include "core/hostdt.h"

#define HART_STACK_SIZE 16384
#define HART_ASID_SLOTS 64       /* MAX_VMS * SHADOW_CACHE_SIZE */

struct vcpu;

struct hart {
    int index;                  /* 0..hart_count-1 */
    unsigned long hartid;
    struct trap_frame frame;    /* sscratch while lodger itself runs */
    struct vcpu *vcpu;          /* the vCPU this hart runs, if any */
    uint8_t *stack;             /* HART_STACK_SIZE bytes */
    volatile int online;
    uint64_t timer_programmed;  /* the deadline the host timer holds now */
    uint64_t next_poll;         /* when to look for console input next */
    struct vcpu *volatile assigned;     /* HSM: a vCPU handed to this parked hart */
    /* The shadow generation this hart last flushed its TLB for, per ASID
     * slot: a shadow rebuilt in a slot (same ASID) is flushed before use. */
    uint32_t seen_generation[HART_ASID_SLOTS];
};

extern struct hart harts[HOST_MAX_HARTS];
extern int hart_count;

/* Makes another hart trap into lodger soon (a host IPI). */
void hart_kick(const struct hart *h);
/* A hart with nothing to run: sleeps until a vCPU is assigned, runs it. */
void __attribute__((noreturn)) hart_park(void);

static inline struct hart *this_hart(void)
{
    struct hart *h;
    __asm__ volatile("mv %0, tp" : "=r"(h));
    return h;
}

#endif
