/* lodger's boot flow (shared/DESIGN.md "Boot flow"): firmware -> lodger on
 * the boot hart -> host DT -> own page table and allocator -> VM image ->
 * each VM -> each VM's vCPU 0 at its kernel's entry, on the hart it may
 * use that holds the fewest. Harts with nothing to run park. */
#include <stdio.h>
#include <string.h>
#include "core/console.h"
#include "io/network.h"
#include "core/hart.h"
#include "core/hostdt.h"
#include "core/mem.h"
#include "core/vm.h"
#include "core/image.h"
#include "core/random.h"
#include "core/spinlock.h"
#include "drivers/drivers.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/encoding.h"
#include "arch/riscv/counters.h"

#define LODGER_VERSION "0.1.0"

struct hart harts[HOST_MAX_HARTS];
int hart_count;
static uint8_t hart_stacks[HOST_MAX_HARTS][HART_STACK_SIZE] __attribute__((aligned(16)));

void lodger_fault(struct host_regs *r);
void lodger_secondary_main(unsigned long hartid);
void lodger_main(unsigned long hartid, const void *fdt);
extern void _start_secondary(void);

/* Bytes of seed the host device tree gave lodger's entropy pool. */
static size_t pool_dt_bytes;

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
};

/* A trap taken by lodger itself: one of its own invariants broke. */
void lodger_fault(struct host_regs *r)
{
    /* A counter read for the guest that the firmware denies (counters.S). */
    uint64_t resume = r->cause == CAUSE_ILLEGAL_INSTRUCTION ? counter_read_fixup(r->pc) : 0;
    if (resume) {
        r->x[10] = r->x[11] = 0;
        r->pc = resume;
        return;
    }
    console_printf("\nlodger: fault in lodger on hart %lu: scause 0x%lx stval 0x%lx sepc 0x%lx "
                   "sstatus 0x%lx\n", this_hart()->hartid, (unsigned long)r->cause,
                   (unsigned long)r->tval, (unsigned long)r->pc, (unsigned long)r->status);
    for (int i = 1; i < 32; i++)
        console_printf("lodger:   %-4s 0x%016lx%s", reg_names[i], (unsigned long)r->x[i],
                       i % 3 == 0 ? "\n" : "  ");
    console_printf("\n");
    panic("lodger fault");
}

/* Guest code runs in U-mode, where the cache-block operations (Zicbom,
 * Zicboz), pointer masking and landing pads are enabled by senvcfg (with
 * the firmware's menvcfg): lodger offers none of them, so the hart's senvcfg
 * is 0 whatever the firmware left there. A cbo.inval that U-mode could run
 * would drop lodger's own writes to guest RAM (its zeroing, the images) and
 * show the VM what its memory held before. A hart without senvcfg (before
 * privileged spec 1.12) has none of these: the write traps, and the trap
 * lands on the next instruction (stvec points there meanwhile). */
static void clear_senvcfg(void)
{
    unsigned long saved;
    __asm__ volatile(".balign 4\n"              /* 1: below is 4-aligned, as stvec wants */
                     ".option push\n"
                     ".option norvc\n"
                     ".option norelax\n"
                     "lla %0, 1f\n"
                     "csrrw %0, stvec, %0\n"
                     "csrw 0x10a, zero\n"     /* senvcfg */
                     "1: csrw stvec, %0\n"
                     ".option pop"
                     : "=&r"(saved) :: "memory");
}

static void hart_setup(struct hart *h)
{
    __asm__ volatile("mv tp, %0" :: "r"(h));
    h->slice_end = VM_NO_DEADLINE;
    h->frame.host_fault = (uint64_t)lodger_fault;
    h->frame.host_tp = (uint64_t)h;
    csr_write(CSR_SSCRATCH, &h->frame);
    clear_senvcfg();
    csr_write(CSR_STVEC, first_trap_entry);
    csr_write(CSR_SIE, 0);
    /* lodger uses neither FP nor V; the guest's FS is set on each resume,
     * and VS stays Off: lodger does not virtualise V (the vector registers
     * would be shared between vCPUs), so a guest's vector instruction is
     * illegal, as on a hart without V. */
    csr_clear(CSR_SSTATUS, SSTATUS_SIE | SSTATUS_FS | SSTATUS_VS);
}

static struct hart *hart_by_id(unsigned long hartid)
{
    for (int i = 0; i < hart_count; i++)
        if (harts[i].hartid == hartid)
            return &harts[i];
    return NULL;
}

void lodger_secondary_main(unsigned long hartid)
{
    struct hart *h = hart_by_id(hartid);
    if (h && __atomic_exchange_n(&h->online, 1, __ATOMIC_ACQ_REL))
        for (;;)
            wait_for_interrupt();   /* started twice: the first one runs it */
    if (!h)
        for (;;)
            wait_for_interrupt();
    hart_setup(h);
    mem_enable_own_table();
    hart_park();    /* until lodger has a vCPU for it */
}

