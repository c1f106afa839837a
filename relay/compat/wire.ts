/**
 * MCR's control requests, as its mcrctl sends them (serde's externally tagged SupervisorCommand of
 * MCR's src/lib.rs: `"Ping"`, `{"AddRule":{…}}`), answered through the same ControlApi as mcrd's own
 * protocol and replied in MCR's shapes (shapes.ts). MCR's client writes one request, half-closes and
 * reads to EOF; the server answers whatever it read before closing (server.ts).
 *
 *   → {"AddRule":{"rule_id":"","name":"cam 1","input_interface":"eth0","input_group":"239.1.1.1","input_port":5000,"input_protocol":17,"outputs":[{"group":"239.2.2.2","port":6000,"interface":"eth1","ttl":null,"source_ip":null}]}}
 *   ← {"Success":"Rule 1a2b3c4d added"}
 *
 * IGMP, mroute (protocols.ts) and PIM (pim.ts) requests are answered from the protocol plane; those of
 * what mcrd lacks or serves otherwise (MSDP, RPF providers, MCR's subscriptions) get an `Error` saying
 * what to do instead. Tested in compat.test.ts and against a real socket in server.test.ts.
 */
import type { ControlApi } from '../control/api.js';
import { idOfName } from '../control/dispatch.js';
import { parseConfigDoc } from '../config/load.js';
import { McrError, toMcrError } from '../errors.js';
import { parseRule } from '../model/validate.js';
import { PIM_HANDLERS } from './pim.js';
import { PROTOCOL_HANDLERS } from './protocols.js';
import * as shape from './shapes.js';
import { facilityRefusal, levelFromMcr } from './severity.js';

type Handler = (api: ControlApi, args: Record<string, unknown>) => Promise<shape.McrResponse> | shape.McrResponse;

const ADD_KEYS = ['rule_id', 'name', 'input_interface', 'input_group', 'input_port', 'input_protocol', 'outputs'];
const OUTPUT_KEYS = ['group', 'port', 'interface', 'ttl', 'source_ip'];

/** AddRule's fields → mcrd's rule object (validated by the one rule schema afterwards). */
function ruleOf(a: Record<string, unknown>): Record<string, unknown> {
  unknownKeys(a, ADD_KEYS, 'AddRule');
  if (a.input_protocol !== undefined && a.input_protocol !== 17) {
    throw new McrError({ code: 'EINVAL', source: 'AddRule', path: 'input_protocol', detail: `mcrd relays UDP (17) only, got ${JSON.stringify(a.input_protocol)}` });
  }
  const outputs = a.outputs;
  const raw: Record<string, unknown> = {
    input: { interface: a.input_interface, group: a.input_group, port: a.input_port },
    outputs: Array.isArray(outputs) ? outputs.map((o: unknown, i) => {
      const out = (o ?? {}) as Record<string, unknown>;
      unknownKeys(out, OUTPUT_KEYS, `AddRule outputs[${i}]`);
      if (out.source_ip !== undefined && out.source_ip !== null) {
        throw new McrError({ code: 'EINVAL', source: 'AddRule', path: `outputs[${i}].source_ip`, detail: 'per-output source addresses are not supported; mcrd sends from the output interface\'s address' });
      }
      return { group: out.group, port: out.port, interface: out.interface, ...(out.ttl !== undefined && out.ttl !== null ? { ttl: out.ttl } : {}) };
    }) : outputs,
  };
  if (typeof a.rule_id === 'string' && a.rule_id !== '') raw.id = a.rule_id;
  if (a.name !== undefined && a.name !== null) raw.name = a.name;
  return raw;
}

function unknownKeys(o: Record<string, unknown>, known: string[], source: string): void {
  const extra = Object.keys(o).find((k) => !known.includes(k));
  if (extra !== undefined) throw new McrError({ code: 'EINVAL', source, path: extra, detail: `unknown field; expected ${known.join(', ')}` });
}

function configOf(a: Record<string, unknown>, request: string) {
  return parseConfigDoc(a.config, `${request} config`);
}

