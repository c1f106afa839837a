#!/bin/bash
# A migrating MCR user's script, written from MCR's user_docs/REFERENCE.md and GUIDE.md command
# forms and its tests/topologies/common.sh habits (set -e, wait for the socket, jq on the JSON,
# grep on the [STATS] log lines), run against mcrd. relay/e2e/migration.e2e.test.ts builds the
# namespaces (gen g0 — r0 relay r1 — s0 sink) and runs it; by hand:
#
#   RELAY_NS=… GEN_NS=… SINK_NS=… WORK=/tmp/x MCRD=mcrd MCRCTL=mcrctl MCRGEN=mcr-gen MCRSINK=mcr-sink \
#     bash test/migration/mcr-migration.sh
set -euo pipefail

: "${RELAY_NS:?}" "${GEN_NS:?}" "${SINK_NS:?}" "${WORK:?}" "${MCRD:?}" "${MCRCTL:?}" "${MCRGEN:?}" "${MCRSINK:?}"
INSTANCE="${INSTANCE:-migration}"
COUNT="${COUNT:-5000}"
SIZE=1316
SOCK="$WORK/mcrd_control.sock"
CONFIG="$WORK/rules.json5"

log_info() { echo "[INFO] $*" >&2; }
fail() { echo "[FAIL] $*" >&2; exit 1; }
# `command`: MCRCTL may itself be named mcrctl; call the program, not this function.
mcrctl() { command "$MCRCTL" --socket-path "$SOCK" "$@"; }

start_mcrd() {
  local log="$1"
  rm -f "$SOCK"
  # MCR's supervisor form; --instance gives this relay its own state file (/var/lib/mcrd/NAME/).
  ip netns exec "$RELAY_NS" "$MCRD" supervisor --config "$CONFIG" --control-socket-path "$SOCK" \
    --num-workers 1 --instance "$INSTANCE" --log-format mcr > "$log" 2>&1 &
  MCRD_PID=$!
  local start; start=$(date +%s)
  while ! [ -S "$SOCK" ] || ! mcrctl ping > /dev/null 2>&1; do
    [ "$(($(date +%s) - start))" -gt 15 ] && { cat "$log" >&2; fail "timeout waiting for $SOCK"; }
    sleep 0.1
  done
  log_info "mcrd started (pid $MCRD_PID)"
}
stop_mcrd() { kill -TERM "$MCRD_PID"; wait "$MCRD_PID" || true; }
cleanup() {
  for pid in ${MCRD_PID:-} ${SINK_PID:-}; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

cat > "$CONFIG" <<'JSON5'
{
  // MCR configuration
  rules: [
    {
      name: "video-feed",  // Optional human-friendly name
      input: { interface: "r0", group: "239.1.1.1", port: 5000 },
      outputs: [
        { group: "239.2.2.2", port: 6000, interface: "r1" }
      ]
    },
  ],
  // TTL for relayed packets (MCR's multicast_ttl)
  multicast_ttl: 4,
}
JSON5

log_info "=== config check, start ==="
mcrctl config check --file "$CONFIG"
start_mcrd "$WORK/mcrd.log"

log_info "=== runtime rules, MCR's forms ==="
ADD=(add --name "audio feed" --input-interface r0 --input-group 239.1.1.2 --input-port 5001
     --outputs 239.2.2.3:6001:r1 --outputs 10.2.0.2:6002:r1)
mcrctl "${ADD[@]}"
mcrctl "${ADD[@]}"        # a re-run of the same line must not abort a set -e script
mcrctl list-rules
mcrctl list-workers
mcrctl log-level get
mcrctl log-level set --global info

[ "$(mcrctl --format mcr list | jq '.Rules | length')" -eq 2 ] || fail "expected 2 rules"
[ "$(mcrctl --format mcr list | jq '.Rules[] | select(.name == "audio feed") | .outputs | length')" -eq 2 ] \
  || fail "repeated --outputs not accumulated"
[ "$(mcrctl --format mcr list | jq '.Rules[] | select(.name == "video-feed") | .outputs[0].ttl')" -eq 4 ] \
  || fail "multicast_ttl not applied"
[ "$(MCR_COMPAT=1 command "$MCRCTL" --socket-path "$SOCK" ping | jq -r '.Success')" = pong ] || fail "MCR_COMPAT ping"

log_info "=== config save / check / remove --name / config load ==="
mcrctl config save --file "$WORK/saved.json5"
mcrctl config check --file "$WORK/saved.json5"
mcrctl remove --name "audio feed"
[ "$(mcrctl --format mcr list | jq '.Rules | length')" -eq 1 ] || fail "remove --name"
mcrctl config load --file "$WORK/saved.json5"
[ "$(mcrctl --format mcr list | jq '.Rules | length')" -eq 2 ] || fail "config load"

log_info "=== traffic: $COUNT datagrams per input ==="
rm -f "$WORK/sink.ready"
ip netns exec "$SINK_NS" "$MCRSINK" --listen 239.2.2.2:6000,239.2.2.3:6001,10.2.0.2:6002 --interface s0 \
  --expect-count "$COUNT" --idle-timeout 3 --duration 60 --ready-file "$WORK/sink.ready" --json > "$WORK/sink.json" &
SINK_PID=$!
while ! [ -s "$WORK/sink.ready" ]; do sleep 0.05; done
ip netns exec "$GEN_NS" "$MCRGEN" --dst 239.1.1.1:5000,239.1.1.2:5001 --interface g0 --rate 5000 \
  --count $((2 * COUNT)) --size "$SIZE" --json > "$WORK/gen.json"
wait "$SINK_PID"
for l in 0 1 2; do
  jq -e --argjson n "$COUNT" --argjson b $((COUNT * SIZE)) ".listens[$l] | .received == \$n and .lost == 0 and .duplicates == 0 and .payloadErrors == 0 and .bytes == \$b" \
    "$WORK/sink.json" > /dev/null || { jq ".listens[$l]" "$WORK/sink.json" >&2; fail "sink listen $l"; }
done
log_info "sink: $(jq -c '[.listens[] | {group, port, received, lost, bytes}]' "$WORK/sink.json")"

RELAYED=$(mcrctl --format mcr stats | jq '[.Stats[].packets_relayed] | add')
[ "$RELAYED" -eq $((2 * COUNT)) ] || fail "Stats packets_relayed $RELAYED, expected $((2 * COUNT))"

log_info "=== refused clearly, not ignored ==="
if mcrctl log-level set --facility DataPlane --level debug 2> "$WORK/err"; then fail "facility accepted"; fi
grep -q "no facilities" "$WORK/err" || fail "facility refusal unclear: $(cat "$WORK/err")"

log_info "=== stop: [STATS:Ingress FINAL] ==="
stop_mcrd
MATCHED=$(grep 'STATS:Ingress FINAL' "$WORK/mcrd.log" | grep -oP 'matched=\K[0-9]+' || echo 0)
[ "$MATCHED" -eq $((2 * COUNT)) ] || fail "FINAL matched=$MATCHED, expected $((2 * COUNT))"

log_info "=== restart: runtime rules come back; the script's add still succeeds ==="
start_mcrd "$WORK/mcrd2.log"
[ "$(mcrctl --format mcr list | jq '.Rules | length')" -eq 2 ] || fail "runtime rule not restored"
mcrctl "${ADD[@]}"
stop_mcrd

echo "[PASS] migration: $((2 * COUNT)) datagrams relayed byte-exact to 3 outputs; FINAL matched=$MATCHED"
