/* One access, and whether it trapped: each helper prints one "case NAME:"
 * line, "value=..." (or "no trap") when the access went through, else the
 * trap's scause and stval. The runtime's trap handler skips a faulting load
 * or store; a faulting fetch resumes after the call. */
#ifndef LODGER_TEST_PROBE_H
#define LODGER_TEST_PROBE_H

#include "guest.h"

/* If set, stval is printed relative to it ("place+0x..."): for places
 * that may differ natively and under lodger (shared/fp_places.h). */
static unsigned long probe_place;

static inline void probe_report(const char *name, int before)
{
    if (last_trap.count == before)
        gprintf("case %s: no trap\n", name);
    else if (probe_place)
        gprintf("case %s: scause=%lu stval=place%+ld\n", name, (unsigned long)last_trap.scause,
                (long)(last_trap.stval - probe_place));
    else
        gprintf("case %s: scause=%lu stval=0x%lx\n", name, (unsigned long)last_trap.scause,
                (unsigned long)last_trap.stval);
}

static inline void probe_load(const char *name, unsigned long va)
{
    int before = last_trap.count;
    unsigned long v = 0xdead;
    __asm__ volatile(".option push\n.option norvc\n"
                     "ld %0, 0(%1)\n"
                     ".option pop" : "+r"(v) : "r"(va) : "memory");
    if (last_trap.count == before)
        gprintf("case %s: value=0x%lx\n", name, v);
    else
        probe_report(name, before);
}

static inline void probe_store(const char *name, unsigned long va, unsigned long value)
{
    int before = last_trap.count;
    __asm__ volatile(".option push\n.option norvc\n"
                     "sd %0, 0(%1)\n"
                     ".option pop" :: "r"(value), "r"(va) : "memory");
    probe_report(name, before);
}

/* amoadd.d of 1. */
static inline void probe_amo(const char *name, unsigned long va)
{
    int before = last_trap.count;
    unsigned long old = 0xdead;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "+r"(old) : "r"(va), "r"(1UL) : "memory");
    if (last_trap.count == before)
        gprintf("case %s: old=0x%lx\n", name, old);
    else
        probe_report(name, before);
}

/* lr.d, then (if it went through) sc.d of the same value. */
static inline void probe_lr(const char *name, unsigned long va)
{
    int before = last_trap.count;
    unsigned long v = 0xdead, rc = 2;
    __asm__ volatile("lr.d %0, (%1)" : "+r"(v) : "r"(va) : "memory");
    if (last_trap.count == before) {
        __asm__ volatile("sc.d %0, %1, (%2)" : "+r"(rc) : "r"(v), "r"(va) : "memory");
        gprintf("case %s: value=0x%lx\n", name, v);
    }
    else
        probe_report(name, before);
}

/* A call to va: only for places that must not be executable. */
static inline void probe_fetch(const char *name, unsigned long va)
{
    int before = last_trap.count;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, 0(%1)\n"
                     "jalr ra, 0(%0)\n"
                     "1:" :: "r"(va), "r"(&trap_resume_pc) : "t0", "ra", "memory");
    probe_report(name, before);
}

#endif
