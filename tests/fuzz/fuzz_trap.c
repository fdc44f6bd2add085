/* Fuzzes the trap dispatcher (src/core/trap.c) and every SBI extension
 * lodger offers (src/sbi/, but firmware.c) on the fakes tests/host/test_trap.c
 * uses (tests/host/fake_vcpu.c): a VM of 1-4 vCPUs in random states (stopped,
 * running, start pending, suspended; S or U; random virtual CSRs and satp;
 * 1-16 pages of RAM), then up to MAX_TRAPS random traps: ecalls with a7/a6
 * from every extension and function id lodger has and some it has not, a0-a5
 * at the edges (0, ~0, near 2^64, around guest RAM's bounds, hart masks and
 * bases that wrap), illegal instructions (CSR ops on random CSR numbers,
 * sret, wfi, sfence.vma, anything), page faults to every shadow_fill answer,
 * other exceptions, interrupts and unknown causes. After each trap the
 * promises of core/trap.h, core/trap_result.h and the SBI spec are checked
 * (check_trap): a broken one aborts, and libFuzzer saves the input. */
#include "fuzz.h"
#include "../host/fake_vcpu.h"
#include "core/insn.h"
#include "sbi/sbi.h"
#include "arch/riscv/pagetable.h"

#define MAX_TRAPS 48
#define REGION_BASE 0x10000000UL    /* a fake device's MMIO, 256 bytes */

static struct vm vm;
static struct trap_frame frames[VM_MAX_VCPUS];
static struct fuzz_input in;
static bool region_ok;

static enum dev_status region_read(struct device *d, struct vcpu *v, uint64_t offset,
                                   unsigned width, uint64_t *value)
{
    (void)d; (void)v;
    FUZZ_CHECK(width == 1 || width == 2 || width == 4 || width == 8);
    FUZZ_CHECK(offset < 256 && offset % width == 0);
    *value = 0x1122334455667788UL;
    return region_ok ? DEV_DONE : DEV_FAULT;
}
static enum dev_status region_write(struct device *d, struct vcpu *v, uint64_t offset,
                                    unsigned width, uint64_t value)
{
    (void)d; (void)v; (void)value;
    FUZZ_CHECK(width == 1 || width == 2 || width == 4 || width == 8);
    FUZZ_CHECK(offset < 256 && offset % width == 0);
    return region_ok ? DEV_DONE : DEV_FAULT;
}
static const struct device_model region = { .name = "fake", .read = region_read,
                                            .write = region_write };
static struct dev_table devices;    /* region at REGION_BASE, 256 bytes */

/* A value a guest would hand lodger to find its edges. */
static uint64_t value(void)
{
    uint8_t k = fuzz_u8(&in);
    uint64_t small = fuzz_u8(&in);
    uint64_t ram_end = vm.ram_gpa + vm.ram_size;
    switch (k % 12) {
    case 0: return 0;
    case 1: return ~0UL;
    case 2: return -small;                          /* near 2^64 */
    case 3: return vm.ram_gpa + small;
    case 4: return ram_end - small;                 /* the last bytes of RAM */
    case 5: return ram_end + small;
    case 6: return vm.ram_gpa - small;
    case 7: return small;
    case 8: return 1UL << (small & 63);
    case 9: return vm.ram_gpa + (fuzz_u32(&in) % vm.ram_size);
    case 10: return (uint64_t)(small & 7) << 60 | (fuzz_u64(&in) & ((1UL << 44) - 1));
    default: return fuzz_u64(&in);
    }
}

/* A hart mask and mask base (SBI 3.1), at the edges of the VM's ids. */
static void hart_mask(uint64_t *mask, uint64_t *base)
{
    static const uint64_t masks[] = { 0, 1, 2, 3, 0xf, 0x10, ~0UL, 1UL << 63, 0x8000000000000001UL };
    static const uint64_t bases[] = { 0, 1, 2, 3, 4, 63, 64, ~0UL, ~1UL, 1UL << 63, -63UL, -64UL };
    uint8_t k = fuzz_u8(&in);
    *mask = k & 0x80 ? value() : masks[k % (sizeof(masks) / sizeof(masks[0]))];
    k = fuzz_u8(&in);
    *base = k & 0x80 ? value() : bases[k % (sizeof(bases) / sizeof(bases[0]))];
}

