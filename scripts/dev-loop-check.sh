#!/usr/bin/env bash
# Checks the developer loop: `npm run start:dev` (nest start --watch) serves, and restarts the
# server after a server file changes. Usage: scripts/dev-loop-check.sh (DEV_LOOP_TIMEOUT, seconds,
# bounds the whole check; default 180). The edited file is restored byte for byte on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."

TIMEOUT="${DEV_LOOP_TIMEOUT:-180}"
EDITED=src/health/health.controller.ts
READY='Tickerboard is running'

started=$SECONDS
deadline=$((SECONDS + TIMEOUT))
work="$(mktemp -d "${TMPDIR:-/tmp}/tickerboard-dev-loop.XXXXXX")"
log="$work/start-dev.log"
backup="$work/$(basename "$EDITED")"
cp -p "$EDITED" "$backup"
group=''

fail() {
  echo "dev-loop check FAILED: $*" >&2
  if [ -s "$log" ]; then
    echo "---- last lines of npm run start:dev ----" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

stop_group() {
  [ -n "$group" ] || return 0
  kill -TERM -- "-$group" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$group" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL -- "-$group" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop_group
  if ! cmp -s "$backup" "$EDITED"; then
    cp -p "$backup" "$EDITED"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

port="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")"
health="http://127.0.0.1:$port/api/health"

ready_count() { grep -c "$READY" "$log" 2>/dev/null || true; }
server_pid() { pgrep -g "$group" -f 'dist/main' 2>/dev/null | head -n 1 || true; }
healthy() { curl -fsS --max-time 2 "$health" 2>/dev/null | grep -q '"status":"ok"'; }

# Waits until the server has announced itself `want` times and /api/health answers.
wait_ready() {
  local want=$1 what=$2
  until [ "$(ready_count)" -ge "$want" ] && healthy; do
    kill -0 -- "-$group" 2>/dev/null || fail "npm run start:dev exited while waiting for $what"
    [ "$SECONDS" -lt "$deadline" ] || fail "no $what within ${TIMEOUT}s"
    sleep 0.3
  done
}

# Its own process group (setsid), so stopping it also stops the `node dist/main` Nest spawns.
setsid env PORT="$port" HOST=127.0.0.1 CLIENT=off BACKFILL=false DATA_DIR="$work/data" \
  npm run start:dev >"$log" 2>&1 </dev/null &
group=$!

wait_ready 1 "first start on port $port"
first_pid="$(server_pid)"
boot=$((SECONDS - started))
echo "dev-loop: server up on port $port after ${boot}s (pid ${first_pid:-?})"

edit_at=$SECONDS
printf '// dev-loop check %s\n' "$(date +%s%N)" >>"$EDITED"
wait_ready 2 "restart after editing $EDITED"
second_pid="$(server_pid)"
if [ -n "$first_pid" ] && [ "$first_pid" = "$second_pid" ]; then
  fail "the server announced a restart but pid $first_pid is still the one serving"
fi
echo "dev-loop: restarted after editing $EDITED in $((SECONDS - edit_at))s (pid ${second_pid:-?})"

cp -p "$backup" "$EDITED"
stop_group
group=''
cmp -s "$backup" "$EDITED" || fail "$EDITED was not restored"
echo "dev-loop: OK in $((SECONDS - started))s"
