import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { planPlacement } from '../run/placement.js';
import { loadScenarioText } from '../scenario/load.js';
import { resolveScenario } from '../scenario/resolve.js';
import { rpsPlan, sameMask } from './rps.js';

const scenario = (file: string) =>
  resolveScenario(loadScenarioText(readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), 'utf8'), file).scenario);

describe('RPS plan', () => {
  test('chain: the relay host\'s interfaces get the relay mask, generator and sink hosts the traffic mask', () => {
    const plan = rpsPlan(scenario('chain.yaml'), planPlacement(undefined, [0, 1]));
    expect(Object.fromEntries([...plan].map(([h, m]) => [h, Object.fromEntries(m)]))).toEqual({
      gen: { eth0: '1' }, relay: { in0: '2', out0: '2' }, sink: { eth0: '1' },
    });
  });

  test('dual-bridge: bridge ports in the switch namespace are traffic-side', () => {
    const plan = rpsPlan(scenario('dual-bridge.yaml'), planPlacement({ traffic: [0], relay: [1] }, [0, 1]));
    expect([...plan.get('sw')!.values()].every((m) => m === '1')).toBe(true);
    expect([...plan.get('relay')!.values()]).toEqual(['2', '2']);
  });

  test('no placement, no RPS', () => {
    expect(rpsPlan(scenario('chain.yaml'), planPlacement(false, [0, 1])).size).toBe(0);
  });

  test('masks compare by value, whatever the padding sysfs prints', () => {
    expect(sameMask('00000000,00000002', '2')).toBe(true);
    expect(sameMask('0\n', '00')).toBe(true);
    expect(sameMask('3', '2')).toBe(false);
  });
});
