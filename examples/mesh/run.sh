#!/usr/bin/env bash
# weft demo --mesh: the whole mesh on this machine, no Kubernetes. The control plane (policies
# from examples/policies/, registry from examples/registry.yaml, its CA), and every workload of
# the registry as a sample service with a Weft sidecar on its own loopback address. Each sidecar
# gets its certificate from the CA and its config over xDS; sidecars talk mutual TLS.
# Ctrl-C stops everything this script started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEFT="$ROOT/weft"
DIR="$(mktemp -d /tmp/weft-mesh.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$WEFT" build >/dev/null 2>&1 || "$WEFT" build
mkdir -p "$DIR/policies" "$DIR/tokens" "$DIR/logs"
cp "$ROOT/examples/registry.yaml" "$DIR/registry.yaml"
cp "$ROOT"/examples/policies/*.yaml "$DIR/policies/"
"$WEFT" ca init --out "$DIR/ca" >/dev/null

# The workloads of the registry: name namespace address serviceAccount port.
WORKLOADS=(
  "productpage-1 default 127.0.0.10 productpage 9080"
  "reviews-v1 default 127.0.0.11 reviews 9080"
  "reviews-v2 default 127.0.0.12 reviews 9080"
  "reviews-v3 default 127.0.0.13 reviews 9080"
  "ratings-1 default 127.0.0.14 ratings 9090"
)
: > "$DIR/tokens.yaml"
for w in "${WORKLOADS[@]}"; do
  read -r name ns addr sa port <<<"$w"
  token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s' "$token" > "$DIR/tokens/$name"
  printf -- '- {token: %s, namespace: %s, serviceAccount: %s}\n' "$token" "$ns" "$sa" >> "$DIR/tokens.yaml"
done

"$WEFT" control-plane --config "$DIR" >"$DIR/logs/control-plane.log" 2>&1 &
PIDS+=($!)

for w in "${WORKLOADS[@]}"; do
  read -r name ns addr sa port <<<"$w"
  "$WEFT" bench upstream --host "$addr" --port "$port" --threads 1 >"$DIR/logs/$name-app.log" 2>&1 &
  PIDS+=($!)
  sed -e "s/id: reviews.default/id: $name.$ns/" -e "s/cluster: reviews/cluster: $name/" \
      -e "s/{ namespace: default, workload: reviews }/{ namespace: $ns, workload: $name }/" \
      -e "s/address: 127.0.0.1, port_value: 15000/address: $addr, port_value: 15000/" \
      "$ROOT/examples/bootstrap/sidecar-xds.yaml" > "$DIR/$name.yaml"
  "$WEFT" proxy --bootstrap "$DIR/$name.yaml" --concurrency 1 \
      --identity "spiffe://cluster.local/ns/$ns/sa/$sa" --ca-address 127.0.0.1:15012 \
      --ca-root "$DIR/ca/root-cert.pem" --ca-token "$DIR/tokens/$name" >"$DIR/logs/$name-sidecar.log" 2>&1 &
  PIDS+=($!)
done

echo "waiting for the sidecars to be ready (config and certificate from the control plane)..."
for w in "${WORKLOADS[@]}"; do
  read -r name ns addr sa port <<<"$w"
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://$addr:15000/ready" && break
    sleep 0.5
  done
  curl -fs -o /dev/null "http://$addr:15000/ready" || { echo "$name's sidecar is not ready; see $DIR/logs/" >&2; exit 1; }
done

cat <<MSG
The mesh is up (files and logs in $DIR). Each workload's app and sidecar share its address;
sidecars listen on 15001 (outbound), 15006 (inbound, mTLS) and 15000 (admin). Try:

  # productpage calls reviews through its sidecar: 90 % v1, 10 % v3 (examples/policies/reviews.yaml)
  curl -i -H 'Host: reviews' http://127.0.0.10:15001/reviews/1
  curl -i -H 'Host: reviews' -H 'end-user: jason' http://127.0.0.10:15001/reviews/1   # always v2
  # reviews only admits productpage's identity (examples/policies/authorization.yaml): 403 from ratings
  curl -i -H 'Host: reviews' http://127.0.0.14:15001/reviews/1
  # which reviews version served: each sidecar's inbound requests
  for a in 11 12 13; do curl -s http://127.0.0.\$a:15000/stats/prometheus | grep 'weft_http_requests_total{cluster="inbound'; done
  # edit a policy and watch it apply within moments (weft policy validate checks it first)
  \$EDITOR $DIR/policies/reviews.yaml

Ctrl-C stops everything.
MSG
wait
