# Sourced by scripts/: runs the service on a free loopback port with a fresh database of its own.
# shellcheck shell=bash
#
#   service_start BIN LOG_FILE [serve args…]   sets SERVICE_PID, SERVICE_URL, SERVICE_DB
#   service_stop                               stops it and drops that database (idempotent)
#
# The caller sets the trap: `trap service_stop EXIT`. The database gets a unique name and
# is created with CREATE DATABASE, which fails rather than reuse one that exists, so only
# a database this script made is ever dropped. PostgreSQL: PG_URL (default
# postgres://postgres@127.0.0.1:5432, trust auth). Webhook secret: SERVICE_WEBHOOK_SECRET;
# bearer token: SERVICE_TOKEN (both have test defaults). SERVICE_ENV: more NAME=value
# settings, separated by spaces.

SERVICE_PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
SERVICE_WEBHOOK_SECRET=${SERVICE_WEBHOOK_SECRET:-whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
# At least 16 characters, as STATUS_API_TOKENS requires.
SERVICE_TOKEN=${SERVICE_TOKEN:-local-status-token-$RANDOM$RANDOM}
SERVICE_PID=
SERVICE_URL=
SERVICE_DB=
SERVICE_MAIL=

service_start() {
  local bin=$1 log=$2 port=
  shift 2
  SERVICE_DB="tool_$(basename "$0" | tr -c 'a-z0-9\n' '_')_$(date +%s)_$$_$RANDOM"
  psql "$SERVICE_PG/postgres" -qAtc "CREATE DATABASE \"$SERVICE_DB\"" >/dev/null || {
    SERVICE_DB=
    echo "cannot create a database on $SERVICE_PG" >&2
    return 1
  }
  SERVICE_MAIL=$(mktemp -d)
  # A clean environment: nothing of the caller's (DATABASE_URL…) reaches the service.
  # GIGS_API_URL is a refused loopback port: no Gigs call can leave the machine.
  env -i PATH="$PATH" \
    DATABASE_URL="$SERVICE_PG/$SERVICE_DB" LISTEN_ADDR=127.0.0.1:0 \
    GIGS_API_URL=http://127.0.0.1:9 GIGS_PROJECT=acme-mobile GIGS_API_KEY=local-key \
    GIGS_WEBHOOK_SECRETS="$SERVICE_WEBHOOK_SECRET" STATUS_API_TOKENS="$SERVICE_TOKEN" \
    SMTP_URL="file://$SERVICE_MAIL" EMAIL_FROM='Acme Mobile <esim@acme.example>' \
    LOG_FORMAT=json RUST_LOG="${SERVICE_RUST_LOG:-warn,esim_courier::cli=info}" RUST_BACKTRACE=1 \
    ${SERVICE_ENV:-} "$bin" serve "$@" >"$log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 600); do
    port=$(grep -o '"port":[0-9]*' "$log" | head -n 1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$SERVICE_PID" 2>/dev/null || {
      cat "$log" >&2
      echo "the service exited" >&2
      return 1
    }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "the service did not report its port" >&2; return 1; }
  SERVICE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    "$bin" healthcheck --url "$SERVICE_URL" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the service is not ready at $SERVICE_URL" >&2
  return 1
}

service_stop() {
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  SERVICE_PID=
  if [ -n "$SERVICE_DB" ]; then
    psql "$SERVICE_PG/postgres" -qAtc "DROP DATABASE IF EXISTS \"$SERVICE_DB\" WITH (FORCE)" >/dev/null || true
    SERVICE_DB=
  fi
  if [ -n "$SERVICE_MAIL" ]; then
    rm -rf "$SERVICE_MAIL"
    SERVICE_MAIL=
  fi
}
