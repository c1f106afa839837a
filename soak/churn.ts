/**
 * Rule churn during the soak: every 100 ms one runtime rule on groups no stream uses is added or
 * removed (ids c0..c49 in turn, so the table keeps changing size), on a control connection of its
 * own. The set it believes installed follows mcrd's replies only, so at the end it is exactly what
 * `list` must show next to the config's rules.
 */
import { ControlClient } from '../relay/control/client.js';

const IDS = 50;
const PERIOD_MS = 100;

export class Churn {
  readonly present = new Set<string>();
  changes = 0;
  refused: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private client: ControlClient | undefined;

  constructor(private readonly socket: string) {}

  async start(): Promise<void> {
    this.client = await ControlClient.connect(this.socket, { timeoutMs: 30_000 });
    let j = 0;
    this.timer = setInterval(() => {
      // One change at a time: the next waits for the reply of the previous (a slow mcrd slows the churn).
      this.inflight = this.inflight.then(() => this.step(j++));
    }, PERIOD_MS);
  }

  private async step(j: number): Promise<void> {
    const n = j % IDS;
    const id = `c${n}`;
    const req = this.present.has(id)
      ? { cmd: 'remove', ruleId: id }
      : { cmd: 'add', rule: { name: id, input: { interface: 'r0', group: `239.70.0.${n + 1}`, port: 8000 + n }, outputs: [{ interface: 'r1', group: `239.71.0.${n + 1}`, port: 9000 + n }] } };
    const rep = await this.client!.send(req).catch((e: Error) => ({ ok: false as const, error: { message: e.message } }));
    if (!rep.ok) { this.refused.push(`${req.cmd} ${id}: ${rep.error.message}`); return; }
    this.changes++;
    if (req.cmd === 'add') this.present.add(id); else this.present.delete(id);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inflight;
    this.client?.close();
  }
}
