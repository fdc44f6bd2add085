/* The tiny runtime of lodger's bare-metal test guests. A guest's output must
 * be the same natively (OpenSBI) and under lodger: print nothing that tells
 * the two apart (SBI implementation, timing). */
#ifndef LODGER_TEST_GUEST_H
#define LODGER_TEST_GUEST_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct sbiret { long error, value; };
struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
                       unsigned long a1, unsigned long a2, unsigned long a3);

void putstr(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the guest: 0 -> SBI shutdown, else shutdown with "system failure". */
void __attribute__((noreturn)) guest_exit(int status);
int guest_main(void);

/* Trap capture for tests: install with expect_trap, check with trap_taken. */
struct trap_record {
    volatile uint64_t scause, stval, sepc, sstatus;
    volatile int count;
};
extern struct trap_record last_trap;
/* When a trap arrives, skip the trapping instruction (4 bytes or 2 if compressed). */
extern volatile int trap_skip;

#define csr_read(csr) ({ unsigned long v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_) :: "memory"); v_; })
#define csr_write(csr, val) ({ __asm__ volatile("csrw " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })
#define csr_set(csr, val) ({ __asm__ volatile("csrs " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })
#define csr_clear(csr, val) ({ __asm__ volatile("csrc " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })

#define CHECK(cond) do { if (!(cond)) { gprintf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)
extern int failures;

#endif
