#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libfdt.h>
#include "core/vm.h"
#include "core/mem.h"
#include "core/hart.h"
#include "core/console.h"
#include "core/guest_dt.h"
#include "core/random.h"
#include "sbi/firmware.h"
#include "sbi/sbi_defs.h"
#include "arch/riscv/csr.h"

#define GUEST_DT_SPACE (64 * 1024UL)
#define LINUX_IMAGE_MAGIC2 0x05435352u      /* "RSC\x05" at offset 0x38 */

_Static_assert(HART_ASID_SLOTS >= VM_MAX_VMS * SHADOW_CACHE_SIZE, "a hart's ASID slots");
_Static_assert(LODGER_MAX_VCPUS == FIRST_MAX_VCPUS, "a VM's vCPUs: one frame page each");
_Static_assert(LODGER_MAX_HARTS == HOST_MAX_HARTS, "the harts a configuration names");
_Static_assert(HOST_MAX_HARTS <= 32, "vm->hart_mask");

static struct vm vms[VM_MAX_VMS];
static int vm_count, vms_running;
static struct spinlock own_code_lock;

bool vm_map_first_code(struct vm *vm, uint64_t old_va)
{
    extern char first_portion_start[];
    spin_lock(&own_code_lock);
    /* Two VMs may sit at the same place: the code there is the same. */
    bool shared = false;
    for (int i = 0; i < vm_count; i++)
        shared |= &vms[i] != vm && first_portion_place(&vms[i].first) == old_va;
    uint64_t new_va = first_portion_place(&vm->first);
    if (old_va != new_va && !shared)
        pt_unmap(&host_mmu.own, old_va, FIRST_CODE_SIZE);
    bool mapped = pt_map(&host_mmu.own, new_va, (uint64_t)first_portion_start, FIRST_CODE_SIZE,
                         PTE_R | PTE_X | PTE_A, 0);
    sfence_vma_all();
    spin_unlock(&own_code_lock);
    return mapped;
}

struct hart *vm_boot_hart(const struct vm *vm)
{
    struct hart *best = NULL;
    for (int i = 0; i < hart_count; i++) {
        struct hart *h = &harts[i];
        if (h->online && (vm->hart_mask >> i & 1) &&
            (!best || h->queue_count < best->queue_count))
            best = h;
    }
    return best;
}

/* The configuration's hart ids as lodger's hart indices (all: none named). */
static bool hart_mask_of(const struct vm_image *img, uint32_t *mask, char *err, unsigned long errlen)
{
    *mask = img->hart_count ? 0 : (1u << hart_count) - 1;
    for (unsigned k = 0; k < img->hart_count; k++) {
        int i = 0;
        while (i < hart_count && harts[i].hartid != img->harts[k])
            i++;
        if (i == hart_count || !harts[i].online) {
            snprintf(err, errlen, "lodger,harts: hart %u is %s", (unsigned)img->harts[k],
                     i == hart_count ? "not on this board" : "not online");
            return false;
        }
        *mask |= 1u << i;
    }
    return true;
}

void *vm_gpa_to_host(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa < vm->ram_gpa || len > vm->ram_size || gpa - vm->ram_gpa > vm->ram_size - len)
        return NULL;
    return (void *)(uintptr_t)(vm->ram_hpa + (gpa - vm->ram_gpa));
}

bool vm_read(const struct vm *vm, uint64_t gpa, void *buf, uint64_t len)
{
    void *src = vm_gpa_to_host(vm, gpa, len);
    if (src)
        memcpy(buf, src, len);
    return src != NULL;
}

bool vm_write(const struct vm *vm, uint64_t gpa, const void *buf, uint64_t len)
{
    void *dst = vm_gpa_to_host(vm, gpa, len);
    if (dst)
        memcpy(dst, buf, len);
    return dst != NULL;
}

/* Memory a kernel occupies once running: a Linux Image says so in its header
 * (Documentation/riscv/boot-image-header.rst); otherwise its file size. */
