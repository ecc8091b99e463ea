#!/usr/bin/env bash
# Runs the function app locally: installs Azurite (tools/local) and, where it can, Azure Functions Core Tools;
# creates local.settings.json from the sample when it is missing; starts Azurite on 127.0.0.1 and `func start`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

for tool in dotnet node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-local.sh: '$tool' is not on PATH; install the .NET 10 SDK and Node.js 20 or later." >&2
    exit 2
  fi
done

if ! command -v func >/dev/null 2>&1; then
  echo "== Azure Functions Core Tools not found; trying: npm install -g azure-functions-core-tools@4"
  npm install -g azure-functions-core-tools@4 --no-audit --no-fund --loglevel=error || true
fi
if ! command -v func >/dev/null 2>&1; then
  cat >&2 <<'MSG'
run-local.sh: Azure Functions Core Tools (`func`) is not installed and could not be installed here.
Install version 4 and run this script again, for example:
  npm install -g azure-functions-core-tools@4        (any OS with Node.js; downloads the tools from Microsoft)
  brew tap azure/functions && brew install azure-functions-core-tools@4     (macOS)
  winget install Microsoft.Azure.FunctionsCoreTools  (Windows)
  or Microsoft's apt/yum package `azure-functions-core-tools-4` (Linux)
See https://learn.microsoft.com/azure/azure-functions/functions-run-local
MSG
  exit 3
fi

echo "== installing Azurite (npm ci --prefix tools/local)"
npm ci --prefix tools/local --no-audit --no-fund --loglevel=error

if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  echo "== created local.settings.json from local.settings.sample.json"
fi
# The triggers bind these settings by name (%...%); a local.settings.json made from an earlier sample may lack one,
# and the host would then not start that function. Missing ones are copied from the sample.
node -e '
const fs = require("fs");
const local = JSON.parse(fs.readFileSync("local.settings.json", "utf8"));
const sample = JSON.parse(fs.readFileSync("local.settings.sample.json", "utf8")).Values;
local.Values ??= {};
const added = ["NotificationsQueueName", "ReconcileSchedule", "UpgradesRetentionSchedule"].filter(k => !(k in local.Values));
for (const k of added) local.Values[k] = sample[k];
if (added.length) {
  fs.writeFileSync("local.settings.json", JSON.stringify(local, null, 2) + "\n");
  console.log("== added to local.settings.json from the sample: " + added.join(", "));
}'

mkdir -p .azurite
echo "== starting Azurite on 127.0.0.1 (blob 10000, queue 10001, table 10002; data in .azurite/)"
tools/local/node_modules/.bin/azurite --silent --skipApiVersionCheck --location .azurite \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 &
azurite_pid=$!
trap 'kill "$azurite_pid" 2>/dev/null || true' EXIT INT TERM

cd "$root/SwUpgradeFunc"
func start "$@"
