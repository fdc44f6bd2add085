/* memset, memcpy and memmove for lodger. picolibc's riscv64 versions are
 * built for size and move one byte per iteration: zeroing a page-table page
 * took 16k instructions, loading a 30 MiB kernel 150M. These move 8-byte
 * words, four (memset: eight) at a time, whenever both ends are (or can be
 * made) aligned. */
#include <stddef.h>
#include <stdint.h>

/* GCC would turn these loops back into calls to themselves. */
#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALLS void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    uint64_t w = 0x0101010101010101UL * (unsigned char)c;
    uint64_t *q = (uint64_t *)d;
    /* Eight words a time: every shadow table page is zeroed so (core/shadow_pool.c). */
    for (; n >= 64; n -= 64, q += 8) {
        q[0] = w;
        q[1] = w;
        q[2] = w;
        q[3] = w;
        q[4] = w;
        q[5] = w;
        q[6] = w;
        q[7] = w;
    }
    for (; n >= 8; n -= 8)
        *q++ = w;
    d = (unsigned char *)q;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

static NO_LIBCALLS void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *d++ = *s++;
            n--;
        }
        uint64_t *q = (uint64_t *)d;
        const uint64_t *p = (const uint64_t *)s;
        for (; n >= 32; n -= 32, q += 4, p += 4) {
            uint64_t a = p[0], b = p[1], e = p[2], f = p[3];
            q[0] = a;
            q[1] = b;
            q[2] = e;
            q[3] = f;
        }
        for (; n >= 8; n -= 8)
            *q++ = *p++;
        d = (unsigned char *)q;
        s = (const unsigned char *)p;
    }
    while (n--)
        *d++ = *s++;
}

static NO_LIBCALLS void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *--d = *--s;
            n--;
        }
        uint64_t *q = (uint64_t *)d;
        const uint64_t *p = (const uint64_t *)s;
        for (; n >= 8; n -= 8)
            *--q = *--p;
        d = (unsigned char *)q;
        s = (const unsigned char *)p;
    }
    while (n--)
        *--d = *--s;
}

NO_LIBCALLS void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

NO_LIBCALLS void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst - (uintptr_t)src >= n)
        copy_forward(dst, src, n);      /* dst before src, or no overlap */
    else
        copy_backward(dst, src, n);
    return dst;
}
