/* See fake_vcpu.h. */
#include <string.h>
#include "fake_vcpu.h"
#include "sbi/sbi.h"
#include "core/hart.h"

struct fake_state fake;
/* Read by sbi/base.c: the host firmware's identity (sbi/firmware.c). */
struct firmware_info firmware;

void fake_reset(uint8_t *ram)
{
    memset(&fake, 0, sizeof(fake));
    fake.ram = ram;
    fake.fill_result = SHADOW_FILLED;
    fake.fetch_cause = CAUSE_FETCH_ACCESS;
    fake.resolve_result = TRAP_RETRY;
    fake.acked_irq = -1;
    fake.started_vcpu = -1;
    /* As OpenSBI starts a hart (vcpu_firmware_start_state): FS Dirty,
     * every counter readable. */
    firmware.start_fs = SSTATUS_FS;
    firmware.start_scounteren = 7;
}

void fake_vm_init(struct vm *vm, struct trap_frame *frames, int vcpus, uint64_t ram_size)
{
    memset(vm, 0, sizeof(*vm));
    memset(frames, 0, sizeof(*frames) * (size_t)vcpus);
    vm->ram_gpa = VM_RAM_BASE;
    vm->ram_size = ram_size;
    vm->vcpu_count = vcpus;
    vm->csr_cfg.satp_modes = 1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39;
    vm->csr_cfg.asid_bits = 16;
    vm->csr_cfg.sstatus_writable = SSTATUS_FS;
    for (int i = 0; i < vcpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        v->vm = vm;
        v->id = i;
        v->frame = &frames[i];
        v->csr = &frames[i].csr;
        vcsr_reset(v->csr);
        v->mode = VMODE_S;
        v->state = VCPU_RUNNING;
        v->timer_deadline = VM_NO_DEADLINE;
    }
}

bool fake_in_ram(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    return gpa >= vm->ram_gpa &&
           (unsigned __int128)gpa + len <= (unsigned __int128)vm->ram_gpa + vm->ram_size;
}

bool fake_host_in_ram(const struct vm *vm, const void *p, uint64_t len)
{
    uintptr_t a = (uintptr_t)p, base = (uintptr_t)fake.ram;
    return a >= base && (unsigned __int128)a + len <= (unsigned __int128)base + vm->ram_size;
}

/* A vCPU of vm (not just any pointer), by id bit; out of range counted. */
static uint64_t target_bit(const struct vm *vm, const struct vcpu *t)
{
    if (t < vm->vcpus || t >= vm->vcpus + vm->vcpu_count || t->vm != vm) {
        fake.bad_targets++;
        return 0;
    }
    return 1UL << (t - vm->vcpus);
}

/* The dbcn read's note to core/patch.c: nothing is patched here. */
void patch_guest_wrote(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    (void)v; (void)gpa; (void)len;
}

/* No copies here: every breakpoint is the guest's own. */
bool patch_breakpoint_retry(struct vcpu *v, uint64_t pc)
{
    (void)v; (void)pc;
    return false;
}

void *vm_gpa_to_host(const struct vm *m, uint64_t gpa, uint64_t len)
{
    if (!fake_in_ram(m, gpa, len))
        return NULL;
    fake.gpa_grants++;
    return fake.ram + (gpa - m->ram_gpa);
}
bool vm_read(const struct vm *m, uint64_t gpa, void *buf, uint64_t len)
{
    void *p = vm_gpa_to_host(m, gpa, len);
    if (p)
        memcpy(buf, p, len);
    return p != NULL;
}
bool vm_write(const struct vm *m, uint64_t gpa, const void *buf, uint64_t len)
{
    void *p = vm_gpa_to_host(m, gpa, len);
    if (p)
        memcpy(p, buf, len);
    return p != NULL;
}

bool vcpu_fetch_insn(struct vcpu *v, uint64_t pc, uint32_t *bits, uint64_t *cause)
{
    (void)v; (void)pc;
    if (fake.fetch_ok)
        *bits = fake.fetch_bits;
    else
        *cause = fake.fetch_cause;
    return fake.fetch_ok;
}
/* time, cycle, instret (the CSRs lodger's firmware leaves to it). */
bool vcpu_read_counter(unsigned csr, uint64_t *out)
{
    if (csr < CSR_CYCLE || csr > CSR_CYCLE + 2)
        return false;
    *out = 1000 + csr;
    return true;
}
void hart_ack_interrupt(uint64_t irq) { fake.acked_irq = (int)irq; }