static uint64_t kernel_footprint(const struct image_blob *k)
{
    if (k->size >= 64) {
        uint32_t magic2;
        uint64_t image_size;
        memcpy(&magic2, k->data + 0x38, 4);
        memcpy(&image_size, k->data + 16, 8);
        if (magic2 == LINUX_IMAGE_MAGIC2 && image_size > k->size)
            return image_size;
    }
    return k->size;
}

static const char *const guest_isa_extensions[] = {
    "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", NULL
};

static const char *guest_mmu_type(void)
{
    return host_mmu.levels == 5 ? "riscv,sv57" : host_mmu.levels == 4 ? "riscv,sv48" : "riscv,sv39";
}

static bool place_images(struct vm *vm, char *err, unsigned long errlen)
{
    const struct vm_image *img = &vm->image;
    uint64_t ram_end = vm->ram_gpa + vm->ram_size;
    uint64_t kernel_end = img->kernel_load + kernel_footprint(&img->kernel);
    if (img->kernel_load < vm->ram_gpa || kernel_end > ram_end || kernel_end < img->kernel_load) {
        snprintf(err, errlen, "lodger,memory-mib: kernel (%lu KiB at 0x%lx) does not fit in the "
                 "VM's %lu MiB of memory",
                 (unsigned long)(kernel_footprint(&img->kernel) >> 10),
                 (unsigned long)img->kernel_load, (unsigned long)(vm->ram_size >> 20));
        return false;
    }
    if (img->kernel_entry < img->kernel_load || img->kernel_entry >= kernel_end) {
        snprintf(err, errlen, "kernel entry 0x%lx is outside the kernel", (unsigned long)img->kernel_entry);
        return false;
    }
    uint64_t dt_gpa = ram_end - GUEST_DT_SPACE;
    uint64_t initrd_gpa = (dt_gpa - img->initrd.size) & ~(PAGE_SIZE - 1);
    if (dt_gpa < kernel_end || (img->initrd.size && (img->initrd.size > dt_gpa ||
                                                     initrd_gpa < kernel_end))) {
        snprintf(err, errlen, "lodger,memory-mib: kernel and initrd (%lu KiB) do not fit in the "
                 "VM's %lu MiB of memory",
                 (unsigned long)((kernel_end - vm->ram_gpa + img->initrd.size) >> 10),
                 (unsigned long)(vm->ram_size >> 20));
        return false;
    }
    vm_write(vm, img->kernel_load, img->kernel.data, img->kernel.size);
    if (img->initrd.size)
        vm_write(vm, initrd_gpa, img->initrd.data, img->initrd.size);

    void *dt = vm_gpa_to_host(vm, dt_gpa, GUEST_DT_SPACE);
    uint8_t seed[64];       /* this boot's own: the guest's RNG starts ready */
    lodger_random(seed, sizeof(seed));
    int rc;
    if (img->fdt.size) {
        rc = fdt_open_into(img->fdt.data, dt, GUEST_DT_SPACE);
        if (!rc)
            rc = guest_dt_set_seed(dt, seed, sizeof(seed));
    } else {
        struct guest_dt_params p = {
            .ram_base = vm->ram_gpa, .ram_size = vm->ram_size, .vcpus = (unsigned)vm->vcpu_count,
            .timebase_hz = host.timebase_hz, .isa = "rv64imafdc_zicsr_zifencei",
            .isa_extensions = guest_isa_extensions, .mmu_type = guest_mmu_type(),
            .bootargs = img->bootargs,
            .devices = &vm->board.devices,
            .initrd_start = img->initrd.size ? initrd_gpa : 0,
            .initrd_end = img->initrd.size ? initrd_gpa + img->initrd.size : 0,
            .rng_seed = seed, .rng_seed_len = sizeof(seed),
        };
        rc = guest_dt_build(dt, GUEST_DT_SPACE, &p);
    }
    memset(seed, 0, sizeof(seed));
    if (rc) {
        snprintf(err, errlen, "cannot build the guest device tree: %s", fdt_strerror(rc));
        return false;
    }
    struct vcpu *boot = &vm->vcpus[0];
    boot->frame->pc = img->kernel_entry;
    boot->frame->x[10] = 0;         /* a0: hartid */
    boot->frame->x[11] = dt_gpa;    /* a1: device tree */
    return true;
}

