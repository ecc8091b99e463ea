#!/usr/bin/env sh
# Builds and lints infra/main.bicep with the Bicep CLI restored from NuGet (tools/bicep/bicep.csproj,
# package Azure.Bicep.CommandLine.linux-x64). Fails on any error or warning.
# Usage: infra/check.sh [output-dir]   (the ARM JSON lands in output-dir/main.json, default: infra/bin)
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
outdir=${1:-"$root/infra/bin"}

dotnet restore "$root/tools/bicep/bicep.csproj" --nologo --verbosity quiet

version=$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$root/tools/bicep/bicep.csproj")
packages=${NUGET_PACKAGES:-"$HOME/.nuget/packages"}
bicep=${BICEP_PATH:-"$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"}
if [ ! -f "$bicep" ]; then
  echo "check.sh: Bicep CLI not found at $bicep after restore" >&2
  exit 1
fi
[ -x "$bicep" ] || chmod +x "$bicep"

mkdir -p "$outdir"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
"$bicep" build "$root/infra/main.bicep" --outfile "$outdir/main.json" >"$log" 2>&1 || status=$?
"$bicep" lint "$root/infra/main.bicep" >>"$log" 2>&1 || status=$?
cat "$log"

if [ "$status" -ne 0 ]; then
  echo "check.sh: bicep build/lint failed (exit $status)" >&2
  exit 1
fi
if grep -Eq ' : (Warning|Error) ' "$log"; then
  echo "check.sh: bicep reported warnings or errors" >&2
  exit 1
fi
echo "check.sh: $("$bicep" --version): build and lint clean, ARM JSON in $outdir/main.json"
