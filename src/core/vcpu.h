/* A vCPU: its state, and what the rest of lodger may do with it. The trap
 * dispatcher and the SBI extensions need only this (and struct vm where
 * they reach the VM), so host tests run them on fake vCPUs
 * (tests/host/fake_vcpu.c). Entering and leaving the guest: core/vcpu.c;
 * timer and console poll: core/vcpu_timer.c; the host harts that run
 * vCPUs (run queues, idle, park, kick): core/hart.c. */
#ifndef LODGER_CORE_VCPU_H
#define LODGER_CORE_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "first/frame.h"
#include "core/vcsr.h"
#include "core/guest_walk.h"
#include "core/emulate.h"
#include "arch/riscv/encoding.h"
#include "arch/riscv/fpr.h"

#define VM_MAX_VCPUS FIRST_MAX_VCPUS
#define VM_NO_DEADLINE UINT64_MAX

struct vm;
struct hart;
struct shadow;

struct vcpu_counters {
    uint64_t exceptions[CAUSE_COUNT];   /* traps from the guest, by host cause */
    uint64_t interrupts[16];            /* host interrupts taken while the guest ran */
    uint64_t injected;                  /* traps delivered into the guest */
    uint64_t csr_emulated, sret, wfi, sfence, sbi_calls, shadow_fills, mmio;
    uint64_t shadow_fill_races;         /* fills dropped: a fence ran since their walk */
    uint64_t shadow_neighbour_fills;    /* entries filled beside a fill (shadow.c) */
    uint64_t shadow_block_links;        /* fills that linked a shared block table (shadow.c) */
    uint64_t shadow_global_links;       /* fills that linked a shared global table (ID 78) */
    uint64_t shadow_global_fills;       /* fills installed in a shared global table (ID 79) */
    uint64_t shadow_fence_fills;        /* entries filled at the guest's fence of a page */
    uint64_t fast_checked[2];           /* checking builds: traps checked, [1] served */
};

enum vcpu_state { VCPU_STOPPED, VCPU_RUNNING, VCPU_START_PENDING };

/* Why a handler returned TRAP_EXIT (core/trap.h): the top of the trap path
 * acts on it once every lock is released (core/vcpu_exit.c). */
enum vcpu_exit_kind {
    VCPU_EXIT_NONE,
    VCPU_EXIT_END_VM,       /* vm_end with exit.failed and exit.why */
    VCPU_EXIT_REBOOT,       /* vm_reboot (SBI SRST cold or warm reboot) */
    VCPU_EXIT_STOP,         /* this vCPU stops (SBI HSM hart_stop) */
};

struct vcpu_exit {
    enum vcpu_exit_kind kind;
    bool failed;
    char why[160];
};

/* Requests one vCPU's hart makes of another's (vcpu->requests bits). */
#define VCPU_REQUEST_TLB_FLUSH 1u   /* sfence.vma on that hart */
#define VCPU_REQUEST_FENCE_I 2u     /* fence.i on that hart */

struct vcpu {
    struct vm *vm;
    int id;
    struct trap_frame *frame;   /* lodger's (identity) address of the frame page */
    struct vcsr *csr;           /* in the frame: the first portion's fast paths use it */
    enum vmode mode;
    enum vcpu_state state;
    uint64_t timer_deadline;
    struct shadow *shadow;      /* the shadow table the guest runs on now */
    struct {                    /* the views found at the last resume, while still valid */
        struct shadow *s[3];
        uint64_t satp, epoch;
        int mxr;
    } views;
    uint32_t frame_slots;       /* the shadow slots that map its frame (shadow_frames_follow) */
    int room_tries;             /* the VM's shadow budget was spent by its fills since its last
                                 * one that installed: 1 evicted, 2.. emptied all (shadow.c) */
    volatile int suspended;     /* in an SBI HSM hart_suspend until it wakes */
    struct vcpu_exit exit;      /* set with TRAP_EXIT */
    struct reservation reservation; /* LR/SC on emulated (displaced) memory */
    struct hart *volatile hart; /* the host hart that holds it (in its run queue), or NULL */
    volatile int in_guest;      /* it may be executing guest code right now */
    volatile int waiting;       /* in WFI (or HSM suspend) until an interrupt is pending */
    struct fp_state fp;         /* its FP registers while the hart runs another vCPU */
    volatile unsigned requests; /* VCPU_REQUEST_* from other harts */
    struct vcpu_counters count;
};

