/**
 * Parser micro-benchmarks: the native frame parser (Ethernet, 802.1Q, IPv4, UDP) through its JS
 * surface parseFrame(), on a plain 1316-byte multicast frame, the same with a VLAN tag, and two
 * malformed frames that must be rejected (truncated, bad IP header length). The figures include the
 * N-API call and building the result object, which the engine's own loop does not pay.
 * Run by bench/run.ts.
 */
import { parseFrame } from '../../relay/engine/engine.js';
import { benchFrames } from './frames.js';
import { addonUnavailable } from './native.js';
import type { MicroTask, SuiteDef } from './suite.js';

let sink: unknown;

export const parserSuite: SuiteDef = {
  name: 'parser',
  async prepare(): Promise<MicroTask[] | string> {
    const unavailable = addonUnavailable();
    if (unavailable !== undefined) return unavailable;
    const frames = benchFrames();
    // Timing a parser that gets the answer wrong is worthless: check each frame's verdict first.
    const plain = parseFrame(frames.plain);
    if ('error' in plain || plain.destination !== '239.1.1.1' || plain.destinationPort !== 5000 || plain.payloadLength !== 1316) {
      throw new Error(`parseFrame(plain) returned ${JSON.stringify(plain)}`);
    }
    const vlan = parseFrame(frames.vlan);
    if ('error' in vlan || vlan.vlanIds[0] !== 100 || vlan.destination !== '239.1.1.1') {
      throw new Error(`parseFrame(vlan) returned ${JSON.stringify(vlan)}`);
    }
    for (const bad of ['truncated', 'badIhl'] as const) {
      const r = parseFrame(frames[bad]);
      if (!('error' in r)) throw new Error(`parseFrame(${bad}) accepted a malformed frame: ${JSON.stringify(r)}`);
    }
    return (Object.keys(frames) as Array<keyof typeof frames>).map((name) => ({
      name: `parseFrame ${name}${name === 'plain' || name === 'vlan' ? '' : ' (rejected)'}`,
      batch: 500,
      fn: () => { sink = parseFrame(frames[name]); },
    }));
  },
};

export const lastResult = (): unknown => sink;