static void start_secondary_harts(unsigned long boot_hartid)
{
    if (!firmware.has_hsm)
        return;
    for (int i = 0; i < hart_count; i++) {
        struct hart *h = &harts[i];
        if (h->hartid == boot_hartid)
            continue;
        long rc = firmware_hart_start(h->hartid, (unsigned long)_start_secondary,
                                      (unsigned long)(h->stack + HART_STACK_SIZE));
        /* ALREADY_AVAILABLE: it came in at _start on its own (boot.S). */
        if (rc && rc != SBI_ERR_ALREADY_AVAILABLE)
            console_printf("lodger: hart %lu did not start (SBI error %ld)\n", h->hartid, rc);
    }
    for (int i = 0; i < hart_count; i++) {
        unsigned long spins = 0;
        while (!__atomic_load_n(&harts[i].online, __ATOMIC_ACQUIRE) && ++spins < 100000000UL)
            ;
        if (!harts[i].online)
            console_printf("lodger: hart %lu is not online: not used\n", harts[i].hartid);
    }
}

static void print_banner(unsigned long boot_hartid, const struct host_options *opts)
{
    console_printf("\nlodger %s - a hypervisor for RISC-V harts without the H extension\n",
                   LODGER_VERSION);
    console_printf("lodger: board: %s; boot hart %lu; %d hart(s) usable:", host.model,
                   boot_hartid, hart_count);
    for (int i = 0; i < hart_count; i++)
        console_printf(" %lu", harts[i].hartid);
    console_printf("\n");
    for (int i = 0; i < host.mem_count; i++)
        console_printf("lodger: memory: 0x%lx-0x%lx (%lu MiB)\n", (unsigned long)host.mem[i].base,
                       (unsigned long)(host.mem[i].base + host.mem[i].size - 1),
                       (unsigned long)(host.mem[i].size >> 20));
    if (hart_count)
        console_printf("lodger: isa: %s; dt mmu-type: %s\n", host.harts[0].isa, host.harts[0].mmu_type);
    console_printf("lodger: satp modes:%s%s%s; ASID bits: %u; lodger runs on Sv%d\n",
                   host_mmu.modes & (1UL << SATP_MODE_SV39) ? " sv39" : "",
                   host_mmu.modes & (1UL << SATP_MODE_SV48) ? " sv48" : "",
                   host_mmu.modes & (1UL << SATP_MODE_SV57) ? " sv57" : "", host_mmu.asid_bits,
                   12 + 9 * host_mmu.levels);
    if (opts->max_levels < 5 || opts->max_asid_bits < 16)
        console_printf("lodger: boot options: at most Sv%d, at most %u ASID bits\n",
                       12 + 9 * opts->max_levels, opts->max_asid_bits);
    console_printf("lodger: firmware: SBI %lu.%lu, implementation %lu version 0x%lx%s\n",
                   firmware.spec_version >> 24 & 0x7f, firmware.spec_version & 0xffffff,
                   firmware.impl_id, firmware.impl_version,
                   firmware.has_dbcn ? ", debug console" : ", legacy console");
    console_printf("lodger: host timer: %s\n", firmware.has_sstc ? "Sstc stimecmp" : "SBI TIME");
    if (pool_dt_bytes)
        console_printf("lodger: entropy: %lu bytes of seed from the device tree, plus timer jitter\n",
                       (unsigned long)pool_dt_bytes);
    else
        console_printf("lodger: entropy: no rng-seed in the device tree; guests' seeds come from "
                       "timer jitter only\n");
    console_printf("lodger: timebase %lu Hz; %lu MiB free for VMs\n", (unsigned long)host.timebase_hz,
                   (unsigned long)(mem_free_bytes() >> 20));
    host_rtc_print();
}

static void __attribute__((noreturn)) fail_boot(const char *what, const char *why)
{
    console_printf("lodger: error: %s: %s\n", what, why);
    firmware_reset(SBI_SRST_RESET_TYPE_SHUTDOWN, SBI_SRST_RESET_REASON_SYSFAIL);
}

