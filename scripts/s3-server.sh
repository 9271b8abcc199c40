#!/usr/bin/env bash
# A real S3 server with Object Lock for tests and benches: MinIO built from a pinned commit.
# moto and s3rver do not enforce COMPLIANCE retention (see FIELD-NOTES.md), so they prove nothing.
#
#   eval "$(bash scripts/s3-server.sh start [PORT])"   # prints `export …` lines, logs go to a file
#   bash scripts/s3-server.sh restart                  # same port and data dir (outage tests)
#   bash scripts/s3-server.sh stop | status | install | env
#
# State lives under ${SEALDOCK_S3_DIR:-/tmp/sealdock-minio}: data/, minio.log, minio.pid, port.
set -euo pipefail

# Community MinIO is source-only and in maintenance: pin a commit rather than @latest.
MINIO_PIN="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_PKG="github.com/minio/minio"
GOBIN_DIR="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
MINIO_BIN="${MINIO_BIN:-$GOBIN_DIR/minio}"

S3_DIR="${SEALDOCK_S3_DIR:-/tmp/sealdock-minio}"
DATA_DIR="$S3_DIR/data"
LOG_FILE="$S3_DIR/minio.log"
PID_FILE="$S3_DIR/minio.pid"
PORT_FILE="$S3_DIR/port"

ACCESS_KEY="${SEALDOCK_S3_ACCESS_KEY:-sealdockadmin}"
SECRET_KEY="${SEALDOCK_S3_SECRET_KEY:-sealdockadmin-secret}"
BUCKET="sealdock-test"
NOLOCK_BUCKET="sealdock-nolock"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { echo "s3-server: $*" >&2; }

installed_version() {
  go version -m "$MINIO_BIN" 2>/dev/null | awk '$1 == "mod" && $2 == "'"$MINIO_PKG"'" { print $3 }'
}

cmd_install() {
  if [[ -x "$MINIO_BIN" && "$(installed_version)" == "$MINIO_PIN" ]]; then
    return 0
  fi
  say "installing $MINIO_PKG@$MINIO_PIN (go install, a few minutes on first run)"
  mkdir -p "$S3_DIR"
  GOBIN="$(dirname "$MINIO_BIN")" go install "$MINIO_PKG@$MINIO_PIN" >>"$S3_DIR/install.log" 2>&1 || {
    say "go install failed ($S3_DIR/install.log): $(tail -n 3 "$S3_DIR/install.log")"
    exit 1
  }
  [[ "$(installed_version)" == "$MINIO_PIN" ]] || { say "installed binary is not $MINIO_PIN"; exit 1; }
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_ready() {
  local port="$1" pid="$2" i
  for ((i = 0; i < 300; i++)); do
    # ready, not just live: a MinIO that answers /live may still refuse bucket calls while it
    # initialises (a CI run failed creating the test bucket right after /live said 200)
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/minio/health/ready" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { say "minio exited during start-up; tail of $LOG_FILE:"; tail -n 20 "$LOG_FILE" >&2; exit 1; }
    sleep 0.1
  done
  say "minio not ready after 30 s; see $LOG_FILE"
  exit 1
}

launch() {
  local port="$1"
  mkdir -p "$DATA_DIR"
  # MINIO_BROWSER=off: no console listener on a random public port.
  MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" MINIO_BROWSER=off \
    MINIO_UPDATE=off MINIO_CI_CD=1 \
    nohup setsid "$MINIO_BIN" server --quiet --address "127.0.0.1:$port" "$DATA_DIR" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$port" >"$PORT_FILE"
  wait_ready "$port" "$pid"
}

print_env() {
  local port pid
  port="$(cat "$PORT_FILE")"
  pid="$(cat "$PID_FILE")"
  cat <<EOF
export SEALDOCK_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export SEALDOCK_TEST_S3_BUCKET=$BUCKET
export SEALDOCK_TEST_S3_NOLOCK_BUCKET=$NOLOCK_BUCKET
export SEALDOCK_TEST_S3_PID=$pid
export SEALDOCK_TEST_S3_DATA=$DATA_DIR
export SEALDOCK_S3_DIR=$S3_DIR
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
EOF
}

make_buckets() {
  local endpoint="http://127.0.0.1:$(cat "$PORT_FILE")"
  AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_REGION=us-east-1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    node "$SCRIPT_DIR/s3-bucket.mjs" "$endpoint" "$BUCKET" --lock >&2
  AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_REGION=us-east-1 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    node "$SCRIPT_DIR/s3-bucket.mjs" "$endpoint" "$NOLOCK_BUCKET" --no-lock >&2
}

cmd_start() {
  cmd_install
  mkdir -p "$S3_DIR"
  local pid
  if pid="$(running_pid)"; then
    wait_ready "$(cat "$PORT_FILE")" "$pid"
    say "already running (pid $pid, port $(cat "$PORT_FILE"))"
  else
    local port="${1:-${SEALDOCK_S3_PORT:-}}"
    [[ -n "$port" ]] || port="$(free_port)"
    launch "$port"
    say "minio pid $(cat "$PID_FILE") on 127.0.0.1:$port, data $DATA_DIR, log $LOG_FILE"
  fi
  make_buckets
  print_env
}

# Restart after a crash (or kill) on the SAME port and data dir, so clients reconnect unchanged.
cmd_restart() {
  [[ -f "$PORT_FILE" ]] || { say "never started in $S3_DIR"; exit 1; }
  local pid port
  port="$(cat "$PORT_FILE")"
  if pid="$(running_pid)"; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # The killed listener may linger briefly; retry the bind for a few seconds.
  for ((i = 0; i < 50; i++)); do
    node -e "const s=require('net').createServer();s.on('error',()=>process.exit(1));s.listen($port,'127.0.0.1',()=>s.close())" && break
    sleep 0.1
  done
  launch "$port"
  say "restarted minio pid $(cat "$PID_FILE") on 127.0.0.1:$port"
  print_env
}

cmd_stop() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid"
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped pid $pid"
  else
    say "not running"
  fi
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running pid $pid port $(cat "$PORT_FILE") data $DATA_DIR"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "${1:-}" ;;
  restart) cmd_restart ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) running_pid >/dev/null && print_env ;;
  *)
    echo "usage: $0 install | start [PORT] | restart | stop | status | env" >&2
    exit 2
    ;;
esac
