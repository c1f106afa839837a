import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ruleFromFlags } from '../cli/mcrctl/add.js';
import { config } from '../cli/mcrctl/config.js';
import type { Verb } from '../cli/mcrctl/context.js';
import { igmp } from '../cli/mcrctl/igmp.js';
import { list } from '../cli/mcrctl/list.js';
import { levelArg } from '../cli/mcrctl/log-level.js';
import { mroute } from '../cli/mcrctl/mroute.js';
import { msdp } from '../cli/mcrctl/msdp.js';
import { pim } from '../cli/mcrctl/pim.js';
import { ping } from '../cli/mcrctl/ping.js';
import { remove } from '../cli/mcrctl/remove.js';
import { stats } from '../cli/mcrctl/stats.js';
import { version } from '../cli/mcrctl/version.js';
import { workers } from '../cli/mcrctl/workers.js';
import { parseConfigText } from '../config/load.js';
import { parseDaemonArgs } from '../daemon/args.js';
import { ROWS, renderTable } from './table.js';
import { MCR_REQUESTS, answerMcr } from './wire.js';

const ADD = ['--input-interface', 'eth0', '--input-group', '239.1.1.1', '--input-port', '5000', '--outputs', '239.2.2.2:6000:eth1'];
const cfg = (extra: string, rule = '') => () => parseConfigText(`{ rules: [ { input: { interface: "eth0", group: "239.1.1.1", port: 5000 ${rule} }, outputs: [{ interface: "eth1", group: "239.2.2.2", port: 1 }] } ], ${extra} }`, 't.json5');
/** The verb answers to `name` and its usage shows each flag. */
const verb = (v: Verb, name: string, flags: string[] = []) => () => {
  if (v.name !== name && !v.aliases?.includes(name)) throw new Error(`mcrctl has no ${name}`);
  for (const f of flags) if (!v.usage.includes(f)) throw new Error(`${name} usage lacks ${f}`);
};
const noApi = new Proxy({}, { get: () => () => { throw new Error('not reached'); } }) as never;
/** A control API whose protocol plane runs PIM on eth1, answering as the PIM module would. */
const PIM_API = {
  protocols: {
    modules: () => ['pim'],
    view: (_m: string, v: string) => (v === 'neighbors' ? [{ interface: 'eth1', address: '10.0.1.2', expiresInMs: 1500, drPriority: null, genId: 7, dr: true }] : [{ interface: 'eth1', address: '10.0.1.1', drPriority: 1 }]),
    pimInterface: (i: string, o: { enabled: boolean }) => ({ interface: i, enabled: o.enabled }),
    setRp: (group: string, rp: string) => ({ group, rp }),
  },
} as never;
const wire = (names: string[], api = noApi, args: Record<string, unknown> = {}) => async () => {
  for (const n of names) {
    if (!MCR_REQUESTS.includes(n)) throw new Error(`${n} not handled`);
    const r = await answerMcr({ name: n, args }, api);
    if ('Error' in r && /not supported|unknown MCR request|one global|writes no files/.test(String(r.Error))) throw new Error(String(r.Error));
  }
};
/** For a refused row: throws only when every one of `names` gets an {"Error"} reply. */
const wireRefused = (names: string[], api = noApi) => async () => {
  const replies = await Promise.all(names.map((n) => answerMcr({ name: n, args: {} }, api)));
  if (replies.every((r) => 'Error' in r)) throw new Error(replies.map((r) => String(r.Error)).join('; '));
};
/** For a PIM row that works: every request answered without an Error, in MCR's variant. */
const wireAnswered = (names: string[], args: Record<string, unknown>) => async () => {
  for (const n of names) {
    const r = await answerMcr({ name: n, args }, PIM_API);
    if ('Error' in r) throw new Error(`${n}: ${String(r.Error)}`);
  }
};
const noCtx = new Proxy({}, { get: () => () => { throw new Error('not reached'); } }) as never;
/** For a refused row: throws only when every one of MCR's `mcrctl pim SUB` is refused as unsupported before anything is sent. */
const pimRefused = (subs: string[]) => async () => {
  const results = await Promise.allSettled(subs.map((sub) => pim.run([sub], noCtx)));
  if (results.every((r) => r.status === 'rejected' && /not supported by mcrd: /.test(String(r.reason)))) throw new Error('all refused');
};

