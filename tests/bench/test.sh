#!/bin/sh
# /test.sh of the benchmark initramfs (tools/bench packs it with /bench): runs
# /bench with the arguments given as lodger.bench=A,B,... on the kernel
# command line, so that one initramfs serves every boot of the suite.
dmesg -n 1
args=$(sed -n 's/.*lodger\.bench=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
echo "=== bench begin ==="
/bench --settle $args
echo "=== bench end: status $? ==="
