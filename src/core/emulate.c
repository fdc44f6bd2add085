#include <string.h>
#include "core/emulate.h"
#include "arch/riscv/encoding.h"

static uint64_t page_left(uint64_t va)
{
    return PAGE_SIZE - (va & (PAGE_SIZE - 1));
}

/* Copies len bytes between guest va and buf, page by page (misaligned
 * accesses are done by the hardware on QEMU, so they are here too). */
static bool copy_guest(const struct emulate_ops *ops, uint64_t va, void *buf, unsigned len,
                       enum access_type access, uint64_t *cause, uint64_t *tval)
{
    /* Translate every piece first: a faulting store must not half-happen. */
    void *host[2];
    unsigned piece[2], pieces = 0;
    for (uint64_t at = va, left = len; left; pieces++) {
        unsigned n = (unsigned)(left < page_left(at) ? left : page_left(at));
        host[pieces] = ops->translate(ops->ctx, at, n, access, cause);
        if (!host[pieces]) {
            *tval = at;
            return false;
        }
        piece[pieces] = n;
        at += n;
        left -= n;
    }
    uint8_t *b = buf;
    for (unsigned i = 0; i < pieces; i++) {
        if (access == ACCESS_STORE)
            memcpy(host[i], b, piece[i]);
        else
            memcpy(b, host[i], piece[i]);
        b += piece[i];
    }
    return true;
}

static uint64_t extend(uint64_t value, unsigned width, bool sign)
{
    if (width == 8)
        return value;
    int shift = 64 - 8 * (int)width;
    return sign ? (uint64_t)((int64_t)(value << shift) >> shift) : value << shift >> shift;
}

static uint64_t amo_apply(enum amo_op op, uint64_t old, uint64_t src, unsigned width)
{
    int64_t so = (int64_t)extend(old, width, true), ss = (int64_t)extend(src, width, true);
    uint64_t uo = extend(old, width, false), us = extend(src, width, false);
    switch (op) {
    case AMO_SWAP: return src;
    case AMO_ADD: return old + src;
    case AMO_XOR: return old ^ src;
    case AMO_AND: return old & src;
    case AMO_OR: return old | src;
    case AMO_MIN: return so < ss ? old : src;
    case AMO_MAX: return so > ss ? old : src;
    case AMO_MINU: return uo < us ? old : src;
    default: return uo > us ? old : src;
    }
}

/* AMOs and LR/SC need natural alignment (unprivileged spec 8.4): a
 * misaligned one is an address-misaligned exception (LR: load; SC/AMO: store). */
static enum emulate_result atomic_access(const struct insn *d, const struct emulate_ops *ops,
                                         struct reservation *res, uint64_t va,
                                         uint64_t *cause, uint64_t *tval)
{
    if (va & (d->width - 1)) {
        *cause = d->kind == INSN_LR ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE;
        *tval = va;
        return EMULATE_FAULT;
    }
    enum access_type access = d->kind == INSN_LR ? ACCESS_LOAD : ACCESS_STORE;
    void *p = ops->translate(ops->ctx, va, d->width, access, cause);
    if (!p) {
        *tval = va;
        return EMULATE_FAULT;
    }
    uint64_t src = ops->read_reg(ops->ctx, d->rs2, false), old;
    if (d->kind == INSN_LR) {
        old = d->width == 4 ? (uint64_t)__atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE)
                            : __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
        *res = (struct reservation){ true, va, old, d->width };
        ops->write_reg(ops->ctx, d->rd, false, extend(old, d->width, true));
        return EMULATE_DONE;
    }
    if (d->kind == INSN_SC) {
        bool ok = res->valid && res->va == va && res->width == d->width;
        if (ok && d->width == 4) {
            uint32_t expected = (uint32_t)res->value;
            ok = __atomic_compare_exchange_n((uint32_t *)p, &expected, (uint32_t)src, false,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        } else if (ok) {
            uint64_t expected = res->value;
            ok = __atomic_compare_exchange_n((uint64_t *)p, &expected, src, false,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        }
        res->valid = false;     /* an SC always ends the reservation */
        ops->write_reg(ops->ctx, d->rd, false, ok ? 0 : 1);
        return EMULATE_DONE;
    }
    /* AMO: a compare-and-swap loop keeps it atomic against other harts. */
    if (d->width == 4) {
        uint32_t cur = __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);
        while (!__atomic_compare_exchange_n((uint32_t *)p, &cur,
                                            (uint32_t)amo_apply(d->amo, cur, src, 4), false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
        old = cur;
    } else {
        uint64_t cur = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
        while (!__atomic_compare_exchange_n((uint64_t *)p, &cur, amo_apply(d->amo, cur, src, 8),
                                            false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
        old = cur;
    }
    ops->write_reg(ops->ctx, d->rd, false, extend(old, d->width, true));
    return EMULATE_DONE;
}

enum emulate_result emulate_access(const struct insn *d, const struct emulate_ops *ops,
                                   struct reservation *res, uint64_t *cause, uint64_t *tval)
{
    uint64_t va = ops->read_reg(ops->ctx, d->rs1, false);
    switch (d->kind) {
    case INSN_LOAD: {
        va += (uint64_t)d->imm;
        uint64_t value = 0;
        if (!copy_guest(ops, va, &value, d->width, ACCESS_LOAD, cause, tval))
            return EMULATE_FAULT;
        if (d->fp && d->width == 4)
            value |= 0xffffffff00000000UL;      /* NaN-boxing (unprivileged spec 13.2) */
        else
            value = extend(value, d->width, d->sign_extend);
        ops->write_reg(ops->ctx, d->rd, d->fp, value);
        return EMULATE_DONE;
    }
    case INSN_STORE: {
        va += (uint64_t)d->imm;
        uint64_t value = ops->read_reg(ops->ctx, d->rs2, d->fp);
        return copy_guest(ops, va, &value, d->width, ACCESS_STORE, cause, tval)
                   ? EMULATE_DONE : EMULATE_FAULT;
    }
    case INSN_AMO:
    case INSN_LR:
    case INSN_SC:
        return atomic_access(d, ops, res, va, cause, tval);
    default:
        return EMULATE_UNSUPPORTED;
    }
}
