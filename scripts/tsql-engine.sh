#!/usr/bin/env bash
# The T-SQL engine for tests: Babelfish for PostgreSQL, prebuilt in ../shared/babelfish (see its
# README). Unpacks it into a temporary directory, starts it on a free loopback port and prints
# `export MSSQL_TEST_CONNECTION=...` and `export TSQL_ENGINE_DIR=...` for eval.
#
#   eval "$(scripts/tsql-engine.sh start)"   # then npm test runs every suite on both engines
#   scripts/tsql-engine.sh stop "$TSQL_ENGINE_DIR"
set -euo pipefail
cmd=${1:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BABELFISH_DIR=${BABELFISH_DIR:-$here/../shared/babelfish}

case "$cmd" in
  stop)
    dir=${2:?usage: tsql-engine.sh stop DIR}
    [ -x "$dir/pg/start.sh" ] && "$dir/pg/start.sh" stop "$dir/data" >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 0 ;;
  start) ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac

tarball=$(ls "$BABELFISH_DIR"/babelfish-*.tar.zst 2>/dev/null | head -n 1 || true)
[ -n "$tarball" ] || { echo "tsql-engine: no Babelfish tarball in $BABELFISH_DIR" >&2; exit 1; }
command -v zstd >/dev/null 2>&1 || { echo "tsql-engine: zstd is needed to unpack $tarball (apt-get install zstd)" >&2; exit 1; }

dir=$(mktemp -d /tmp/tsql-engine.XXXXXX)
chmod 755 "$dir"   # the cluster's owner (a system user when run as root) must traverse it
tar --zstd -xf "$tarball" -C "$dir"

# Two free loopback ports in a row: TDS and PostgreSQL's own.
port=$(node -e '
const net = require("net");
const free = (p) => new Promise((ok) => { const s = net.createServer().once("error", () => ok(false)).listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
(async () => { for (let i = 0; i < 200; i++) { const p = 20000 + Math.floor(Math.random() * 20000); if ((await free(p)) && (await free(p + 1))) { console.log(p); return; } } process.exit(1); })();
')
if ! out=$("$dir/pg/start.sh" start "$dir/data" "$port" 2>"$dir/start.log"); then
  cat "$dir/start.log" >&2
  [ -f "$dir/data/logfile" ] && tail -n 30 "$dir/data/logfile" >&2
  echo "tsql-engine: Babelfish did not start" >&2
  exit 1
fi
connection=$(printf '%s\n' "$out" | grep '^Server=' | tail -n 1)
[ -n "$connection" ] || { echo "tsql-engine: no connection string from start.sh: $out" >&2; exit 1; }
printf 'export MSSQL_TEST_CONNECTION=%q\nexport TSQL_ENGINE_DIR=%q\n' "$connection" "$dir"
