/* Reads of the user counters (cycle, instret) for the guest, which may
 * trap: the firmware decides through mcounteren whether S-mode may read
 * them (privileged spec 3.1.11), and a denied read is an illegal
 * instruction in lodger itself. lodger_fault recognises the reading
 * instruction (counter_read_fixup) and resumes after it with a1 = 0. */
    .section .text
    .balign 4

/* struct counter_value { uint64_t value, readable; } counter_read_cycle(void) */
    .globl counter_read_cycle, counter_read_cycle_insn
counter_read_cycle:
    li a0, 0
    li a1, 1
counter_read_cycle_insn:
    csrr a0, cycle
    ret

    .globl counter_read_instret, counter_read_instret_insn
counter_read_instret:
    li a0, 0
    li a1, 1
counter_read_instret_insn:
    csrr a0, instret
    ret