void __attribute__((noreturn)) vcpu_resume(struct vcpu *v);
void vcpu_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);
/* Delivers a pending virtual interrupt (cause with CAUSE_INTERRUPT set). */
void vcpu_inject_interrupt(struct vcpu *v, uint64_t cause);
/* Picks the shadow for the vCPU's mode and satp; false when none can be
 * had (out of memory, cache full): the caller ends the VM, holding no lock. */
bool vcpu_select_shadow(struct vcpu *v);
/* Walks the guest's table for va as the vCPU's current mode would. */
enum walk_status vcpu_translate(struct vcpu *v, uint64_t va, enum access_type access,
                                bool update_ad, struct walk_result *res);
/* The guest-physical address of va for the access (translation off: va
 * itself); false with *cause set to the guest's fault. */
bool vcpu_guest_physical(struct vcpu *v, uint64_t va, enum access_type access, bool update_ad,
                         uint64_t *gpa, uint64_t *cause);
/* Reads the instruction at guest virtual pc; false if it cannot be fetched,
 * with *cause set to the fault the guest would have taken. */
bool vcpu_fetch_insn(struct vcpu *v, uint64_t pc, uint32_t *bits, uint64_t *cause);
/* The hart's time, cycle or instret for a guest read that trapped (false
 * for another CSR number). */
bool vcpu_read_counter(unsigned csr, uint64_t *out);
uint64_t vcpu_reg(const struct vcpu *v, unsigned reg);
void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val);
void vcpu_set_timer(struct vcpu *v, uint64_t deadline);
/* HSM: a stopped vCPU starts at pc with a0 = its id, a1 = opaque; S-mode,
 * satp = 0, SIE = 0 (SBI spec 9.1). Returns an SBI error code. */
long vcpu_start(struct vcpu *v, uint64_t pc, uint64_t opaque);
void vcpu_reset_to(struct vcpu *v, uint64_t pc, uint64_t opaque);
/* HSM hart_start of a stopped vCPU: vcpu_reset_to, no interrupt enabled or
 * pending, no timer, START_PENDING until it runs. */
void vcpu_prepare_start(struct vcpu *v, uint64_t pc, uint64_t opaque);
/* The supervisor state the firmware starts a hart with (sstatus FS,
 * scounteren; firmware.start_fs): at power-on, reboot and HSM start. */
void vcpu_firmware_start_state(struct vcpu *v);
/* SBI HSM hart_stop; the top of the trap path calls it (TRAP_EXIT). */
void __attribute__((noreturn)) vcpu_stop(struct vcpu *v);
/* Takes v off its hart for a VM reboot: stopped, its hart goes on with the
 * next vCPU it holds. */
void __attribute__((noreturn)) vcpu_stop_for_reboot(struct vcpu *v);
/* For the rebooting vCPU: the other vCPUs of its VM that this hart holds
 * stop; then it leaves the hart itself (stopped, no hart). */
void vcpu_stop_queued_for_reboot(struct vcpu *self);
void vcpu_leave_hart(struct vcpu *self);
/* Marks the VM as rebooting, which also refuses HSM starts from then on;
 * false if another vCPU began a reboot first. */
bool vcpu_begin_reboot(struct vm *vm);
/* Raises a virtual interrupt (sip bit) on v and makes it notice at once. */
void vcpu_raise(struct vcpu *v, uint64_t sip_bit);
void vcpu_notify(struct vcpu *v);
/* Asks target to run request bits on its hart and waits until done. */
void vcpu_request(struct vcpu *self, struct vcpu *target, unsigned request);
/* Runs the requests other harts made of v (on v's own hart). */
void vcpu_serve_requests(struct vcpu *v);

#endif
