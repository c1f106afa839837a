/**
 * The control protocol: one JSON object per line each way over a Unix socket (default
 * /run/mcrd/control.sock). Every reply carries the request's `id` and `ok`; failures add
 * `error: { code, message, path? }`. A worked exchange:
 *
 *   → {"id":17,"cmd":"add","rule":{"name":"cam1","input":{"interface":"eth0","group":"239.1.1.1","port":5001},"outputs":[{"interface":"eth1","group":"239.10.10.10","port":6001}]}}
 *   ← {"id":17,"ok":true,"result":{"rule":{"id":"cam1","input":{...},"outputs":[{...,"ttl":16}]}}}
 *   → {"id":18,"cmd":"add","rule":{"input":{"interface":"eth0","group":"239.1.1.1","port":"80a"},"outputs":[]}}
 *   ← {"id":18,"ok":false,"error":{"code":"EINVAL","message":"request 18 rule.input.port: expected integer 1-65535, got \"80a\" (string)","path":"rule.input.port"}}
 *   → hello
 *   ← {"id":null,"ok":false,"error":{"code":"EPROTO","message":"line 3: not JSON (Unexpected token ...); send one JSON object per line"}}
 *
 * Commands: ping, version, add {rule, replace?} → {rule, outcome: added|unchanged|replaced},
 * remove {ruleId} or {name}, load {rules, replace?}, list, stats, workers, log-level {level?}, reload;
 * the protocol plane's igmp-groups, igmp-interfaces, igmp-enable-querier, igmp-disable-querier,
 * mroute, protocol-view, subscribe (dispatch-protocols.ts). MCR's own requests ("Ping",
 * {"AddRule":{...}}) are answered too, in MCR's shapes: relay/compat/wire.ts. Documented in
 * docs/relay.md. Tested in protocol.test.ts and server.test.ts.
 */
import { McrError } from '../errors.js';
import { PROTOCOL_COMMANDS } from './dispatch-protocols.js';

export const COMMANDS = ['ping', 'version', 'add', 'remove', 'load', 'list', 'stats', 'workers', 'log-level', 'reload', ...PROTOCOL_COMMANDS] as const;
export type Command = (typeof COMMANDS)[number];

export type RequestId = number | string | null;

export interface Request {
  id: RequestId;
  cmd: string;
  [arg: string]: unknown;
}

export type Reply =
  | { id: RequestId; ok: true; result: unknown }
  | { id: RequestId; ok: false; error: { code: string; message: string; path?: string } };

/** How errors about this request name it: `request 17`, or `line 3` when it has no usable id. */
export function requestSource(id: RequestId, lineNo: number): string {
  return id === null ? `line ${lineNo}` : `request ${id}`;
}

/**
 * Parse one line into a request. Throws McrError (EPROTO) carrying whatever id could be read, so
 * the error reply can still be matched to its request.
 */
export function parseRequest(text: string, lineNo: number): Request {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw Object.assign(new McrError({
      code: 'EPROTO', source: `line ${lineNo}`,
      detail: `not JSON (${(err as Error).message}); send one JSON object per line`,
    }), { requestId: null });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw Object.assign(new McrError({ code: 'EPROTO', source: `line ${lineNo}`, detail: 'expected a JSON object like {"id":1,"cmd":"ping"}' }), { requestId: null });
  }
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'number' || typeof o.id === 'string' ? o.id : null;
  if (o.id !== undefined && id === null) {
    throw Object.assign(new McrError({ code: 'EPROTO', source: `line ${lineNo}`, path: 'id', detail: 'expected a number or string' }), { requestId: null });
  }
  if (typeof o.cmd !== 'string') {
    throw Object.assign(new McrError({
      code: 'EPROTO', source: requestSource(id, lineNo), path: 'cmd', detail: `expected one of ${COMMANDS.join(', ')}`,
    }), { requestId: id });
  }
  return { ...o, id, cmd: o.cmd };
}

/** The id an error thrown by parseRequest belongs to. */
export function errorRequestId(err: unknown): RequestId {
  const id = (err as { requestId?: RequestId }).requestId;
  return id === undefined ? null : id;
}

export function okReply(id: RequestId, result: unknown): Reply {
  return { id, ok: true, result };
}

export function errorReply(id: RequestId, err: McrError): Reply {
  return { id, ok: false, error: err.toWire() };
}
