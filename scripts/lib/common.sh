# Shared by scripts/demo, scripts/test and scripts/bench: packages and the build.
# shellcheck shell=bash

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything a fresh Debian 12 machine needs to build and test tcpkeep.
tcpkeep_packages=(
  build-essential cmake pkg-config
  libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  python3 curl netcat-openbsd iproute2 nftables strace procps util-linux file
  nodejs openjdk-17-jdk-headless   # runtimes the shim is tested inside
  redis-server nginx-light golang-go  # daemons that rewrite their title; a cgo Go client (verify's tests)
  openssh-server                   # sshd and its re-executed session: sockets the session inherits (verify)
  groff-base                       # the man page test
  clang libclang-rt-14-dev valgrind # libFuzzer targets, leak checks
  mmdebstrap systemd-container docker.io  # real engines (label engines): a Debian rootfs, systemd-nspawn, dockerd
  liburing-dev                     # a connect made through io_uring (cgroup tests)
  bpftool libbpf-dev busybox-static  # cgroup mode: BPF skeleton and loader; a static nc to run in a cgroup
  prometheus prometheus-node-exporter  # label monitoring: promtool, and the real server and collector (tests start their own; services unused)
)

# Installs what is missing (as root, with apt-get); otherwise says what to install.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "tcpkeep: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "tcpkeep: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [TARGET...]: configure (tests and benchmarks included, so demo and test share one
# build tree without reconfiguring it back and forth), then build the targets (default: all).
# A sanitizer build (TCPKEEP_SANITIZE) leaves out the benchmarks (timings under a sanitizer mean
# nothing) and compiles at -O1 -g1 (line tables for the reports): half the compile time of -O2 -g, same reports.
# TCPKEEP_WERROR=ON makes compiler warnings errors.
build() {
  local dir=$1
  shift
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  local config=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPKEEP_BUILD_BENCH=ON)
  if [ -n "${TCPKEEP_SANITIZE:-}" ]; then
    config=(-DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1" -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1"
            -DTCPKEEP_BUILD_BENCH=OFF)
  fi
  cmake -S "$repo_root" -B "$dir" "${config[@]}" -DTCPKEEP_BUILD_TESTS=ON -DTCPKEEP_SANITIZE="${TCPKEEP_SANITIZE:-}" \
    -DTCPKEEP_WERROR="${TCPKEEP_WERROR:-OFF}" >/dev/null
  cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
}
