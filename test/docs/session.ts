/**
 * Replay a documented control session (`→` request lines, `←` reply lines) against the real control
 * server on a temporary socket, backed by the real rule service and an in-memory data plane with
 * interfaces eth0-eth2: every documented reply must be contained in the real one (same keys and
 * values where the doc gives them), so a reply shape that changed shows up here.
 */
import net from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startControlServer } from '../../relay/control/server.js';
import { createControlApi } from '../../relay/daemon/control-api.js';
import { silentLogger } from '../../relay/daemon/log.js';
import { RuleService } from '../../relay/daemon/rule-service.js';
import { StateFile } from '../../relay/config/state.js';
import { sumCounters } from '../../relay/stats/counters.js';
import { RateSampler } from '../../relay/stats/rates.js';
import { MemoryDataPlane } from '../support/memory-data-plane.js';
import { tempDir } from '../support/tmp.js';

/** The → / ← lines of a block, in order; undefined when it has none. */
export function sessionOf(text: string): Array<{ dir: '→' | '←'; text: string }> | undefined {
  const lines = text.split('\n').filter((l) => /^[→←] /.test(l)).map((l) => ({ dir: l[0] as '→' | '←', text: l.slice(2) }));
  return lines.length ? lines : undefined;
}

export async function replaySession(session: Array<{ dir: '→' | '←'; text: string }>, where: string): Promise<void> {
  const dir = await tempDir('docs');
  const path = join(dir, 'control.sock');
  const dp = new MemoryDataPlane();
  const log = silentLogger();
  const rules = new RuleService({ dataPlane: dp, log, state: new StateFile(join(dir, 'rules.json')), interfaceExists: (n) => /^eth[0-2]$/.test(n) });
  const sampler = new RateSampler(async () => sumCounters(await dp.counters()));
  const api = createControlApi({ rules, dataPlane: dp, sampler, log, backend: () => 'mmsg', reload: async () => ({ added: [], removed: [], changed: [], unchanged: 0 }) });
  const server = await startControlServer(path, api, log);
  const sock = net.connect(path);
  try {
    let buffered = '';
    const waiting: Array<(line: string) => void> = [];
    sock.on('data', (d) => {
      buffered += String(d);
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        waiting.shift()?.(line);
      }
    });
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    let reply: Promise<string> | undefined;
    for (const [i, l] of session.entries()) {
      if (l.dir === '→') {
        reply = new Promise((resolve) => waiting.push(resolve));
        sock.write(`${l.text}\n`);
        continue;
      }
      if (!reply) throw new Error(`${where}: a ← line (${i + 1}) with no → before it`);
      const got = JSON.parse(await reply) as unknown;
      let documented: unknown;
      try { documented = JSON.parse(l.text); } catch { throw new Error(`${where}: documented reply ${i + 1} is not JSON: ${l.text}`); }
      expect(got, `${where}: reply to the request before line ${i + 1} of the session; mcrd answers ${JSON.stringify(got)}`).toMatchObject(documented as object);
      reply = undefined;
    }
  } finally {
    sock.destroy();
    await server.close();
  }
}
