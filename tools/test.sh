#!/usr/bin/env bash
# Runs every test: installs the local tools the tests start (Azurite, from tools/local, when missing or changed;
# Chromium and chromedriver from Debian's packages for the operator page's browser tests), runs `dotnet test` on the
# solution and ends with one line "N passed, N failed". Needs the .NET 10 SDK and Node.js 20+.
set -uo pipefail
cd "$(dirname "$0")/.."

for tool in dotnet node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: '$tool' is not on PATH; install the .NET 10 SDK and Node.js 20 or later." >&2
    exit 2
  fi
done

# npm ci only when tools/local/node_modules is missing or was installed from another package-lock.json (a copy of
# the lock file it was installed from is kept in node_modules as the stamp).
stamp=tools/local/node_modules/.installed-package-lock.json
if [ -d tools/local/node_modules ] && cmp -s tools/local/package-lock.json "$stamp"; then
  echo "== Azurite already installed (tools/local/node_modules matches package-lock.json)"
else
  echo "== installing Azurite (npm ci --prefix tools/local)"
  if ! npm ci --prefix tools/local --no-audit --no-fund --loglevel=error; then
    echo "test.sh: npm ci in tools/local failed; the Azurite-backed tests cannot run." >&2
    exit 2
  fi
  cp tools/local/package-lock.json "$stamp"
fi

echo "== restoring the repository's dotnet tools (PowerShell, for the hook tests)"
if ! dotnet tool restore; then
  echo "test.sh: dotnet tool restore failed; the PowerShell hook tests cannot run." >&2
  exit 2
fi

echo "== Chromium for the browser tests (Debian's chromium and chromium-driver)"
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "found $(/usr/bin/chromium --version 2>/dev/null)"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; then
    echo "test.sh: installing chromium failed; the browser tests will fail." >&2
  fi
else
  # Not fatal here: the browser tests fail and name the same command; every other test still runs.
  echo "test.sh: /usr/bin/chromium or /usr/bin/chromedriver is missing; run as root:" >&2
  echo "  apt-get update && apt-get install -y chromium chromium-driver" >&2
fi

# Results stay in TestResults/ (git-ignored) for reading after the run; only this run's files are in it.
results=TestResults
rm -rf "$results"
mkdir -p "$results"

echo "== dotnet test"
dotnet test SwUpgradeFunc.slnx -c Release --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@" 2>&1 \
  | tee "$results/console.log"
status=${PIPESTATUS[0]}

# Count from the TRX files rather than from dotnet's console summary, whose wording changes between SDKs.
# Each TRX has one <Counters total=".." passed=".." failed=".." error=".." timeout=".." aborted=".." .../> element.
counter() { # counter NAME: the sum of that attribute over every TRX file
  local sum=0 n
  for n in $(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9][0-9]*'); do
    sum=$((sum + n))
  done
  echo "$sum"
}
passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
passed=${passed:-0}
failed=${failed:-0}

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or the test host failed before any test could report: count it as a failure, never as a pass.
  failed=1
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "test.sh: no test ran." >&2
  failed=1
fi

echo "test.sh: results (TRX and console log) in $results/"
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
