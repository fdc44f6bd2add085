/* Host tests for the per-VM device table (src/dev/devtable.c):
 * registration, lookup by address, overlapping and malformed ranges
 * refused, accesses that run past a device refused; and, as the example
 * device in it, QEMU virt's test finisher (src/dev/sifive_test.c) through
 * the trap dispatcher (src/core/trap.c, on the fakes of fake_vcpu.c): its
 * writes end or restart the VM with TRAP_EXIT, and its tree nodes
 * (guest_dt.c) are QEMU 7.2's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libfdt.h>

#include "dev/device.h"
#include "core/trap.h"
#include "core/guest_dt.h"
#include "fake_vcpu.h"

extern const struct device_model sifive_test_device;

static unsigned reads, writes;
static uint64_t last_offset;
static unsigned last_width;

static enum dev_status rd(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                          uint64_t *value)
{
    (void)v;
    reads++;
    last_offset = offset;
    last_width = width;
    *value = d->base + offset;
    return DEV_DONE;
}

static enum dev_status wr(struct device *d, struct vcpu *v, uint64_t offset, unsigned width,
                          uint64_t value)
{
    (void)d; (void)v; (void)value;
    writes++;
    last_offset = offset;
    last_width = width;
    return DEV_DONE;
}

static const struct device_model small = { .name = "small", .state_size = 24, .read = rd,
                                           .write = wr };
static const struct device_model big = { .name = "big", .state_size = DEV_STATE_SPACE };

static struct dev_table t;

static int clear(void **state)
{
    (void)state;
    dev_table_clear(&t);
    reads = writes = 0;
    return 0;
}

static void registers_and_finds(void **state)
{
    (void)state;
    struct device *a, *b;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 3, &a), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &small, 0x2000, 0x1000, 0, &b), DEV_ADD_OK);
    assert_int_equal(t.count, 2);
    assert_ptr_equal(a->model, &small);
    assert_int_equal(a->irq, 3);
    assert_int_not_equal(a->phandle, b->phandle);
    /* Each has its own zeroed state, aligned, inside the table's space. */
    assert_non_null(a->state);
    assert_non_null(b->state);
    assert_ptr_not_equal(a->state, b->state);
    assert_int_equal((uintptr_t)a->state % 16, 0);
    assert_int_equal((uintptr_t)b->state % 16, 0);
    assert_true((unsigned char *)b->state >= (unsigned char *)a->state + 24);
    /* Lookup: first and last byte, and just outside each end. */
    assert_ptr_equal(dev_table_find(&t, 0x1000), a);
    assert_ptr_equal(dev_table_find(&t, 0x10ff), a);
    assert_null(dev_table_find(&t, 0xfff));
    assert_null(dev_table_find(&t, 0x1100));
    assert_ptr_equal(dev_table_find(&t, 0x2fff), b);
    assert_null(dev_table_find(&t, 0x3000));
    assert_null(dev_table_find(&t, 0));
    assert_null(dev_table_find(&t, UINT64_MAX));
}

