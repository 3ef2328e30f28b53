#!/usr/bin/env bash
# Smoke run of the three benchmark harnesses (--quick): fails on errors or lost ticks, never on speed.
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
exit $status
