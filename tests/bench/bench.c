/* lodger's benchmark workloads: a static Linux program run inside the guest
 * (tools/bench packs it into the initramfs as /bench).
 *
 *   bench NAME[=OPS]...     run these workloads, in this order
 *   bench all[=SCALE]       every workload but the I/O ones, default OPS
 *                           (SCALE 0: ops=0)
 *   bench --settle ...      first wait until the system is idle (see settle)
 *   bench --exit            exit at once (the program fork_exec runs)
 *
 * Each workload times itself with clock_gettime(CLOCK_MONOTONIC) (under QEMU
 * -icount that is virtual time) around its OPS operations only, after its
 * setup, and prints one line:
 *
 *   bench NAME ops=N ns_per_op=X [more fields]
 *
 * With ops=0 a workload still does its setup and teardown (buffers, child
 * processes), so that "ops=N minus ops=0" is exactly N operations. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096
#define MIB (1024 * 1024)

static const char *self_path = "/bench";

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* What a workload hands back: the timed span and any extra output fields. */
struct result {
    uint64_t ns;
    char extra[160];
};

static void wait_child(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: child failed (status 0x%x)\n", status);
        exit(1);
    }
}

/* getppid: a system call that does no work (and that libc does not cache). */
static void run_syscall(long ops, struct result *r)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++)
        syscall(SYS_getppid);
    r->ns = now_ns() - t0;
}

static void run_fork_exit(long ops, struct result *r)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(0);
        wait_child(pid);
    }
    r->ns = now_ns() - t0;
}

/* The child execs this same static program, which exits at once. */
static void run_fork_exec(long ops, struct result *r)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execl(self_path, self_path, "--exit", (char *)NULL);
            _exit(127);
        }
        wait_child(pid);
    }
    r->ns = now_ns() - t0;
}

/* One op = the first touch (a store) of one fresh anonymous page; mapped and
 * unmapped 1024 pages at a time, that cost included. */
static void run_page_fault(long ops, struct result *r)
{
    const long chunk = 1024;
    uint64_t t0 = now_ns();
    for (long done = 0; done < ops; done += chunk) {
        long n = ops - done < chunk ? ops - done : chunk;
        char *p = mmap(NULL, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        /* 4 KiB pages only: a transparent huge page would fault once. */
        madvise(p, n * PAGE_SIZE, MADV_NOHUGEPAGE);
        for (long i = 0; i < n; i++)
            p[i * PAGE_SIZE] = 1;
        munmap(p, n * PAGE_SIZE);
    }
    r->ns = now_ns() - t0;
}

/* One op = a one-byte round trip parent -> child -> parent over two pipes. */
static void run_pipe(long ops, struct result *r)
{
    int to_child[2], to_parent[2];
    char byte = 'x';
    if (pipe(to_child) || pipe(to_parent))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        for (long i = 0; i < ops; i++) {
            if (read(to_child[0], &byte, 1) != 1 || write(to_parent[1], &byte, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1)
            die("pipe round trip");
    }
    r->ns = now_ns() - t0;
    wait_child(pid);
    close(to_child[0]); close(to_child[1]);
    close(to_parent[0]); close(to_parent[1]);
}

/* One op = hashing 64 KiB (a multiply-xorshift over 64-bit words) that stays
 * in memory already touched: pure user-mode computation. The hash is printed
 * so that native and lodger runs can be seen to compute the same thing. */
static void run_compute(long ops, struct result *r)
{
    const size_t words = 64 * 1024 / sizeof(uint64_t);
    uint64_t *buf = malloc(words * sizeof(uint64_t));
    if (!buf)
        die("malloc");
    for (size_t i = 0; i < words; i++)
        buf[i] = i * 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull;
    uint64_t t0 = now_ns();
    for (long op = 0; op < ops; op++) {
        for (size_t i = 0; i < words; i++) {
            h ^= buf[i];
            h *= 0xff51afd7ed558ccdull;
            h ^= h >> 33;
        }
    }
    r->ns = now_ns() - t0;
    snprintf(r->extra, sizeof r->extra, " hash=%016" PRIx64, h);
    free(buf);
}

/* One op = memcpy of 1 MiB, between buffers of 4 MiB already touched. */
static void run_memcpy(long ops, struct result *r)
{
    const size_t size = 4 * MIB;
    char *src = malloc(size), *dst = malloc(size);
    if (!src || !dst)
        die("malloc");
    /* Both touched before the clock starts: a memset of zeroes into fresh
     * malloc'd memory is removed by GCC (the memory is known to be zero),
     * and dst's first 4 MiB of page faults then fell into the timed loop
     * (~10 per op, as many natively). Non-zero, and the barrier keeps it. */
    memset(src, 0x5a, size);
    memset(dst, 0xa5, size);
    __asm__ volatile("" :: "r"(src), "r"(dst) : "memory");
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        size_t off = (size_t)(i % 4) * MIB;
        memcpy(dst + off, src + (size - MIB - off), MIB);
    }
    r->ns = now_ns() - t0;
    if (ops && r->ns)
        snprintf(r->extra, sizeof r->extra, " mib_per_s=%.1f", ops * 1e9 / r->ns);
    free(src);
    free(dst);
}

/* One op = nanosleep(1 ms); ns_per_op is the mean time it really took. */
static void run_sleep(long ops, struct result *r)
{
    const struct timespec ms = { 0, 1000000 };
    uint64_t worst = 0;
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        uint64_t s = now_ns();
        nanosleep(&ms, NULL);
        uint64_t d = now_ns() - s;
        if (d > worst)
            worst = d;
    }
    r->ns = now_ns() - t0;
    if (ops)
        snprintf(r->extra, sizeof r->extra, " overshoot_us=%.1f max_us=%.1f",
                 (r->ns / (double)ops - 1e6) / 1e3, worst / 1e3);
}

