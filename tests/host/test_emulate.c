/* Host tests for src/core/emulate.c: one guest load, store, AMO or LR/SC
 * performed on guest memory as the hardware would, through the emulator's
 * callbacks. The instructions are real encodings (assembled with
 * riscv64-unknown-elf-as -march=rv64gc, read back with objdump) decoded by
 * insn_decode; the guest is a few 4 KiB pages of host memory at guest-virtual
 * GUEST_BASE, each with the fault its loads and stores take, if any. */
#define _GNU_SOURCE     /* memfd_create */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "arch/riscv/encoding.h"
#include "core/emulate.h"
#include "core/insn.h"

#define PAGES 4
#define GUEST_BASE 0x80000000UL
#define LOG_SIZE 8
#define SENTINEL 0x5a5a5a5a5a5a5a5aUL
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Register numbers. */
#define ZERO 0
#define SP 2
#define A0 10
#define A1 11
#define A2 12
#define A3 13
#define FA0 10
#define FA2 12

struct guest_memory {
    uint8_t *bytes;                         /* PAGES pages from GUEST_BASE */
    /* The cause a load / a store (or AMO) on the page takes; 0: allowed. */
    uint64_t load_fault[PAGES], store_fault[PAGES];
};

struct translate_call {
    uint64_t va, len;
    enum access_type access;
};

struct write_call {
    unsigned reg;
    bool fp;
    uint64_t value;
};

/* One hart of the guest: its registers, its reservation and what the
 * emulator asked of it (the first LOG_SIZE calls of each kind, all counted). */
struct hart {
    struct guest_memory *mem;
    uint64_t x[32], f[32];
    struct reservation res;
    struct translate_call translates[LOG_SIZE];
    unsigned translate_count;
    struct write_call writes[LOG_SIZE];
    unsigned write_count;
    uint64_t cause, tval;                   /* from the last emulate_access */
};

static struct guest_memory memory;
static struct hart hart;
static uint8_t snapshot[PAGES * PAGE_SIZE];

static void *fake_translate(void *ctx, uint64_t va, uint64_t len, enum access_type access,
                            uint64_t *cause)
{
    struct hart *h = ctx;
    if (h->translate_count < LOG_SIZE)
        h->translates[h->translate_count] = (struct translate_call){ va, len, access };
    h->translate_count++;
    /* The contract: 1 to 8 bytes, within one page. */
    if (len < 1 || len > 8 || (va & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
        fail_msg("translate(0x%lx, %lu) is not within one page", (unsigned long)va,
                 (unsigned long)len);
    assert_int_not_equal(access, ACCESS_FETCH);
    uint64_t page = (va - GUEST_BASE) / PAGE_SIZE;
    if (va < GUEST_BASE || page >= PAGES) {
        *cause = access == ACCESS_STORE ? CAUSE_STORE_PAGE_FAULT : CAUSE_LOAD_PAGE_FAULT;
        return NULL;
    }
    uint64_t fault = access == ACCESS_STORE ? h->mem->store_fault[page] : h->mem->load_fault[page];
    if (fault) {
        *cause = fault;
        return NULL;
    }
    return h->mem->bytes + (va - GUEST_BASE);
}

static uint64_t fake_read_reg(void *ctx, unsigned reg, bool fp)
{
    struct hart *h = ctx;
    assert_true(reg < 32);
    return fp ? h->f[reg] : h->x[reg];
}

/* Like lodger's own callback (vcpu_set_reg), a write to x0 is dropped. */
static void fake_write_reg(void *ctx, unsigned reg, bool fp, uint64_t value)
{
    struct hart *h = ctx;
    assert_true(reg < 32);
    if (h->write_count < LOG_SIZE)
        h->writes[h->write_count] = (struct write_call){ reg, fp, value };
    h->write_count++;
    if (fp)
        h->f[reg] = value;
    else if (reg != 0)
        h->x[reg] = value;
}

static int setup(void **state)
{
    (void)state;
    memset(&memory, 0, sizeof(memory));
    memory.bytes = aligned_alloc(PAGE_SIZE, PAGES * PAGE_SIZE);
    assert_non_null(memory.bytes);
    /* A pattern, so that a byte written by mistake shows. */
    for (unsigned i = 0; i < PAGES * PAGE_SIZE; i++)
        memory.bytes[i] = (uint8_t)(i * 131 + 17);
    memset(&hart, 0, sizeof(hart));
    hart.mem = &memory;
    for (unsigned r = 1; r < 32; r++) {
        hart.x[r] = 0x1000 + r;
        hart.f[r] = 0x2000 + r;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(memory.bytes);
    return 0;
}

static uint64_t va_of(unsigned page, unsigned offset)
{
    return GUEST_BASE + page * PAGE_SIZE + offset;
}

static uint8_t *host_of(uint64_t va)
{
    return memory.bytes + (va - GUEST_BASE);
}

/* Little-endian guest memory, as on the host. */
static void put(uint64_t va, uint64_t value, unsigned width)
{
    memcpy(host_of(va), &value, width);
}

static uint64_t get(uint64_t va, unsigned width)
{
    uint64_t value = 0;
    memcpy(&value, host_of(va), width);
    return value;
}

static void take_snapshot(void)
{
    memcpy(snapshot, memory.bytes, sizeof(snapshot));
}

/* Every byte but [va, va+len) is as at take_snapshot() (len 0: all of them). */
static void assert_unchanged_except(uint64_t va, unsigned len)
{
    for (unsigned i = 0; i < PAGES * PAGE_SIZE; i++) {
        uint64_t at = GUEST_BASE + i;
        if (at >= va && at < va + len)
            continue;
        if (memory.bytes[i] != snapshot[i])
            fail_msg("byte at 0x%lx changed from 0x%02x to 0x%02x", (unsigned long)at,
                     snapshot[i], memory.bytes[i]);
    }
}

static void reset_logs(struct hart *h)
{
    h->translate_count = 0;
    h->write_count = 0;
}

/* Decodes bits and emulates it on the hart; the logs start empty. */
static enum emulate_result emulate_on(struct hart *h, uint32_t bits)
{
    struct insn d;
    insn_decode(bits, &d);
    reset_logs(h);
    struct emulate_ops ops = { fake_translate, fake_read_reg, fake_write_reg, h };
    h->cause = h->tval = SENTINEL;
    return emulate_access(&d, &ops, &h->res, &h->cause, &h->tval);
}

static enum emulate_result emulate(uint32_t bits)
{
    return emulate_on(&hart, bits);
}

static void assert_translate(unsigned i, uint64_t va, uint64_t len, enum access_type access)
{
    assert_true(i < hart.translate_count);
    assert_int_equal(hart.translates[i].va, va);
    assert_int_equal(hart.translates[i].len, len);
    assert_int_equal(hart.translates[i].access, access);
}

/* Done with exactly one translate of (va, len, access). */
static void assert_done_one_piece(enum emulate_result r, uint64_t va, uint64_t len,
                                  enum access_type access)
{
    assert_int_equal(r, EMULATE_DONE);
    assert_int_equal(hart.translate_count, 1);
    assert_translate(0, va, len, access);
}

/* The only register write: reg (in the FP file if fp) set to value. */
static void assert_one_write(unsigned reg, bool fp, uint64_t value)
{
    assert_int_equal(hart.write_count, 1);
    assert_int_equal(hart.writes[0].reg, reg);
    assert_int_equal(hart.writes[0].fp, fp);
    assert_int_equal(hart.writes[0].value, value);
}

static void assert_fault(enum emulate_result r, uint64_t cause, uint64_t tval)
{
    assert_int_equal(r, EMULATE_FAULT);
    assert_int_equal(hart.cause, cause);
    assert_int_equal(hart.tval, tval);
    assert_int_equal(hart.write_count, 0);
}

/* ---- integer loads ---- */

struct load_case {
    uint32_t bits;
    const char *text;
    unsigned width;
    uint64_t from_negative, from_positive;  /* rd after loading each memory value */
};

/* Each width, from a value whose every narrower part is negative, then from
 * one whose every part is positive. */
static const uint64_t negative_value = 0xf0e1d2c3b4a59687UL;
static const uint64_t positive_value = 0x0102030405060708UL;
static const struct load_case loads[] = {
    { 0x00058503, "lb a0,0(a1)", 1, 0xffffffffffffff87UL, 0x08 },
    { 0x0005c503, "lbu a0,0(a1)", 1, 0x87, 0x08 },
    { 0x00059503, "lh a0,0(a1)", 2, 0xffffffffffff9687UL, 0x0708 },
    { 0x0005d503, "lhu a0,0(a1)", 2, 0x9687, 0x0708 },
    { 0x0005a503, "lw a0,0(a1)", 4, 0xffffffffb4a59687UL, 0x05060708 },
    { 0x0005e503, "lwu a0,0(a1)", 4, 0xb4a59687UL, 0x05060708 },
    { 0x0005b503, "ld a0,0(a1)", 8, 0xf0e1d2c3b4a59687UL, 0x0102030405060708UL },
};

static void loads_extend_by_width(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0x100);
    for (size_t i = 0; i < COUNT(loads); i++) {
        const struct load_case *c = &loads[i];
        for (int positive = 0; positive < 2; positive++) {
            put(va, positive ? positive_value : negative_value, 8);
            take_snapshot();
            hart.x[A1] = va;
            hart.x[A0] = SENTINEL;
            uint64_t want = positive ? c->from_positive : c->from_negative;
            enum emulate_result r = emulate(c->bits);
            assert_done_one_piece(r, va, c->width, ACCESS_LOAD);
            assert_one_write(A0, false, want);
            assert_int_equal(hart.x[A0], want);
            assert_int_equal(hart.x[A1], va);
            assert_int_equal(hart.f[A0], 0x2000 + A0);  /* not the FP file */
            assert_unchanged_except(0, 0);
        }
    }
}

static void loads_add_the_immediate(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; uint64_t base, va; unsigned width; } cases[] = {
        /* Page 1's base minus one: the last byte of page 0. */
        { 0xfff58503, "lb a0,-1(a1)", GUEST_BASE + PAGE_SIZE, GUEST_BASE + PAGE_SIZE - 1, 1 },
        { 0x8005a503, "lw a0,-2048(a1)", GUEST_BASE + 2 * PAGE_SIZE + 0x900,
          GUEST_BASE + 2 * PAGE_SIZE + 0x100, 4 },
        { 0x7f85b503, "ld a0,2040(a1)", GUEST_BASE + 8, GUEST_BASE + 2048, 8 },
        { 0xffe5d503, "lhu a0,-2(a1)", GUEST_BASE + 3 * PAGE_SIZE + 2, GUEST_BASE + 3 * PAGE_SIZE, 2 },
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        put(cases[i].va, negative_value, cases[i].width);
        hart.x[A1] = cases[i].base;
        enum emulate_result r = emulate(cases[i].bits);
        assert_done_one_piece(r, cases[i].va, cases[i].width, ACCESS_LOAD);
        uint64_t mask = cases[i].width == 8 ? ~0UL : (1UL << 8 * cases[i].width) - 1;
        assert_int_equal(hart.x[A0] & mask, negative_value & mask);
    }
}

/* emulate_access calls write_reg for rd = x0 too: the callback must drop
 * the write (lodger's does, in vcpu_set_reg; the fake does the same). */
static void load_into_x0_calls_write_reg_with_x0(void **state)
{
    (void)state;
    uint64_t va = va_of(0, 0x40);
    put(va, negative_value, 8);
    take_snapshot();
    hart.x[A1] = va;
    assert_done_one_piece(emulate(0x0005b003), va, 8, ACCESS_LOAD);     /* ld zero,0(a1) */
    assert_one_write(ZERO, false, negative_value);
    assert_int_equal(hart.x[ZERO], 0);
    assert_done_one_piece(emulate(0x0005a003), va, 4, ACCESS_LOAD);     /* lw zero,0(a1) */
    assert_one_write(ZERO, false, 0xffffffffb4a59687UL);
    assert_int_equal(hart.x[ZERO], 0);
    for (unsigned r = 1; r < 32; r++)
        assert_int_equal(hart.x[r], r == A1 ? va : 0x1000 + r);
    assert_unchanged_except(0, 0);
}

static void load_with_rd_equal_to_rs1(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x10);
    put(va, positive_value, 8);
    hart.x[A1] = va;
    assert_done_one_piece(emulate(0x0005b583), va, 8, ACCESS_LOAD);     /* ld a1,0(a1) */
    assert_one_write(A1, false, positive_value);
    assert_int_equal(hart.x[A1], positive_value);
}