const HANDLERS: Record<string, Handler> = {
  Ping: () => shape.success('pong'),
  GetVersion: () => shape.version(),
  ListRules: (api) => shape.rules(api.list()),
  GetStats: async (api) => shape.stats(await api.stats()),
  ListWorkers: (api) => shape.workers(api.workers()),
  GetLogLevels: (api) => shape.logLevels(api.logLevel().level),
  SetGlobalLogLevel: (api, a) => {
    const level = api.logLevel(levelFromMcr(String(a.level), 'SetGlobalLogLevel level')).level;
    return shape.success(`Global log level set to ${level.toUpperCase()}`);
  },
  SetFacilityLogLevel: () => { throw facilityRefusal('SetFacilityLogLevel'); },
  AddRule: async (api, a) => {
    const rule = parseRule(ruleOf(a), { source: () => 'AddRule' }, api.defaultTtl);
    const r = await api.add(rule);
    return shape.success(shape.addMessage(r.rule.id, r.outcome));
  },
  RemoveRule: async (api, a) => shape.success(`Rule ${(await api.remove(String(a.rule_id))).id} removed`),
  RemoveRuleByName: async (api, a) => {
    const id = idOfName(api, String(a.name), 'RemoveRuleByName');
    await api.remove(id);
    return shape.success(`Removed rule '${String(a.name)}' (id: ${id})`);
  },
  GetConfig: (api) => shape.config(api.list()),
  CheckConfig: (_api, a) => {
    try {
      configOf(a, 'CheckConfig');
      return shape.validation([]);
    } catch (err) {
      return shape.validation([toMcrError(err).message]);
    }
  },
  LoadConfig: async (api, a) => {
    const c = configOf(a, 'LoadConfig');
    const replace = a.replace === true;
    return shape.success(shape.loadMessage(await api.load(c.rules, replace), replace));
  },
  SaveConfig: () => {
    throw new McrError({
      code: 'EINVAL', source: 'SaveConfig',
      detail: 'mcrd writes no files named over its control socket; mcrctl config save --file F writes the running config client-side (runtime rules persist in the state file by themselves)',
    });
  },
  ...PROTOCOL_HANDLERS,
  ...PIM_HANDLERS,
};

/** MCR requests of features mcrd lacks or serves otherwise, each family with what to do instead. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/^(SetRpfProvider|GetRpfProvider|QueryRpf|AddRpfRoute|RemoveRpfRoute|ListRpfRoutes|ClearRpfRoutes)$/,
    'mcrd has no RPF provider: PIM takes RPF from the kernel\'s unicast routes (ip route get SOURCE); to steer it, add a route (ip route add SOURCE/32 via NEIGHBOR dev IF)'],
  [/^(GetMsdpPeers|GetMsdpSaCache|AddMsdpPeer|RemoveMsdpPeer|ClearMsdpSaCache)$/,
    'mcrd has no MSDP; run it in FRR (pimd\'s msdp peer) beside mcrd, or give each domain the sources it needs by static rules'],
  [/^(Subscribe|Unsubscribe|ListSubscriptions)$/, 'MCR\'s event subscriptions are served by mcrd\'s own protocol: mcrctl subscribe --events igmp,pim-neighbor'],
  [/^(GetControlPlaneConfig|GetWorkerRules)$/, 'mcrd has no such view; mcrctl config show, mcrctl workers and mcrctl list cover the running state'],
];

/** An MCR request read from one line: its variant name and arguments; undefined if `text` is not MCR-shaped. */
export function parseMcrRequest(text: string): { name: string; args: Record<string, unknown> } | undefined {
  const t = text.trimStart();
  // mcrd's own requests are objects with "cmd"/"id"; MCR's are a bare string or {"Variant": {...}}.
  if (!(t.startsWith('"') || /^\{\s*"[A-Z]/.test(t))) return undefined;
  let v: unknown;
  try { v = JSON.parse(t); } catch { return undefined; }
  if (typeof v === 'string') return { name: v, args: {} };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !/^[A-Z]/.test(keys[0]!)) return undefined;
  const args = (v as Record<string, unknown>)[keys[0]!];
  return { name: keys[0]!, args: args !== null && typeof args === 'object' && !Array.isArray(args) ? args as Record<string, unknown> : {} };
}

/** What to do instead of an MCR request mcrd does not serve, or undefined for one it answers or does not know. */
export function unsupportedAdvice(request: string): string | undefined {
  return UNSUPPORTED.find(([re]) => re.test(request))?.[1];
}

/** Answer one MCR request; never throws (errors become MCR's `{"Error":"…"}`). */
export async function answerMcr(req: { name: string; args: Record<string, unknown> }, api: ControlApi): Promise<shape.McrResponse> {
  const h = HANDLERS[req.name];
  if (!h) {
    const advice = unsupportedAdvice(req.name);
    return shape.error(advice !== undefined
      ? `${req.name}: not supported by mcrd: ${advice}`
      : `unknown MCR request ${JSON.stringify(req.name).slice(0, 60)}; mcrd answers ${Object.keys(HANDLERS).join(', ')}`);
  }
  try {
    return await h(api, req.args);
  } catch (err) {
    return shape.error(toMcrError(err).message);
  }
}

/** The MCR request names mcrd answers (for the compatibility table). */
export const MCR_REQUESTS = Object.keys(HANDLERS);
