# azd postdeploy hook (Windows/PowerShell): registers the deployed function's callback URL with the Huawei IoT platform.
#
# azd passes the environment's values (Bicep outputs such as CALLBACK_URL, and whatever the operator set with
# `azd env set`). When SWUPGRADE_PLATFORM_URL, SWUPGRADE_APP_ID and SWUPGRADE_APP_SECRET are all present this runs
#   swupgrade subscribe --callback-url $env:CALLBACK_URL --all-upgrade-types
# (idempotent, so every deployment may run it); otherwise it says that registration was skipped.
# Optional: SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE, SWUPGRADE_CLIENT_CERT_PASSWORD (read by swupgrade itself),
# SWUPGRADE_CLI (a command to use instead of `dotnet run --project tools/swupgrade --`, e.g. a published swupgrade.exe).
#
# The secret is never echoed: no tracing, and only variable names are printed.
$ErrorActionPreference = 'Stop'
Set-PSDebug -Off

$missing = @('SWUPGRADE_PLATFORM_URL', 'SWUPGRADE_APP_ID', 'SWUPGRADE_APP_SECRET') |
    Where-Object { [string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($_)) }

if ($missing.Count -gt 0) {
    Write-Host "postdeploy: Huawei IoT platform callback registration skipped: not set: $($missing -join ' ')."
    Write-Host 'postdeploy: to register automatically, set them and deploy again (or run this script):'
    Write-Host 'postdeploy:   azd env set SWUPGRADE_PLATFORM_URL https://<platform-host>:8743'
    Write-Host 'postdeploy:   azd env set SWUPGRADE_APP_ID <appId>'
    Write-Host 'postdeploy:   azd env set SWUPGRADE_APP_SECRET <secret>'
    Write-Host 'postdeploy:   optional: SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE, SWUPGRADE_CLIENT_CERT_PASSWORD'
    exit 0
}

if ([string]::IsNullOrEmpty($env:CALLBACK_URL)) {
    Write-Error 'postdeploy: the platform settings are present but CALLBACK_URL is not (expected from the deployment outputs).' -ErrorAction Continue
    exit 2
}

Write-Host "postdeploy: registering $($env:CALLBACK_URL) with the Huawei IoT platform at $($env:SWUPGRADE_PLATFORM_URL)"
$arguments = @('subscribe', '--callback-url', $env:CALLBACK_URL, '--all-upgrade-types')
if (-not [string]::IsNullOrEmpty($env:SWUPGRADE_CLI)) {
    $cli = $env:SWUPGRADE_CLI -split ' ', 2
    if ($cli.Count -gt 1) {
        & $cli[0] ($cli[1] -split ' ') @arguments
    }
    else {
        & $cli[0] @arguments
    }
}
else {
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    & dotnet run --project (Join-Path $repoRoot 'tools/swupgrade') -- @arguments
}
exit $LASTEXITCODE