/* A vCPU as at power-on (its frame page already allocated): vCPU 0 runs,
 * the others wait for an HSM start; no timer, no shadow, zero counters. */
static void vcpu_power_on(struct vm *vm, int id)
{
    struct vcpu *v = &vm->vcpus[id];
    struct trap_frame *frame = v->frame;
    memset((void *)(uintptr_t)first_frame_pages_of(frame, id), 0, first_frame_pages_size(id));
    memset(v, 0, sizeof(*v));
    v->vm = vm;
    v->id = id;
    v->frame = frame;
    v->csr = &v->frame->csr;
    vcsr_reset(v->csr);
    vcpu_firmware_start_state(v);
    v->mode = VMODE_S;
    v->state = id == 0 ? VCPU_RUNNING : VCPU_STOPPED;
    v->timer_deadline = VM_NO_DEADLINE;
}

static void vcpu_init(struct vm *vm, int id)
{
    struct vcpu *v = &vm->vcpus[id];
    uint64_t pages = mem_alloc(first_frame_pages_size(id), PAGE_SIZE);
    v->frame = pages ? first_frame_in(pages, id) : NULL;
    if (!v->frame)
        panic("out of memory for a vCPU frame");
    vcpu_power_on(vm, id);
}

/* The image blobs stay where the firmware loaded the VM image (reserved
 * from the allocator, mem_init), outside guest RAM: each reboot places them
 * again from there. */
static bool blob_outside(const struct image_blob *b, uint64_t start, uint64_t size)
{
    uint64_t at = (uint64_t)(uintptr_t)b->data;
    return !b->size || at + b->size <= start || at >= start + size;
}