/** Each row's form run through the real parser: resolves if mcrd takes it, throws if it refuses. */
const PROBES: Record<string, () => unknown> = {
  'mcrd supervisor --config F --control-socket-path P --num-workers N': () => parseDaemonArgs(['supervisor', '--config', 'F', '--control-socket-path', 'P', '--num-workers', '2'], {}),
  'mcrd supervisor --interface eth0': () => parseDaemonArgs(['supervisor', '--interface', 'eth0'], {}),
  'MCR_SOCKET_SNDBUF=8388608 mcrd supervisor': () => parseDaemonArgs(['supervisor'], { MCR_SOCKET_SNDBUF: '8388608' }),
  'MCR_COMPAT=1 mcrd supervisor': () => expect(parseDaemonArgs(['supervisor'], { MCR_COMPAT: '1' }).mcrStats).toBe(true),
  'mcrd supervisor --log-format mcr': () => parseDaemonArgs(['supervisor', '--log-format', 'mcr'], {}),
  'mcrd supervisor --instance NAME': () => parseDaemonArgs(['supervisor', '--instance', 'edge1'], {}),
  'mcrctl add --input-interface I --input-group G --input-port P --outputs G:P:I[,…] [--outputs …] [--rule-id ID] [--name NAME]':
    () => expect(ruleFromFlags([...ADD, '--outputs', '239.2.2.3:1:eth1', '--name', 'a b']).rule.outputs).toHaveLength(2),
  'mcrctl remove --rule-id ID | --name NAME': verb(remove, 'remove', ['--rule-id', '--name']),
  'mcrctl list | list-rules': () => { verb(list, 'list')(); verb(list, 'list-rules')(); },
  'mcrctl list-workers': verb(workers, 'list-workers'),
  'mcrctl stats': verb(stats, 'stats'),
  'mcrctl ping | version': () => { verb(ping, 'ping')(); verb(version, 'version')(); },
  'mcrctl log-level get': () => expect(levelArg(['get'])).toBeUndefined(),
  'mcrctl log-level set --global LEVEL': () => expect(levelArg(['set', '--global', 'notice'])).toBe('info'),
  'mcrctl log-level set --facility F --level L': () => levelArg(['set', '--facility', 'DataPlane', '--level', 'debug']),
  'mcrctl config show | save --file F | load --file F [--replace] | check --file F': verb(config, 'config', ['show', 'save --file F', 'load --file F [--replace]', 'check --file F']),
  'rules[].name / input / outputs[] (+ ttl)': cfg(''),
  'input.protocol: null | "udp"': () => { cfg('', ', protocol: null')(); cfg('', ', protocol: "udp"')(); expect(cfg('', ', protocol: "esp"')).toThrow(); },
  'multicast_ttl: N': () => expect(cfg('multicast_ttl: 3')().rules[0]!.outputs[0]!.ttl).toBe(3),
  'pinning: { eth0: [0, 1] }': cfg('pinning: { eth0: [0, 1] }'),
  'rules[].outputs: []': () => parseConfigText('{ rules: [ { input: { interface: "eth0", group: "239.1.1.1", port: 5000 }, outputs: [] } ] }', 't'),
  '"Ping", "ListRules", "GetStats", "ListWorkers", "GetVersion", "GetLogLevels", "GetConfig"': wire(['Ping', 'GetVersion']),
  '{"AddRule":…}, {"RemoveRule":…}, {"RemoveRuleByName":…}, {"SetGlobalLogLevel":…}, {"LoadConfig":…}, {"CheckConfig":…}': wire(['AddRule', 'RemoveRule', 'RemoveRuleByName', 'SetGlobalLogLevel', 'LoadConfig', 'CheckConfig']),
  '{"SaveConfig":…}, {"SetFacilityLogLevel":…}': wire(['SaveConfig', 'SetFacilityLogLevel']),
  'mcrctl igmp groups | enable-querier --interface IF | disable-querier --interface IF': verb(igmp, 'igmp', ['groups', 'enable-querier', 'disable-querier', '--interface']),
  'mcrctl mroute': verb(mroute, 'mroute'),
  '"GetIgmpGroups", {"EnableIgmpQuerier":…}, {"DisableIgmpQuerier":…}, "GetMroute"': wire(['GetIgmpGroups', 'EnableIgmpQuerier', 'DisableIgmpQuerier', 'GetMroute']),
  'mcrctl pim neighbors | enable --interface IF [--dr-priority N] | disable --interface IF | set-rp --group G[/LEN] --rp A':
    verb(pim, 'pim', ['neighbors', 'enable', 'disable', 'set-rp', '--interface', '--dr-priority', '--group', '--rp']),
  'mcrctl pim external-neighbors | clear-neighbors [--interface IF]': verb(pim, 'pim', ['external-neighbors', 'clear-neighbors']),
  'mcrctl pim set-rp-address | add-neighbor | remove-neighbor': pimRefused(['set-rp-address', 'add-neighbor', 'remove-neighbor']),
  'mcrctl pim set-rpf | get-rpf | query-rpf | add-rpf-route | remove-rpf-route | list-rpf-routes | clear-rpf-routes':
    pimRefused(['set-rpf', 'get-rpf', 'query-rpf', 'add-rpf-route', 'remove-rpf-route', 'list-rpf-routes', 'clear-rpf-routes']),
  'mcrctl msdp peers | sa-cache | add-peer | remove-peer | clear-sa-cache': () => msdp.run(['peers'], noCtx),
  '"GetPimNeighbors", {"EnablePim":…}, {"DisablePim":…}, {"SetStaticRp":…}, "ListExternalNeighbors", {"ClearExternalNeighbors":…}':
    wireAnswered(['GetPimNeighbors', 'EnablePim', 'DisablePim', 'SetStaticRp', 'ListExternalNeighbors', 'ClearExternalNeighbors'], { interface: 'eth1', group_prefix: '239.1.0.0/16', rp_address: '10.0.0.9' }),
  '{"AddExternalNeighbor":…}, {"RemoveExternalNeighbor":…}, {"SetRpAddress":…}': wireRefused(['AddExternalNeighbor', 'RemoveExternalNeighbor', 'SetRpAddress'], PIM_API),
  'MSDP and RPF-provider requests ("GetMsdpPeers", {"QueryRpf":…}, …)': wireRefused(['GetMsdpPeers', 'GetMsdpSaCache', 'AddMsdpPeer', 'RemoveMsdpPeer', 'ClearMsdpSaCache',
    'SetRpfProvider', 'GetRpfProvider', 'QueryRpf', 'AddRpfRoute', 'RemoveRpfRoute', 'ListRpfRoutes', 'ClearRpfRoutes']),
  '{"Subscribe":…}, {"Unsubscribe":…}, "ListSubscriptions"': wireRefused(['Subscribe', 'Unsubscribe', 'ListSubscriptions']),
};

describe('the MCR compatibility table', () => {
  test.each(ROWS.map((r) => [r.form, r] as const))('%s', async (_form, row) => {
    const probe = PROBES[row.form];
    expect(probe, `no probe for row ${row.form}`).toBeDefined();
    let threw: unknown;
    try { await probe!(); } catch (e) { threw = e; }
    if (row.works) expect(threw).toBeUndefined();
    else expect(threw).toBeDefined();
  });

  test('docs/mcr-compat.md carries exactly this table', () => {
    const md = readFileSync(new URL('../../docs/mcr-compat.md', import.meta.url), 'utf8');
    expect(md).toContain(renderTable());
  });
});
