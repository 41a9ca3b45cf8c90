#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for tests and benchmarks: initdb in a new temporary folder,
# run as a non-root user (PostgreSQL refuses root), listening on 127.0.0.1 only, on a free port.
# Prints shell lines to eval:
#   eval "$(bash scripts/pg/start.sh)"   # sets NETPULSE_TEST_DATABASE_URL and NETPULSE_TEST_PG_DIR
# Stop it with scripts/pg/stop.sh "$NETPULSE_TEST_PG_DIR" (pg_ctl stop on that cluster only).
set -euo pipefail

bindir=""
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    bindir="$(pg_config --bindir)"
fi
if [ -z "$bindir" ]; then
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "scripts/pg/start.sh: no PostgreSQL server found (initdb); run scripts/bootstrap.sh" >&2
    exit 1
fi

user="${NETPULSE_PG_USER:-netpulse-pg}"
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id -u "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    as_user=(runuser -u "$user" --)
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/netpulse-pg.XXXXXX")"
chmod 0755 "$dir"
[ ${#as_user[@]} -eq 0 ] || chown "$user" "$dir"

# The server user may not be able to read the caller's folder (CI's clone under /root): work from the cluster's.
cd "$dir"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U netpulse --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}
# A throw-away cluster: durability is not needed, speed and enough connections are.
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
"${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
}
"${as_user[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U netpulse netpulse

echo "export NETPULSE_TEST_PG_DIR='$dir'"
echo "export NETPULSE_TEST_DATABASE_URL='postgres://netpulse@127.0.0.1:$port/netpulse'"
