/**
 * The traffic API the scenario runner uses (lab/traffic/traffic.ts), behind one function so the
 * runner logs each generator and sink it starts in the run log with the options it used.
 */
import * as traffic from '../traffic/traffic.js';
import type { GenOptions, GenReport, SinkHandle, SinkOptions } from '../traffic/traffic.js';
import type { RunLog } from '../topology/log.js';

export type { SinkHandle };

export interface TrafficApi {
  runGenerator(o: GenOptions): Promise<GenReport>;
  startSink(o: SinkOptions): Promise<SinkHandle>;
}

export async function loadTraffic(log?: RunLog): Promise<TrafficApi> {
  const show = (o: GenOptions | SinkOptions) => JSON.stringify({ ...o, signal: undefined });
  return {
    runGenerator: (o) => { log?.write(`mcr-gen ${show(o)}`); return traffic.runGenerator(o); },
    startSink: async (o) => {
      const h = await traffic.startSink(o);
      log?.write(`mcr-sink pid ${h.pid} ${show(o)}`);
      return h;
    },
  };
}
