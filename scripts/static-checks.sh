#!/usr/bin/env bash
# npm test's checks before jest, side by side: each is one process on one core, so on two cores
# three lanes take about as long as the longest one instead of all of them in turn.
#   lane 1: the type checker, then the formatter (npm run lint:format). The app's own project is
#           checked by building it (npm run build): the tests' compiled-app files need dist/ and
#           would otherwise compile it a second time; then the tests' project (every file) unemitted.
#   lane 2: eslint (lint:code), then Spectral with the OWASP ruleset (lint:openapi); lint runs all three
#   lane 3: the Bicep compiler and linter (scripts/azure-tools.sh before-tests)
# Each lane's output is printed whole once all have ended, in that order; any failure fails the step.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

lane() {
  local name=$1
  shift
  (set -e; "$@") > "$logs/$name.log" 2>&1
  echo $? > "$logs/$name.rc"
}

lane types-and-format bash -c 'npm run --silent build && node_modules/.bin/tsc -p test/tsconfig.json --noEmit && npm run --silent lint:format' &
lane eslint-and-openapi bash -c 'npm run --silent lint:code && npm run --silent lint:openapi' &
lane bicep scripts/azure-tools.sh before-tests &
wait

failed=0
for name in types-and-format eslint-and-openapi bicep; do
  cat "$logs/$name.log"
  if [ "$(cat "$logs/$name.rc")" != 0 ]; then
    echo "static checks: $name failed (above)." >&2
    failed=1
  fi
done
exit "$failed"
