/** mcrctl workers — the data-plane worker processes: pid, state, restarts, why the last one ended. */
import type { WorkerView } from '../../control/api.js';
import * as mcr from '../../compat/shapes.js';
import { type Verb, verbFlags } from './context.js';
import { table } from './format.js';

export const workers: Verb = {
  name: 'workers',
  aliases: ['list-workers'],
  summary: 'show data-plane worker processes',
  usage: 'usage: mcrctl workers',
  async run(argv, ctx) {
    verbFlags('workers', argv, []);
    const { workers: ws } = await ctx.request<{ workers: WorkerView[] }>('workers');
    ctx.emit({ json: () => ({ workers: ws }), mcr: () => mcr.workers(ws), text: () => table([['WORKER', 'PID', 'STATE', 'RESTARTS', 'RX FRAMES', 'SINCE', 'LAST EXIT'],
      ...ws.map((w) => [String(w.index), String(w.pid ?? '-'), w.state, String(w.restarts), w.rxFrames === null ? '-' : String(w.rxFrames), w.since ?? '-', w.lastExit ?? '-'])]) });
  },
};
