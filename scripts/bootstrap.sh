#!/usr/bin/env bash
# Installs the system packages NetPulse needs, only when they are missing (Debian/Ubuntu).
set -euo pipefail

need=()
pkg-config --exists libssh 2>/dev/null || need+=(libssh-dev)
pkg-config --exists libssh2 2>/dev/null || need+=(libssh2-1-dev)
pkg-config --exists libpcre2-8 2>/dev/null || need+=(libpcre2-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
# The OpenAPI check installs schemathesis into a virtualenv.
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# The HTTPS test of `netpulse serve` makes a certificate with openssl and talks to the server with curl.
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
# The PostgreSQL queue's tests start a throw-away cluster (scripts/pg/start.sh) with the server's initdb.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The jump-host tests put the device's sshd in a network namespace of their own (ip netns).
[ -x /usr/sbin/ip ] || need+=(iproute2)

if [ ${#need[@]} -gt 0 ]; then
    echo "bootstrap: installing ${need[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
