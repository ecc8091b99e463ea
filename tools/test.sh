#!/usr/bin/env bash
# Runs every test: installs the local tools the tests start (Azurite, from tools/local; Chromium and chromedriver from
# Debian's packages for the operator page's browser tests), runs `dotnet test` on the solution and ends with one line
# "N passed, N failed". Needs the .NET 10 SDK and Node.js 20+.
set -uo pipefail
cd "$(dirname "$0")/.."

for tool in dotnet node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: '$tool' is not on PATH; install the .NET 10 SDK and Node.js 20 or later." >&2
    exit 2
  fi
done

echo "== installing Azurite (npm ci --prefix tools/local)"
if ! npm ci --prefix tools/local --no-audit --no-fund --loglevel=error; then
  echo "test.sh: npm ci in tools/local failed; the Azurite-backed tests cannot run." >&2
  exit 2
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

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

echo "== dotnet test"
dotnet test SwUpgradeFunc.slnx -c Release --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@" 2>&1 \
  | tee "$results/console.log"
status=${PIPESTATUS[0]}

# Count from the TRX files rather than from dotnet's console summary, whose wording changes between SDKs.
read -r passed failed < <(
  python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
print(passed, failed)
PY
)
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

echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
