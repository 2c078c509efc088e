#!/usr/bin/env bash
# Proves the README's start command: runs `pnpm start` (build, control plane with embedded
# Postgres, a gateway over gRPC, the demo upstream and example config), sends the curl lines it
# prints, then stops it with SIGINT as Ctrl-C would and checks that it exits cleanly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data_dir="$(mktemp -d)"
log="$(mktemp)"
cleanup() {
  [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$data_dir" "$log"
}
trap cleanup EXIT
HUBPO_DATA_DIR="$data_dir" setsid node packages/dev/dist/main.js >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 180); do
  grep -q "Hubpo is running" "$log" && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; echo "smoke: pnpm start exited early" >&2; exit 1; fi
  sleep 1
done
grep -q "Hubpo is running" "$log" || { cat "$log" >&2; echo "smoke: not running after 180 s" >&2; exit 1; }
curl_line="$(grep -o "curl -H 'authorization: Bearer hubpo-demo-key-[^']*' [^ ]*" "$log" | head -n 1)"
status_with_key="$(eval "${curl_line/curl/curl -s -o /dev/null -w '%{http_code}'}")"
status_without_key="$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/echo/hello)"
kill -INT "$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then echo "smoke: did not stop within 30 s of SIGINT" >&2; exit 1; fi
wait "$pid" || { echo "smoke: exited with an error after SIGINT" >&2; cat "$log" >&2; exit 1; }
pid=""
if [ "$status_with_key" != "200" ] || [ "$status_without_key" != "401" ]; then
  cat "$log" >&2
  echo "smoke: expected 200 with the demo key and 401 without, got $status_with_key and $status_without_key" >&2
  exit 1
fi
echo "smoke: pnpm start served the demo route (200 with key, 401 without) and stopped cleanly"
