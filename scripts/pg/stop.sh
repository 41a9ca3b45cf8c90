#!/usr/bin/env bash
# Stops the cluster scripts/pg/start.sh started (by its data folder, through pg_ctl) and removes its folder.
set -euo pipefail
dir="${1:-${NETPULSE_TEST_PG_DIR:-}}"
if [ -z "$dir" ] || [ ! -f "$dir/data/postmaster.pid" ]; then
    echo "scripts/pg/stop.sh: no running cluster in '${dir}'" >&2
    exit 0
fi
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/pg_ctl" ] && bindir="$(pg_config --bindir)"
owner="$(stat -c %U "$dir/data")"
cd "$dir"
if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
    runuser -u "$owner" -- "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
else
    "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
fi
case "$dir" in
*/netpulse-pg.*) rm -rf "$dir" ;;
esac
