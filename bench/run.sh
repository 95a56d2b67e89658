#!/usr/bin/env bash
# One command for the side-by-side benchmark of BENCHMARKS.md:
#
#   bench/run.sh [--rounds N] [--duration SECS] [--levels 1,8,32,128] [--tenants N]
#
# On a fresh machine it installs what it needs by itself: wrk and gnuplot (Debian packages),
# atlassian-connect-express 11.x with its sqlite3 store (npm, into bench/.work/ace), and builds
# examples/bench and connect-sim in release mode. Then bench/bench.py does the measuring.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
command -v wrk >/dev/null || need_packages+=(wrk)
command -v gnuplot >/dev/null || need_packages+=(gnuplot-nox)
if ((${#need_packages[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_packages[@]}"
fi
command -v node >/dev/null || { echo "bench/run.sh needs Node.js 18+ (for atlassian-connect-express)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench/run.sh needs python3" >&2; exit 2; }

cargo build --release --example bench --example hello -p atlassian-connect
cargo build --release -p connect-sim

exec python3 bench/bench.py "$@"
