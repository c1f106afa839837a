/**
 * An acknowledged rule change survives a reload that races it: while two control connections pipeline
 * adds and removes, the config is changed and mcrd gets SIGHUP (and, in a second round, `reload` and
 * `config load` over the socket). Afterwards `list` and the state file must hold exactly the config's
 * rules plus every runtime change mcrd acknowledged — the soak's lost `c5` (docs/reliability.md).
 *
 *   ┌ rlb-race-r ───────────────────────────────┐
 *   │ r0 ═veth═ r1   mcrd --config (SIGHUP)     │
 *   │   ▲ conn A: add a0..a199                  │
 *   │   ▲ conn B: remove x0..x99, add b0..b99   │
 *   └───────────────────────────────────────────┘
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readState } from '../config/state.js';
import type { ControlClient } from '../control/client.js';
import { type McrdHandle, startMcrd } from '../../test/support/mcrd.js';
import { Lab, canNetns, sh, skipReason, waitFor } from '../../test/support/netns.js';

if (!canNetns) console.warn(`skipping reload-race e2e: ${skipReason}`);

const rule = (name: string, n: number) => ({
  name, input: { interface: 'r0', group: '239.7.1.1', port: 10_000 + n }, outputs: [{ interface: 'r1', group: '239.8.1.1', port: 20_000 + n }],
});
/** Config rules live on other ports than the runtime ones (30000+), so nothing clashes by input. */
const configText = (names: string[]) => `${JSON.stringify({ rules: names.map((n, i) => ({ ...rule(n, 0), input: { ...rule(n, 0).input, port: 30_000 + i } })) })}\n`;

interface Change { cmd: 'add' | 'remove'; id: string; n: number }

/** Send every change pipelined on `c`; resolves with the ids whose change mcrd acknowledged. */
function pipeline(c: ControlClient, changes: Change[], onAck: () => void): Promise<Change[]> {
  return Promise.all(changes.map((ch) => c.send(ch.cmd === 'add' ? { cmd: 'add', rule: rule(ch.id, ch.n) } : { cmd: 'remove', ruleId: ch.id })
    .then((rep) => { if (rep.ok) onAck(); return rep.ok ? ch : undefined; })))
    .then((acked) => acked.filter((x): x is Change => x !== undefined));
}

describe.skipIf(!canNetns)('rule changes racing a reload', () => {
  let lab: Lab;
  let r: string;
  let dir: string;
  let config: string;
  let mcrd: McrdHandle | undefined;

  beforeAll(async () => {
    lab = await Lab.create('race', 'rlb');
    r = await lab.ns('r');
    await sh(['ip', 'link', 'add', 'r0', 'netns', r, 'type', 'veth', 'peer', 'name', 'r1', 'netns', r]);
    for (const i of ['r0', 'r1']) await lab.exec(r, ['ip', 'link', 'set', i, 'up']);
    dir = await mkdtemp(join(tmpdir(), 'rlb-race-'));
    config = join(dir, 'mcrd.json5');
    await writeFile(config, configText(['cfg1']));
    mcrd = await startMcrd({ netns: r, dir, args: ['--config', config, '--log-level', 'info'] });
  });

  afterAll(async () => {
    await mcrd?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runtime rule ids now: list and the state file must agree on them. */
  async function runtimeIds(): Promise<{ listed: string[]; saved: string[] }> {
    const listed = JSON.parse((await mcrd!.ctl(['--json', 'list'])).stdout) as { rules: Array<{ id: string; origin: string }> };
    const saved = await readState(mcrd!.stateFile);
    const runtime = (rs: Array<{ id: string; origin: string }>) => rs.filter((x) => x.origin === 'runtime').map((x) => x.id).sort();
    return { listed: runtime(listed.rules), saved: runtime(saved) };
  }

  test('SIGHUP in the middle of pipelined adds and removes on two connections loses no acknowledged change', async () => {
    const a = await mcrd!.client();
    const b = await mcrd!.client();
    // x0..x99 exist before the burst; connection B removes them during it.
    await pipeline(a, Array.from({ length: 100 }, (_, n) => ({ cmd: 'add' as const, id: `x${n}`, n: 1000 + n })), () => {});
    const burstA: Change[] = Array.from({ length: 200 }, (_, n) => ({ cmd: 'add', id: `a${n}`, n }));
    const burstB: Change[] = Array.from({ length: 100 }, (_, n) => [{ cmd: 'remove' as const, id: `x${n}`, n: 1000 + n }, { cmd: 'add' as const, id: `b${n}`, n: 500 + n }]).flat();
    await writeFile(config, configText(['cfg1', 'cfg2']));
    let acks = 0;
    let hupAt = -1;
    const onAck = () => { if (++acks === 40) { hupAt = acks; process.kill(mcrd!.pid, 'SIGHUP'); } };
    const [ackedA, ackedB] = await Promise.all([pipeline(a, burstA, onAck), pipeline(b, burstB, onAck)]);
    a.close(); b.close();
    await waitFor(() => /config reloaded/.test(mcrd!.log()), 'config reloaded after SIGHUP', 30_000);
    expect(hupAt).toBe(40);
    // Every change was acknowledged (nothing in the burst can be refused), so the runtime set is known.
    expect(ackedA.length + ackedB.length).toBe(burstA.length + burstB.length);
    const expected = [...burstA.map((c) => c.id), ...Array.from({ length: 100 }, (_, n) => `b${n}`)].sort();
    const { listed, saved } = await runtimeIds();
    expect(listed).toEqual(expected);
    expect(saved).toEqual(expected);
    const cfg = JSON.parse((await mcrd!.ctl(['--json', 'list'])).stdout) as { rules: Array<{ id: string; origin: string }> };
    expect(cfg.rules.filter((x) => x.origin === 'config').map((x) => x.id).sort()).toEqual(['cfg1', 'cfg2']);
  }, 120_000);

  test('`reload` and `config load` over the socket racing pipelined removes keep every acknowledged change', async () => {
    const a = await mcrd!.client();
    const b = await mcrd!.client();
    await writeFile(config, configText(['cfg1']));
    // Added here, removed in the burst: the test stands on its own whatever the one before left.
    await pipeline(a, Array.from({ length: 200 }, (_, n) => ({ cmd: 'add' as const, id: `d${n}`, n: 2000 + n })), () => {});
    const kept = (await runtimeIds()).listed.filter((id) => !id.startsWith('d'));
    const removes: Change[] = Array.from({ length: 200 }, (_, n) => ({ cmd: 'remove', id: `d${n}`, n: 2000 + n }));
    let acks = 0;
    let reload: Promise<unknown> | undefined;
    let load: Promise<unknown> | undefined;
    const onAck = () => {
      acks++;
      if (acks === 20) reload = b.request('reload');
      // MCR's `config load`: merges runtime rules (l0 is new) against the table as it then stands.
      if (acks === 60) load = b.request('load', { rules: [rule('l0', 800)], replace: false });
    };
    const acked = await pipeline(a, removes, onAck);
    await Promise.all([reload, load]);
    a.close(); b.close();
    expect(acked.length).toBe(removes.length);
    const expected = [...kept, 'l0'].sort();
    const { listed, saved } = await runtimeIds();
    expect(listed).toEqual(expected);
    expect(saved).toEqual(expected);
  }, 120_000);
});