/* The I/O workloads (tools/bench's throughput table): one op = 1 MiB.
 * disk_write and disk_read move the first OPS MiB of /dev/vda sequentially
 * with O_DIRECT, 1 MiB a system call (what dd oflag=direct / iflag=direct
 * bs=1M does), the write's fsync included; net_send sends OPS MiB over TCP
 * to the host's loopback through QEMU's user network (10.0.2.2, the port
 * from lodger.netport= on the command line) and waits for the listener to
 * close (it has read everything). With ops=0 each still opens its device
 * or connects. */
#define IO_CHUNK MIB

static void *io_buffer(void)
{
    void *buf;
    if (posix_memalign(&buf, PAGE_SIZE, IO_CHUNK))
        die("posix_memalign");
    for (size_t i = 0; i < IO_CHUNK; i++)
        ((unsigned char *)buf)[i] = (unsigned char)(i * 7 + (i >> 12));
    return buf;
}

static void io_extra(long ops, struct result *r)
{
    if (ops && r->ns)
        snprintf(r->extra, sizeof r->extra, " mib_per_s=%.1f", ops * 1e9 / r->ns);
}

static void run_disk(long ops, struct result *r, bool write)
{
    void *buf = io_buffer();
    int fd = open("/dev/vda", (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
    if (fd < 0)
        die("open /dev/vda");
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        ssize_t n = write ? pwrite(fd, buf, IO_CHUNK, (off_t)i * IO_CHUNK)
                          : pread(fd, buf, IO_CHUNK, (off_t)i * IO_CHUNK);
        if (n != IO_CHUNK)
            die(write ? "write /dev/vda" : "read /dev/vda");
    }
    if (write && fsync(fd))
        die("fsync /dev/vda");
    r->ns = now_ns() - t0;
    close(fd);
    free(buf);
    io_extra(ops, r);
}

static void run_disk_write(long ops, struct result *r) { run_disk(ops, r, true); }
static void run_disk_read(long ops, struct result *r) { run_disk(ops, r, false); }

static int cmdline_int(const char *key)
{
    char line[2048] = "";
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, line, sizeof line - 1);
        line[n > 0 ? n : 0] = 0;
        close(fd);
    }
    const char *p = strstr(line, key);
    return p ? atoi(p + strlen(key)) : -1;
}

static void run_net_send(long ops, struct result *r)
{
    void *buf = io_buffer();
    int port = cmdline_int("lodger.netport=");
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "bench: net_send: no lodger.netport= on the command line\n");
        exit(1);
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "10.0.2.2", &to.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to))
        die("connect 10.0.2.2");
    uint64_t t0 = now_ns();
    for (long i = 0; i < ops; i++)
        for (size_t done = 0; done < IO_CHUNK;) {
            ssize_t n = write(s, (char *)buf + done, IO_CHUNK - done);
            if (n <= 0)
                die("send");
            done += (size_t)n;
        }
    /* The listener closes when it has read everything we sent. */
    shutdown(s, SHUT_WR);
    char c;
    if (read(s, &c, 1) != 0)
        die("net_send: the listener did not close");
    r->ns = now_ns() - t0;
    close(s);
    free(buf);
    io_extra(ops, r);
}

/* Calibration: one op = 1000 iterations of a loop of exactly 12 instructions
 * (10 nops, addi, bnez), so ns_per_insn shows what one instruction costs in
 * each clock (1 ns under -icount shift=0 when nothing else runs). */
