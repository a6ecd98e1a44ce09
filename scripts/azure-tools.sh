#!/usr/bin/env bash
# The Azure toolchain checks (docs/deploy.md, "Where verification stops"), from NuGet into the
# git-ignored .tools/ folder:
#   infra    the Bicep CLI builds and lints every infra/*.bicep (0 errors, 0 warnings) into
#            test-artifacts/infra/, where test/unit/azure-template.test.ts reads the ARM JSON
#   tsql     SQL Server's own grammar (ScriptDom TSql160Parser, tools/tsql-check) parses
#            sql/azure-sql-schema.sql and every statement the T-SQL test project sent
#   client   Kiota generates a TypeScript client from openapi.json with no warning, and tsc checks it
#   all      the three; before-tests = infra, client (and tsql-check built); after-tests = tsql
#   restore  only fetch the tools and build tsql-check (.ci/run does it beside npm ci: no node needed)
# Without dotnet (a laptop), each says in one line what it skipped and how to run it, and passes;
# with INFRA_CHECKS_REQUIRED=true (.ci/run) a check that cannot run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
TOOLS=.tools
ARTIFACTS=test-artifacts
BICEP_VERSION=0.49.2
KIOTA_VERSION=1.38.0
BICEP="$TOOLS/nuget/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
TSQL_CHECK="$TOOLS/tsql-check/tsql-check"
KIOTA="$TOOLS/kiota/kiota"

have_dotnet() { command -v dotnet >/dev/null 2>&1; }

skip_or_fail() {
  if [ "${INFRA_CHECKS_REQUIRED:-false}" = "true" ]; then
    echo "azure-tools: $1 cannot run here (no dotnet) and INFRA_CHECKS_REQUIRED=true" >&2
    exit 1
  fi
  echo "Skipped (no .NET SDK): $1 — install the .NET 10 SDK and run npm run check:azure."
  exit 0
}

restore_bicep() {
  [ -x "$BICEP" ] && return
  dotnet restore tools/bicep/bicep.csproj --packages "$TOOLS/nuget" --verbosity quiet >/dev/null
  chmod +x "$BICEP"
}

restore_tsql_check() {
  # Rebuilt when its source is newer than the program.
  if [ -x "$TSQL_CHECK" ] && [ "$TSQL_CHECK" -nt tools/tsql-check/Program.cs ] && [ "$TSQL_CHECK" -nt tools/tsql-check/tsql-check.csproj ]; then return; fi
  dotnet build tools/tsql-check/tsql-check.csproj -c Release -o "$TOOLS/tsql-check" --packages "$TOOLS/nuget" \
    --verbosity quiet -nologo >/dev/null
}

restore_kiota() {
  [ -x "$KIOTA" ] && return
  dotnet tool install Microsoft.OpenApi.Kiota --version "$KIOTA_VERSION" --tool-path "$TOOLS/kiota" >/dev/null
}

check_infra() {
  restore_bicep
  mkdir -p "$ARTIFACTS/infra"
  local failed=0
  for file in infra/*.bicep; do
    local name out
    name=$(basename "$file" .bicep)
    # Every diagnostic, warning or error, fails the check: bicepconfig.json makes the core rules errors.
    if ! out=$("$BICEP" build "$file" --outfile "$ARTIFACTS/infra/$name.json" 2>&1) || [ -n "$out" ]; then
      echo "$out"
      failed=1
    fi
    if ! out=$("$BICEP" lint "$file" 2>&1) || [ -n "$out" ]; then
      echo "$out"
      failed=1
    fi
  done
  if [ "$failed" -ne 0 ]; then
    echo "check:infra: the Bicep compiler or linter found problems (above)." >&2
    exit 1
  fi
  echo "check:infra: Bicep $BICEP_VERSION build and lint of $(ls infra/*.bicep | wc -l) file(s): 0 errors, 0 warnings."
}

check_tsql() {
  restore_tsql_check
  shopt -s nullglob
  local captured=("$ARTIFACTS"/tsql/*.jsonl)
  if [ ${#captured[@]} -eq 0 ] && [ "${MSSQL_TESTS_REQUIRED:-false}" = "true" ]; then
    echo "check:tsql: no statements captured in $ARTIFACTS/tsql/: run the T-SQL test project first (npm test with MSSQL_TEST_CONNECTION)." >&2
    exit 1
  fi
  [ ${#captured[@]} -eq 0 ] && echo "check:tsql: no captured statements (the T-SQL project did not run); parsing the schema script only."
  "$TSQL_CHECK" sql/azure-sql-schema.sql "${captured[@]}"
}

check_client() {
  restore_kiota
  local out="$ARTIFACTS/kiota-client"
  local log
  rm -rf "$out"
  # Kiota's own warnings about the document (missing descriptions, unsupported shapes) fail the check.
  # Offline: no update check against GitHub (CI has no network beyond the registries).
  log=$(KIOTA_OFFLINE_ENABLED=true "$KIOTA" generate --language typescript --openapi openapi.json --output "$out" --class-name CuponerasClient \
    --namespace-name cuponeras --clean-output --log-level Warning 2>&1) || { echo "$log"; exit 1; }
  # The one warning that is not about the document: Kiota's TypeScript generator is a preview.
  if printf '%s\n' "$log" | grep -v 'TypeScript language is in preview' | grep -Eiq '\b(warn|warning|error|crit)\b'; then
    printf '%s\n' "$log"
    echo "check:client: Kiota warned about openapi.json (above)." >&2
    exit 1
  fi
  node node_modules/typescript/bin/tsc -p tools/kiota/tsconfig.json
  echo "check:client: Kiota $KIOTA_VERSION generated a TypeScript client from openapi.json with no warning; tsc accepts it."
}

case "${1:-all}" in
  before-tests)
    # Everything that needs no test run goes before jest, beside the other static checks; the
    # T-SQL parser is built now and reads the statements jest captures afterwards.
    have_dotnet || skip_or_fail "Bicep build and lint, the template's settings and roles, the T-SQL grammar check and the Kiota client"
    check_infra
    check_client
    restore_tsql_check ;;
  after-tests)
    # Without dotnet, before-tests already said what is skipped.
    if ! have_dotnet; then [ "${INFRA_CHECKS_REQUIRED:-false}" = "true" ] && skip_or_fail "the T-SQL grammar check"; exit 0; fi
    check_tsql ;;
  restore)
    have_dotnet || skip_or_fail "restoring the Bicep CLI, Kiota and the T-SQL checker"
    restore_bicep
    restore_kiota
    restore_tsql_check ;;
  infra) have_dotnet || skip_or_fail "Bicep build and lint"; check_infra ;;
  tsql) have_dotnet || skip_or_fail "the T-SQL grammar check"; check_tsql ;;
  client) have_dotnet || skip_or_fail "the Kiota client"; check_client ;;
  all)
    have_dotnet || skip_or_fail "Bicep build and lint, the T-SQL grammar check and the Kiota client"
    check_infra
    check_tsql
    check_client ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
