/* The registry of the board's devices that VMs' devices use (io/backend.h).
 * Filled once at boot by the drivers, before any VM is made, then only read. */
#include <stddef.h>
#include "io/backend.h"

static struct blk_backend *blk[IO_MAX_BLK];
static struct net_backend *net[IO_MAX_NET];
static unsigned blk_count, net_count;

bool io_add_blk(struct blk_backend *b)
{
    if (blk_count == IO_MAX_BLK)
        return false;
    blk[blk_count++] = b;
    return true;
}

bool io_add_net(struct net_backend *n)
{
    if (net_count == IO_MAX_NET)
        return false;
    net[net_count++] = n;
    return true;
}

unsigned io_blk_count(void) { return blk_count; }
unsigned io_net_count(void) { return net_count; }
struct blk_backend *io_blk(unsigned index) { return index < blk_count ? blk[index] : NULL; }
struct net_backend *io_net(unsigned index) { return index < net_count ? net[index] : NULL; }