/* lw a0,4(zero): the base register x0 reads as 0. */
static void load_based_on_x0(void **state)
{
    (void)state;
    hart.x[A0] = SENTINEL;
    enum emulate_result r = emulate(0x00402503);
    assert_fault(r, CAUSE_LOAD_PAGE_FAULT, 4);
    assert_int_equal(hart.translate_count, 1);
    assert_translate(0, 4, 4, ACCESS_LOAD);
    assert_int_equal(hart.x[A0], SENTINEL);
}

/* ---- integer stores ---- */

static void stores_write_the_low_bytes(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; unsigned width; } cases[] = {
        { 0x00c58023, "sb a2,0(a1)", 1 },
        { 0x00c59023, "sh a2,0(a1)", 2 },
        { 0x00c5a023, "sw a2,0(a1)", 4 },
        { 0x00c5b023, "sd a2,0(a1)", 8 },
    };
    uint64_t va = va_of(1, 0x208);
    for (size_t i = 0; i < COUNT(cases); i++) {
        take_snapshot();
        hart.x[A1] = va;
        hart.x[A2] = 0x1122334455667788UL;
        hart.f[FA2] = SENTINEL;
        enum emulate_result r = emulate(cases[i].bits);
        assert_done_one_piece(r, va, cases[i].width, ACCESS_STORE);
        assert_int_equal(hart.write_count, 0);
        uint64_t mask = cases[i].width == 8 ? ~0UL : (1UL << 8 * cases[i].width) - 1;
        assert_int_equal(get(va, cases[i].width), 0x1122334455667788UL & mask);
        assert_unchanged_except(va, cases[i].width);
        assert_int_equal(hart.x[A2], 0x1122334455667788UL);
    }
}

static void stores_add_the_immediate(void **state)
{
    (void)state;
    hart.x[A2] = negative_value;
    hart.x[A1] = va_of(1, 0x10);
    take_snapshot();
    assert_done_one_piece(emulate(0xfec5b823), va_of(1, 0), 8, ACCESS_STORE);  /* sd a2,-16(a1) */
    assert_int_equal(get(va_of(1, 0), 8), negative_value);
    assert_unchanged_except(va_of(1, 0), 8);
    hart.x[A1] = va_of(2, 0x800);
    take_snapshot();
    assert_done_one_piece(emulate(0x7ec5ae23), va_of(2, 0xffc), 4, ACCESS_STORE);  /* sw a2,2044(a1) */
    assert_int_equal(get(va_of(2, 0xffc), 4), 0xb4a59687UL);
    assert_unchanged_except(va_of(2, 0xffc), 4);
}

static void store_of_x0_writes_zero(void **state)
{
    (void)state;
    hart.x[A1] = va_of(0, 0x33);
    take_snapshot();
    assert_done_one_piece(emulate(0x00058023), va_of(0, 0x33), 1, ACCESS_STORE);   /* sb zero,0(a1) */
    assert_int_equal(*host_of(va_of(0, 0x33)), 0);
    assert_unchanged_except(va_of(0, 0x33), 1);
}

/* ---- FP loads and stores ---- */

