/* Per-host-hart state. tp points at the current hart's struct in lodger. */
#ifndef LODGER_CORE_HART_H
#define LODGER_CORE_HART_H

#include <stdint.h>
#include "first/frame.h"
#include "core/first_portion.h"      /* FIRST_MAX_VCPUS */
#include "core/hostdt.h"
#include "core/spinlock.h"
#include "core/limits.h"

#define HART_STACK_SIZE 16384
#define HART_ASID_SLOTS (LODGER_MAX_VMS * 32)   /* VMs * SHADOW_CACHE_SIZE (checked in vm.c) */
#define HART_QUEUE_MAX (LODGER_MAX_VMS * LODGER_MAX_VCPUS)
#define HART_SLICE_MS 10         /* time slice when vCPUs share a hart */

struct vcpu;

struct hart {
    int index;                  /* 0..hart_count-1 */
    unsigned long hartid;
    struct trap_frame frame;    /* sscratch while lodger itself runs */
    struct vcpu *volatile vcpu; /* the vCPU this hart runs now, if any */
    uint8_t *stack;             /* HART_STACK_SIZE bytes */
    volatile int online;
    uint64_t timer_programmed;  /* the deadline the host timer holds now */
    uint64_t next_poll;         /* when to look for console input next */
    /* The vCPUs this hart holds (started, not stopped), run in turn: one
     * each when they fit, else time slices (core/hart.c). */
    struct spinlock queue_lock;
    struct vcpu *queue[HART_QUEUE_MAX];
    volatile int queue_count;
    unsigned queue_next;        /* round robin: where the next pick starts */
    unsigned vm_next[LODGER_MAX_VMS];   /* per VM: where its next pick starts */
    uint64_t slice_end;         /* switch vCPUs then (VM_NO_DEADLINE: none waits) */
    struct vcpu *fp_owner;      /* whose FP registers the hart holds */
    /* The shadow generation this hart last flushed its TLB for, per ASID
     * slot: a shadow rebuilt in a slot (same ASID) is flushed before use. */
    uint32_t seen_generation[HART_ASID_SLOTS];
};

extern struct hart harts[HOST_MAX_HARTS];
extern int hart_count;

/* Acknowledges a host IRQ_S_SOFT, IRQ_S_TIMER or IRQ_S_EXT (serving the
 * board's devices lodger drives) on this hart. */
void hart_ack_interrupt(uint64_t irq);
/* Makes another hart trap into lodger soon (a host IPI). */
void hart_kick(const struct hart *h);
/* The hart's current vCPU is gone (stopped, its VM ended): runs the next
 * one of its queue, sleeping until there is one. */
void __attribute__((noreturn)) hart_park(void);
/* The vCPU h runs now: v (the one that trapped, or NULL) while it may go
 * on, else the next its queue picks (sleeping while none is runnable). */
struct vcpu *hart_take_turn(struct hart *h, struct vcpu *v);
/* Puts a started vCPU in a hart's run queue (the hart then holds it). */
void hart_enqueue(struct hart *h, struct vcpu *v);

static inline struct hart *this_hart(void)
{
    struct hart *h;
    __asm__ volatile("mv %0, tp" : "=r"(h));
    return h;
}

#endif