static void overlap_refused(void **state)
{
    (void)state;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 0, NULL), DEV_ADD_OK);
    /* Inside, straddling either end, covering it, the same range. */
    assert_int_equal(dev_table_add(&t, &small, 0x1080, 0x10, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(dev_table_add(&t, &small, 0xf00, 0x101, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(dev_table_add(&t, &small, 0x10ff, 0x100, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(dev_table_add(&t, &small, 0, 0x10000, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(t.count, 1);
    /* Touching is not overlapping. */
    assert_int_equal(dev_table_add(&t, &small, 0xf00, 0x100, 0, NULL), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &small, 0x1100, 0x100, 0, NULL), DEV_ADD_OK);
    assert_int_equal(t.count, 3);
}

static void bad_ranges_refused(void **state)
{
    (void)state;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0, 0, NULL), DEV_ADD_BAD_RANGE);
    assert_int_equal(dev_table_add(&t, &small, UINT64_MAX - 0xff, 0x101, 0, NULL),
                     DEV_ADD_BAD_RANGE);
    /* Up to the very last byte of the address space is fine. */
    assert_int_equal(dev_table_add(&t, &small, UINT64_MAX - 0xff, 0x100, 0, NULL), DEV_ADD_OK);
    assert_non_null(dev_table_find(&t, UINT64_MAX));
    /* And a range that would wrap onto it from below overlaps it. */
    assert_int_equal(dev_table_add(&t, &small, UINT64_MAX - 0x1ff, 0x180, 0, NULL), DEV_ADD_OVERLAP);
    assert_int_equal(t.count, 1);
}

static void full_and_no_space(void **state)
{
    (void)state;
    for (unsigned i = 0; i < DEV_MAX; i++)
        assert_int_equal(dev_table_add(&t, &small, 0x1000 * (i + 1), 0x100, 0, NULL), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &small, 0x100000, 0x100, 0, NULL), DEV_ADD_FULL);
    dev_table_clear(&t);
    assert_int_equal(dev_table_add(&t, &big, 0x1000, 0x100, 0, NULL), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &small, 0x2000, 0x100, 0, NULL), DEV_ADD_NO_SPACE);
    assert_int_equal(t.count, 1);
    /* A model without state has none (and takes no space). */
    static const struct device_model none = { .name = "none" };
    struct device *d;
    assert_int_equal(dev_table_add(&t, &none, 0x3000, 0x100, 0, &d), DEV_ADD_OK);
    assert_null(d->state);
}

/* A device its VM turns out not to have (DEV_SETUP_ABSENT): dropped with
 * its state space, so the next one takes its place and its room. */
static void drop_last(void **state)
{
    (void)state;
    struct device *a, *b, *c;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 0, &a), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &small, 0x2000, 0x100, 0, &b), DEV_ADD_OK);
    size_t used = t.state_used;
    dev_table_drop_last(&t);
    assert_int_equal(t.count, 1);
    assert_int_equal(t.state_used, used - 32);
    assert_null(dev_table_find(&t, 0x2000));
    assert_ptr_equal(dev_table_find(&t, 0x1000), a);
    assert_int_equal(dev_table_add(&t, &small, 0x2000, 0x100, 0, &c), DEV_ADD_OK);
    assert_ptr_equal(c, b);
    assert_ptr_equal(c->state, b->state);
    dev_table_drop_last(&t);
    dev_table_drop_last(&t);
    dev_table_drop_last(&t);        /* empty: nothing happens */
    assert_int_equal(t.count, 0);
    assert_int_equal(t.state_used, 0);
}

static void access_inside_only(void **state)
{
    (void)state;
    struct device *a;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 0, &a), DEV_ADD_OK);
    uint64_t off = 0xdead;
    assert_ptr_equal(dev_table_lookup(&t, 0x10f8, 8, &off), a);
    assert_int_equal(off, 0xf8);
    assert_ptr_equal(dev_table_lookup(&t, 0x10ff, 1, &off), a);
    assert_int_equal(off, 0xff);
    /* Its last byte past the device's: refused, offset untouched. */
    off = 0xdead;
    assert_null(dev_table_lookup(&t, 0x10fc, 8, &off));
    assert_null(dev_table_lookup(&t, 0x10ff, 2, &off));
    assert_null(dev_table_lookup(&t, 0x0fff, 2, &off));
    assert_null(dev_table_lookup(&t, 0x1000, 0, &off));
    assert_int_equal(off, 0xdead);
    assert_int_equal(dev_table_add(&t, &small, UINT64_MAX - 0xf, 0x10, 0, NULL), DEV_ADD_OK);
    assert_non_null(dev_table_lookup(&t, UINT64_MAX - 7, 8, &off));
    assert_null(dev_table_lookup(&t, UINT64_MAX - 3, 8, &off));
}

static void with_flag(void **state)
{
    (void)state;
    static const struct device_model chip = { .name = "chip", .flags = DEV_IRQCHIP };
    static const struct device_model con = { .name = "con", .flags = DEV_CONSOLE };
    assert_null(dev_table_with(&t, DEV_IRQCHIP));
    struct device *c, *u;
    assert_int_equal(dev_table_add(&t, &con, 0x1000, 0x100, 0, &u), DEV_ADD_OK);
    assert_int_equal(dev_table_add(&t, &chip, 0x2000, 0x100, 0, &c), DEV_ADD_OK);
    assert_ptr_equal(dev_table_with(&t, DEV_IRQCHIP), c);
    assert_ptr_equal(dev_table_with(&t, DEV_CONSOLE), u);
}