static void flw_nan_boxes(void **state)
{
    (void)state;
    uint64_t va = va_of(3, 0x20);
    static const uint32_t singles[] = { 0x3fc00000, 0xbf800000, 0x7fc00000, 0 };  /* 1.5, -1, NaN, +0 */
    for (size_t i = 0; i < COUNT(singles); i++) {
        put(va, 0x0123456789abcdefUL, 8);
        put(va, singles[i], 4);
        take_snapshot();
        hart.x[A1] = va;
        hart.x[A0] = SENTINEL;
        assert_done_one_piece(emulate(0x0005a507), va, 4, ACCESS_LOAD);   /* flw fa0,0(a1) */
        assert_one_write(FA0, true, 0xffffffff00000000UL | singles[i]);
        assert_int_equal(hart.f[FA0], 0xffffffff00000000UL | singles[i]);
        assert_int_equal(hart.x[A0], SENTINEL);
        assert_unchanged_except(0, 0);
    }
    /* flw fa0,-4(a1) */
    put(va - 4, 0x40490fdb, 4);
    assert_done_one_piece(emulate(0xffc5a507), va - 4, 4, ACCESS_LOAD);
    assert_int_equal(hart.f[FA0], 0xffffffff40490fdbUL);
}

static void fld_loads_all_64_bits(void **state)
{
    (void)state;
    uint64_t va = va_of(0, 0x7f8);
    put(va, 0xc00921fb54442d18UL, 8);
    hart.x[A1] = va;
    hart.x[A0] = SENTINEL;
    assert_done_one_piece(emulate(0x0005b507), va, 8, ACCESS_LOAD);       /* fld fa0,0(a1) */
    assert_one_write(FA0, true, 0xc00921fb54442d18UL);
    assert_int_equal(hart.x[A0], SENTINEL);
}

static void fp_stores_read_the_fp_file(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x300);
    hart.x[A1] = va;
    hart.x[A2] = SENTINEL;
    hart.f[FA2] = 0xffffffff40490fdbUL;
    take_snapshot();
    assert_done_one_piece(emulate(0x00c5a027), va, 4, ACCESS_STORE);      /* fsw fa2,0(a1) */
    assert_int_equal(hart.write_count, 0);
    assert_int_equal(get(va, 4), 0x40490fdb);
    assert_unchanged_except(va, 4);

    hart.f[FA2] = 0x400921fb54442d18UL;
    take_snapshot();
    assert_done_one_piece(emulate(0x00c5b027), va, 8, ACCESS_STORE);      /* fsd fa2,0(a1) */
    assert_int_equal(get(va, 8), 0x400921fb54442d18UL);
    assert_unchanged_except(va, 8);

    take_snapshot();
    hart.f[FA2] = 0x8000000000000001UL;
    assert_done_one_piece(emulate(0xfec5bc27), va - 8, 8, ACCESS_STORE);  /* fsd fa2,-8(a1) */
    assert_int_equal(get(va - 8, 8), 0x8000000000000001UL);
    assert_unchanged_except(va - 8, 8);
}

/* ---- compressed forms ---- */

static void compressed_loads_and_stores(void **state)
{
    (void)state;
    static const struct {
        uint16_t bits;
        const char *text;
        bool store, fp, sp;
        unsigned offset, width, reg;
        uint64_t loaded;            /* the register after a load from negative_value */
    } cases[] = {
        { 0x41c8, "c.lw a0,4(a1)", false, false, false, 4, 4, A0, 0xffffffffb4a59687UL },
        { 0x6588, "c.ld a0,8(a1)", false, false, false, 8, 8, A0, 0xf0e1d2c3b4a59687UL },
        { 0xc1d0, "c.sw a2,4(a1)", true, false, false, 4, 4, A2, 0 },
        { 0xe590, "c.sd a2,8(a1)", true, false, false, 8, 8, A2, 0 },
        { 0x4532, "c.lwsp a0,12(sp)", false, false, true, 12, 4, A0, 0xffffffffb4a59687UL },
        { 0x6542, "c.ldsp a0,16(sp)", false, false, true, 16, 8, A0, 0xf0e1d2c3b4a59687UL },
        { 0xc632, "c.swsp a2,12(sp)", true, false, true, 12, 4, A2, 0 },
        { 0xe832, "c.sdsp a2,16(sp)", true, false, true, 16, 8, A2, 0 },
        { 0x2588, "c.fld fa0,8(a1)", false, true, false, 8, 8, FA0, 0xf0e1d2c3b4a59687UL },
        { 0xa590, "c.fsd fa2,8(a1)", true, true, false, 8, 8, FA2, 0 },
        { 0x2562, "c.fldsp fa0,24(sp)", false, true, true, 24, 8, FA0, 0xf0e1d2c3b4a59687UL },
        { 0xac32, "c.fsdsp fa2,24(sp)", true, true, true, 24, 8, FA2, 0 },
    };
    uint64_t base = va_of(1, 0x400);
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t va = base + cases[i].offset;
        unsigned width = cases[i].width;
        put(va, negative_value, 8);
        take_snapshot();
        hart.x[A1] = cases[i].sp ? SENTINEL : base;
        hart.x[SP] = cases[i].sp ? base : SENTINEL;
        uint64_t stored = 0x1122334455667788UL;
        if (cases[i].fp)
            hart.f[cases[i].reg] = stored;
        else
            hart.x[cases[i].reg] = stored;
        /* Only the low halfword is the instruction: what follows must not matter. */
        enum emulate_result r = emulate(0xffff0000u | cases[i].bits);
        assert_done_one_piece(r, va, width, cases[i].store ? ACCESS_STORE : ACCESS_LOAD);
        if (cases[i].store) {
            assert_int_equal(hart.write_count, 0);
            uint64_t mask = width == 8 ? ~0UL : (1UL << 8 * width) - 1;
            assert_int_equal(get(va, width), stored & mask);
            assert_unchanged_except(va, width);
        } else {
            assert_one_write(cases[i].reg, cases[i].fp, cases[i].loaded);
            assert_unchanged_except(0, 0);
        }
    }
}

/* ---- misaligned accesses ---- */

static void misaligned_inside_a_page(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x101);
    put(va, negative_value, 8);
    hart.x[A1] = va;
    assert_done_one_piece(emulate(0x0005b503), va, 8, ACCESS_LOAD);       /* ld */
    assert_int_equal(hart.x[A0], negative_value);
    assert_done_one_piece(emulate(0x0005a503), va, 4, ACCESS_LOAD);       /* lw */
    assert_int_equal(hart.x[A0], 0xffffffffb4a59687UL);
    assert_done_one_piece(emulate(0x0005d503), va, 2, ACCESS_LOAD);       /* lhu */
    assert_int_equal(hart.x[A0], 0x9687);

    hart.x[A1] = va_of(2, 0x203);
    hart.x[A2] = positive_value;
    take_snapshot();
    assert_done_one_piece(emulate(0x00c5b023), va_of(2, 0x203), 8, ACCESS_STORE);   /* sd */
    assert_int_equal(get(va_of(2, 0x203), 8), positive_value);
    assert_unchanged_except(va_of(2, 0x203), 8);
    /* Close to the page's end: still one piece. */
    hart.x[A1] = va_of(2, PAGE_SIZE - 3);
    take_snapshot();
    assert_done_one_piece(emulate(0x00c59023), va_of(2, PAGE_SIZE - 3), 2, ACCESS_STORE);  /* sh */
    assert_int_equal(get(va_of(2, PAGE_SIZE - 3), 2), 0x0708);
    assert_unchanged_except(va_of(2, PAGE_SIZE - 3), 2);
}

