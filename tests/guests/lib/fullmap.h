/* An Sv57 address space in which every virtual address is mapped, for the
 * displaced_* guests (shared/DESIGN.md, "Where the first portion lives",
 * steps 3 and 4): lodger then finds no unused region for its first portion.
 *
 * Three shared tables map all 2^57 bytes: the root's 512 entries all point
 * at one level-3 table, whose 512 entries all point at one level-2 table,
 * whose 512 entries are 1 GiB leaves (RWX, A and D set) on the gigapage of
 * guest RAM at 0x80000000. So every address V is an alias of physical
 * 0x80000000 + (V mod 1 GiB); the guest's own code, data and stack at
 * 0x80200000 stay identity-mapped.
 *
 * Sv57 because lodger's host runs on the widest mode QEMU offers (Sv57) and
 * only looks for free regions among the host's canonical addresses: a
 * narrower guest mode would leave most of them unmapped, hence free. With
 * guest_levels() capped (lodger on a U74 runs on Sv39) the guest's mode is
 * that narrower mode, the host's too: Sv48 leaves out the level-3 table,
 * Sv39 both (the root holds the 1 GiB leaves), and the cases' "sv57" is
 * that mode.
 *
 * The arena: the 1 GiB-offset ARENA_OFF of every gigapage, backed by guest
 * RAM at ARENA_PA, well above the guest image and below lodger's device
 * tree at the top of the guest's 128 MiB. Physical 0x80000000-0x801fffff
 * (OpenSBI, PMP-protected natively, plain RAM under lodger) is never
 * touched. */
#ifndef LODGER_TEST_FULLMAP_H
#define LODGER_TEST_FULLMAP_H

#include "guest.h"
#include "counters.h"

#define FM_PTE_V (1UL << 0)
#define FM_PTE_RWXAD 0xcfUL        /* V R W X A D */
#define FM_PTE(pa, flags) ((((unsigned long)(pa)) >> 12) << 10 | (flags))
#define FM_GIGA (1UL << 30)
#define FM_SATP_SV57 (10UL << 60)

#define ARENA_PA 0x84000000UL
#define ARENA_OFF (ARENA_PA - 0x80000000UL)
/* The forced first-portion address (each guest's run-options): the arena's
 * alias in gigapage 1. It and the 64 KiB after it alias [ARENA_PA, +64 KiB). */
#define FORCED_VA (FM_GIGA + ARENA_OFF)
#define FIRST_PORTION_SIZE 0x10000UL

static unsigned long fm_root[512] __attribute__((aligned(4096)));
static unsigned long fm_l3[512] __attribute__((aligned(4096)));
static unsigned long fm_l2[512] __attribute__((aligned(4096)));

/* What each of the root's entries holds in the full mapping. */
static inline unsigned long fm_root_pte(void)
{
    int levels = guest_levels();
    return levels == 3 ? FM_PTE(0x80000000UL, FM_PTE_RWXAD)
                       : FM_PTE(levels == 5 ? fm_l3 : fm_l2, FM_PTE_V);
}

/* Turns on the full mapping in the widest mode the guest may use (Sv57
 * unless capped); returns whether satp kept it. */
static inline int fullmap_enable(void)
{
    int levels = guest_levels();
    for (int i = 0; i < 512; i++) {
        fm_l2[i] = FM_PTE(0x80000000UL, FM_PTE_RWXAD);
        fm_l3[i] = FM_PTE(fm_l2, FM_PTE_V);
        fm_root[i] = fm_root_pte();
    }
    unsigned long satp = (unsigned long)(5 + levels) << 60 | (unsigned long)fm_root >> 12;
    __asm__ volatile("sfence.vma" ::: "memory");
    csr_write(satp, satp);
    __asm__ volatile("sfence.vma" ::: "memory");
    return csr_read(satp) == satp;
}

static inline void fullmap_disable(void)
{
    csr_write(satp, 0);
    __asm__ volatile("sfence.vma" ::: "memory");
}

/* The arena's alias in the gigapage with Sv57 indices vpn4 (root), vpn3,
 * vpn2: sign-extended from the guest mode's top bit (56 for Sv57), so
 * canonical; a narrower mode drops the indices it does not have. */
