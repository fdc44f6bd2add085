#!/bin/sh
# Runs inside a Linux guest (initramfs /test.sh, started by /init when the
# command line has lodger.test=1), natively and under lodger. Only
# timing-independent results are printed; tests/run-tests.py compares them.
dmesg -n 1
echo "=== begin: linux ==="
echo "case uname: $(uname -srm)"
echo "case cpus: $(grep -c ^processor /proc/cpuinfo)"
echo "case fork_exec: $(for i in 1 2 3 4 5 6 7 8; do /bin/echo -n "$i "; done)"
echo "case pipes: $(seq 1 2000 | sort -rn | head -3 | tr '\n' ' ')"
echo "case md5_16MiB: $(dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum)"
echo "case sha256_seq: $(seq 1 50000 | sha256sum)"
echo "case awk: $(seq 1 100000 | awk '{ s += $1 * $1 } END { print s }')"
# The shell's "Terminated" notices come when the job is reaped (timing):
# stderr is left out of these two.
echo "case signal: $( (sh -c 'kill -TERM $$; echo not-reached'; echo "status $?") 2>/dev/null)"
echo "case sleep: $(sleep 1 && echo slept)"
echo "case proc_self: $(readlink /proc/self/exe)"
echo "case tmpfs: $(dd if=/dev/urandom of=/tmp/f bs=64k count=64 2>/dev/null; cp /tmp/f /tmp/g; cmp /tmp/f /tmp/g && echo same; rm /tmp/f /tmp/g)"
echo "case kill_bg: $( (sleep 30 & pid=$!; kill $pid; wait $pid; echo "status $?") 2>/dev/null)"
echo "case dmesg_clean: $(dmesg | grep -c -E 'WARNING|BUG|Oops|rcu.*stall|Call Trace')"
echo "=== end: PASS ==="
