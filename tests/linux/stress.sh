#!/bin/sh
# /test.sh of the stress initramfs (make stress): runs the Linux test script
# (tests/linux/test.sh, here /linux-test.sh) again and again for
# lodger.stress=SECONDS of guest uptime; every run must print what the first
# printed. Ends with "stress: N runs in S s, D differing".
secs=$(sed -n 's/.*lodger\.stress=\([0-9]*\).*/\1/p' /proc/cmdline)
start=$(cut -d. -f1 /proc/uptime)
/linux-test.sh > /tmp/first 2>&1
cat /tmp/first
n=1
bad=0
while [ $(( $(cut -d. -f1 /proc/uptime) - start )) -lt "${secs:-600}" ]; do
    /linux-test.sh > /tmp/run 2>&1
    n=$((n + 1))
    if ! cmp -s /tmp/first /tmp/run; then
        bad=$((bad + 1))
        echo "stress: run $n differs from the first:"
        diff /tmp/first /tmp/run | head -20
    fi
    echo "stress: run $n done at $(cut -d' ' -f1 /proc/uptime) s"
done
echo "stress: $n runs in $(( $(cut -d. -f1 /proc/uptime) - start )) s, $bad differing"