static const unsigned long eids[] = {
    SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM, SBI_EXT_SRST,
    SBI_EXT_DBCN, SBI_EXT_LODGER, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    9, 0xf, 0x11, SBI_EXT_IPI + 1, SBI_EXT_HSM - 1, 0x0A000000, 0x0AFFFFFF, 0x504D55 /* PMU */,
};
#define EIDS (sizeof(eids) / sizeof(eids[0]))

/* Sets up an ecall's a0-a7 (as the guest would, x10-x17). */
static void ecall_args(struct vcpu *v)
{
    uint8_t k = fuzz_u8(&in);
    unsigned long eid = k < 8 * EIDS ? eids[k % EIDS] : value();
    uint8_t f = fuzz_u8(&in);
    unsigned long fid = f & 0x80 ? value() : f & 15;
    uint64_t a[6];
    for (int i = 0; i < 6; i++)
        a[i] = value();
    bool masked = eid == SBI_EXT_IPI || eid == SBI_EXT_RFENCE;
    if (masked && !(f & 0x40))
        hart_mask(&a[0], &a[1]);
    if (eid == SBI_EXT_HSM && !(f & 0x40))
        a[0] = fuzz_u8(&in) % 6;                        /* hart ids around the count */
    if (eid == SBI_EXT_RFENCE && !(f & 0x20))
        a[3] = fuzz_u8(&in) * 256UL;                    /* sizes of a few pages */
    if (eid == SBI_EXT_HSM && fid == SBI_HSM_HART_SUSPEND && !(f & 0x20)) {
        static const uint64_t types[] = { 0, 1, 0x10000000, 0x80000000, 0x80000001,
                                          0x90000000, 0xffffffff, 0x180000000UL };
        a[0] = types[fuzz_u8(&in) % 8];
    }
    if (eid == SBI_EXT_DBCN && !(f & 0x20))
        a[2] = 0;                                       /* base_addr_hi */
    if (eid == SBI_EXT_DBCN && fid == SBI_DBCN_CONSOLE_WRITE && !(f & 0x10))
        a[0] = fuzz_u16(&in);                           /* lengths around the chunk */
    for (int i = 0; i < 6; i++)
        v->frame->x[10 + i] = a[i];
    v->frame->x[16] = fid;
    v->frame->x[17] = eid;
}

/* An instruction an illegal-instruction trap may carry. */
static uint32_t trapping_insn(void)
{
    uint32_t r = fuzz_u32(&in);
    unsigned rd = r & 31, rs1 = (r >> 5) & 31, rs2 = (r >> 10) & 31;
    static const uint32_t csrs[] = { CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SCOUNTEREN, CSR_SENVCFG,
                                     CSR_SSCRATCH, CSR_SEPC, CSR_SCAUSE, CSR_STVAL, CSR_SIP,
                                     CSR_SATP, CSR_CYCLE, CSR_TIME, CSR_INSTRET, CSR_STIMECMP };
    switch (fuzz_u8(&in) % 8) {
    case 0: case 1: {   /* csrrw/s/c[i] */
        uint8_t c = fuzz_u8(&in);
        uint32_t csr = c & 0x80 ? fuzz_u16(&in) & 0xfff : csrs[c % (sizeof(csrs) / sizeof(csrs[0]))];
        uint32_t funct3 = 1 + ((r >> 15) & 3) + ((r >> 17) & 1) * 4;
        if ((funct3 & 3) == 0)
            funct3 = 1;
        return csr << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x73;
    }
    case 2: return 0x10200073;                                  /* sret */
    case 3: return 0x10500073;                                  /* wfi */
    case 4: case 5: return 0x09 << 25 | rs2 << 20 | rs1 << 15 | 0x73;   /* sfence.vma */
    case 6: return r & 0xffff;                                  /* compressed, anything */
    default: return r;
    }
}

