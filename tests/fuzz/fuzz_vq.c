/* Fuzzes the device side of a split virtqueue (src/dev/vq.c) as a hostile
 * driver would drive it: guest RAM (a small buffer, exactly its size, so
 * that ASan sees any byte read or written past it) filled from the input,
 * a queue of any size and ring addresses, then pops, pushes, interrupt
 * checks and rearms in any order, the rings rewritten between them. Every
 * segment a chain gives must lie inside RAM, and a chain never has more
 * segments than VQ_MAX_SEGS. */
#include "fuzz.h"
#include "dev/vq.h"

#define RAM_GPA 0x80000000ull
#define RAM_SIZE 0x4000u

static struct vq_chain chain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    uint8_t *ram = calloc(1, RAM_SIZE);
    struct vq_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hpa = (uintptr_t)ram };
    struct vq q = { 0 };
    /* Sizes and addresses: mostly plausible (inside RAM), sometimes anything. */
    uint8_t how = fuzz_u8(&in);
    q.num = how & 1 ? (uint16_t)fuzz_u16(&in) : (uint16_t)(1u << (fuzz_u8(&in) % 9));
    q.desc_gpa = how & 2 ? fuzz_u64(&in) : RAM_GPA + (fuzz_u16(&in) % RAM_SIZE);
    q.avail_gpa = how & 4 ? fuzz_u64(&in) : RAM_GPA + (fuzz_u16(&in) % RAM_SIZE);
    q.used_gpa = how & 8 ? fuzz_u64(&in) : RAM_GPA + (fuzz_u16(&in) % RAM_SIZE);
    q.indirect = how & 16;
    q.event_idx = how & 32;
    const char *why = NULL;
    if (vq_enable(&q, &mem, VQ_MAX_SIZE, &why) != VQ_OK) {
        FUZZ_CHECK(why != NULL && !q.ready);
        free(ram);
        return 0;
    }
    while (in.size) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 5) {
        case 0: {   /* the driver writes some bytes of its RAM */
            uint16_t at = fuzz_u16(&in) % RAM_SIZE;
            unsigned n = 1 + op / 5 % 32;
            for (unsigned i = 0; i < n && at + i < RAM_SIZE; i++)
                ram[at + i] = fuzz_u8(&in);
            break;
        }
        case 1: {
            enum vq_result r = vq_pop(&q, &chain, &why);
            if (r == VQ_BROKEN) {
                FUZZ_CHECK(why != NULL);
                free(ram);
                return 0;
            }
            if (r == VQ_OK) {
                uint64_t out = 0, inb = 0;
                FUZZ_CHECK(chain.nout + chain.nin <= VQ_MAX_SEGS);
                FUZZ_CHECK(chain.head < q.num);
                for (unsigned i = 0; i < chain.nout + chain.nin; i++) {
                    const struct io_seg *s = &chain.seg[i];
                    FUZZ_CHECK(s->len > 0 && s->pa >= mem.hpa &&
                               s->pa - mem.hpa + s->len <= RAM_SIZE);
                    *(i < chain.nout ? &out : &inb) += s->len;
                }
                FUZZ_CHECK(out == chain.out_len && inb == chain.in_len);
                uint8_t buf[64];
                vq_read_out(&chain, fuzz_u8(&in), buf, sizeof(buf));
                vq_write_in(&chain, fuzz_u8(&in), buf, sizeof(buf));
            }
            break;
        }
        case 2: vq_push(&q, (uint16_t)fuzz_u16(&in), fuzz_u32(&in)); break;
        case 3: (void)vq_should_interrupt(&q); break;
        default: (void)vq_rearm(&q); break;
        }
    }
    free(ram);
    return 0;
}