static void misaligned_loads_across_pages(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; unsigned width, first; uint64_t want; } cases[] = {
        { 0x0005b503, "ld a0,0(a1)", 8, 3, 0xf0e1d2c3b4a59687UL },
        { 0x0005b503, "ld a0,0(a1)", 8, 7, 0xf0e1d2c3b4a59687UL },
        { 0x0005b503, "ld a0,0(a1)", 8, 1, 0xf0e1d2c3b4a59687UL },
        { 0x0005a503, "lw a0,0(a1)", 4, 2, 0xffffffffb4a59687UL },
        { 0x0005e503, "lwu a0,0(a1)", 4, 1, 0xb4a59687UL },
        { 0x00059503, "lh a0,0(a1)", 2, 1, 0xffffffffffff9687UL },
        { 0x0005b507, "fld fa0,0(a1)", 8, 5, 0xf0e1d2c3b4a59687UL },
        { 0x0005a507, "flw fa0,0(a1)", 4, 3, 0xffffffffb4a59687UL },
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t va = va_of(1, 0) - cases[i].first;
        put(va, negative_value, cases[i].width);
        take_snapshot();
        hart.x[A1] = va;
        enum emulate_result r = emulate(cases[i].bits);
        assert_int_equal(r, EMULATE_DONE);
        assert_int_equal(hart.translate_count, 2);
        assert_translate(0, va, cases[i].first, ACCESS_LOAD);
        assert_translate(1, va_of(1, 0), cases[i].width - cases[i].first, ACCESS_LOAD);
        bool fp = (cases[i].bits & 0x7f) == 0x07;
        assert_one_write(A0, fp, cases[i].want);
        assert_unchanged_except(0, 0);
    }
}

static void misaligned_stores_across_pages(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; unsigned width, first; } cases[] = {
        { 0x00c5b023, "sd a2,0(a1)", 8, 5 },
        { 0x00c5b023, "sd a2,0(a1)", 8, 1 },
        { 0x00c5a023, "sw a2,0(a1)", 4, 3 },
        { 0x00c59023, "sh a2,0(a1)", 2, 1 },
        { 0x00c5b027, "fsd fa2,0(a1)", 8, 4 },
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t va = va_of(3, 0) - cases[i].first;
        hart.x[A1] = va;
        hart.x[A2] = hart.f[FA2] = negative_value;
        take_snapshot();
        enum emulate_result r = emulate(cases[i].bits);
        assert_int_equal(r, EMULATE_DONE);
        assert_int_equal(hart.translate_count, 2);
        assert_translate(0, va, cases[i].first, ACCESS_STORE);
        assert_translate(1, va_of(3, 0), cases[i].width - cases[i].first, ACCESS_STORE);
        uint64_t mask = cases[i].width == 8 ? ~0UL : (1UL << 8 * cases[i].width) - 1;
        assert_int_equal(get(va, cases[i].width), negative_value & mask);
        assert_unchanged_except(va, cases[i].width);
        assert_int_equal(hart.write_count, 0);
    }
}

/* Second page faulting: stval is the address of that piece, and a store
 * leaves the first page as it was. */
static void misaligned_access_whose_second_page_faults(void **state)
{
    (void)state;
    static const uint64_t causes[] = { CAUSE_LOAD_PAGE_FAULT, CAUSE_LOAD_ACCESS };
    uint64_t va = va_of(2, 0) - 3;
    hart.x[A1] = va;
    hart.x[A2] = positive_value;
    hart.x[A0] = SENTINEL;
    for (size_t i = 0; i < COUNT(causes); i++) {
        memory.load_fault[2] = causes[i];
        memory.store_fault[2] = causes[i] + 2;  /* 15 or 7 */
        take_snapshot();
        enum emulate_result r = emulate(0x0005b503);                       /* ld a0,0(a1) */
        assert_fault(r, causes[i], va_of(2, 0));
        assert_int_equal(hart.translate_count, 2);
        assert_translate(0, va, 3, ACCESS_LOAD);
        assert_translate(1, va_of(2, 0), 5, ACCESS_LOAD);
        assert_int_equal(hart.x[A0], SENTINEL);

        r = emulate(0x00c5b023);                                           /* sd a2,0(a1) */
        assert_fault(r, causes[i] + 2, va_of(2, 0));
        assert_int_equal(hart.translate_count, 2);
        assert_translate(0, va, 3, ACCESS_STORE);
        assert_translate(1, va_of(2, 0), 5, ACCESS_STORE);
        assert_unchanged_except(0, 0);
    }
    /* Only stores fault on the second page: the load is done. */
    memory.load_fault[2] = 0;
    memory.store_fault[2] = CAUSE_STORE_PAGE_FAULT;
    put(va, negative_value, 8);
    take_snapshot();
    assert_int_equal(emulate(0x0005b503), EMULATE_DONE);
    assert_int_equal(hart.x[A0], negative_value);
    assert_fault(emulate(0x00c5b023), CAUSE_STORE_PAGE_FAULT, va_of(2, 0));
    assert_unchanged_except(0, 0);
}

static void misaligned_access_whose_first_page_faults(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0) - 2;
    memory.load_fault[0] = CAUSE_LOAD_PAGE_FAULT;
    memory.store_fault[0] = CAUSE_STORE_PAGE_FAULT;
    hart.x[A1] = va;
    take_snapshot();
    enum emulate_result r = emulate(0x0005a503);                           /* lw a0,0(a1) */
    assert_fault(r, CAUSE_LOAD_PAGE_FAULT, va);
    assert_int_equal(hart.translate_count, 1);
    assert_translate(0, va, 2, ACCESS_LOAD);
    r = emulate(0x00c5a023);                                               /* sw a2,0(a1) */
    assert_fault(r, CAUSE_STORE_PAGE_FAULT, va);
    assert_int_equal(hart.translate_count, 1);
    assert_unchanged_except(0, 0);
}

/* The callback's cause is the guest's: page faults, access faults, and
 * addresses outside the guest. */
static void faults_carry_the_translation_cause(void **state)
{
    (void)state;
    memory.load_fault[1] = CAUSE_LOAD_ACCESS;
    memory.store_fault[1] = CAUSE_STORE_ACCESS;
    memory.store_fault[2] = CAUSE_STORE_PAGE_FAULT;     /* read-only */
    hart.x[A2] = positive_value;
    hart.x[A0] = SENTINEL;
    hart.f[FA0] = SENTINEL;
    take_snapshot();

    hart.x[A1] = va_of(1, 0x10);
    assert_fault(emulate(0x0005b503), CAUSE_LOAD_ACCESS, va_of(1, 0x10));      /* ld */
    assert_fault(emulate(0x00c5b023), CAUSE_STORE_ACCESS, va_of(1, 0x10));     /* sd */
    assert_fault(emulate(0x0005a507), CAUSE_LOAD_ACCESS, va_of(1, 0x10));      /* flw */
    assert_fault(emulate(0x2588), CAUSE_LOAD_ACCESS, va_of(1, 0x18));          /* c.fld fa0,8(a1) */

    hart.x[A1] = va_of(2, 0x10);
    assert_int_equal(emulate(0x0005b503), EMULATE_DONE);                       /* ld: readable */
    hart.x[A0] = SENTINEL;
    assert_fault(emulate(0x00c58023), CAUSE_STORE_PAGE_FAULT, va_of(2, 0x10)); /* sb */
    assert_fault(emulate(0xe590), CAUSE_STORE_PAGE_FAULT, va_of(2, 0x18));     /* c.sd a2,8(a1) */

    hart.x[A1] = GUEST_BASE + PAGES * PAGE_SIZE;
    assert_fault(emulate(0x0005c503), CAUSE_LOAD_PAGE_FAULT, hart.x[A1]);      /* lbu */
    assert_fault(emulate(0x00c5b027), CAUSE_STORE_PAGE_FAULT, hart.x[A1]);     /* fsd */
    /* An address that wraps: 0 - 16. */
    hart.x[A1] = 0;
    assert_fault(emulate(0xfec5b823), CAUSE_STORE_PAGE_FAULT, (uint64_t)-16);  /* sd a2,-16(a1) */

    assert_int_equal(hart.x[A0], SENTINEL);
    assert_int_equal(hart.f[FA0], SENTINEL);
    assert_unchanged_except(0, 0);
}

/* ---- AMOs ---- */