/* What the vCPU was before the trap, for check_trap. */
struct before {
    uint64_t pc, sepc, stvec, a[8], injected, sret, raised;
    unsigned long satp_mode, input_len;
    enum vmode mode;
};

static bool sbi_error_code(long e)
{
    return e == SBI_SUCCESS || (e <= SBI_ERR_FAILED && e >= SBI_ERR_NO_SHMEM);
}

/* The harts a mask selects (SBI 3.1); false if it names one the VM lacks. */
static bool mask_targets(uint64_t mask, uint64_t base, uint64_t *set)
{
    *set = 0;
    if (base == ~0UL) {
        *set = (1UL << vm.vcpu_count) - 1;
        return true;
    }
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(mask >> bit & 1))
            continue;
        unsigned __int128 id = (unsigned __int128)base + bit;
        if (id >= (unsigned)vm.vcpu_count)
            return false;
        *set |= 1UL << (unsigned)id;
    }
    return true;
}

/* An SBI call from virtual S that returned to the guest (TRAP_NEXT). */
static void check_sbi(struct vcpu *v, const struct before *b)
{
    uint64_t eid = b->a[7], fid = b->a[6], a0 = v->frame->x[10], a1 = v->frame->x[11];
    if (eid == SBI_EXT_0_1_CONSOLE_GETCHAR) {
        /* Legacy getchar: a0 is the character or -1 (SBI 5.3). */
        FUZZ_CHECK(a0 == ~0UL || a0 < 256);
        FUZZ_CHECK((a0 == ~0UL) == (b->input_len == 0));
    } else {
        FUZZ_CHECK(sbi_error_code((long)a0));
    }
    /* Legacy calls leave a1 alone (SBI 5). */
    if (eid <= SBI_EXT_0_1_SHUTDOWN)
        FUZZ_CHECK(a1 == b->a[1]);
    if (eid == SBI_EXT_DBCN && fid == SBI_DBCN_CONSOLE_WRITE) {
        if (a0 == SBI_SUCCESS) {
            /* It wrote exactly what it reported, from the guest's buffer. */
            FUZZ_CHECK(a1 <= b->a[0] && a1 <= SBI_DBCN_WRITE_MAX);
            FUZZ_CHECK(fake.console_bytes == a1);
            FUZZ_CHECK((b->a[2] == 0 && fake_in_ram(&vm, b->a[1], b->a[0])) || b->a[0] == 0);
            if (a1) {
                FUZZ_CHECK(fake.console_writes == 1);
                FUZZ_CHECK(fake.console_from[0] == (char *)fake.ram + (b->a[1] - vm.ram_gpa));
                FUZZ_CHECK(fake_host_in_ram(&vm, fake.console_from[0], a1));
            }
        } else {
            FUZZ_CHECK(fake.console_bytes == 0 && a1 == 0);
        }
    } else if (eid == SBI_EXT_DBCN && fid == SBI_DBCN_CONSOLE_READ) {
        if (a0 == SBI_SUCCESS) {
            FUZZ_CHECK(a1 <= b->a[0]);
            FUZZ_CHECK(a1 == b->input_len - fake.input_len);    /* each byte it took */
            FUZZ_CHECK(a1 == 0 || fake_in_ram(&vm, b->a[1], a1));
        } else {
            FUZZ_CHECK(a1 == 0 && fake.input_len == b->input_len);
        }
    } else if (eid == SBI_EXT_DBCN && fid == SBI_DBCN_CONSOLE_WRITE_BYTE) {
        FUZZ_CHECK(a0 == SBI_SUCCESS && fake.console_bytes == 1);
    } else {
        /* Only the console extensions (and legacy putchar) print. */
        FUZZ_CHECK(fake.console_bytes == (eid == SBI_EXT_0_1_CONSOLE_PUTCHAR));
    }
    /* IPI and RFENCE reach exactly the harts the mask selects, or none
     * with INVALID_PARAM (SBI 7.1, 8). */
    uint64_t set;
    if ((eid == SBI_EXT_IPI && fid == 0) || (eid == SBI_EXT_RFENCE && fid <= 2)) {
        bool ok = mask_targets(b->a[0], b->a[1], &set);
        FUZZ_CHECK((long)a0 == (ok ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM));
        FUZZ_CHECK((eid == SBI_EXT_IPI ? fake.raised : fake.requested) == (ok ? set : 0));
    } else if (eid >= SBI_EXT_0_1_SEND_IPI && eid <= SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID) {
        /* Legacy: the mask is read from the guest's memory (SBI 5.5), base
         * 0; none (va 0) means every hart. */
        uint64_t mask = 0;
        bool ok = true;
        if (b->a[0]) {
            FUZZ_CHECK(fake_in_ram(&vm, b->a[0], 8));
            memcpy(&mask, fake.ram + (b->a[0] - vm.ram_gpa), 8);
            ok = mask_targets(mask, 0, &set);
        } else {
            set = (1UL << vm.vcpu_count) - 1;
        }
        FUZZ_CHECK((long)a0 == (ok ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM));
        FUZZ_CHECK((eid == SBI_EXT_0_1_SEND_IPI ? fake.raised : fake.requested) == (ok ? set : 0));
    } else {
        FUZZ_CHECK(fake.raised == 0 && fake.requested == 0);
    }
    /* Remote sfences: each page one by one within the range, or all. */
    if (eid == SBI_EXT_RFENCE && (fid == 1 || fid == 2) && fake.flush_pages) {
        uint64_t start = b->a[2], size = b->a[3];
        FUZZ_CHECK(size && size <= 16 * PAGE_SIZE && fake.flush_pages <= 17);
        for (unsigned long i = 0; i < fake.flush_pages; i++) {
            uint64_t va = fake.flushed_va[i];
            FUZZ_CHECK(va % PAGE_SIZE == 0 && (unsigned __int128)va + PAGE_SIZE > start);
            FUZZ_CHECK((unsigned __int128)va < (unsigned __int128)start + size);
        }
    }
    if (eid == SBI_EXT_HSM && fid == SBI_HSM_HART_START && a0 == SBI_SUCCESS) {
        FUZZ_CHECK(b->a[0] < (unsigned)vm.vcpu_count && fake.started_vcpu == (int)b->a[0]);
        struct vcpu *t = &vm.vcpus[b->a[0]];
        FUZZ_CHECK(t->state == VCPU_START_PENDING && fake_in_ram(&vm, t->frame->pc, 4));
        FUZZ_CHECK(t->frame->pc == b->a[1] && t->frame->x[10] == b->a[0]);
    } else {
        FUZZ_CHECK(fake.started_vcpu == -1);
    }
    if (!sbi_extension_available(eid))
        FUZZ_CHECK((long)a0 == SBI_ERR_NOT_SUPPORTED && a1 == 0);
    if (eid == SBI_EXT_HSM && fid == SBI_HSM_HART_STATUS) {
        FUZZ_CHECK((long)a0 == (b->a[0] < (unsigned)vm.vcpu_count ? SBI_SUCCESS
                                                                  : SBI_ERR_INVALID_PARAM));
        FUZZ_CHECK(a0 || a1 == SBI_HSM_STATE_STARTED || a1 == SBI_HSM_STATE_STOPPED ||
                   a1 == SBI_HSM_STATE_START_PENDING || a1 == SBI_HSM_STATE_SUSPENDED);
        /* A hart sees itself started. */
        FUZZ_CHECK(b->a[0] != (uint64_t)v->id || a1 == SBI_HSM_STATE_STARTED);
    }
    if ((eid == SBI_EXT_TIME && fid == 0 && a0 == SBI_SUCCESS) || eid == SBI_EXT_0_1_SET_TIMER)
        FUZZ_CHECK(v->timer_deadline == b->a[0]);
    if (eid == SBI_EXT_BASE && fid == SBI_BASE_PROBE_EXT)
        FUZZ_CHECK(a1 == (uint64_t)sbi_extension_available(b->a[0]));
}

