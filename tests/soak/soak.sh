#!/bin/sh
# /test.sh of the soak initramfs (make soak-multi, tools/soak-multi): a short
# workload of timing-independent results, as tests/linux/test.sh prints them.
# With soak.p=P on the command line (percent, default 50), each boot reboots
# with probability P at a random step of the workload, after a random delay
# (the VM restarts: lodger zeroes its RAM and boots it again, this script
# deciding afresh); otherwise it finishes and powers off. soak.p=0 (the
# native reference run) never reboots.
dmesg -n 1
p=$(sed -n 's/.*soak\.p=\([0-9]*\).*/\1/p' /proc/cmdline)
p=${p:-50}
# busybox ash's RANDOM is seeded from the clock and pid: each boot differs
# (without it, the hundredths of /proc/uptime).
# rand N sets r to 0..N-1 (not in a subshell: RANDOM's state must advance).
rand() { v=${RANDOM:-1$(cut -d. -f2 /proc/uptime | cut -d' ' -f1)}; r=$((v % $1)); }
at=-1
rand 100
[ "$r" -lt "$p" ] && rand 7 && at=$r
step=0
maybe_reboot() {
    if [ "$step" -eq "$at" ]; then
        rand 300; i=0
        while [ $i -lt $r ]; do i=$((i + 1)); done
        echo "soak: rebooting at step $step"
        reboot -f
        sleep 60    # reboot -f does not return
    fi
    step=$((step + 1))
}
echo "=== begin: soak ==="
maybe_reboot
echo "case uname: $(uname -srm)"
echo "case cpus: $(grep -c ^processor /proc/cpuinfo)"
maybe_reboot
echo "case fork_exec: $(for i in 1 2 3 4 5 6 7 8; do /bin/echo -n "$i "; done)"
maybe_reboot
echo "case pipes: $(seq 1 2000 | sort -rn | head -3 | tr '\n' ' ')"
maybe_reboot
echo "case md5_4MiB: $(dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum)"
maybe_reboot
echo "case awk: $(seq 1 20000 | awk '{ s += $1 * $1 } END { print s }')"
maybe_reboot
echo "case tmpfs: $(dd if=/dev/zero of=/tmp/f bs=64k count=32 2>/dev/null; cp /tmp/f /tmp/g; cmp /tmp/f /tmp/g && echo same; rm /tmp/f /tmp/g)"
maybe_reboot
echo "case dmesg_clean: $(dmesg | grep -c -E 'WARNING|BUG|Oops|rcu.*stall|Call Trace')"
echo "=== end: PASS ==="
