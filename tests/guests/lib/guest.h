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

/* The device tree the guest was booted with (a1 at entry). */
extern unsigned long guest_dt;
/* The widest paging mode (3 Sv39, 4 Sv48, 5 Sv57) the guest may use: 5, or
 * N from "guest.levels=N" in /chosen/bootargs (tools/lodger-run --append).
 * make test caps the guests natively as lodger on a U74 (Sv39) caps them. */
int guest_levels(void);
/* /chosen/bootargs of that device tree, or NULL. */
const char *guest_bootargs(void);
/* The value of key ("vm.tag=") in /chosen/bootargs, up to the next space,
 * in out (at most len - 1 bytes, always terminated); dflt when key is not
 * there. */
void guest_arg(const char *key, char *out, size_t len, const char *dflt);
/* Whether the first CPU node of the DT offers extension ext ("v", "zicboz"):
 * in riscv,isa (a letter of its base part, or a "_ext" part) or in
 * riscv,isa-extensions. */
bool dt_isa_has(const char *ext);
/* Whether the first CPU node of the DT has property prop. */
bool dt_cpu_has_prop(const char *prop);

/* Trap capture for tests: install with expect_trap, check with trap_taken. */
struct trap_record {
    volatile uint64_t scause, stval, sepc, sstatus;
    volatile int count;
};
extern struct trap_record last_trap;
/* When a trap arrives, skip the trapping instruction (4 bytes or 2 if compressed). */
extern volatile int trap_skip;
/* If non-zero, the next exception resumes there instead (then it is reset to 0). */
extern volatile uint64_t trap_resume_pc;
/* Which vector entry took the last trap: -1 direct mode, else the vectored
 * slot (0 exceptions, n interrupt cause n). */
extern volatile int trap_vector_slot;
extern volatile int trap_last_slot;
/* Called by the trap handler after recording a trap, before anything else. */
extern void (*volatile trap_hook)(void);
/* Direct-mode vector (the default) and a vectored table (stvec = it | 1). */
void guest_trap_vector(void);
void guest_trap_vector_table(void);

/* Runs fn(arg) in U-mode. The first exception from U-mode ends the run (it is
 * recorded in last_trap; an instruction-skipping return would go back to U
 * only if user_trap_continue is set); a returning fn ends with an ecall at
 * user_returned. Returns the scause of the trap that ended the run. Interrupts
 * taken in U-mode go back to U-mode. sstatus.SIE is restored afterwards. */
long run_user(void (*fn)(long), long arg);
extern volatile int user_trap_continue;
void user_returned(void);

#define SSTATUS_SIE   (1UL << 1)
#define SSTATUS_SPIE  (1UL << 5)
#define SSTATUS_UBE   (1UL << 6)
#define SSTATUS_SPP   (1UL << 8)
#define SSTATUS_VS    (3UL << 9)
#define SSTATUS_FS    (3UL << 13)
#define SSTATUS_XS    (3UL << 15)
#define SSTATUS_SUM   (1UL << 18)
#define SSTATUS_MXR   (1UL << 19)
#define SSTATUS_UXL   (3UL << 32)
#define SSTATUS_SD    (1UL << 63)
#define IRQ_SSI 1
#define IRQ_STI 5
#define IRQ_SEI 9
#define SIP_SSIP (1UL << IRQ_SSI)
#define SIP_STIP (1UL << IRQ_STI)
#define SIP_SEIP (1UL << IRQ_SEI)
#define CAUSE_INTERRUPT (1UL << 63)

/* SBI extension ids and error codes (SBI spec 1.0). */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR   0x01
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI  0x04
#define SBI_EXT_BASE  0x10
#define SBI_EXT_TIME  0x54494D45
#define SBI_EXT_IPI   0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM   0x48534D
#define SBI_EXT_SRST  0x53525354
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED -1
#define SBI_ERR_NOT_SUPPORTED -2
#define SBI_ERR_INVALID_PARAM -3

static inline struct sbiret sbi_set_timer(uint64_t when)
{
    return sbi_call(SBI_EXT_TIME, 0, when, 0, 0, 0);
}

#define csr_read(csr) ({ unsigned long v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_) :: "memory"); v_; })
#define csr_write(csr, val) ({ __asm__ volatile("csrw " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })
#define csr_set(csr, val) ({ __asm__ volatile("csrs " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })
#define csr_clear(csr, val) ({ __asm__ volatile("csrc " #csr ", %0" :: "r"((unsigned long)(val)) : "memory"); })

#define CHECK(cond) do { if (!(cond)) { gprintf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)
extern int failures;

#endif
