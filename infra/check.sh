#!/usr/bin/env sh
# Builds and lints infra/main.bicep with the Bicep CLI restored from NuGet (tools/bicep/bicep.csproj,
# package Azure.Bicep.CommandLine.linux-x64). That package runs on Linux x64 only: elsewhere (macOS, Windows,
# arm64) it uses BICEP_PATH, else `bicep` on PATH, else the copy `az bicep install` keeps in ~/.azure/bin.
# Fails on any error or warning.
# Usage: infra/check.sh [output-dir]   (the ARM JSON lands in output-dir/main.json, default: infra/bin)
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
outdir=${1:-"$root/infra/bin"}

if [ -n "${BICEP_PATH:-}" ]; then
  bicep=$BICEP_PATH
elif [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; then
  dotnet restore "$root/tools/bicep/bicep.csproj" --nologo --verbosity quiet
  version=$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$root/tools/bicep/bicep.csproj")
  packages=${NUGET_PACKAGES:-"$HOME/.nuget/packages"}
  bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
elif command -v bicep >/dev/null 2>&1; then
  bicep=$(command -v bicep)
elif [ -f "$HOME/.azure/bin/bicep" ]; then
  bicep="$HOME/.azure/bin/bicep"
else
  echo "check.sh: the NuGet Bicep CLI runs on Linux x64 only; install one (az bicep install) or set BICEP_PATH" >&2
  exit 1
fi
if [ ! -f "$bicep" ]; then
  echo "check.sh: Bicep CLI not found at $bicep" >&2
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