static inline unsigned long fm_alias(unsigned vpn4, unsigned vpn3, unsigned vpn2)
{
    unsigned long va = (unsigned long)vpn4 << 48 | (unsigned long)vpn3 << 39 |
                       (unsigned long)vpn2 << 30;
    int shift = 64 - (12 + 9 * guest_levels());
    return (unsigned long)((long)(va << shift) >> shift) + ARENA_OFF;
}

/* The window: the arena mapped at another place than its aliases, through
 * private page tables (the rest of the space stays fullmap's). The
 * displaced_* guests map it where lodger's first portion is (counter 54),
 * so that their accesses there are to displaced content, on purpose. */
#define FM_WINDOW_LOW 0x2000L           /* [va - LOW, va + HIGH) -> [ARENA_PA - LOW, ...) */
#define FM_WINDOW_HIGH 0x12000L
#define FM_PRIV_TABLES 64
static unsigned long fm_priv[FM_PRIV_TABLES][512] __attribute__((aligned(4096), unused));
static int fm_priv_used __attribute__((unused));

/* Drops the window (and every private table): fullmap's mapping again. */
static inline void fm_window_unmap(void)
{
    for (int i = 0; i < 512; i++)
        fm_root[i] = fm_root_pte();
    fm_priv_used = 0;
    __asm__ volatile("sfence.vma" ::: "memory");
}

/* The table below entry e (of a table at `level`), made private with the
 * same mappings if it is shared or a leaf. */
static inline unsigned long *fm_private_table(unsigned long *e, int level)
{
    unsigned long pte = *e, *t;
    unsigned long *src = (unsigned long *)((pte >> 10) << 12);
    if (!(pte & 0xe) && src != fm_l3 && src != fm_l2)
        return src;
    if (fm_priv_used == FM_PRIV_TABLES) {
        gprintf("FAIL out of private tables\n");
        guest_exit(1);
    }
    t = fm_priv[fm_priv_used++];
    if (!(pte & 0xe)) {
        for (int i = 0; i < 512; i++)
            t[i] = src[i];
    } else {
        unsigned long pa = (pte >> 10) << 12, step = 1UL << (12 + 9 * (level - 1));
        for (int i = 0; i < 512; i++)
            t[i] = FM_PTE(pa + i * step, FM_PTE_RWXAD);
    }
    *e = FM_PTE(t, FM_PTE_V);
    return t;
}

/* The 4 KiB leaf PTE of va, in private tables. */
static inline unsigned long *fm_leaf_slot(unsigned long va)
{
    unsigned long *t = fm_root;
    for (int level = guest_levels() - 1; level > 0; level--)
        t = fm_private_table(&t[(va >> (12 + 9 * level)) & 511], level);
    return &t[(va >> 12) & 511];
}

/* The window at va (only the window: any earlier one is dropped). */
static inline void fm_window_at(unsigned long va)
{
    fm_window_unmap();
    for (long off = -FM_WINDOW_LOW; off < FM_WINDOW_HIGH; off += 0x1000)
        *fm_leaf_slot(va + off) = FM_PTE(ARENA_PA + off, FM_PTE_RWXAD);
    __asm__ volatile("sfence.vma" ::: "memory");
}

/* Where the arena is to be used now: under lodger the first portion's
 * place, with the window mapped there (its accesses are then to displaced
 * content); natively FORCED_VA, the arena's own alias (the same bytes). */
static inline unsigned long fm_follow(void)
{
    unsigned long va;
    if (!first_portion_place(&va))
        return FORCED_VA;
    fm_window_at(va);
    return va;
}

/* A 64-bit FNV-1a-style mix of one word into a running hash. */
static inline unsigned long fm_mix(unsigned long h, unsigned long v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 0x100000001b3UL;
    return h;
}
#define FM_HASH_INIT 0xcbf29ce484222325UL

/* sstatus.FS = Dirty: natively OpenSBI starts the payload with FS on,
 * lodger with FS off; each guest sets it itself. */
static inline void fm_fp_on(void) { csr_set(sstatus, SSTATUS_FS); }

#endif