/* The promises every trap keeps (core/trap.h, core/trap_result.h). */
static void check_trap(struct vcpu *v, const struct trap *t, const struct before *b,
                       enum trap_result r)
{
    FUZZ_CHECK(r == TRAP_NEXT || r == TRAP_RETRY || r == TRAP_REDIRECTED || r == TRAP_EXIT);
    for (int i = 0; i < vm.vcpu_count; i++)
        FUZZ_CHECK(frames[i].x[0] == 0);
    FUZZ_CHECK(fake.bad_targets == 0);
    FUZZ_CHECK(fake.raised >> vm.vcpu_count == 0 && fake.requested >> vm.vcpu_count == 0);
    /* TRAP_EXIT, and only it, says why. */
    FUZZ_CHECK((r == TRAP_EXIT) == (v->exit.kind != VCPU_EXIT_NONE));
    if (r == TRAP_EXIT)
        FUZZ_CHECK(v->exit.why[0] != 0);
    bool ecall_s = t->cause == CAUSE_USER_ECALL && b->mode == VMODE_S;
    /* pc moves only as the result says: the top adds the length for NEXT. */
    if (r == TRAP_NEXT) {
        FUZZ_CHECK(v->frame->pc == b->pc);
        FUZZ_CHECK(t->insn_length == 2 || t->insn_length == 4);
        FUZZ_CHECK(v->count.injected == b->injected);
    } else if (r == TRAP_RETRY || r == TRAP_EXIT) {
        FUZZ_CHECK(v->frame->pc == b->pc);
    } else if (v->count.injected != b->injected) {
        /* A trap delivered to the guest kernel: its stvec (exceptions are
         * never vectored, privileged spec 4.1.2). */
        FUZZ_CHECK(v->count.injected == b->injected + 1);
        FUZZ_CHECK(v->frame->pc == (b->stvec & ~STVEC_MODE_MASK));
        FUZZ_CHECK(v->csr->sepc == b->pc && v->mode == VMODE_S);
        FUZZ_CHECK(!(v->csr->scause & CAUSE_INTERRUPT));
        if (ecall_s) {
            /* Only a legacy hart mask's load faults, at its address. */
            FUZZ_CHECK(b->a[7] >= SBI_EXT_0_1_SEND_IPI &&
                       b->a[7] <= SBI_EXT_0_1_REMOTE_SFENCE_VMA_ASID && !fake_in_ram(&vm, b->a[0], 8));
            FUZZ_CHECK(v->csr->scause == CAUSE_LOAD_ACCESS || v->csr->scause == CAUSE_LOAD_PAGE_FAULT);
            FUZZ_CHECK(v->csr->stval - b->a[0] < 8);
        }
    } else if (v->count.sret != b->sret) {
        /* sepc[0] is always zero (privileged spec 4.1.7): its bit 0, which
         * the fuzzer may have put in the frame, never reaches the pc. */
        FUZZ_CHECK(v->frame->pc == (b->sepc & ~1UL));
    } else {
        /* Only a non-retentive HSM suspend resumes elsewhere: in RAM. */
        FUZZ_CHECK(ecall_s && b->a[7] == SBI_EXT_HSM && b->a[6] == SBI_HSM_HART_SUSPEND);
        FUZZ_CHECK(fake_in_ram(&vm, v->frame->pc, 4) && v->frame->pc == b->a[1]);
        FUZZ_CHECK(v->frame->x[10] == (uint64_t)v->id && v->frame->x[11] == b->a[2]);
        FUZZ_CHECK(v->csr->satp == 0 && !(v->csr->sstatus & SSTATUS_SIE) && v->mode == VMODE_S);
    }
    /* Fences: an sfence.vma names a page of the guest's own mode (privileged
     * spec 4.2.1), a remote one any the VM offers. */
    unsigned long mode = ecall_s ? SATP_MODE_BARE : b->satp_mode;
    for (unsigned long i = 0; i < fake.flush_pages && i < FAKE_LOG; i++)
        FUZZ_CHECK(pt_fence_va_valid(fake.flushed_va[i], mode, vm.csr_cfg.satp_modes));
    if (!ecall_s)
        FUZZ_CHECK(fake.flush_pages + fake.flush_asids + fake.flush_alls <= 1);
    /* A refill only after the vCPU's own fence of that page (never for an
     * SBI remote fence: the other harts' address spaces are not this one's). */
    FUZZ_CHECK(fake.refill_pages == fake.refills_after_flush);
    FUZZ_CHECK(ecall_s ? fake.refill_pages == 0 : fake.refill_pages == fake.flush_pages);
    if (!ecall_s || r != TRAP_NEXT)
        FUZZ_CHECK(fake.console_bytes == 0);
    if (ecall_s && r == TRAP_NEXT)
        check_sbi(v, b);
    if (ecall_s && r != TRAP_NEXT) {
        /* The ecalls that do not return: exits, a suspend's resume, a
         * legacy mask read's fault. */
        FUZZ_CHECK(b->a[7] == SBI_EXT_HSM || b->a[7] == SBI_EXT_SRST ||
                   (b->a[7] >= SBI_EXT_0_1_SEND_IPI && b->a[7] <= SBI_EXT_0_1_SHUTDOWN));
    }
}

