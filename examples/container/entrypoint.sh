#!/bin/sh
# Container entrypoint: run the command with the tcpkeep shim preloaded and the policy selected.
#   ENTRYPOINT ["/usr/local/bin/tcpkeep-entrypoint"]   CMD ["your-server", "--its-flags"]
# TCPKEEP_SHIM (the library) and TCPKEEP_POLICY (the policy) override the paths below, which are
# where the Debian package installs them. A missing file is reported and the command runs anyway:
# tcpkeep must never be the reason a program does not start.
set -eu
shim=${TCPKEEP_SHIM:-/usr/lib/x86_64-linux-gnu/tcpkeep/libtcpkeep.so}
policy=${TCPKEEP_POLICY:-/etc/tcpkeep/policy.toml}

if [ ! -r "$shim" ]; then
  echo "tcpkeep-entrypoint: warning: $shim is missing; running without tcpkeep" >&2
else
  case ":${LD_PRELOAD:-}:" in
    *":$shim:"*) ;;  # already there (an entrypoint that runs another): never preload it twice
    *) LD_PRELOAD=$shim${LD_PRELOAD:+:$LD_PRELOAD}; export LD_PRELOAD ;;
  esac
  [ -r "$policy" ] || echo "tcpkeep-entrypoint: warning: policy $policy is missing; the shim will change nothing" >&2
  TCPKEEP_POLICY=$policy
  export TCPKEEP_POLICY
fi
exec "$@"
