#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server, its URL in TEST_DATABASE_URL:
#
#   scripts/with-postgres.sh cargo test --workspace
#
# Installs PostgreSQL (Debian packages) when its binaries are missing, then initdb's a cluster
# into a temporary directory, starts it on a free port of 127.0.0.1 as an unprivileged user
# (`postgres` when run as root), creates a database, runs the command, and stops and deletes
# the cluster however the command ends. With TEST_DATABASE_URL already set it starts nothing
# and runs the command against that server. `scripts/with-postgres.sh --install` only installs
# PostgreSQL when it is missing (what .ci/run does before it cuts the network).
set -euo pipefail

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  exec "$@"
fi
install_only=false
[[ "${1:-}" == "--install" ]] && install_only=true

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
BIN=$(find_bin || true)
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  echo "with-postgres: installing PostgreSQL (Debian packages)" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN=$(find_bin)
fi
if $install_only; then
  echo "with-postgres: PostgreSQL binaries in $BIN" >&2
  exit 0
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/connect-pg.XXXXXX")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_as=()
if [[ $(id -u) -eq 0 ]]; then
  # initdb refuses to run as root.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres "$DATA"
  run_as=(runuser -u postgres --)
fi

cleanup() {
  "${run_as[@]}" "$BIN/pg_ctl" -D "$DATA/cluster" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"${run_as[@]}" "$BIN/initdb" -D "$DATA/cluster" -U connect --auth=trust -E UTF8 >/dev/null
# A throwaway cluster for tests: durability across an OS crash is not needed (fsync=off); the
# server itself is never killed by the tests, so nothing acknowledged is lost.
"${run_as[@]}" "$BIN/pg_ctl" -D "$DATA/cluster" -l "$DATA/server.log" -w \
  -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
  start >/dev/null
"${run_as[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U connect connect_test

export TEST_DATABASE_URL="postgres://connect@127.0.0.1:$PORT/connect_test"
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL" >&2
"$@"