static void run_spin(long ops, struct result *r)
{
    uint64_t t0 = now_ns();
    for (long op = 0; op < ops; op++) {
        long n = 1000;
        __asm__ volatile("1: nop; nop; nop; nop; nop; nop; nop; nop; nop; nop\n"
                         "addi %0, %0, -1\n"
                         "bnez %0, 1b" : "+r"(n));
    }
    r->ns = now_ns() - t0;
    if (ops)
        snprintf(r->extra, sizeof r->extra, " ns_per_insn=%.3f", r->ns / (ops * 12000.0));
}

/* Busy and idle clock ticks so far, from /proc/stat's first line. */
static void cpu_ticks(uint64_t *busy, uint64_t *idle)
{
    char line[256] = "";
    uint64_t v[8] = { 0 };
    int fd = open("/proc/stat", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, line, sizeof line - 1);
        line[n > 0 ? n : 0] = 0;
        close(fd);
    }
    sscanf(line, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
           " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    *idle = v[3] + v[4];
    *busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* Linux keeps working in kernel threads for a while after it starts init
 * (e.g. the tracing eval maps): a workload started then shares the CPU with
 * them. Wait until three 200 ms windows in a row are at least 95% idle (at
 * most 20 s). Under -icount sleep=off idle time costs no wall time. */
static void settle(void)
{
    const struct timespec window = { 0, 200000000 };
    uint64_t t0 = now_ns(), busy0, idle0, busy1, idle1;
    int quiet = 0;
    cpu_ticks(&busy0, &idle0);
    while (quiet < 3 && now_ns() - t0 < 20000000000ull) {
        nanosleep(&window, NULL);
        cpu_ticks(&busy1, &idle1);
        uint64_t busy = busy1 - busy0, idle = idle1 - idle0;
        quiet = idle + busy > 0 && idle * 100 >= (idle + busy) * 95 ? quiet + 1 : 0;
        busy0 = busy1;
        idle0 = idle1;
    }
    printf("bench settle ms=%.0f\n", (now_ns() - t0) / 1e6);
    fflush(stdout);
}

static const struct workload {
    const char *name;
    long default_ops;
    void (*run)(long ops, struct result *r);
    bool io;        /* needs a device: not in "all" */
} workloads[] = {
    { "syscall", 5000, run_syscall, false },
    { "fork_exit", 40, run_fork_exit, false },
    { "fork_exec", 10, run_fork_exec, false },
    { "page_fault", 4096, run_page_fault, false },
    { "pipe", 1500, run_pipe, false },
    { "compute", 300, run_compute, false },
    { "memcpy", 100, run_memcpy, false },
    { "sleep", 200, run_sleep, false },
    { "spin", 10000, run_spin, false },
    { "disk_write", 256, run_disk_write, true },
    { "disk_read", 256, run_disk_read, true },
    { "net_send", 256, run_net_send, true },
};
#define WORKLOAD_COUNT (sizeof workloads / sizeof workloads[0])

static void run_one(const struct workload *w, long ops)
{
    struct result r = { 0, "" };
    w->run(ops, &r);
    printf("bench %s ops=%ld ns_per_op=%.1f%s\n", w->name, ops,
           ops ? (double)r.ns / ops : 0.0, r.extra);
    fflush(stdout);
}

static const struct workload *find(const char *name, size_t len)
{
    for (size_t i = 0; i < WORKLOAD_COUNT; i++)
        if (strlen(workloads[i].name) == len && !strncmp(workloads[i].name, name, len))
            return &workloads[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--exit"))
        return 0;
    if (argc < 2) {
        fprintf(stderr, "usage: bench [--settle] NAME[=OPS]... | all[=SCALE] | --exit\n");
        return 2;
    }
    if (argv[0][0] == '/')
        self_path = argv[0];
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--settle")) {
            settle();
            continue;
        }
        const char *eq = strchr(argv[a], '=');
        size_t len = eq ? (size_t)(eq - argv[a]) : strlen(argv[a]);
        double value = eq ? strtod(eq + 1, NULL) : -1;
        if (len == 3 && !strncmp(argv[a], "all", 3)) {
            for (size_t i = 0; i < WORKLOAD_COUNT; i++)
                if (!workloads[i].io)
                    run_one(&workloads[i], value < 0 ? workloads[i].default_ops
                                                 : (long)(workloads[i].default_ops * value));
            continue;
        }
        const struct workload *w = find(argv[a], len);
        if (!w) {
            fprintf(stderr, "bench: unknown workload '%.*s'\n", (int)len, argv[a]);
            return 2;
        }
        run_one(w, value < 0 ? w->default_ops : (long)value);
    }
    return 0;
}
