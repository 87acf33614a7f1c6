#!/bin/sh
# Cgroup mode for a running container, from the host (root): attach the keepalive policy to the
# container's cgroup, so every TCP socket its processes make from then on gets the policy, whatever
# the program (static, Go, musl/Alpine, setuid) and with nothing of tcpkeep in the image.
#   attach-container.sh [--policy FILE] CONTAINER   attach (again: replace the policy in place)
#   attach-container.sh --detach CONTAINER          detach, before the container stops
# The policy is a file on the host (default: the one `tcpkeep attach` finds, /etc/tcpkeep/policy.toml).
# Sockets that exist already keep their values: attach before the program starts its connections,
# or set those with `tcpkeep apply --pid PID`. Detach while the container runs: its cgroup goes when
# it stops, and `tcpkeep detach` needs the cgroup to find the attachment.
# DOCKER names the engine's client with its options (default `docker`; `podman` works the same way),
# TCPKEEP the tool (default `tcpkeep` from PATH).
set -eu
me=${0##*/}
docker=${DOCKER:-docker}
tcpkeep=${TCPKEEP:-tcpkeep}

usage() {
  echo "usage: $me [--policy FILE] CONTAINER | $me --detach CONTAINER" >&2
  exit 2
}
fail() {
  echo "$me: $*" >&2
  exit 2
}

action=attach
policy=
while [ $# -gt 0 ]; do
  case $1 in
    --detach) action=detach; shift ;;
    --policy) [ $# -ge 2 ] || usage; policy=$2; shift 2 ;;
    --policy=*) policy=${1#--policy=}; shift ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
container=$1
[ "$action" = attach ] || [ -z "$policy" ] || fail "--policy is for attaching, not with --detach"
[ -z "$policy" ] || [ -r "$policy" ] || fail "policy $policy: not readable on this host"

# The pid of the container's first process as the host sees it (0 when the container is stopped).
# $docker is split into words on purpose: it may carry options such as -H.
pid=$($docker inspect -f '{{.State.Pid}}' "$container") || fail "$docker inspect $container failed (no such container?)"
case $pid in
  '' | 0 | *[!0-9]*) fail "container $container is not running" ;;
esac

# Its cgroup v2 path ("0::" line). A container in no cgroup of its own (an engine using cgroup v1
# only, on a host with both hierarchies) shares an ancestor with the host: attaching there would
# cover far more than the container, so refuse.
cgroup=$(sed -n 's/^0:://p' "/proc/$pid/cgroup") || fail "cannot read /proc/$pid/cgroup (run as root on the container's host)"
mine=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -z "$cgroup" ] || [ "$cgroup" = / ] || [ "$cgroup" = "$mine" ]; then
  fail "container $container (pid $pid) has no cgroup v2 cgroup of its own (it is in '${cgroup:-none}'); cgroup mode needs the engine to use cgroup v2"
fi

if [ "$action" = detach ]; then
  exec $tcpkeep detach --pid "$pid"
fi
if [ -n "$policy" ]; then
  set -- --policy "$policy"
else
  set --
fi
exec $tcpkeep attach "$@" --pid "$pid"
