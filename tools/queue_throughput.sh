#!/usr/bin/env bash
# Jobs per minute of the Redis job queue (docs/scale-out.md) on this machine's CPUs: a private
# redis-server on a free loopback port, one `fluxgen serve --queue` front end, N `fluxgen worker`s
# (one CPU thread each) on the tiny test models, and JOBS txt2img requests from 16 concurrent
# clients, for each N given.
#   tools/queue_throughput.sh [BUILD_DIR] [JOBS] [N ...]     (defaults: build 40 1 2 4)
# Prints a Markdown table row per N. Needs redis-server, redis-cli, curl and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
jobs="${2:-40}"
shift $(( $# > 2 ? 2 : $# )) || true
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(1 2 4)
fluxgen="$build/fluxgen"
[ -x "$fluxgen" ] || { echo "queue_throughput: no $fluxgen (build the fluxgen target)" >&2; exit 1; }
for p in redis-server redis-cli curl python3; do
  command -v "$p" >/dev/null || { echo "queue_throughput: $p not found (apt-get install redis-server curl python3)" >&2; exit 1; }
done

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_line() {  # FILE REGEX: until the file has a matching line (60 s)
  for _ in $(seq 600); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "queue_throughput: timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

fixtures="$root/tests/fixtures"
models="$work/models"
mkdir -p "$models"/{Stable-diffusion,VAE,text_encoder}
ln -s "$fixtures/flux_e2e.safetensors" "$models/Stable-diffusion/"
ln -s "$fixtures/ae.safetensors" "$models/VAE/"
ln -s "$fixtures/clip_l.safetensors" "$fixtures/t5xxl.safetensors" "$models/text_encoder/"

rport="$(free_port)"
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ "$(redis-cli -p "$rport" PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
url="redis://127.0.0.1:$rport"
"$fluxgen" serve --port 0 --models-dir "$models" --queue "$url" --queue-size 1000 >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
wait_line "$work/serve.out" 'listening on'
port="$(sed -nE 's/.*http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$work/serve.out" | head -1)"
body='{"prompt":"a red fox in the snow","steps":20,"width":64,"height":64,"seed":SEED}'

echo "| workers | jobs | seconds | jobs/minute |"
echo "|---|---|---|---|"
for n in "${counts[@]}"; do
  wpids=()
  for i in $(seq "$n"); do
    "$fluxgen" --threads 1 worker --queue "$url" --models-dir "$models" --name "w$n-$i" >"$work/w$n-$i.out" 2>"$work/w$n-$i.log" &
    wpids+=($!)
    wait_line "$work/w$n-$i.out" 'ready'
  done
  # One job per worker first, so that model loading is not counted.
  seq "$n" | xargs -P "$n" -I{} curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/sdapi/v1/txt2img" -d "${body/SEED/0}"
  start=$(date +%s.%N)
  seq "$jobs" | xargs -P 16 -I{} sh -c "curl -sf -o /dev/null -X POST http://127.0.0.1:$port/sdapi/v1/txt2img -d '${body/SEED/\{\}}' || echo FAILED {}" >"$work/failures"
  end=$(date +%s.%N)
  [ -s "$work/failures" ] && { echo "queue_throughput: failed requests: $(cat "$work/failures")" >&2; exit 1; }
  python3 -c "s=$end-$start; print(f'| $n | $jobs | {s:.1f} | {60*$jobs/s:.0f} |')"
  for p in "${wpids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
done
