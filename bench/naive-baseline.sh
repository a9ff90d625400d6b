#!/usr/bin/env bash
# The naive way to check a matrix, for the benchmark to compare against: one `docker run` per
# cell on the bare base image, pip-installing the cell's packages at container start, then polling
# with curl until the server answers and sending the same number of requests the harness does.
# Usage: naive-baseline.sh <apps-dir> <probes> <request-seconds> <boot-seconds> <cell-seconds> <cell>...
#   cell = base-image|uvicorn:worker-class:preload:app:pins, base-image = the bare image of the
#   cell's Python (each release may have its own), pins = the cell's lock, comma-separated
#   (name==version,...): the same packages the harness's env holds, so both run the same
#   experiment (today's latest dependencies can change what an old release does, and are fewer).
# It has the harness's patience: each curl gives up after <request-seconds>, it waits at most
# <boot-seconds> for the first answer and gives a cell <cell-seconds> in all (without them one hung
# server stops the loop for good).
# Prints one line per cell: "uvicorn:worker-class:preload:app <seconds> <http-200-count>".
set -uo pipefail
apps=$1 probes=$2 request=$3 boot=$4 cell_seconds=$5
shift 5
# pip in the container must trust what the host trusts (a TLS-intercepting proxy's CA, say).
ca="${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
for spec in "$@"; do
  image=${spec%%|*}
  cell=${spec#*|}
  IFS=: read -r uvicorn worker preload app pins <<<"$cell"
  flag=""
  [ "$preload" = "true" ] && flag="--preload"
  module="${app//-/_}:app"
  start=$(date +%s.%N)
  cell_started=$SECONDS
  id=$(docker run -d -p 127.0.0.1::8000 -v "$apps:/app:ro" -v "$ca:/host-ca.crt:ro" -e PIP_CERT=/host-ca.crt \
    --label repro-matrix.naive=true "$image" sh -c \
    "python3 -m venv /v && /v/bin/pip install -q --no-deps ${pins//,/ } && \
     /v/bin/gunicorn -w 8 -k $worker $flag -b 0.0.0.0:8000 --chdir /app $module")
  port=$(docker port "$id" 8000/tcp | head -1 | sed 's/.*://')
  ok=0
  while ((SECONDS - cell_started < boot)); do
    curl -s -m "$request" -o /dev/null "http://127.0.0.1:$port/" && break
    # The install or the server failed: no point polling a container that has exited.
    [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = "true" ] || break
    sleep 0.2
  done
  for _ in $(seq 1 "$probes"); do
    ((SECONDS - cell_started < cell_seconds)) || break
    [ "$(curl -s -m "$request" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = "200" ] && ok=$((ok + 1))
  done
  docker rm -f "$id" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$uvicorn:$worker:$preload:$app $(awk "BEGIN { print $end - $start }") $ok"
done