struct amo_case {
    uint32_t bits;
    const char *text;
    unsigned width;
    uint64_t old, src, new;     /* memory before, rs2 (a2), memory after */
};

static const struct amo_case amos[] = {
    /* .w: rd is the old word sign-extended; rs2's upper half is ignored. */
    { 0x08c5a52f, "amoswap.w", 4, 0x80000001, 0x1122334455667788UL, 0x55667788 },
    { 0x00c5a52f, "amoadd.w", 4, 0xffffffff, 2, 1 },
    { 0x00c5a52f, "amoadd.w", 4, 0x7fffffff, 0xffffffff00000001UL, 0x80000000 },
    { 0x20c5a52f, "amoxor.w", 4, 0xf0f0f0f0, 0xaaaaaaaaff00ff00UL, 0x0ff00ff0 },
    { 0x60c5a52f, "amoand.w", 4, 0xf0f0f0f0, 0xffffffffff00ff00UL, 0xf000f000 },
    { 0x40c5a52f, "amoor.w", 4, 0xf0f0f0f0, 0xffffffff0f00ff00UL, 0xfff0fff0 },
    /* -2 vs 1: signed and unsigned orders differ. */
    { 0x80c5a52f, "amomin.w", 4, 0xfffffffe, 1, 0xfffffffe },
    { 0xa0c5a52f, "amomax.w", 4, 0xfffffffe, 1, 1 },
    { 0xc0c5a52f, "amominu.w", 4, 0xfffffffe, 1, 1 },
    { 0xe0c5a52f, "amomaxu.w", 4, 0xfffffffe, 1, 0xfffffffe },
    { 0x80c5a52f, "amomin.w", 4, 1, 0xfffffffe, 0xfffffffe },
    { 0xa0c5a52f, "amomax.w", 4, 1, 0xfffffffffffffffeUL, 1 },
    { 0xc0c5a52f, "amominu.w", 4, 1, 0xfffffffe, 1 },
    { 0xe0c5a52f, "amomaxu.w", 4, 1, 0xfffffffffffffffeUL, 0xfffffffe },
    /* Only rs2's low word is compared: 0x1_80000000 is -2^31 for amomin.w,
     * 0xffffffff_00000003 is 3 for amominu.w. */
    { 0x80c5a52f, "amomin.w", 4, 5, 0x0000000180000000UL, 0x80000000 },
    { 0xc0c5a52f, "amominu.w", 4, 5, 0xffffffff00000003UL, 3 },
    { 0xa0c5a52f, "amomax.w", 4, 5, 0x00000000fffffff0UL, 5 },
    { 0xe0c5a52f, "amomaxu.w", 4, 5, 0x00000000fffffff0UL, 0xfffffff0 },
    { 0x06c5a52f, "amoadd.w.aqrl", 4, 0x12345678, 0x11111111, 0x23456789 },
    /* .d */
    { 0x08c5b52f, "amoswap.d", 8, 0x8000000000000001UL, 0x1122334455667788UL, 0x1122334455667788UL },
    { 0x00c5b52f, "amoadd.d", 8, 0xffffffffffffffffUL, 2, 1 },
    { 0x20c5b52f, "amoxor.d", 8, 0xf0f0f0f0f0f0f0f0UL, 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL },
    { 0x60c5b52f, "amoand.d", 8, 0xf0f0f0f0f0f0f0f0UL, 0xff00ff00ff00ff00UL, 0xf000f000f000f000UL },
    { 0x40c5b52f, "amoor.d", 8, 0xf0f0f0f0f0f0f0f0UL, 0x0f00ff000f00ff00UL, 0xfff0fff0fff0fff0UL },
    { 0x80c5b52f, "amomin.d", 8, 0xfffffffffffffffeUL, 1, 0xfffffffffffffffeUL },
    { 0xa0c5b52f, "amomax.d", 8, 0xfffffffffffffffeUL, 1, 1 },
    { 0xc0c5b52f, "amominu.d", 8, 0xfffffffffffffffeUL, 1, 1 },
    { 0xe0c5b52f, "amomaxu.d", 8, 0xfffffffffffffffeUL, 1, 0xfffffffffffffffeUL },
    { 0x80c5b52f, "amomin.d", 8, 1, 0x8000000000000000UL, 0x8000000000000000UL },
    { 0xa0c5b52f, "amomax.d", 8, 1, 0x8000000000000000UL, 1 },
    { 0xc0c5b52f, "amominu.d", 8, 1, 0x8000000000000000UL, 1 },
    { 0xe0c5b52f, "amomaxu.d", 8, 1, 0x8000000000000000UL, 0x8000000000000000UL },
    /* A 64-bit compare, not the low words: 0x1_00000000 > 0xffffffff. */
    { 0xc0c5b52f, "amominu.d", 8, 0x100000000UL, 0xffffffff, 0xffffffff },
    { 0x80c5b52f, "amomin.d", 8, 0x100000000UL, 0xffffffff, 0xffffffff },
    { 0xa0c5b52f, "amomax.d", 8, 0x100000000UL, 0xffffffff, 0x100000000UL },
    /* Equal values. */
    { 0x80c5b52f, "amomin.d", 8, 7, 7, 7 },
    { 0xe0c5a52f, "amomaxu.w", 4, 7, 7, 7 },
};

static void amos_update_memory_and_return_the_old_value(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0x808);
    for (size_t i = 0; i < COUNT(amos); i++) {
        const struct amo_case *c = &amos[i];
        put(va, c->old, c->width);
        take_snapshot();
        hart.x[A1] = va;
        hart.x[A2] = c->src;
        hart.x[A0] = SENTINEL;
        enum emulate_result r = emulate(c->bits);
        assert_done_one_piece(r, va, c->width, ACCESS_STORE);
        uint64_t rd = c->width == 4 ? (uint64_t)(int64_t)(int32_t)c->old : c->old;
        assert_one_write(A0, false, rd);
        assert_int_equal(hart.x[A0], rd);
        assert_int_equal(get(va, c->width), c->new);
        assert_unchanged_except(va, c->width);
        assert_int_equal(hart.x[A2], c->src);
    }
}

/* amoadd.d zero,a2,(a1): memory updated; write_reg called with x0, dropped. */
static void amo_into_x0(void **state)
{
    (void)state;
    uint64_t va = va_of(0, 0x18);
    put(va, 40, 8);
    hart.x[A1] = va;
    hart.x[A2] = 2;
    assert_done_one_piece(emulate(0x00c5b02f), va, 8, ACCESS_STORE);
    assert_int_equal(get(va, 8), 42);
    assert_one_write(ZERO, false, 40);
    assert_int_equal(hart.x[ZERO], 0);
}

/* AMOs need natural alignment: a misaligned one is a store/AMO
 * address-misaligned exception, before any translation. */
static void misaligned_amos(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; unsigned offset; } cases[] = {
        { 0x00c5a52f, "amoadd.w", 2 },
        { 0x00c5a52f, "amoadd.w", 1 },
        { 0x08c5a52f, "amoswap.w", 0xffe },     /* across pages */
        { 0x00c5b52f, "amoadd.d", 4 },
        { 0xe0c5b52f, "amomaxu.d", 1 },
        { 0x08c5b52f, "amoswap.d", 0xffc },     /* across pages */
    };
    hart.x[A2] = positive_value;
    hart.x[A0] = SENTINEL;
    take_snapshot();
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t va = va_of(1, cases[i].offset);
        hart.x[A1] = va;
        enum emulate_result r = emulate(cases[i].bits);
        assert_fault(r, CAUSE_MISALIGNED_STORE, va);
        assert_int_equal(hart.translate_count, 0);
    }
    assert_int_equal(hart.x[A0], SENTINEL);
    assert_unchanged_except(0, 0);
}

