/* Host tests for src/sbi/dbcn.c: the SBI Debug Console extension (SBI spec
 * ch. 12), linked with stand-ins for guest memory and the console. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "sbi/sbi.h"
#include "sbi/sbi_defs.h"
#include "core/vm.h"

/* Guest RAM: 1 MiB at guest-physical RAM_GPA. */
#define RAM_GPA 0x80000000UL
#define RAM_SIZE (1UL << 20)
static char ram[RAM_SIZE];
static unsigned long written, write_calls;
static const char *written_from;
/* The console's answer: it takes at most this many bytes of a write that
 * may be refused (a VM whose backlog is full, core/console_mux.h). */
static unsigned long console_takes = ~0UL;
static bool last_may_refuse;

/* The dbcn read's note to core/patch.c: what it named, and what the
 * guest's memory held there by then (the copy of a patched page must go
 * after the write: a copy made meanwhile holds what was written). */
static uint64_t noted_gpa, noted_len;
static char noted_bytes[16];
void patch_guest_wrote(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    (void)v;
    noted_gpa = gpa;
    noted_len = len;
    memcpy(noted_bytes, ram + (gpa - RAM_GPA), len < 16 ? len : 16);
}

void *vm_gpa_to_host(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    (void)vm;
    if (gpa < RAM_GPA || gpa - RAM_GPA > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_GPA))
        return NULL;
    return ram + (gpa - RAM_GPA);
}

unsigned long board_sbi_console_write(struct vm *vm, const char *s, unsigned long len,
                                      bool may_refuse)
{
    (void)vm;
    if (may_refuse && len > console_takes)
        len = console_takes;
    written += len;
    written_from = s;
    write_calls++;
    last_may_refuse = may_refuse;
    return len;
}

static const char *typed = "";

int console_vm_getchar(int vm)
{
    (void)vm;
    return *typed ? (unsigned char)*typed++ : -1;
}

static struct vm vm;
static struct vcpu vcpu = { .vm = &vm };

static struct sbiret console_write(unsigned long len, uint64_t gpa)
{
    struct sbi_call call = { .eid = SBI_EXT_DBCN, .fid = SBI_DBCN_CONSOLE_WRITE,
                             .arg = { len, gpa, 0 } };
    written = write_calls = 0;
    written_from = NULL;
    return sbi_ext_dbcn.call(&vcpu, &call);
}

/* A short write goes out whole. */
static void test_short_write_whole(void **state)
{
    (void)state;
    struct sbiret r = console_write(100, RAM_GPA + 8);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, 100);
    assert_int_equal(written, 100);
    assert_ptr_equal(written_from, ram + 8);
}

/* A write of all of RAM writes one bounded chunk and says so (SBI 12.1:
 * the count written may be less than asked); the guest goes on from there. */
static void test_large_write_partial(void **state)
{
    (void)state;
    struct sbiret r = console_write(RAM_SIZE, RAM_GPA);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_true(r.value > 0);
    assert_int_equal(r.value, SBI_DBCN_WRITE_MAX);
    assert_int_equal(written, SBI_DBCN_WRITE_MAX);
    unsigned long total = (unsigned long)r.value, calls = 1;
    while (total < RAM_SIZE) {
        r = console_write(RAM_SIZE - total, RAM_GPA + total);
        assert_int_equal(r.error, SBI_SUCCESS);
        assert_true(r.value > 0 && (unsigned long)r.value <= SBI_DBCN_WRITE_MAX);
        assert_ptr_equal(written_from, ram + total);
        total += (unsigned long)r.value;
        calls++;
    }
    assert_int_equal(total, RAM_SIZE);
    assert_int_equal(calls, RAM_SIZE / SBI_DBCN_WRITE_MAX);
}

/* Exactly the chunk, and one byte more. */
static void test_chunk_edges(void **state)
{
    (void)state;
    assert_int_equal(console_write(SBI_DBCN_WRITE_MAX, RAM_GPA).value, SBI_DBCN_WRITE_MAX);
    assert_int_equal(console_write(SBI_DBCN_WRITE_MAX + 1, RAM_GPA).value, SBI_DBCN_WRITE_MAX);
    assert_int_equal(console_write(0, RAM_GPA).value, 0);
}

/* A buffer that leaves RAM is refused whole, even if its first chunk is in
 * RAM: nothing is written. */
static void test_bad_buffer(void **state)
{
    (void)state;
    struct sbiret r = console_write(RAM_SIZE + 1, RAM_GPA);
    assert_int_equal(r.error, SBI_ERR_INVALID_PARAM);
    assert_int_equal(write_calls, 0);
    r = console_write(16, RAM_GPA - 8);
    assert_int_equal(r.error, SBI_ERR_INVALID_PARAM);
    r = console_write(~0UL, RAM_GPA);
    assert_int_equal(r.error, SBI_ERR_INVALID_PARAM);
    struct sbi_call call = { .eid = SBI_EXT_DBCN, .fid = SBI_DBCN_CONSOLE_WRITE,
                             .arg = { 16, RAM_GPA, 1 } };     /* base_addr_hi */
    assert_int_equal(sbi_ext_dbcn.call(&vcpu, &call).error, SBI_ERR_INVALID_PARAM);
    assert_int_equal(write_calls, 0);
}

/* A throttled console takes fewer bytes, or none: the call succeeds and
 * says how many (SBI 12.1: "may do partial/no writes"). */
static void test_throttled_write_partial(void **state)
{
    (void)state;
    console_takes = 10;
    struct sbiret r = console_write(100, RAM_GPA);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, 10);
    assert_int_equal(written, 10);
    assert_true(last_may_refuse);
    console_takes = 0;
    r = console_write(100, RAM_GPA);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, 0);
    assert_int_equal(written, 0);
    /* write_byte blocks until written (SBI 12.3): never refused. */
    struct sbi_call call = { .eid = SBI_EXT_DBCN, .fid = SBI_DBCN_CONSOLE_WRITE_BYTE,
                             .arg = { 'x' } };
    written = 0;
    r = sbi_ext_dbcn.call(&vcpu, &call);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(written, 1);
    assert_false(last_may_refuse);
    console_takes = ~0UL;
}

/* console_read takes the VM's input, as much as there is and fits. */
static void test_read_input(void **state)
{
    (void)state;
    typed = "hello";
    struct sbi_call call = { .eid = SBI_EXT_DBCN, .fid = SBI_DBCN_CONSOLE_READ,
                             .arg = { 3, RAM_GPA + 64, 0 } };
    struct sbiret r = sbi_ext_dbcn.call(&vcpu, &call);
    assert_int_equal(r.error, SBI_SUCCESS);
    assert_int_equal(r.value, 3);
    assert_memory_equal(ram + 64, "hel", 3);
    /* core/patch.c heard of the bytes written, once they were there. */
    assert_int_equal(noted_gpa, RAM_GPA + 64);
    assert_int_equal(noted_len, 3);
    assert_memory_equal(noted_bytes, "hel", 3);
    call.arg[0] = 16;
    r = sbi_ext_dbcn.call(&vcpu, &call);
    assert_int_equal(r.value, 2);
    assert_memory_equal(ram + 64, "lo", 2);
    r = sbi_ext_dbcn.call(&vcpu, &call);
    assert_int_equal(r.value, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_write_whole),
        cmocka_unit_test(test_large_write_partial),
        cmocka_unit_test(test_chunk_edges),
        cmocka_unit_test(test_bad_buffer),
        cmocka_unit_test(test_throttled_write_partial),
        cmocka_unit_test(test_read_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