/* The trap path: a guest load/store at a gpa the fake shadow says is MMIO. */
#define RAM_SIZE 0x10000UL
#define PC 0x80000100UL
static struct vm vm;
static struct trap_frame frames[1];
static uint8_t ram[RAM_SIZE];

static enum trap_result guest_access(uint32_t insn, uint64_t gpa, bool store)
{
    struct vcpu *v = &vm.vcpus[0];
    fake.fill_result = SHADOW_MMIO;
    fake.fill_gpa = gpa;
    fake.fetch_ok = true;
    fake.fetch_bits = insn;
    fake.devices = &t;
    v->frame->pc = PC;
    v->frame->x[10] = gpa;
    struct trap t = { .cause = store ? CAUSE_STORE_PAGE_FAULT : CAUSE_LOAD_PAGE_FAULT,
                      .tval = gpa, .epc = PC };
    return trap_dispatch(v, &t);
}

/* sw a1, 0(a0); lw a1, 0(a0); sb a1, 0(a0); ld a1, 0(a0) */
#define SW_A1_A0 0x00b52023u
#define LW_A1_A0 0x00052583u
#define SB_A1_A0 0x00b50023u
#define LD_A1_A0 0x00053583u

static int setup_vm(void **state)
{
    clear(state);
    fake_vm_init(&vm, frames, 1, RAM_SIZE);
    fake_reset(ram);
    return 0;
}

static void trap_reaches_device(void **state)
{
    (void)state;
    assert_int_equal(dev_table_add(&t, &small, 0x1000, 0x100, 0, NULL), DEV_ADD_OK);
    assert_int_equal(guest_access(LW_A1_A0, 0x1010, false), TRAP_NEXT);
    assert_int_equal(reads, 1);
    assert_int_equal(last_offset, 0x10);
    assert_int_equal(last_width, 4);
    assert_int_equal(vm.vcpus[0].frame->x[11], 0x1010);
    /* Past its end (a doubleword at its last word): an access fault, no call. */
    assert_int_equal(guest_access(LD_A1_A0, 0x10fc, false), TRAP_REDIRECTED);
    assert_int_equal(reads, 1);
    assert_int_equal(vm.vcpus[0].csr->scause, CAUSE_LOAD_ACCESS);
}