struct vm *vm_create(const struct vm_image *img, char *err, unsigned long errlen)
{
    if (vm_count == VM_MAX_VMS) {
        snprintf(err, errlen, "too many VMs (at most %d)", VM_MAX_VMS);
        return NULL;
    }
    /* Harts run their vCPUs in turn when there are more vCPUs than harts
     * (core/hart.c); each vCPU has a frame page in the first portion. */
    if (img->vcpus < 1 || img->vcpus > VM_MAX_VCPUS) {
        snprintf(err, errlen, "lodger,vcpus: %u vCPUs asked; 1 to %d", img->vcpus, VM_MAX_VCPUS);
        return NULL;
    }
    struct vm *vm = &vms[vm_count];
    memset(vm, 0, sizeof(*vm));
    vm->id = vm_count;
    vm->image = *img;
    if (!hart_mask_of(img, &vm->hart_mask, err, errlen))
        return NULL;
    vm->ram_gpa = VM_RAM_BASE;
    vm->ram_size = (img->mem_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    vm->boots = 1;
    if (!first_portion_init(&vm->first, img, vm->ram_size, err, errlen))
        return NULL;
    /* Its own RAM: the allocator never hands out a range twice, so VMs'
     * memories never overlap. */
    vm->ram_hpa = mem_alloc(vm->ram_size, pt_level_size(1));
    if (!vm->ram_hpa) {
        snprintf(err, errlen, "lodger,memory-mib: not enough host memory for %lu MiB (%lu MiB free)",
                 (unsigned long)(vm->ram_size >> 20), (unsigned long)(mem_free_bytes() >> 20));
        return NULL;
    }
    if (!blob_outside(&img->kernel, vm->ram_hpa, vm->ram_size) ||
        !blob_outside(&img->initrd, vm->ram_hpa, vm->ram_size) ||
        !blob_outside(&img->fdt, vm->ram_hpa, vm->ram_size))
        panic("VM memory overlaps the VM image");
    /* Whatever the memory held before (a previous boot of the board, the
     * firmware) is not the guest's to see: zero, as a reboot zeroes it. */
    memset((void *)(uintptr_t)vm->ram_hpa, 0, vm->ram_size);
    /* Its shadow budget, reserved now: no VM's shadows can take the host
     * memory another VM's need, and what is set aside for all the VMs
     * together is never more than the host had (core/shadow_pool.h). */
    uint64_t shadow_pages = img->shadow_pages ? img->shadow_pages
                                              : shadow_pool_default_pages(vm->ram_size, img->vcpus);
    if (!shadow_budget_init(vm, shadow_pages)) {
        snprintf(err, errlen, "lodger,shadow-pages: not enough host memory for a shadow budget of "
                 "%lu pages (%lu MiB; %lu MiB free)", (unsigned long)shadow_pages,
                 (unsigned long)((shadow_budget_bytes(shadow_pages) + (1UL << 20) - 1) >> 20),
                 (unsigned long)(mem_free_bytes() >> 20));
        mem_free(vm->ram_hpa, vm->ram_size);
        return NULL;
    }
    vm->vcpu_count = (int)img->vcpus;
    for (int i = 0; i < vm->vcpu_count; i++)
        vcpu_init(vm, i);
    patch_reset(vm, img->patch);
    vm->board.external_line = vm_external_line;
    if (!board_init(vm, err, errlen)) {
        mem_free(vm->ram_hpa, vm->ram_size);
        return NULL;
    }
    /* The guest gets the host's paging modes and 16 ASID bits: shadows are
     * keyed by table root, so guest ASIDs need no hardware ASIDs, and a guest
     * that has them does not flush everything on each process switch. */
    vm->csr_cfg.satp_modes = host_mmu.modes;
    vm->csr_cfg.asid_bits = 16;
    vm->csr_cfg.sstatus_writable = SSTATUS_FS;
    if (!place_images(vm, err, errlen)) {
        mem_free(vm->ram_hpa, vm->ram_size);
        return NULL;
    }
    /* The first portion's code at its guest address in lodger's own space too. */
    first_portion_map_in_lodger(&vm->first);
    sfence_vma_all();
    vm_count++;
    vms_running++;
    return vm;
}

void vm_print_counters(const struct vm *vm)
{
    static const char *const cause_names[CAUSE_COUNT] = {
        "misaligned fetch", "fetch access", "illegal instruction", "breakpoint",
        "misaligned load", "load access", "misaligned store", "store access",
        "ecall", "ecall from S", "10", "11", "fetch page fault", "load page fault",
        "14", "store page fault",
    };
    for (int i = 0; i < vm->vcpu_count; i++) {
        const struct vcpu_counters *c = &vm->vcpus[i].count;
        console_printf("lodger: vm%d vcpu%d counters:\n", vm->id, i);
        for (int k = 0; k < CAUSE_COUNT; k++)
            if (c->exceptions[k])
                console_printf("lodger:   trap %-20s %lu\n", cause_names[k],
                               (unsigned long)c->exceptions[k]);
        const uint64_t *fast = vm->vcpus[i].frame->fast_hits;
        static const char *const fast_names[FAST_KINDS] = {
            "sstatus", "sie", "sip", "sscratch", "sepc", "scause", "stval", "sret",
            "reflected", "chained", "page-faults", "patched", "lane",
        };
        /* Traps served: a chained access is also counted by its kind. */
        uint64_t fast_total = 0, fast_csr = 0;
        for (int k = 0; k < FAST_KINDS; k++)
            fast_total += k == FAST_CHAINED || k == FAST_PATCHED || k == FAST_LANE ? 0 : fast[k];
        fast_total -= fast[FAST_CHAINED];
        for (int k = 0; k < FAST_SRET; k++)
            fast_csr += fast[k];
        /* One console write a line: other VMs' lines never land inside. */
        char line[480];
        int n = snprintf(line, sizeof(line), "lodger:   fast paths %lu:", (unsigned long)fast_total);
        for (int k = 0; k < FAST_KINDS && n > 0 && n < (int)sizeof(line); k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %lu", fast_names[k],
                          (unsigned long)fast[k]);
        console_printf("%s\n", line);
        if (fast_csr + c->csr_emulated)
            console_printf("lodger:   CSR accesses served by fast paths: %lu%%\n",
                           (unsigned long)(100 * fast_csr / (fast_csr + c->csr_emulated)));
        for (int k = 0; k < 16; k++)
            if (c->interrupts[k])
                console_printf("lodger:   interrupt %-16d %lu\n", k, (unsigned long)c->interrupts[k]);
        console_printf("lodger:   sbi calls %lu, csr emulated %lu, sret %lu, wfi %lu, sfence %lu, "
                       "shadow fills %lu, mmio %lu, injected %lu\n",
                       (unsigned long)c->sbi_calls, (unsigned long)c->csr_emulated,
                       (unsigned long)c->sret, (unsigned long)c->wfi, (unsigned long)c->sfence,
                       (unsigned long)c->shadow_fills, (unsigned long)c->mmio,
                       (unsigned long)c->injected);
        console_printf("lodger:   shadow fills beside a fill %lu, at a page fence %lu\n",
                       (unsigned long)c->shadow_neighbour_fills,
                       (unsigned long)c->shadow_fence_fills);
        if (c->shadow_block_links)
            console_printf("lodger:   shadow fills that linked a block table %lu (tables built %lu)\n",
                           (unsigned long)c->shadow_block_links,
                           (unsigned long)vm->shadows.blocks_built);
        if (c->shadow_global_links || c->shadow_global_fills)
            console_printf("lodger:   shadow fills into shared global tables %lu, links of one %lu "
                           "(tables built %lu)\n", (unsigned long)c->shadow_global_fills,
                           (unsigned long)c->shadow_global_links,
                           (unsigned long)vm->shadows.globals.built);
        if (c->shadow_fill_races)
            console_printf("lodger:   shadow fills dropped (a fence ran during the walk) %lu\n",
                           (unsigned long)c->shadow_fill_races);
#ifdef LODGER_CHECK_FAST
        console_printf("lodger:   fast-path checks against the C twin: served %lu, declined %lu\n",
                       (unsigned long)c->fast_checked[1], (unsigned long)c->fast_checked[0]);
#endif
    }
    /* The devices' own (a network card's frames, ...). */
    for (unsigned i = 0; i < vm->board.devices.count; i++) {
        const struct device *d = &vm->board.devices.dev[i];
        if (d->model->print)
            d->model->print(d);
    }
}

/* Waits until every other vCPU has stopped and left its hart (they stop on
 * their way back into the guest, vcpu_resume; an IPI brings them there). */
static void wait_for_others_to_stop(struct vcpu *self)
{
    struct vm *vm = self->vm;
    for (int i = 0; i < vm->vcpu_count; i++)
        vcpu_notify(&vm->vcpus[i]);
    for (;;) {
        bool stopped = true;
        for (int i = 0; i < vm->vcpu_count; i++) {
            struct vcpu *o = &vm->vcpus[i];
            if (o != self && (__atomic_load_n(&o->hart, __ATOMIC_ACQUIRE) ||
                              __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != VCPU_STOPPED))
                stopped = false;
        }
        if (stopped)
            return;
        if (vm->ending) {
            this_hart()->vcpu = NULL;
            hart_park();
        }
        vcpu_stop_queued_for_reboot(self);  /* those this hart holds besides self */
        vcpu_serve_requests(self);  /* a vCPU may wait for this one's fence */
    }
}

void vm_reboot(struct vcpu *self)
{
    struct vm *vm = self->vm;
    struct hart *h = this_hart();
    if (!vcpu_begin_reboot(vm))
        vcpu_stop_for_reboot(self);     /* another vCPU got there first */
    console_printf("\nlodger: vm%d: reboot requested by the guest; restarting\n", vm->id);
    wait_for_others_to_stop(self);
    int asked = self->id;
    vcpu_leave_hart(self);
    /* Alone in the VM now. The counters of the boot that ends, then
     * everything as at power-on. */
    vm_print_counters(vm);
    first_portion_print_stats(vm);
    patch_print_stats(vm);
    shadow_print_stats(vm);
    spin_lock(&vm->lock);
    shadow_destroy_all(vm);
    bool moved = first_portion_reboot(vm);
    spin_unlock(&vm->lock);
    if (!moved)
        vm_end(vm, true, "reboot: out of host memory moving the first portion");
    /* vm->shadows keeps its generations: harts flush a slot when reused. */
    memset((void *)(uintptr_t)vm->ram_hpa, 0, vm->ram_size);
    for (int i = 0; i < vm->vcpu_count; i++)
        vcpu_power_on(vm, i);
    patch_reset(vm, vm->image.patch);
    board_reset(vm);
    char err[160];
    /* vm_reboot runs at the top of the trap path (core/vcpu_exit.c) with no
     * lock held: it may end the VM itself. */
    if (!place_images(vm, err, sizeof(err)))    /* with a fresh rng-seed */
        vm_end(vm, true, "reboot: %s", err);
    vm->boots++;
    console_printf("lodger: vm%d: boot %u: vCPU 0 starts on hart %lu (vCPU %d asked)\n", vm->id,
                   vm->boots, h->hartid, asked);
    __atomic_store_n(&vm->rebooting, 0, __ATOMIC_SEQ_CST);
    /* vCPU 0 on this hart (its FP registers as at power-on: zero). */
    struct vcpu *boot = &vm->vcpus[0];
    hart_enqueue(h, boot);
    vcpu_resume(boot);
}

void vm_end_panic(struct vm *vm)
{
    char reason[GUEST_PANIC_REASON_MAX];
    spin_lock(&vm->board.lock);
    memcpy(reason, vm->board.panic_reason, sizeof(reason));
    spin_unlock(&vm->board.lock);
    reason[sizeof(reason) - 1] = 0;
    vm_end(vm, true, "guest kernel panic (\"Kernel panic - not syncing: %s\")", reason);
}

void vm_end(struct vm *vm, bool failed, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    /* Once: two vCPUs may find a reason at the same time (a panic's grace
     * period ends on every hart that runs one). */
    if (__atomic_exchange_n(&vm->ending, 1, __ATOMIC_ACQ_REL)) {
        /* Until the first one is done the VM's vCPUs still look alive to
         * this hart's scheduler (which would find the same reason again). */
        while (!__atomic_load_n(&vm->ended, __ATOMIC_ACQUIRE))
            ;
        this_hart()->vcpu = NULL;
        hart_park();
    }
    console_printf("\nlodger: vm%d ended: %s\n", vm->id, why);
    vm_print_counters(vm);
    first_portion_print_stats(vm);
    patch_print_stats(vm);
    shadow_print_stats(vm);
    vm->exit_failed = failed;
    vm->ended = true;
    console_vm_ended(vm->id);   /* the input focus moves on */
    for (int i = 0; i < vm->vcpu_count; i++) {
        vm->vcpus[i].in_guest = 0;
        vcpu_notify(&vm->vcpus[i]);     /* the others park */
    }
    /* Back to lodger's own table for good on this hart. */
    this_hart()->vcpu = NULL;
    if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_SEQ_CST) == 0) {
        bool any_failed = false;
        for (int i = 0; i < vm_count; i++)
            any_failed |= vms[i].exit_failed;
        console_printf("lodger: no VM left; shutting down (%s)\n", any_failed ? "failure" : "ok");
        firmware_reset(SBI_SRST_RESET_TYPE_SHUTDOWN,
                       any_failed ? SBI_SRST_RESET_REASON_SYSFAIL : SBI_SRST_RESET_REASON_NONE);
    }
    hart_park();    /* the hart goes on with other VMs' vCPUs, if it holds any */
}