static void setup_vm(void)
{
    uint8_t k = fuzz_u8(&in);
    fake_vm_init(&vm, frames, 1 + (k & 3), (1 + ((k >> 2) & 15)) * PAGE_SIZE);
    static const unsigned long modes[] = {
        1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39,
        1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39 | 1UL << SATP_MODE_SV48,
        1UL << SATP_MODE_BARE | 1UL << SATP_MODE_SV39 | 1UL << SATP_MODE_SV48 | 1UL << SATP_MODE_SV57,
    };
    vm.csr_cfg.satp_modes = modes[(k >> 6) % 3];
    for (int i = 0; i < vm.vcpu_count; i++) {
        struct vcpu *v = &vm.vcpus[i];
        uint8_t s = fuzz_u8(&in);
        /* vCPU 0 runs (the boot hart); the others as the input says. */
        v->state = i == 0 ? VCPU_RUNNING : (enum vcpu_state)(s % 3);
        v->suspended = v->state == VCPU_RUNNING && (s & 4);
        v->waiting = v->suspended;
        v->mode = s & 8 ? VMODE_U : VMODE_S;
        /* CSRs as the guest could have written them (WARL applied). */
        static const unsigned csrs[] = { CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SSCRATCH, CSR_SEPC,
                                         CSR_SCAUSE, CSR_STVAL, CSR_SATP, CSR_SCOUNTEREN,
                                         CSR_SENVCFG };
        for (unsigned c = 0; c < sizeof(csrs) / sizeof(csrs[0]); c++) {
            unsigned effects = 0;
            vcsr_write(v->csr, &vm.csr_cfg, csrs[c], value(), &effects);
        }
        v->csr->sip = value() & (SIP_SSIP | SIP_STIP | SIP_SEIP);
        v->frame->pc = value();
        for (int r = 1; r < 32; r++)
            v->frame->x[r] = value();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* FUZZ_TRAP_TRACE=1 when replaying: one line a trap. */
    static int trace = -1;
    if (trace < 0)
        trace = getenv("FUZZ_TRAP_TRACE") != NULL;
    in = (struct fuzz_input){ data, size };
    if (!devices.count && dev_table_add(&devices, &region, REGION_BASE, 256, 0, NULL) != DEV_ADD_OK)
        abort();
    /* Guest RAM, exactly its size (ASan sees any access past it). */
    setup_vm();
    uint8_t *ram = malloc(vm.ram_size);
    /* Words that make interesting legacy hart masks, and text to print. */
    uint64_t seed = fuzz_u64(&in) | 1;
    for (uint64_t i = 0; i < vm.ram_size; i += 8) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        uint64_t w = seed & 1 ? seed >> 60 : seed & 2 ? 1UL << (seed >> 58) : seed;
        memcpy(ram + i, &w, 8);
    }
    static const char input[] = "fuzz\n";
    for (int n = 0; n < MAX_TRAPS && in.size; n++) {
        fake_reset(ram);
        uint8_t k = fuzz_u8(&in);
        struct vcpu *v = &vm.vcpus[(k & 3) % vm.vcpu_count];
        if (v->state == VCPU_STOPPED)
            continue;
        /* It runs (again): the scheduler started it, or it woke. */
        v->state = VCPU_RUNNING;
        v->suspended = 0;
        v->waiting = 0;
        if (k & 4)
            v->mode = v->mode == VMODE_S ? VMODE_U : VMODE_S;
        struct trap t = { .epc = v->frame->pc, .insn_length = 0 };
        uint8_t opts = fuzz_u8(&in);
        fake.fill_result = (enum shadow_fill_result)(opts % 5)   /* not RACED: shadow.c's own */;
        fake.fill_cause = fuzz_u8(&in) % 16;
        fake.fill_gpa = opts & 0x40 ? REGION_BASE + (fuzz_u16(&in) & 0x1ff) : value();
        fake.devices = opts & 0x80 ? &devices : NULL;
        region_ok = opts & 0x20;
        fake.resolve_result = (enum trap_result)((opts >> 3) & 3);
        fake.fetch_ok = opts & 0x10;
        fake.fetch_cause = fake.fill_cause;
        fake.start_error = opts & 0x8 && opts & 0x4 ? SBI_ERR_FAILED : 0;
        fake.input = input;
        fake.input_len = opts % 6;
        switch ((k >> 3) % 8) {
        case 0: case 1: case 2:
            t.cause = CAUSE_USER_ECALL;
            ecall_args(v);
            break;
        case 3: case 4:
            t.cause = CAUSE_ILLEGAL_INSTRUCTION;
            fake.fetch_bits = trapping_insn();
            t.tval = k & 0x80 ? 0 : fake.fetch_bits;
            for (int i = 0; i < 3; i++) {   /* registers for its operands */
                unsigned reg = 1 + fuzz_u8(&in) % 31;
                v->frame->x[reg] = value();
            }
            break;
        case 5:
            t.cause = (k >> 6) == 0 ? CAUSE_FETCH_PAGE_FAULT
                    : (k >> 6) == 1 ? CAUSE_LOAD_PAGE_FAULT : CAUSE_STORE_PAGE_FAULT;
            t.tval = value();
            fake.fetch_bits = trapping_insn();
            break;
        case 6:
            t.cause = fuzz_u8(&in) % CAUSE_COUNT;
            t.tval = value();
            break;
        default:
            t.cause = k & 0x80 ? CAUSE_INTERRUPT | (fuzz_u8(&in) & 0x3f) : value();
            break;
        }
        struct before b = {
            .pc = v->frame->pc, .sepc = v->csr->sepc, .stvec = v->csr->stvec,
            .injected = v->count.injected, .sret = v->count.sret,
            .satp_mode = v->csr->satp >> SATP_MODE_SHIFT, .mode = v->mode,
            .input_len = fake.input_len,
        };
        for (int i = 0; i < 8; i++)
            b.a[i] = v->frame->x[10 + i];
        enum trap_result r = trap_dispatch(v, &t);
        if (trace)
            fprintf(stderr, "vcpu %d %c cause %#lx tval %#lx pc %#lx a7 %#lx a6 %#lx a0 %#lx a1 %#lx"
                    " -> %d pc %#lx a0 %#lx a1 %#lx\n", v->id, b.mode == VMODE_S ? 'S' : 'U',
                    (unsigned long)t.cause, (unsigned long)t.tval, (unsigned long)b.pc,
                    (unsigned long)b.a[7], (unsigned long)b.a[6], (unsigned long)b.a[0],
                    (unsigned long)b.a[1], r, (unsigned long)v->frame->pc,
                    (unsigned long)v->frame->x[10], (unsigned long)v->frame->x[11]);
        check_trap(v, &t, &b, r);
        /* What the top of the trap path then does (core/vcpu_exit.c). */
        if (r == TRAP_NEXT)
            v->frame->pc += t.insn_length;
        if (r == TRAP_EXIT) {
            if (v->exit.kind != VCPU_EXIT_STOP)
                break;      /* the VM ends or restarts */
            v->state = VCPU_STOPPED;
            v->exit.kind = VCPU_EXIT_NONE;
        }
    }
    free(ram);
    return 0;
}