static void finisher_exits(void **state)
{
    (void)state;
    const struct device_model *m = &sifive_test_device;
    assert_int_equal(dev_table_add(&t, m, m->base, m->size, m->irq, NULL), DEV_ADD_OK);
    struct vcpu *v = &vm.vcpus[0];
    struct { uint64_t value; int kind; bool failed; const char *why; } cases[] = {
        { 0x5555, VCPU_EXIT_END_VM, false, "(pass)" },
        { 0x3333 | 7u << 16, VCPU_EXIT_END_VM, true, "failure, code 7" },
        { 0x3333 | 0xffffu << 16, VCPU_EXIT_END_VM, true, "failure, code 65535" },
        { 0x7777, VCPU_EXIT_REBOOT, false, "reset" },
        { 0xffffffff00005555, VCPU_EXIT_END_VM, false, "(pass)" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v->exit = (struct vcpu_exit){ 0 };
        v->frame->x[11] = cases[i].value;
        assert_int_equal(guest_access(SW_A1_A0, 0x100000, true), TRAP_EXIT);
        assert_int_equal(v->exit.kind, cases[i].kind);
        assert_int_equal(v->exit.failed, cases[i].failed);
        assert_non_null(strstr(v->exit.why, cases[i].why));
    }
    /* Another value, or another offset: nothing; pc moves on. */
    v->exit = (struct vcpu_exit){ 0 };
    v->frame->x[11] = 0x1234;
    assert_int_equal(guest_access(SW_A1_A0, 0x100000, true), TRAP_NEXT);
    v->frame->x[11] = 0x5555;
    assert_int_equal(guest_access(SW_A1_A0, 0x100004, true), TRAP_NEXT);
    assert_int_equal(v->exit.kind, VCPU_EXIT_NONE);
    /* Bytes and doublewords are not allowed (QEMU's device: 2 and 4). */
    assert_int_equal(guest_access(SB_A1_A0, 0x100000, true), TRAP_REDIRECTED);
    assert_int_equal(v->csr->scause, CAUSE_STORE_ACCESS);
    assert_int_equal(guest_access(LD_A1_A0, 0x100000, false), TRAP_REDIRECTED);
    assert_int_equal(v->csr->scause, CAUSE_LOAD_ACCESS);
    v->frame->x[11] = 0x99;
    assert_int_equal(guest_access(LW_A1_A0, 0x100000, false), TRAP_NEXT);
    assert_int_equal(v->frame->x[11], 0);
    assert_int_equal(v->exit.kind, VCPU_EXIT_NONE);
}

/* The tree: test@100000 with QEMU 7.2's compatible, and the syscon
 * poweroff/reboot nodes at the root pointing at it. */
static void finisher_tree(void **state)
{
    (void)state;
    const struct device_model *m = &sifive_test_device;
    struct device *d;
    assert_int_equal(dev_table_add(&t, m, m->base, m->size, m->irq, &d), DEV_ADD_OK);
    struct guest_dt_params p = { .ram_base = 0x80000000, .ram_size = 1 << 20, .vcpus = 1,
                                 .timebase_hz = 10000000, .isa = "rv64imafdc", .devices = &t };
    void *dt = malloc(8192);
    assert_non_null(dt);
    assert_int_equal(guest_dt_build(dt, 8192, &p), 0);
    assert_int_equal(fdt_check_full(dt, fdt_totalsize(dt)), 0);
    int node = fdt_path_offset(dt, "/soc/test@100000");
    assert_true(node >= 0);
    assert_int_equal(fdt_stringlist_count(dt, node, "compatible"), 3);
    assert_int_equal(fdt_stringlist_search(dt, node, "compatible", "sifive,test0"), 1);
    assert_int_equal(fdt_stringlist_search(dt, node, "compatible", "syscon"), 2);
    assert_int_equal(fdt_get_phandle(dt, node), d->phandle);
    int len;
    const fdt64_t *reg = fdt_getprop(dt, node, "reg", &len);
    assert_non_null(reg);
    assert_int_equal(len, 16);
    assert_int_equal(fdt64_ld(&reg[0]), 0x100000);
    assert_int_equal(fdt64_ld(&reg[1]), 0x1000);
    const char *names[] = { "/poweroff", "/reboot" };
    const char *compat[] = { "syscon-poweroff", "syscon-reboot" };
    uint32_t values[] = { 0x5555, 0x7777 };
    for (int i = 0; i < 2; i++) {
        int n = fdt_path_offset(dt, names[i]);
        assert_true(n >= 0);
        assert_string_equal(fdt_getprop(dt, n, "compatible", NULL), compat[i]);
        assert_int_equal(fdt32_ld(fdt_getprop(dt, n, "value", NULL)), values[i]);
        assert_int_equal(fdt32_ld(fdt_getprop(dt, n, "offset", NULL)), 0);
        assert_int_equal(fdt32_ld(fdt_getprop(dt, n, "regmap", NULL)), d->phandle);
    }
    /* No console device: no stdout-path. */
    assert_null(fdt_getprop(dt, fdt_path_offset(dt, "/chosen"), "stdout-path", NULL));
    free(dt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(registers_and_finds, clear),
        cmocka_unit_test_setup(overlap_refused, clear),
        cmocka_unit_test_setup(bad_ranges_refused, clear),
        cmocka_unit_test_setup(full_and_no_space, clear),
        cmocka_unit_test_setup(drop_last, clear),
        cmocka_unit_test_setup(access_inside_only, clear),
        cmocka_unit_test_setup(with_flag, clear),
        cmocka_unit_test_setup(trap_reaches_device, setup_vm),
        cmocka_unit_test_setup(finisher_exits, setup_vm),
        cmocka_unit_test_setup(finisher_tree, clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