static void amo_faults(void **state)
{
    (void)state;
    memory.store_fault[2] = CAUSE_STORE_PAGE_FAULT;     /* read-only: an AMO is a store */
    memory.store_fault[3] = CAUSE_STORE_ACCESS;
    hart.x[A2] = 1;
    hart.x[A0] = SENTINEL;
    take_snapshot();
    hart.x[A1] = va_of(2, 8);
    assert_fault(emulate(0x00c5b52f), CAUSE_STORE_PAGE_FAULT, va_of(2, 8));    /* amoadd.d */
    assert_int_equal(hart.translate_count, 1);
    assert_translate(0, va_of(2, 8), 8, ACCESS_STORE);
    hart.x[A1] = va_of(3, 4);
    assert_fault(emulate(0x08c5a52f), CAUSE_STORE_ACCESS, va_of(3, 4));        /* amoswap.w */
    hart.x[A1] = GUEST_BASE - 8;
    assert_fault(emulate(0x40c5b52f), CAUSE_STORE_PAGE_FAULT, GUEST_BASE - 8); /* amoor.d */
    assert_int_equal(hart.x[A0], SENTINEL);
    assert_unchanged_except(0, 0);
}

/* ---- LR/SC ---- */

#define LR_W 0x1005a52f     /* lr.w a0,(a1) */
#define LR_D 0x1005b52f     /* lr.d a0,(a1) */
#define LR_W_AQ 0x1405a52f  /* lr.w.aq a0,(a1) */
#define SC_W 0x18c5a6af     /* sc.w a3,a2,(a1) */
#define SC_D 0x18c5b6af     /* sc.d a3,a2,(a1) */
#define SC_W_RL 0x1ac5a6af  /* sc.w.rl a3,a2,(a1) */

static void lr_reserves_and_sign_extends(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x40);
    put(va, 0x7fffffff80000000UL, 8);
    take_snapshot();
    hart.x[A1] = va;
    assert_done_one_piece(emulate(LR_W), va, 4, ACCESS_LOAD);
    assert_one_write(A0, false, 0xffffffff80000000UL);
    assert_true(hart.res.valid);
    assert_int_equal(hart.res.va, va);
    assert_int_equal(hart.res.width, 4);
    assert_int_equal(hart.res.value & 0xffffffff, 0x80000000);

    assert_done_one_piece(emulate(LR_D), va, 8, ACCESS_LOAD);
    assert_one_write(A0, false, 0x7fffffff80000000UL);
    assert_true(hart.res.valid);
    assert_int_equal(hart.res.va, va);
    assert_int_equal(hart.res.width, 8);
    assert_int_equal(hart.res.value, 0x7fffffff80000000UL);

    /* A positive word; the .aq form; a new LR replaces the reservation. */
    put(va_of(2, 0x80), 0x12345678, 4);
    hart.x[A1] = va_of(2, 0x80);
    assert_done_one_piece(emulate(LR_W_AQ), va_of(2, 0x80), 4, ACCESS_LOAD);
    assert_one_write(A0, false, 0x12345678);
    assert_true(hart.res.valid);
    assert_int_equal(hart.res.va, va_of(2, 0x80));
    assert_int_equal(hart.res.width, 4);
    assert_unchanged_except(va_of(2, 0x80), 4);
}

static void lr_faults(void **state)
{
    (void)state;
    hart.x[A0] = SENTINEL;
    take_snapshot();
    /* Misaligned: a load address-misaligned exception, nothing reserved. */
    static const struct { uint32_t bits; unsigned offset; } misaligned[] = {
        { LR_W, 2 }, { LR_W, 0xffd }, { LR_D, 4 }, { LR_D, 0xffa },
    };
    for (size_t i = 0; i < COUNT(misaligned); i++) {
        hart.x[A1] = va_of(0, misaligned[i].offset);
        assert_fault(emulate(misaligned[i].bits), CAUSE_MISALIGNED_LOAD, hart.x[A1]);
        assert_int_equal(hart.translate_count, 0);
        assert_false(hart.res.valid);
    }
    /* Translation faults are the load's. */
    memory.load_fault[1] = CAUSE_LOAD_ACCESS;
    hart.x[A1] = va_of(1, 8);
    assert_fault(emulate(LR_D), CAUSE_LOAD_ACCESS, va_of(1, 8));
    assert_translate(0, va_of(1, 8), 8, ACCESS_LOAD);
    assert_false(hart.res.valid);
    hart.x[A1] = GUEST_BASE + PAGES * PAGE_SIZE;
    assert_fault(emulate(LR_W), CAUSE_LOAD_PAGE_FAULT, hart.x[A1]);
    assert_false(hart.res.valid);
    assert_int_equal(hart.x[A0], SENTINEL);
    assert_unchanged_except(0, 0);
}

static void sc_after_lr_succeeds(void **state)
{
    (void)state;
    static const struct { uint32_t lr, sc; unsigned width; } pairs[] = {
        { LR_W, SC_W, 4 }, { LR_D, SC_D, 8 }, { LR_W_AQ, SC_W_RL, 4 },
    };
    uint64_t va = va_of(3, 0x100);
    for (size_t i = 0; i < COUNT(pairs); i++) {
        put(va, negative_value, 8);
        hart.x[A1] = va;
        hart.x[A2] = 0x1122334455667788UL;
        hart.x[A3] = SENTINEL;
        assert_int_equal(emulate(pairs[i].lr), EMULATE_DONE);
        take_snapshot();
        assert_done_one_piece(emulate(pairs[i].sc), va, pairs[i].width, ACCESS_STORE);
        assert_one_write(A3, false, 0);
        assert_int_equal(hart.x[A3], 0);
        assert_false(hart.res.valid);
        if (pairs[i].width == 4)
            assert_int_equal(get(va, 8), 0xf0e1d2c355667788UL);
        else
            assert_int_equal(get(va, 8), 0x1122334455667788UL);
        assert_unchanged_except(va, pairs[i].width);
        /* The reservation is gone: the same SC again fails. */
        take_snapshot();
        hart.x[A2] = 0;
        assert_done_one_piece(emulate(pairs[i].sc), va, pairs[i].width, ACCESS_STORE);
        assert_one_write(A3, false, 1);
        assert_unchanged_except(0, 0);
    }
}

/* A failing SC: rd = 1, memory untouched, reservation cleared. */
static void assert_sc_fails(uint32_t sc, uint64_t va, unsigned width)
{
    take_snapshot();
    hart.x[A1] = va;
    hart.x[A2] = 0x1122334455667788UL;
    hart.x[A3] = SENTINEL;
    assert_done_one_piece(emulate(sc), va, width, ACCESS_STORE);
    assert_one_write(A3, false, 1);
    assert_int_equal(hart.x[A3], 1);
    assert_false(hart.res.valid);
    assert_unchanged_except(0, 0);
}

static void sc_without_reservation_fails(void **state)
{
    (void)state;
    assert_false(hart.res.valid);
    assert_sc_fails(SC_W, va_of(0, 0x10), 4);
    assert_sc_fails(SC_D, va_of(0, 0x10), 8);
    /* A stale reservation record (valid false) matching the SC in every
     * other field is not a reservation. */
    put(va_of(0, 0x10), 5, 8);
    hart.res = (struct reservation){ false, va_of(0, 0x10), 5, 8 };
    assert_sc_fails(SC_D, va_of(0, 0x10), 8);
}

static void sc_at_another_address_fails(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0x100);
    static const struct { uint32_t lr, sc; unsigned width; int64_t delta; } cases[] = {
        { LR_W, SC_W, 4, 4 }, { LR_W, SC_W, 4, -4 }, { LR_D, SC_D, 8, 8 },
        { LR_D, SC_D, 8, PAGE_SIZE }, { LR_D, SC_D, 8, -8 },
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        /* The same value at both addresses, so that only the address differs. */
        put(va, 0x55, 8);
        put(va + (uint64_t)cases[i].delta, 0x55, 8);
        hart.x[A1] = va;
        assert_int_equal(emulate(cases[i].lr), EMULATE_DONE);
        assert_true(hart.res.valid);
        assert_sc_fails(cases[i].sc, va + (uint64_t)cases[i].delta, cases[i].width);
    }
}

