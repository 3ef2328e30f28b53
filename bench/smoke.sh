#!/usr/bin/env bash
# Smoke run of the benchmark harnesses (--quick): fails on errors or lost ticks, never on speed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
build=""
for bench in fanout rest poll-vs-push; do
  echo "== bench:$bench --quick"
  # The first harness builds Tickerboard (into bench/out/app); the others reuse that build.
  if ! timeout 600 npx tsx "bench/$bench/run.ts" --quick $build >"bench/out/smoke-$bench.log" 2>&1; then
    echo "bench:$bench failed; its log:"
    tail -40 "bench/out/smoke-$bench.log"
    status=1
  fi
  build="--no-build"
done
# bench:cluster needs nats-server and PostgreSQL (see bench/cluster/infra.ts); one node, then a
# failover of two, well under a minute.
echo "== bench:cluster --quick --steps=1-node,failover"
if ! timeout 300 npx tsx bench/cluster/run.ts --quick --steps=1-node,failover --observe-ms=10000 \
  $build >bench/out/smoke-cluster.log 2>&1; then
  echo "bench:cluster failed; its log:"
  tail -40 bench/out/smoke-cluster.log
  status=1
fi
exit $status
