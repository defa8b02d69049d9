#!/bin/sh
# Times the load balancers' probe (REQ NFR-6): gunicorn with the production settings and
# gunicorn.conf.py (2 workers) on 127.0.0.1:8123, then N sequential `curl /health/`.
# usage: bench/health.sh DATABASE_URL [N]   (prints the statuses, median, p95 and max)
set -eu
cd "$(dirname "$0")/.."
export DJANGO_ENV=production DATABASE_URL="$1" GUNICORN_BIND=127.0.0.1:8123 WEB_CONCURRENCY=2 \
  SECRET_KEY=health-timing-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
  ALLOWED_HOSTS=127.0.0.1 SITE_URL=https://hellowork.example.jp LOG_LEVEL=CRITICAL
unset DJANGO_SETTINGS_MODULE SENTRY_DSN
N="${2:-500}"
LOG="${TMPDIR:-/tmp}/health-gunicorn.$$.log"
TIMES="${TMPDIR:-/tmp}/health-times.$$.txt"
.venv/bin/gunicorn -c gunicorn.conf.py > "$LOG" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -f "$LOG" "$TIMES"' EXIT
URL=http://127.0.0.1:8123/health/
for _ in $(seq 100); do curl -s -o /dev/null "$URL" && break; sleep 0.2; done
for _ in $(seq 20); do curl -s -o /dev/null "$URL"; done  # both workers connected and warm
for _ in $(seq "$N"); do curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$URL"; done > "$TIMES"
cut -d' ' -f1 "$TIMES" | sort | uniq -c | awk '{printf "status %s: %d\n", $2, $1}'
cut -d' ' -f2 "$TIMES" | sort -n | awk '{t[NR] = $1 * 1000} END {
  printf "n=%d median %.1f ms, p95 %.1f ms, max %.1f ms\n", NR, t[int(NR / 2) + 1], t[int(NR * 0.95)], t[NR]
}'