static void sc_of_another_width_fails(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0x200);
    /* Zero everywhere: the low word and the doubleword hold the same value. */
    put(va, 0, 8);
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_D), EMULATE_DONE);
    assert_sc_fails(SC_W, va, 4);
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_W), EMULATE_DONE);
    assert_sc_fails(SC_D, va, 8);
}

/* Another hart (or device) changed the reserved memory between LR and SC. */
static void sc_after_memory_changed_fails(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x10);
    put(va, 100, 8);
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_W), EMULATE_DONE);
    put(va, 101, 4);
    assert_sc_fails(SC_W, va, 4);
    assert_int_equal(get(va, 4), 101);

    hart.x[A1] = va;
    assert_int_equal(emulate(LR_D), EMULATE_DONE);
    put(va + 7, 0x80, 1);       /* only the top byte */
    assert_sc_fails(SC_D, va, 8);

    /* Through the emulator: the hart's own store between LR and SC. */
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_W), EMULATE_DONE);
    hart.x[A2] = 7;
    assert_int_equal(emulate(0x00c58023), EMULATE_DONE);      /* sb a2,0(a1) */
    assert_sc_fails(SC_W, va, 4);
    assert_int_equal(get(va, 1), 7);
}

/* The compare is of the reserved bytes only: a write next to them, or one
 * that puts the same value back, does not make SC fail (QEMU's way). */
static void sc_compares_the_reserved_value(void **state)
{
    (void)state;
    uint64_t va = va_of(2, 0x20);
    put(va, 0x0000000900000008UL, 8);
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_W), EMULATE_DONE);
    put(va + 4, 0xdead, 4);
    hart.x[A2] = 0x1122334455667788UL;
    assert_done_one_piece(emulate(SC_W), va, 4, ACCESS_STORE);
    assert_one_write(A3, false, 0);
    assert_int_equal(get(va, 8), 0x0000dead55667788UL);

    put(va, 8, 8);
    assert_int_equal(emulate(LR_D), EMULATE_DONE);
    put(va, 9, 8);
    put(va, 8, 8);
    assert_int_equal(emulate(SC_D), EMULATE_DONE);
    assert_one_write(A3, false, 0);
    assert_int_equal(get(va, 8), 0x1122334455667788UL);
}

static void sc_faults(void **state)
{
    (void)state;
    uint64_t va = va_of(1, 0x100);
    put(va, 3, 8);
    take_snapshot();
    hart.x[A1] = va;
    hart.x[A3] = SENTINEL;
    /* Misaligned: a store/AMO address-misaligned exception, before translation. */
    static const struct { uint32_t bits; unsigned offset; } misaligned[] = {
        { SC_W, 2 }, { SC_W, 0xffe }, { SC_D, 4 }, { SC_D, 1 },
    };
    for (size_t i = 0; i < COUNT(misaligned); i++) {
        hart.x[A1] = va_of(1, misaligned[i].offset);
        assert_fault(emulate(misaligned[i].bits), CAUSE_MISALIGNED_STORE, hart.x[A1]);
        assert_int_equal(hart.translate_count, 0);
    }
    /* On a read-only page: the store's page fault, even with a reservation. */
    memory.store_fault[1] = CAUSE_STORE_PAGE_FAULT;
    hart.x[A1] = va;
    assert_int_equal(emulate(LR_D), EMULATE_DONE);
    assert_fault(emulate(SC_D), CAUSE_STORE_PAGE_FAULT, va);
    assert_translate(0, va, 8, ACCESS_STORE);
    assert_int_equal(hart.x[A3], SENTINEL);
    assert_unchanged_except(0, 0);
}

/* ---- what is not a memory access ---- */

static void other_instructions_are_unsupported(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; } cases[] = {
        { 0x00b50533, "add a0,a0,a1" },
        { 0x00858513, "addi a0,a1,8" },
        { 0x0ff0000f, "fence iorw,iorw" },
        { 0x10002573, "csrr a0,sstatus" },
        { 0x00000073, "ecall" },
        { 0x02c5f553, "fadd.d fa0,fa1,fa2" },
        { 0x0505, "c.addi a0,1" },
        { 0x852e, "c.mv a0,a1" },
        { 0x4002, "c.lwsp zero,0(sp) (reserved)" },
        { 0x1015a52f, "lr.w a0,(a1) with rs2 = 1 (reserved)" },
        { 0x0005f503, "load with funct3 7 (reserved)" },
        { 0x0005c507, "flq fa0,0(a1) (Q: not emulated)" },
    };
    uint64_t va = va_of(0, 0x100);
    hart.x[A1] = va;
    hart.res = (struct reservation){ true, va, get(va, 8), 8 };
    struct reservation before = hart.res;
    uint64_t x[32], f[32];
    memcpy(x, hart.x, sizeof(x));
    memcpy(f, hart.f, sizeof(f));
    take_snapshot();
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_int_equal(emulate(cases[i].bits), EMULATE_UNSUPPORTED);
        assert_int_equal(hart.translate_count, 0);
        assert_int_equal(hart.write_count, 0);
        assert_int_equal(hart.cause, SENTINEL);
        assert_memory_equal(&hart.res, &before, sizeof(before));
    }
    assert_memory_equal(hart.x, x, sizeof(x));
    assert_memory_equal(hart.f, f, sizeof(f));
    assert_unchanged_except(0, 0);
}

/* ---- atomicity against other harts ---- */

/* Emulated harts increment one location with amoadd or an LR/SC loop while
 * a "hardware" hart increments it with real atomics: an emulated
 * read-modify-write that is not atomic loses increments (only sometimes:
 * the tests after this one catch it every time). */
#define RACE_ROUNDS 20000
#define RACE_HARTS 2

struct racer {
    struct hart h;
    uint32_t bits;          /* the AMO, or 0 for an LR/SC loop */
    uint64_t va;
};

static bool race_over;

static void *emulated_hart(void *arg)
{
    struct racer *r = arg;
    for (unsigned i = 0; i < RACE_ROUNDS; i++) {
        r->h.x[A1] = r->va;
        if (r->bits) {
            r->h.x[A2] = 1;
            if (emulate_on(&r->h, r->bits) != EMULATE_DONE)
                abort();
            continue;
        }
        do {
            if (emulate_on(&r->h, LR_D) != EMULATE_DONE)
                abort();
            r->h.x[A2] = r->h.x[A0] + 1;
            if (emulate_on(&r->h, SC_D) != EMULATE_DONE)
                abort();
        } while (r->h.x[A3] != 0);
    }
    return NULL;
}

/* Bursts of increments with pauses between them, so that an emulated LR/SC
 * loop still gets through however many host CPUs run the harts. */
static void *hardware_hart(void *arg)
{
    uint64_t *p = arg, adds = 0;
    while (!__atomic_load_n(&race_over, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < 16; i++)
            __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
        adds += 16;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do
            clock_gettime(CLOCK_MONOTONIC, &now);
        while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 2000);
    }
    return (void *)(uintptr_t)adds;
}

/* Returns how many increments the hardware hart made. */
static uint64_t run_race(uint32_t bits, uint64_t va)
{
    static struct racer racers[RACE_HARTS];
    pthread_t emulated[RACE_HARTS], hardware;
    race_over = false;
    assert_int_equal(pthread_create(&hardware, NULL, hardware_hart, host_of(va)), 0);
    for (int i = 0; i < RACE_HARTS; i++) {
        racers[i] = (struct racer){ .bits = bits, .va = va };
        racers[i].h.mem = &memory;
        assert_int_equal(pthread_create(&emulated[i], NULL, emulated_hart, &racers[i]), 0);
    }
    for (int i = 0; i < RACE_HARTS; i++)
        assert_int_equal(pthread_join(emulated[i], NULL), 0);
    __atomic_store_n(&race_over, true, __ATOMIC_RELEASE);
    void *adds;
    assert_int_equal(pthread_join(hardware, &adds), 0);
    return (uintptr_t)adds;
}