void lodger_main(unsigned long hartid, const void *fdt)
{
    harts[0].hartid = hartid;
    harts[0].stack = hart_stacks[0];
    firmware.start_fs = csr_read(CSR_SSTATUS) & SSTATUS_FS;
    firmware.start_scounteren = csr_read(CSR_SCOUNTEREN) & 0xffffffffUL;
    hart_setup(&harts[0]);
    __atomic_store_n(&harts[0].online, 1, __ATOMIC_RELEASE);
    firmware_init();

    int rc = hostdt_parse(fdt, &host);
    if (rc)
        fail_boot("host device tree", "cannot be parsed");
    pool_dt_bytes = lodger_random_seed(fdt);
    /* A boot that fails from here on makes QEMU exit non-zero: its test
     * finisher, reached physically until lodger's own table maps it. */
    if (host.test_device)
        firmware_set_test_device(host.test_device);
    /* lodger's clock, from the board's RTC reached physically too. */
    host_rtc_init();
    /* The boot hart first, then the others the DT lists. */
    hart_count = 1;
    for (int i = 0; i < host.hart_count && hart_count < HOST_MAX_HARTS; i++) {
        if (host.harts[i].hartid == hartid)
            continue;
        harts[hart_count].index = hart_count;
        harts[hart_count].hartid = host.harts[i].hartid;
        harts[hart_count].stack = hart_stacks[hart_count];
        hart_count++;
    }
    /* Sstc, when the DT's ISA string names it (the firmware enables it). */
    firmware.has_sstc = host.hart_count && strstr(host.harts[0].isa, "_sstc") != NULL;
    struct host_options opts;
    char opt_err[96];
    if (!hostdt_options(host.bootargs, &opts, opt_err, sizeof(opt_err)))
        fail_boot("boot option", opt_err);
    mem_init(&host);
    mem_probe_satp_modes(&opts);
    mem_build_own_table();
    mem_enable_own_table();
    /* Harts that entered at _start too may now park (arch/riscv/boot.S). */
    extern volatile uint32_t boot_done;
    __atomic_store_n(&boot_done, 1, __ATOMIC_RELEASE);
    print_banner(hartid, &opts);
    start_secondary_harts(hartid);
    /* The board's disks and NICs, registered as backends before any VM. */
    drivers_init();
    if (opts.selftest_disk)
        drivers_selftest_disk();

    if (host.initrd_end <= host.initrd_start)
        fail_boot("no VM image", "pass one as the initrd (tools/lodger-run builds it)");
    /* Static: each VM's configuration holds its command line (1 KiB). */
    static struct image_set images;
    char err[256];
    if (image_parse((const void *)(uintptr_t)host.initrd_start,
                    host.initrd_end - host.initrd_start, &images, err, sizeof(err)))
        fail_boot("VM image", err);
    /* The switch VMs' network cards plug into, before any VM is made. */
    network_init();
    /* Every VM is made before any runs: a configuration lodger cannot
     * honour refuses the whole image, as a wrong one does. */
    struct vm *vms[LODGER_MAX_VMS];
    for (unsigned i = 0; i < images.count; i++) {
        const struct vm_image *img = &images.vm[i];
        char name[8];
        snprintf(name, sizeof(name), "vm%u", i);
        vms[i] = vm_create(img, err, sizeof(err));
        if (!vms[i])
            fail_boot(name, err);
        struct vm *vm = vms[i];
        console_printf("lodger: vm%d: %lu MiB at 0x%lx, %d vCPU(s), kernel %lu KiB, initrd %lu KiB, "
                       "first portion at 0x%lx, shadow budget %lu pages\n", vm->id,
                       (unsigned long)(vm->ram_size >> 20),
                       (unsigned long)vm->ram_gpa, vm->vcpu_count,
                       (unsigned long)(img->kernel.size >> 10), (unsigned long)(img->initrd.size >> 10),
                       (unsigned long)vm->first.va, (unsigned long)vm->shadows.pool.pages);
    }
    /* With several VMs the console says where its input goes. */
    console_set_vms((int)images.count, (int)images.console_vm, host.timebase_hz);
    /* Each VM's vCPU 0 on the hart it may use that holds the fewest; VMs
     * allowed fewer harts first, so that a VM free to go anywhere does not
     * take the one hart a pinned VM has. */
    struct vm *order[LODGER_MAX_VMS];
    unsigned placed = 0;
    for (int harts_allowed = 1; harts_allowed <= HOST_MAX_HARTS; harts_allowed++)
        for (unsigned i = 0; i < images.count; i++)
            if (__builtin_popcount(vms[i]->hart_mask) == harts_allowed)
                order[placed++] = vms[i];
    for (unsigned i = 0; i < placed; i++) {
        struct vm *vm = order[i];
        struct hart *h = vm_boot_hart(vm);
        if (!h)     /* vm_create refused harts that are not online */
            panic("vm%d: no hart to run on", vm->id);
        if (images.count > 1)
            console_printf("lodger: vm%d: vCPU 0 starts on hart %lu\n", vm->id, h->hartid);
        hart_enqueue(h, &vm->vcpus[0]);
        if (h != &harts[0])
            hart_kick(h);
    }
    hart_park();    /* the boot hart runs what it holds, like every other */
}
