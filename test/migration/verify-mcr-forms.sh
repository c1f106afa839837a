#!/bin/bash
# Re-run every MCR form listed in issue 14 against the built mcrd/mcrctl (dist/), in a namespace of
# its own with a veth pair a0/a1, and print one line per form: what was expected (works / refused),
# what happened (exit code, first line of output). Exits 1 if any form did not do what is expected.
#
#   sudo bash test/migration/verify-mcr-forms.sh
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NS="cmpt-vf-$$"
WORK="$(mktemp -d /tmp/cmpt-vf-XXXXXX)"
SOCK="$WORK/mcrd_control.sock"
MCRD=(node "$ROOT/dist/relay/cli/mcrd.js")
MCRCTL=(node "$ROOT/dist/relay/cli/mcrctl.js")
FAILS=0

cleanup() {
  [ -n "${MCRD_PID:-}" ] && kill "$MCRD_PID" 2>/dev/null && wait "$MCRD_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link add a0 type veth peer name a1
ip -n "$NS" link set a0 up; ip -n "$NS" link set a1 up
ip -n "$NS" addr add 10.9.9.1/24 dev a0; ip -n "$NS" addr add 10.9.9.2/24 dev a1

# check EXPECT DESCRIPTION -- COMMAND...: EXPECT is ok (exit 0) or refused (exit != 0 with a message).
check() {
  local expect="$1" what="$2"; shift 3
  local out code
  out="$("$@" 2>&1)"; code=$?
  local first; first="$(printf '%s' "$out" | tr -d '\n' | cut -c1-150)"
  local got=ok; [ "$code" -ne 0 ] && got=refused
  local mark=PASS; if [ "$got" != "$expect" ] || { [ "$got" = refused ] && [ -z "$out" ]; }; then mark=FAIL; FAILS=$((FAILS + 1)); fi
  printf '%s | %-7s | exit %-3s | %-58s | %s\n' "$mark" "$expect" "$code" "$what" "$first"
}
ctl() { "${MCRCTL[@]}" --socket-path "$SOCK" "$@"; }
mcrwire() { printf '%s\n' "$1" | socat - "UNIX-CONNECT:$SOCK"; }

cat > "$WORK/mcr.json5" <<'EOF'
{
  // an MCR file as its `config save` writes it
  rules: [
    { name: "cam one", input: { interface: "a0", group: "239.1.1.1", port: 5000, protocol: null },
      outputs: [{ group: "239.2.2.2", port: 6000, interface: "a1" }] },
  ],
  pinning: {},
  multicast_ttl: 4,
}
EOF
printf '{ rules: [{ input: { interface: "a0", group: "239.1.1.9", port: 1 }, outputs: [] }] }\n' > "$WORK/empty-outputs.json5"
printf '{ rules: [{ input: { interface: "a0", group: "239.1.1.9", port: 1 }, outputs: [{ group: "239.2.2.9", port: 1, intreface: "a1" }] }] }\n' > "$WORK/unknown-key.json5"
printf '{ rules: [], pinning: { a0: [0, 1] } }\n' > "$WORK/pinning.json5"

echo "mark | expect  | exit     | MCR form                                                   | output"
check ok      'mcrd --check (MCR file: comments, protocol: null, pinning: {}, spaces in name)' -- "${MCRD[@]}" --check "$WORK/mcr.json5"
check refused 'mcrd --check (rule with empty outputs)' -- "${MCRD[@]}" --check "$WORK/empty-outputs.json5"
check refused 'mcrd --check (rule with an unknown key)' -- "${MCRD[@]}" --check "$WORK/unknown-key.json5"
check refused 'mcrd --check (pinning with entries)' -- "${MCRD[@]}" --check "$WORK/pinning.json5"
check refused 'mcrd supervisor --interface eth0' -- "${MCRD[@]}" supervisor --interface eth0
check refused 'MCR_SOCKET_SNDBUF=8388608 mcrd supervisor' -- env MCR_SOCKET_SNDBUF=8388608 "${MCRD[@]}" supervisor

ip netns exec "$NS" "${MCRD[@]}" supervisor --config "$WORK/mcr.json5" --control-socket-path "$SOCK" --num-workers 1 \
  --state-file "$WORK/rules.json" --log-json > "$WORK/mcrd.log" 2>&1 &
MCRD_PID=$!
for _ in $(seq 150); do ctl ping > /dev/null 2>&1 && break; sleep 0.1; done
echo "(mcrd supervisor --config F --control-socket-path P --num-workers 1 --log-json: pid $MCRD_PID)"

check ok      'mcrctl --socket-path P ping' -- ctl ping
check ok      'mcrctl version' -- ctl version
check ok      'mcrctl add (MCR flags, --name with spaces, repeated --outputs)' -- ctl add --name "cam two" --input-interface a0 --input-group 239.1.1.2 --input-port 5002 --outputs 239.2.2.3:6002:a1 --outputs 239.2.2.4:6003:a1
check ok      'mcrctl add (identical again: no-op)' -- ctl add --name "cam two" --input-interface a0 --input-group 239.1.1.2 --input-port 5002 --outputs 239.2.2.3:6002:a1 --outputs 239.2.2.4:6003:a1
check refused 'mcrctl add (same input, different outputs, no --replace)' -- ctl add --input-interface a0 --input-group 239.1.1.2 --input-port 5002 --outputs 239.2.2.5:6000:a1
check ok      'mcrctl list' -- ctl list
check ok      'mcrctl list-rules' -- ctl list-rules
check ok      'mcrctl list-workers' -- ctl list-workers
check ok      'mcrctl stats' -- ctl stats
check ok      "mcrctl --format mcr stats | jq '.Stats[].packets_relayed'" -- sh -c "node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' --format mcr stats | jq -e '.Stats[].packets_relayed'"
check ok      'MCR_COMPAT=1 mcrctl stats (MCR shape)' -- sh -c "MCR_COMPAT=1 node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' stats | jq -e '.Stats | length == 2'"
check ok      'mcrctl log-level get' -- ctl log-level get
check ok      'mcrctl log-level set --global notice' -- ctl log-level set --global notice
check refused 'mcrctl log-level set --facility DataPlane --level debug' -- ctl log-level set --facility DataPlane --level debug
check ok      'mcrctl config show' -- ctl config show
check ok      'mcrctl config save --file F' -- ctl config save --file "$WORK/saved.json5"
check ok      'mcrd --check F (what config save wrote)' -- "${MCRD[@]}" --check "$WORK/saved.json5"
check ok      'mcrctl config check --file F' -- ctl config check --file "$WORK/mcr.json5"
check ok      'mcrctl config load --file F' -- ctl config load --file "$WORK/saved.json5"
check refused 'mcrctl config save (no --file)' -- ctl config save
check ok      'mcrctl remove --name "cam two"' -- ctl remove --name "cam two"
check ok      'mcrctl remove --rule-id ID (of "cam one")' -- sh -c "node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' remove --rule-id \"\$(node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' --json list | jq -r '.rules[] | select(.name == \"cam one\") | .id')\""
check ok      'multicast_ttl: 4 is the TTL of outputs without one' -- sh -c "node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' config load --file '$WORK/mcr.json5' >/dev/null && node '$ROOT/dist/relay/cli/mcrctl.js' --socket-path '$SOCK' --json list | jq -e '[.rules[].outputs[].ttl] == [4]'"
check ok      'wire "Ping"' -- sh -c "printf '\"Ping\"\n' | socat - 'UNIX-CONNECT:$SOCK' | jq -e '.Success'"
check ok      'wire {"AddRule":…}' -- sh -c "printf '%s\n' '{\"AddRule\":{\"rule_id\":\"\",\"name\":\"w\",\"input_interface\":\"a0\",\"input_group\":\"239.1.1.5\",\"input_port\":5005,\"input_protocol\":17,\"outputs\":[{\"group\":\"239.2.2.5\",\"port\":6005,\"interface\":\"a1\",\"ttl\":null,\"source_ip\":null}]}}' | socat - 'UNIX-CONNECT:$SOCK' | jq -e '.Success'"
check ok      'wire "ListRules" (MCR shape)' -- sh -c "printf '\"ListRules\"\n' | socat - 'UNIX-CONNECT:$SOCK' | jq -e '.Rules | length == 2'"
check refused 'wire "GetPimNeighbors" without a pim: section' -- sh -c "printf '\"GetPimNeighbors\"\n' | socat - 'UNIX-CONNECT:$SOCK' | tee /dev/stderr | jq -e 'has(\"Success\") or has(\"PimNeighbors\")'"
check refused 'wire "GetMsdpPeers"' -- sh -c "printf '\"GetMsdpPeers\"\n' | socat - 'UNIX-CONNECT:$SOCK' | tee /dev/stderr | jq -e 'has(\"MsdpPeers\")'"
# 1000 adds written at once, then half-close: every one must be answered. (-t 30: socat itself stops
# reading 0.5 s after its stdin ends; mcrd answers every request it read before it closes.)
for i in $(seq 1000); do printf '{"id":%d,"cmd":"add","rule":{"input":{"interface":"a0","group":"239.3.%d.%d","port":7000},"outputs":[{"interface":"a1","group":"239.4.0.1","port":7000}]}}\n' "$i" $((i / 250)) $((i % 250 + 1)); done > "$WORK/batch.ndjson"
check ok      '1000 adds | socat -t 30 - UNIX-CONNECT (half-close): 1000 ok' -- sh -c "socat -t 30 - 'UNIX-CONNECT:$SOCK' < '$WORK/batch.ndjson' | jq -s -e 'map(select(.ok)) | length == 1000'"
MCRD_PIDS="$MCRD_PID $(ctl --json workers | jq -r '.workers[].pid')"
check ok      'supervisor and worker hold CAP_NET_RAW alone (CapEff/CapPrm/CapBnd 2000)' -- sh -c "for p in $MCRD_PIDS; do grep -E '^Cap(Eff|Prm|Bnd):' /proc/\$p/status; done | awk '{print \$2}' | sort -u | grep -qx 0000000000002000 && [ \$(for p in $MCRD_PIDS; do grep -E '^Cap(Eff|Prm|Bnd):' /proc/\$p/status; done | awk '{print \$2}' | sort -u | wc -l) -eq 1 ]"
check refused 'second mcrd on the same state file' -- ip netns exec "$NS" "${MCRD[@]}" --control-socket "$WORK/second.sock" --state-file "$WORK/rules.json"
kill -TERM "$MCRD_PID"; wait "$MCRD_PID" 2>/dev/null; MCRD_PID=

ip netns exec "$NS" "${MCRD[@]}" supervisor --control-socket-path "$SOCK" --state-file "$WORK/rules.json" --log-format mcr > "$WORK/mcr-stats.log" 2>&1 &
MCRD_PID=$!
for _ in $(seq 150); do ctl ping > /dev/null 2>&1 && break; sleep 0.1; done
kill -TERM "$MCRD_PID"; wait "$MCRD_PID" 2>/dev/null; MCRD_PID=
check ok      'mcrd --log-format mcr: [STATS:Ingress FINAL] at stop' -- grep -m1 '\[STATS:Ingress FINAL\]' "$WORK/mcr-stats.log"

echo "$FAILS form(s) did not do what was expected"
[ "$FAILS" -eq 0 ]
