#!/bin/sh
# azd postdeploy hook: registers the deployed function's callback URL with the Huawei IoT platform.
#
# azd passes the environment's values (Bicep outputs such as CALLBACK_URL, and whatever the operator set with
# `azd env set`). When SWUPGRADE_PLATFORM_URL, SWUPGRADE_APP_ID and SWUPGRADE_APP_SECRET are all present this runs
#   swupgrade subscribe --callback-url "$CALLBACK_URL" --all-upgrade-types
# (idempotent, so every deployment may run it); otherwise it says that registration was skipped.
# Optional: SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE, SWUPGRADE_CLIENT_CERT_PASSWORD (read by swupgrade itself),
# SWUPGRADE_CLI (a command to use instead of `dotnet run --project tools/swupgrade --`, e.g. a published swupgrade).
#
# The secret is never echoed: no `set -x`, and only variable names are printed.
set -eu

missing=""
for name in SWUPGRADE_PLATFORM_URL SWUPGRADE_APP_ID SWUPGRADE_APP_SECRET; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
        missing="$missing $name"
    fi
done
value=""

if [ -n "$missing" ]; then
    echo "postdeploy: Huawei IoT platform callback registration skipped: not set:$missing."
    echo "postdeploy: to register automatically, set them and deploy again (or run this script):"
    echo "postdeploy:   azd env set SWUPGRADE_PLATFORM_URL https://<platform-host>:8743"
    echo "postdeploy:   azd env set SWUPGRADE_APP_ID <appId>"
    echo "postdeploy:   azd env set SWUPGRADE_APP_SECRET <secret>"
    echo "postdeploy:   optional: SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE, SWUPGRADE_CLIENT_CERT_PASSWORD"
    exit 0
fi

if [ -z "${CALLBACK_URL:-}" ]; then
    echo "postdeploy: error: the platform settings are present but CALLBACK_URL is not (expected from the deployment outputs)." >&2
    exit 2
fi

echo "postdeploy: registering $CALLBACK_URL with the Huawei IoT platform at $SWUPGRADE_PLATFORM_URL"
if [ -n "${SWUPGRADE_CLI:-}" ]; then
    # Deliberately unquoted: SWUPGRADE_CLI may be a command with arguments, e.g. "dotnet /opt/swupgrade/swupgrade.dll".
    # shellcheck disable=SC2086
    exec $SWUPGRADE_CLI subscribe --callback-url "$CALLBACK_URL" --all-upgrade-types
fi

repo_root=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
exec dotnet run --project "$repo_root/tools/swupgrade" -- subscribe --callback-url "$CALLBACK_URL" --all-upgrade-types
