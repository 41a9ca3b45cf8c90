#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL (scripts/pg/start.sh) and stops it afterwards, whatever the
# command's outcome: bash scripts/pg/with-postgres.sh swift test ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
eval "$(bash "$here/start.sh")"
trap 'bash "$here/stop.sh" "$NETPULSE_TEST_PG_DIR"' EXIT
echo "with-postgres: $NETPULSE_TEST_DATABASE_URL" >&2
"$@"
