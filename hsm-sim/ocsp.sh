#!/usr/bin/env bash
# hsm-sim/ocsp.sh DIR start|stop|status
#
# Runs the test OCSP responder (`openssl ocsp` in server mode) for the issuing CA built by
# setup.sh, answering from DIR/pki/ca/index.txt on the port stored in DIR/ocsp.port.
#   start  : start it in the background (idempotent), wait until it answers, write DIR/ocsp.url
#   stop   : stop it (only the process recorded in DIR/ocsp.pid), remove DIR/ocsp.pid
#   status : exit 0 if running and answering, 3 if not running, 1 if running but not answering
set -euo pipefail

usage() { echo "usage: $0 DIR start|stop|status" >&2; exit 2; }
[[ $# -eq 2 && -n $1 ]] || usage
[[ -d $1 ]] || { echo "ocsp.sh: $1: no such directory (run setup.sh first)" >&2; exit 1; }
DIR=$(cd "$1" && pwd -P)
ACTION=$2
PKI=$DIR/pki
PIDFILE=$DIR/ocsp.pid
LOGFILE=$DIR/ocsp.log
unset OPENSSL_CONF

port() {
  local p
  p=$(tr -dc '0-9' <"$DIR/ocsp.port" 2>/dev/null || true)
  [[ -n $p ]] || { echo "ocsp.sh: $DIR/ocsp.port missing (run setup.sh first)" >&2; exit 1; }
  echo "$p"
}

# PID from the pid file if that process is alive and is our openssl ocsp responder.
running_pid() {
  local pid
  [[ -f $PIDFILE ]] || return 1
  pid=$(tr -dc '0-9' <"$PIDFILE")
  [[ -n $pid ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "openssl ocsp -index $PKI/ca/index.txt" || return 1
  echo "$pid"
}

# Query the responder for one certificate; prints the status line ("...: good").
query() { # $1=certificate
  timeout 5 openssl ocsp -issuer "$PKI/issuing-ca.pem" -cert "$1" -url "http://127.0.0.1:$(port)" \
    -CAfile "$PKI/chain.pem" -timeout 3 2>&1
}

answers() { query "$PKI/official-01.pem" | grep -q ': good'; }

case $ACTION in
  start)
    [[ -s $PKI/ca/index.txt && -s $PKI/ocsp-responder.pem ]] ||
      { echo "ocsp.sh: $PKI incomplete (run setup.sh $DIR first)" >&2; exit 1; }
    PORT=$(port)
    URL="http://127.0.0.1:$PORT"
    if pid=$(running_pid); then
      if answers; then
        echo "$URL" >"$DIR/ocsp.url"
        echo "ocsp: already running (pid $pid) at $URL"
        exit 0
      fi
      echo "ocsp: pid $pid is not answering; restarting" >&2
      kill "$pid" 2>/dev/null || true
      sleep 0.5
    fi
    rm -f "$PIDFILE"
    if ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
      echo "ocsp.sh: port $PORT (from $DIR/ocsp.port) is already in use by another process" >&2
      exit 1
    fi
    # openssl 3.0 `ocsp -port` takes only a port number (it listens on all addresses);
    # -nrequest defaults to unlimited; the index file is re-read when it changes.
    # `exec` keeps the recorded PID equal to the openssl process.
    # shellcheck disable=SC2016 # $$ and $@ are expanded by the inner bash
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
      openssl ocsp -index "$PKI/ca/index.txt" -port "$PORT" \
      -rsigner "$PKI/ocsp-responder.pem" -rkey "$PKI/ocsp-responder.key" \
      -CA "$PKI/issuing-ca.pem" -ndays 1 \
      </dev/null >>"$LOGFILE" 2>&1 &
    for _ in $(seq 1 50); do
      if [[ -s $PIDFILE ]] && answers; then
        echo "$URL" >"$DIR/ocsp.url"
        echo "ocsp: started (pid $(<"$PIDFILE")) at $URL"
        exit 0
      fi
      sleep 0.2
    done
    echo "ocsp.sh: responder did not answer within 10 s; see $LOGFILE" >&2
    tail -n 10 "$LOGFILE" >&2 || true
    if pid=$(running_pid); then kill "$pid" 2>/dev/null || true; fi
    rm -f "$PIDFILE"
    exit 1
    ;;
  stop)
    if pid=$(running_pid); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      echo "ocsp: stopped (pid $pid)"
    else
      echo "ocsp: not running"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if pid=$(running_pid); then
      if answers; then
        echo "ocsp: running (pid $pid) at http://127.0.0.1:$(port)"
        exit 0
      fi
      echo "ocsp: pid $pid running but not answering at http://127.0.0.1:$(port)"
      exit 1
    fi
    echo "ocsp: not running"
    exit 3
    ;;
  *) usage ;;
esac
