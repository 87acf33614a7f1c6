#!/bin/sh
# audit_scale.sh BUILD_DIR N...: for each N, N copies of tcp_hold (a listener, a client and its
# accepted connection: 3 TCP sockets each) in a cgroup of their own, then three rounds of
# `tcpkeep audit --cgroup` against the least an audit must read from /proc: every process's fd
# links (one `ls`) and the namespace's tcp and tcp6 tables once. Prints wall times. Needs root
# and cgroup v2.
set -eu
build=$1
shift
cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
hold=$build/tests/tool/tcp_hold
tool=$build/tools/tcpkeep
for n in "$@"; do
    name=tcpkeep-audit-scale-$$-$n
    dir=$cgroup2/$name
    mkdir "$dir"
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    exec 9<>"$fifo"  # every holder waits on this stdin until it closes
    pids=""
    i=0
    while [ "$i" -lt "$n" ]; do
        sh -c "echo \$\$ > $dir/cgroup.procs && exec $hold 4" <&9 >/dev/null &
        pids="$pids $!"
        i=$((i + 1))
    done
    sleep 2
    for round in 1 2 3; do
        start=$(date +%s.%N)
        "$tool" audit --cgroup "/$name" --worse-than 5min >/dev/null || true
        middle=$(date +%s.%N)
        ls -l $(sed 's|.*|/proc/&/fd|' "$dir/cgroup.procs") >/dev/null
        cat /proc/net/tcp /proc/net/tcp6 >/dev/null
        end=$(date +%s.%N)
        awk -v n="$n" -v r="$round" -v a="$start" -v b="$middle" -v c="$end" \
            'BEGIN { printf "N=%d round %d: audit %.2f s, /proc alone %.2f s\n", n, r, b - a, c - b }'
    done
    kill $pids
    exec 9>&-
    rm -f "$fifo"
    sleep 1
    rmdir "$dir"
done
