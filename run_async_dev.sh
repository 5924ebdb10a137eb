#!/usr/bin/env bash
# Start the whole receiptq system on this machine and process the sample receipts.
#   ./run_async_dev.sh            start everything, submit samples/, keep running
#   Ctrl-C                        stop what this script started, and nothing else
# Ports: API 8000, Flower 5555 (override with RECEIPTQ_DEV_API_PORT / RECEIPTQ_DEV_FLOWER_PORT).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEV="$ROOT/.dev"
API_PORT="${RECEIPTQ_DEV_API_PORT:-8000}"
FLOWER_PORT="${RECEIPTQ_DEV_FLOWER_PORT:-5555}"
cd "$ROOT"

rm -f "$DEV/started"
bash scripts/bootstrap.sh
RQ="$ROOT/.venv/bin/receiptq"
mkdir -p "$DEV/logs" "$DEV/worker-tmp"

export RECEIPTQ_API_URL="http://127.0.0.1:$API_PORT"
export RECEIPTQ_TEMP_DIR="${RECEIPTQ_TEMP_DIR:-$DEV/worker-tmp}"
export RECEIPTQ_FLOWER_BASIC_AUTH="${RECEIPTQ_FLOWER_BASIC_AUTH:-admin:receiptq-dev}"
export OMP_THREAD_LIMIT=1

"$RQ" db upgrade
if [ ! -s "$DEV/api-key" ]; then
  "$RQ" keys create dev 2>/dev/null | tail -n 1 > "$DEV/api-key"
fi
export RECEIPTQ_API_KEY="$(cat "$DEV/api-key")"

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping what run_async_dev.sh started..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  while read -r kind where; do
    case "$kind" in
      redis) [ -f "$where" ] && kill "$(cat "$where")" 2>/dev/null || true ;;
      postgres)
        if [ "$(id -u)" -eq 0 ]; then
          runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" \
            -D "$where" stop -m fast >/dev/null || true
        else
          "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$where" stop -m fast >/dev/null || true
        fi ;;
    esac
  done < <(cat "$DEV/started" 2>/dev/null || true)
  rm -f "$DEV/started"
  echo "stopped."
}
trap stop_all INT TERM EXIT

start() {  # name, command...
  local name="$1"; shift
  "$@" > "$DEV/logs/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "started $name (pid $!, log .dev/logs/$name.log)"
}

start worker "$RQ" worker --concurrency "$(nproc)"
start flower "$RQ" flower --port "$FLOWER_PORT"
start api "$RQ" api --port "$API_PORT"

for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$API_PORT/health" >/dev/null || { echo "the API did not start: see .dev/logs/api.log"; exit 1; }

echo
echo "submitting the sample receipts in samples/ ..."
"$RQ" submit samples --wait --jsonl "$DEV/samples-results.jsonl" > /dev/null || true
"$ROOT/.venv/bin/python" - "$DEV/samples-results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    job = json.loads(line)
    r = job.get("result") or {}
    merchant = (r.get("merchant") or {}).get("name")
    print(f"{job['file']:40s} {job['status']:10s} {merchant!s:32.32s} {r.get('date')!s:10s} "
          f"{r.get('total')!s:>9s} {r.get('currency') or ''} {job.get('error') or ''}")
PY

cat <<TXT

receiptq is running:
  API        http://127.0.0.1:$API_PORT   (key in .dev/api-key)
  Flower     http://127.0.0.1:$FLOWER_PORT   (user:password $RECEIPTQ_FLOWER_BASIC_AUTH)
  try        curl -H "Authorization: Bearer \$(cat .dev/api-key)" -F file=@samples/uk_till_2024_003.png \\
                  http://127.0.0.1:$API_PORT/api/v3/receipts/process
Press Ctrl-C to stop.
TXT
wait