static void amos_and_lr_sc_are_atomic_across_harts(void **state)
{
    (void)state;
    static const struct { uint32_t bits; const char *text; } cases[] = {
        { 0x00c5b52f, "amoadd.d a0,a2,(a1)" },
        { 0, "lr.d/sc.d loop" },
    };
    uint64_t va = va_of(1, 0x10);
    for (size_t i = 0; i < COUNT(cases); i++) {
        put(va, 0, 8);
        take_snapshot();
        uint64_t adds = run_race(cases[i].bits, va);
        print_message("%s: %lu emulated and %lu hardware increments\n", cases[i].text,
                      (unsigned long)RACE_HARTS * RACE_ROUNDS, (unsigned long)adds);
        assert_int_equal(get(va, 8), RACE_HARTS * RACE_ROUNDS + adds);
        assert_unchanged_except(va, 8);
    }
    /* amoadd.w: the hardware hart adds to the same word. */
    put(va, 0, 8);
    uint64_t adds = run_race(0x00c5a52f, va);
    assert_int_equal(get(va, 8), RACE_HARTS * RACE_ROUNDS + adds);
}

/* The same, made deterministic: the guest memory is a file mapped twice,
 * the emulator's view read-only. The emulator's first write to it faults;
 * the handler, as another hart would, changes the location through the
 * other mapping, between the emulator's read and its write, then lets the
 * write go on. An atomic emulation sees the change; a plain read then write
 * overwrites it. */
static uint8_t *alias;                  /* the other mapping of memory.bytes */
static uint8_t *interpose_page;         /* the read-only page of the view */
static volatile uint64_t *interpose_at; /* in alias */
static uint64_t interpose_add;
static volatile int interpose_count;

static void on_write_fault(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    uint8_t *at = info->si_addr;
    if (!interpose_page || at < interpose_page || at >= interpose_page + PAGE_SIZE) {
        signal(SIGSEGV, SIG_DFL);       /* not ours: crash on return */
        return;
    }
    *interpose_at += interpose_add;
    interpose_count++;
    mprotect(interpose_page, PAGE_SIZE, PROT_READ | PROT_WRITE);
}

static int setup_two_mappings(void **state)
{
    setup(state);
    int fd = memfd_create("guest", 0);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, PAGES * PAGE_SIZE), 0);
    uint8_t *view = mmap(NULL, PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    alias = mmap(NULL, PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(view != MAP_FAILED && alias != MAP_FAILED);
    memcpy(view, memory.bytes, PAGES * PAGE_SIZE);
    free(memory.bytes);
    memory.bytes = view;
    return 0;
}

static int teardown_two_mappings(void **state)
{
    (void)state;
    signal(SIGSEGV, SIG_DFL);
    interpose_page = NULL;
    munmap(memory.bytes, PAGES * PAGE_SIZE);
    munmap(alias, PAGES * PAGE_SIZE);
    return 0;
}

/* The next write to va's page adds add to the width-byte value at va first. */
/* A 4-byte location is the low word of the 8 bytes at va: the sums in these
 * tests stay below 2^32. */
static void interpose_before_next_write(uint64_t va, uint64_t add)
{
    interpose_page = host_of(va & ~(PAGE_SIZE - 1));
    interpose_at = (volatile uint64_t *)(alias + (va - GUEST_BASE));
    interpose_add = add;
    interpose_count = 0;
    /* Here, not in the setup: cmocka sets its own handler around each test. */
    struct sigaction sa = { .sa_sigaction = on_write_fault, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
    assert_int_equal(mprotect(interpose_page, PAGE_SIZE, PROT_READ), 0);
}

static void amo_sees_a_write_between_its_read_and_write(void **state)
{
    (void)state;
    static const struct amo_case cases[] = {
        /* old, src, new: new is computed from old + 1000, the value the AMO
         * finds once the other hart has written. */
        { 0x00c5b52f, "amoadd.d", 8, 100, 1, 1101 },
        { 0x00c5a52f, "amoadd.w", 4, 100, 1, 1101 },
        { 0x08c5b52f, "amoswap.d", 8, 100, 7, 7 },
        { 0xe0c5a52f, "amomaxu.w", 4, 100, 1050, 1100 },
        { 0x80c5b52f, "amomin.d", 8, 100, 1050, 1050 },
    };
    uint64_t va = va_of(2, 0x48);
    for (size_t i = 0; i < COUNT(cases); i++) {
        put(va, cases[i].old, 8);
        take_snapshot();
        hart.x[A1] = va;
        hart.x[A2] = cases[i].src;
        interpose_before_next_write(va, 1000);
        assert_done_one_piece(emulate(cases[i].bits), va, cases[i].width, ACCESS_STORE);
        assert_int_equal(interpose_count, 1);
        /* rd: the value the AMO replaced, the other hart's. */
        assert_one_write(A0, false, cases[i].old + 1000);
        assert_int_equal(get(va, 8), cases[i].new);
        assert_unchanged_except(va, 8);
    }
}

static void sc_fails_after_a_write_between_its_read_and_write(void **state)
{
    (void)state;
    static const struct { uint32_t lr, sc; unsigned width; } pairs[] = {
        { LR_D, SC_D, 8 }, { LR_W, SC_W, 4 },
    };
    uint64_t va = va_of(2, 0x50);
    for (size_t i = 0; i < COUNT(pairs); i++) {
        put(va, 100, 8);
        hart.x[A1] = va;
        hart.x[A2] = 555;
        assert_int_equal(emulate(pairs[i].lr), EMULATE_DONE);
        take_snapshot();
        interpose_before_next_write(va, 1000);
        assert_done_one_piece(emulate(pairs[i].sc), va, pairs[i].width, ACCESS_STORE);
        assert_int_equal(interpose_count, 1);
        assert_one_write(A3, false, 1);
        assert_int_equal(get(va, 8), 1100);
        assert_false(hart.res.valid);
        assert_unchanged_except(va, 8);
    }
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(loads_extend_by_width),
        TEST(loads_add_the_immediate),
        TEST(load_into_x0_calls_write_reg_with_x0),
        TEST(load_with_rd_equal_to_rs1),
        TEST(load_based_on_x0),
        TEST(stores_write_the_low_bytes),
        TEST(stores_add_the_immediate),
        TEST(store_of_x0_writes_zero),
        TEST(flw_nan_boxes),
        TEST(fld_loads_all_64_bits),
        TEST(fp_stores_read_the_fp_file),
        TEST(compressed_loads_and_stores),
        TEST(misaligned_inside_a_page),
        TEST(misaligned_loads_across_pages),
        TEST(misaligned_stores_across_pages),
        TEST(misaligned_access_whose_second_page_faults),
        TEST(misaligned_access_whose_first_page_faults),
        TEST(faults_carry_the_translation_cause),
        TEST(amos_update_memory_and_return_the_old_value),
        TEST(amo_into_x0),
        TEST(misaligned_amos),
        TEST(amo_faults),
        TEST(lr_reserves_and_sign_extends),
        TEST(lr_faults),
        TEST(sc_after_lr_succeeds),
        TEST(sc_without_reservation_fails),
        TEST(sc_at_another_address_fails),
        TEST(sc_of_another_width_fails),
        TEST(sc_after_memory_changed_fails),
        TEST(sc_compares_the_reserved_value),
        TEST(sc_faults),
        TEST(other_instructions_are_unsupported),
        TEST(amos_and_lr_sc_are_atomic_across_harts),
        cmocka_unit_test_setup_teardown(amo_sees_a_write_between_its_read_and_write,
                                        setup_two_mappings, teardown_two_mappings),
        cmocka_unit_test_setup_teardown(sc_fails_after_a_write_between_its_read_and_write,
                                        setup_two_mappings, teardown_two_mappings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
