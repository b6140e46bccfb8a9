#!/usr/bin/env bash
# weft demo: a sample service on 127.0.0.1:8080 and a Weft sidecar in front of it
# (HTTP on 15001, TCP on 15002, admin on 15000). Ctrl-C stops both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEFT="$ROOT/weft"

"$WEFT" build >/dev/null 2>&1 || "$WEFT" build
"$WEFT" bench upstream --port 8080 >/tmp/weft-demo-upstream.log 2>&1 &
UPSTREAM_PID=$!
trap 'kill "$UPSTREAM_PID" 2>/dev/null || true' EXIT

cat <<MSG
Sample service (fixed 100-byte response) on 127.0.0.1:8080, pid $UPSTREAM_PID.
Starting the sidecar with examples/bootstrap/sidecar.yaml. Try, in another terminal:

  curl -i http://127.0.0.1:15001/hello                       # HTTP/1.1 through the sidecar
  curl -i --http2-prior-knowledge http://127.0.0.1:15001/     # h2c through the sidecar
  curl -i http://127.0.0.1:15001/healthz                      # a direct response from the sidecar
  curl -s http://127.0.0.1:15000/clusters                     # admin: endpoints and their stats
  curl -s http://127.0.0.1:15000/stats/prometheus | grep weft_http
  ./weft bench --url http://127.0.0.1:15001/ --duration 5s    # load through the sidecar

MSG
"$WEFT" proxy --bootstrap "$ROOT/examples/bootstrap/sidecar.yaml"
