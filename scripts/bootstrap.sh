#!/usr/bin/env bash
# Make this machine ready to run receiptq: system packages, Redis, PostgreSQL, .venv.
# Idempotent: does only what is missing. Source it (run_async_dev.sh, scripts/test.sh do)
# or run it. Services it starts itself keep their data under .dev/ and are recorded in
# .dev/started so that run_async_dev.sh can stop exactly those on Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV="$ROOT/.dev"
mkdir -p "$DEV"
: > "$DEV/started.new"

# libgl1, libglib2.0-0: for opencv-python, should it provide cv2 (see headless_opencv)
# tesseract-ocr-msa: for its Malay word list only (receiptq.pipeline.lexicon)
APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-pol tesseract-ocr-msa
              fonts-dejavu-core libgl1 libglib2.0-0 redis-server postgresql python3-venv curl chromium)
REDIS_HOST=127.0.0.1 REDIS_PORT="${RECEIPTQ_DEV_REDIS_PORT:-6379}"
PG_HOST=127.0.0.1 PG_PORT="${RECEIPTQ_DEV_PG_PORT:-5432}"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

missing_packages() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  # Every package may be present yet a language pack missing on a non-Debian layout.
  echo "${missing[@]:-}"
}

install_packages() {
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null; then
    say "install these packages with your package manager: $missing"; return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "missing system packages; run:"
    say "  sudo apt-get update && sudo apt-get install -y $missing"
    return 1
  fi
  say "installing: $missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

start_redis() {
  port_open "$REDIS_HOST" "$REDIS_PORT" && return 0
  say "nothing answers on $REDIS_HOST:$REDIS_PORT: starting redis-server (data in .dev/redis)"
  mkdir -p "$DEV/redis"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" \
    --appendonly no --dir "$DEV/redis" --logfile "$DEV/redis/redis.log" \
    --pidfile "$DEV/redis/redis.pid"
  for _ in $(seq 50); do port_open "$REDIS_HOST" "$REDIS_PORT" && break; sleep 0.1; done
  port_open "$REDIS_HOST" "$REDIS_PORT" || { say "redis did not start"; return 1; }
  echo "redis $DEV/redis/redis.pid" >> "$DEV/started.new"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

start_postgres() {
  port_open "$PG_HOST" "$PG_PORT" && return 0
  local bin data="$DEV/postgres" run_as=()
  bin="$(pg_bin)"
  [ -n "$bin" ] || { say "PostgreSQL binaries not found"; return 1; }
  say "nothing answers on $PG_HOST:$PG_PORT: starting PostgreSQL (data in .dev/postgres)"
  if [ "$(id -u)" -eq 0 ]; then   # postgres refuses to run as root
    run_as=(runuser -u postgres --)
    mkdir -p "$data"; chown postgres: "$data"; chmod 700 "$data"
    # the postgres user must be able to reach .dev through the project's parents
    chmod o+x "$DEV"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${run_as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=$PG_HOST -p $PG_PORT -k $data" start >/dev/null
  echo "postgres $data" >> "$DEV/started.new"
}

make_venv() {
  local stamp="$ROOT/.venv/.receiptq-installed" want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "creating .venv and installing receiptq with its dev extras"
  [ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
  if ! { "$ROOT/.venv/bin/python" -m pip install --upgrade pip &&
          "$ROOT/.venv/bin/python" -m pip install -e "$ROOT[dev]"; } > "$DEV/pip.log" 2>&1; then
    tail -n 30 "$DEV/pip.log" >&2
    say "pip install failed: full log in .dev/pip.log"
    return 1
  fi
  echo "$want" > "$stamp"
}

# rapidocr-onnxruntime (the line model's weights) requires opencv-python, whose cv2 loads
# Qt, FFmpeg and libGL: 33 MB more in every worker process than the headless build of the
# same version (docs/performance.md#memory). Leave only the headless one providing cv2.
headless_opencv() {
  local py="$ROOT/.venv/bin/python"
  "$py" -m pip show -q opencv-python > /dev/null 2>&1 || return 0
  say "replacing opencv-python by opencv-python-headless"
  { "$py" -m pip uninstall -y opencv-python &&
    "$py" -m pip install --force-reinstall --no-deps \
      "opencv-python-headless==$("$py" -m pip show opencv-python-headless | sed -n 's/^Version: //p')"
  } > "$DEV/pip-opencv.log" 2>&1 || { tail -n 20 "$DEV/pip-opencv.log" >&2; return 1; }
}

install_packages
start_redis
start_postgres
make_venv
headless_opencv
cat "$DEV/started.new" >> "$DEV/started" 2>/dev/null || true
rm -f "$DEV/started.new"
say "ready: redis $REDIS_HOST:$REDIS_PORT, postgresql $PG_HOST:$PG_PORT, .venv"
