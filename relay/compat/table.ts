/**
 * The MCR compatibility table of docs/mcr-compat.md, as data: every MCR form and what mcrd does
 * with it. table.test.ts runs each row through the real parser (mcrd flags, mcrctl verbs, config
 * loader, wire handlers) and checks the markdown is exactly renderTable(ROWS), so the page cannot drift.
 */
export type Kind = 'mcrd' | 'mcrctl' | 'config' | 'wire' | 'env';

export interface Row {
  kind: Kind;
  /** The MCR form as a user writes it. */
  form: string;
  works: boolean;
  note: string;
}

export const ROWS: Row[] = [
  { kind: 'mcrd', form: 'mcrd supervisor --config F --control-socket-path P --num-workers N', works: true, note: 'as in MCR' },
  { kind: 'mcrd', form: 'mcrd supervisor --interface eth0', works: false, note: 'refused: rules name their interfaces; remove the flag' },
  { kind: 'env', form: 'MCR_SOCKET_SNDBUF=8388608 mcrd supervisor', works: false, note: 'refused: not read by mcrd; unset it (likewise MCR_BUFFER_POOL_*)' },
  { kind: 'env', form: 'MCR_COMPAT=1 mcrd supervisor', works: true, note: 'same as --log-format mcr' },
  { kind: 'mcrd', form: 'mcrd supervisor --log-format mcr', works: true, note: 'text log plus MCR\'s [STATS:Ingress]/[STATS:Egress] lines, [STATS:Ingress FINAL] at stop' },
  { kind: 'mcrd', form: 'mcrd supervisor --instance NAME', works: true, note: 'mcrd only: socket /run/mcrd/NAME/control.sock, state /var/lib/mcrd/NAME/rules.json' },
  { kind: 'mcrctl', form: 'mcrctl add --input-interface I --input-group G --input-port P --outputs G:P:I[,…] [--outputs …] [--rule-id ID] [--name NAME]', works: true, note: 'repeated --outputs accumulate; names may hold spaces; an identical rule is a no-op success; a conflicting one needs --replace' },
  { kind: 'mcrctl', form: 'mcrctl remove --rule-id ID | --name NAME', works: true, note: 'as in MCR' },
  { kind: 'mcrctl', form: 'mcrctl list | list-rules', works: true, note: 'table; --format mcr gives {"Rules":[…]}' },
  { kind: 'mcrctl', form: 'mcrctl list-workers', works: true, note: 'alias of workers; --format mcr gives {"Workers":[…]}' },
  { kind: 'mcrctl', form: 'mcrctl stats', works: true, note: '--format mcr (or MCR_COMPAT=1) gives {"Stats":[{packets_relayed, …}]}' },
  { kind: 'mcrctl', form: 'mcrctl ping | version', works: true, note: '--format mcr gives {"Success":"pong"} / {"Version":{"protocol_version":1}}' },
  { kind: 'mcrctl', form: 'mcrctl log-level get', works: true, note: 'one global level' },
  { kind: 'mcrctl', form: 'mcrctl log-level set --global LEVEL', works: true, note: 'MCR\'s 8 levels fold onto error/warn/info/debug' },
  { kind: 'mcrctl', form: 'mcrctl log-level set --facility F --level L', works: false, note: 'refused: mcrd has no facilities; use --global' },
  { kind: 'mcrctl', form: 'mcrctl config show | save --file F | load --file F [--replace] | check --file F', works: true, note: 'save writes client-side; save without --file is refused (mcrd never rewrites --config)' },
  { kind: 'config', form: 'rules[].name / input / outputs[] (+ ttl)', works: true, note: 'as in MCR; unknown keys are errors naming the key' },
  { kind: 'config', form: 'input.protocol: null | "udp"', works: true, note: '"esp" and others refused: mcrd relays UDP' },
  { kind: 'config', form: 'multicast_ttl: N', works: true, note: 'TTL of outputs without ttl (mcrd\'s default without it: 16, MCR\'s: 1)' },
  { kind: 'config', form: 'pinning: { eth0: [0, 1] }', works: false, note: 'refused unless {}: use daemon.numWorkers/cpus or --num-workers/--cpus' },
  { kind: 'config', form: 'rules[].outputs: []', works: false, note: 'refused: a rule must relay somewhere' },
  { kind: 'wire', form: '"Ping", "ListRules", "GetStats", "ListWorkers", "GetVersion", "GetLogLevels", "GetConfig"', works: true, note: 'answered in MCR\'s reply shapes' },
  { kind: 'wire', form: '{"AddRule":…}, {"RemoveRule":…}, {"RemoveRuleByName":…}, {"SetGlobalLogLevel":…}, {"LoadConfig":…}, {"CheckConfig":…}', works: true, note: 'answered in MCR\'s reply shapes' },
  { kind: 'wire', form: '{"SaveConfig":…}, {"SetFacilityLogLevel":…}', works: false, note: '{"Error":…} saying what to use instead' },
  { kind: 'mcrctl', form: 'mcrctl igmp groups | enable-querier --interface IF | disable-querier --interface IF', works: true, note: 'with an igmp: section; --json for scripts' },
  { kind: 'mcrctl', form: 'mcrctl mroute', works: true, note: 'static rules and IGMP-learned routes, one MRIB' },
  { kind: 'wire', form: '"GetIgmpGroups", {"EnableIgmpQuerier":…}, {"DisableIgmpQuerier":…}, "GetMroute"', works: true, note: 'answered in MCR\'s reply shapes (age_secs of static entries: 0)' },
  { kind: 'mcrctl', form: 'mcrctl pim neighbors | enable --interface IF [--dr-priority N] | disable --interface IF | set-rp --group G[/LEN] --rp A', works: true, note: 'with a pim: section; --format mcr gives {"PimNeighbors":[…]} / {"Success":…}' },
  { kind: 'mcrctl', form: 'mcrctl pim external-neighbors | clear-neighbors [--interface IF]', works: true, note: 'always none: mcrd learns neighbors from their Hellos' },
  { kind: 'mcrctl', form: 'mcrctl pim set-rp-address | add-neighbor | remove-neighbor', works: false, note: 'refused: no injected neighbors, no MSDP; make this router an RP with set-rp' },
  { kind: 'mcrctl', form: 'mcrctl pim set-rpf | get-rpf | query-rpf | add-rpf-route | remove-rpf-route | list-rpf-routes | clear-rpf-routes', works: false, note: 'refused: RPF comes from the kernel\'s unicast routes; steer it with ip route' },
  { kind: 'mcrctl', form: 'mcrctl msdp peers | sa-cache | add-peer | remove-peer | clear-sa-cache', works: false, note: 'refused: mcrd has no MSDP (run it in FRR beside mcrd)' },
  { kind: 'wire', form: '"GetPimNeighbors", {"EnablePim":…}, {"DisablePim":…}, {"SetStaticRp":…}, "ListExternalNeighbors", {"ClearExternalNeighbors":…}', works: true, note: 'answered from the PIM module in MCR\'s shapes (external neighbors: none)' },
  { kind: 'wire', form: '{"AddExternalNeighbor":…}, {"RemoveExternalNeighbor":…}, {"SetRpAddress":…}', works: false, note: '{"Error":…} saying what to use instead' },
  { kind: 'wire', form: 'MSDP and RPF-provider requests ("GetMsdpPeers", {"QueryRpf":…}, …)', works: false, note: '{"Error":"X: not supported by mcrd: …"} with what to do instead' },
  { kind: 'wire', form: '{"Subscribe":…}, {"Unsubscribe":…}, "ListSubscriptions"', works: false, note: '{"Error":…}: events stream from mcrctl subscribe --events' },
];

export function renderTable(rows: Row[] = ROWS): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| kind | MCR form | mcrd | what happens |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.kind} | \`${cell(r.form)}\` | ${r.works ? 'works' : 'refused'} | ${cell(r.note)} |`),
  ].join('\n');
}