void shadow_flush_page(struct vm *m, uint64_t va, uint64_t asid)
{
    (void)m;
    if (fake.flush_pages < FAKE_LOG) {
        fake.flushed_va[fake.flush_pages] = va;
        fake.flushed_asid[fake.flush_pages] = asid;
    }
    fake.flush_pages++;
}
void shadow_refill_page(struct vcpu *v, uint64_t va, uint64_t asid)
{
    (void)v;
    unsigned long last = fake.flush_pages - 1;
    if (fake.flush_pages && last < FAKE_LOG && fake.flushed_va[last] == va &&
        fake.flushed_asid[last] == asid)
        fake.refills_after_flush++;
    fake.refill_pages++;
}
void shadow_flush_asid(struct vm *m, uint64_t asid) { (void)m; (void)asid; fake.flush_asids++; }
void shadow_flush_all(struct vm *m) { (void)m; fake.flush_alls++; }
enum shadow_fill_result shadow_fill(struct vcpu *v, uint64_t va, enum access_type access,
                                    uint64_t *cause, uint64_t *gpa)
{
    (void)va;
    /* As shadow.c: a device only for a load or store that reaches one. */
    if (fake.fill_result == SHADOW_MMIO && access != ACCESS_FETCH &&
        board_find_region(v->vm, fake.fill_gpa)) {
        *gpa = fake.fill_gpa;
        return SHADOW_MMIO;
    }
    if (fake.fill_result == SHADOW_MMIO) {
        *cause = access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS
               : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
        return SHADOW_GUEST_FAULT;
    }
    if (fake.fill_result == SHADOW_GUEST_FAULT)
        *cause = fake.fill_cause;
    return fake.fill_result;
}
enum trap_result first_portion_resolve(struct vcpu *v, struct trap *t, enum access_type access)
{
    (void)access;
    if (fake.resolve_result == TRAP_NEXT)
        t->insn_length = 4;
    else if (fake.resolve_result == TRAP_REDIRECTED)
        vcpu_inject_exception(v, CAUSE_LOAD_ACCESS, t->tval);
    else if (fake.resolve_result == TRAP_EXIT)
        return trap_exit(v, VCPU_EXIT_END_VM, true, "out of memory (fake)");
    return fake.resolve_result;
}
struct device *board_find_region(const struct vm *m, uint64_t gpa)
{
    (void)m;
    return fake.devices ? dev_table_find(fake.devices, gpa) : NULL;
}
/* As dev/board.c, without the lock. */
enum dev_status board_mmio(struct vcpu *v, uint64_t gpa, unsigned width, bool write,
                           uint64_t *value)
{
    uint64_t offset;
    struct device *d = fake.devices ? dev_table_lookup(fake.devices, gpa, width, &offset) : NULL;
    if (!d || (write ? !d->model->write : !d->model->read))
        return DEV_FAULT;
    return write ? d->model->write(d, v, offset, width, *value)
                 : d->model->read(d, v, offset, width, value);
}

/* As core/hart.c: only a stopped vCPU starts, reset as SBI 9.1 says. */
long vcpu_start(struct vcpu *v, uint64_t pc, uint64_t opaque)
{
    fake.starts++;
    if (!target_bit(v->vm, v))
        return SBI_ERR_FAILED;
    if (v->state != VCPU_STOPPED)
        return SBI_ERR_ALREADY_AVAILABLE;
    if (fake.start_error)
        return fake.start_error;
    vcpu_prepare_start(v, pc, opaque);
    fake.started_vcpu = v->id;
    return SBI_SUCCESS;
}
void vcpu_set_timer(struct vcpu *v, uint64_t deadline)
{
    v->timer_deadline = deadline;
    v->csr->sip &= ~SIP_STIP;
    fake.timer_sets++;
}
void vcpu_raise(struct vcpu *v, uint64_t sip_bit)
{
    fake.raised |= target_bit(v->vm, v);
    v->csr->sip |= sip_bit;
}
void vcpu_notify(struct vcpu *v)
{
    fake.notifies++;
    fake.notified |= target_bit(v->vm, v);
}
void vcpu_request(struct vcpu *self, struct vcpu *target, unsigned request)
{
    (void)request;
    fake.requested |= target_bit(self->vm, target);
}
/* The fake vCPUs' translation: guest-virtual is guest-physical, but what
 * no RAM or device could be at (2^56 and above) takes a page fault. */
bool vcpu_guest_physical(struct vcpu *v, uint64_t va, enum access_type access, bool update_ad,
                         uint64_t *gpa, uint64_t *cause)
{
    (void)v; (void)update_ad;
    if (va >> 56) {
        *cause = access == ACCESS_LOAD ? CAUSE_LOAD_PAGE_FAULT
               : access == ACCESS_STORE ? CAUSE_STORE_PAGE_FAULT : CAUSE_FETCH_PAGE_FAULT;
        return false;
    }
    *gpa = va;
    return true;
}

unsigned long board_sbi_console_write(struct vm *m, const char *s, unsigned long len,
                                      bool may_refuse)
{
    (void)m;
    (void)may_refuse;
    if (fake.console_writes < FAKE_LOG) {
        fake.console_from[fake.console_writes] = s;
        fake.console_len[fake.console_writes] = len;
    }
    fake.console_writes++;
    fake.console_bytes += len;
    /* Read them, as the console does (ASan sees a read past the buffer). */
    volatile char sink = 0;
    for (unsigned long i = 0; i < len; i++)
        sink ^= s[i];
    (void)sink;
    return len;
}
int console_vm_getchar(int vm)
{
    (void)vm;
    fake.getchars++;
    if (!fake.input_len)
        return -1;
    fake.input_len--;
    return (unsigned char)*fake.input++;
}
void vm_print_counters(const struct vm *m) { (void)m; fake.counter_prints++; }
void first_portion_print_stats(const struct vm *m) { (void)m; }
