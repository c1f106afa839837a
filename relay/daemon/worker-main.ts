/**
 * Data-plane worker process: owns one native Engine and does what the supervisor says over IPC
 * (protocol in ipc.ts). Started by workers.ts with child_process.fork; never run by hand.
 * The engine runs on its own thread, so this process's event loop only handles IPC.
 */
import type { EngineCounters, EngineOptions, EngineRule } from '../engine/types.js';
import { type FromWorker, type ToWorker, toWireError } from './ipc.js';

/** The facade relay/engine/engine.ts exports (loaded at run time: it needs the native addon). */
interface EngineLike {
  setRules(rules: EngineRule[]): void;
  updateRules(remove: string[], add: EngineRule[]): void;
  start(): void;
  stop(): void;
  counters(): EngineCounters;
}
interface EngineModule {
  Engine: { new (o: EngineOptions): EngineLike; MAX_RULE_SLOTS: number; MAX_OUTPUT_SLOTS: number };
}

const send = (m: FromWorker) => process.send?.(m);
let engine: EngineLike | undefined;

async function init(options: EngineOptions, rules: EngineRule[]): Promise<void> {
  try {
    const mod = (await import(new URL('../engine/engine.js', import.meta.url).href)) as EngineModule;
    engine = new mod.Engine(options);
    engine.setRules(rules);
    engine.start();
    send({ type: 'ready', maxRuleSlots: mod.Engine.MAX_RULE_SLOTS, maxOutputSlots: mod.Engine.MAX_OUTPUT_SLOTS });
  } catch (err) {
    send({ type: 'fatal', error: toWireError(err) });
    // Let the message flush before exiting; the supervisor decides about restarting.
    setTimeout(() => process.exit(1), 50);
  }
}

let ready: Promise<void> = Promise.resolve();

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      ready = init(m.options, m.rules);
      break;
    case 'setRules':
    case 'updateRules':
      void ready.then(() => {
        try {
          if (m.type === 'setRules') engine!.setRules(m.rules);
          else engine!.updateRules(m.remove, m.add);
          send({ type: 'reply', seq: m.seq, ok: true });
        } catch (err) {
          send({ type: 'reply', seq: m.seq, ok: false, error: toWireError(err) });
        }
      });
      break;
    case 'counters':
      void ready.then(() => {
        try {
          send({ type: 'reply', seq: m.seq, ok: true, counters: engine!.counters() });
        } catch (err) {
          send({ type: 'reply', seq: m.seq, ok: false, error: toWireError(err) });
        }
      });
      break;
    case 'stop':
      try { engine?.stop(); } finally { process.exit(0); }
  }
});

// The supervisor going away (even by SIGKILL) closes the IPC channel: stop forwarding then.
process.on('disconnect', () => {
  try { engine?.stop(); } finally { process.exit(0); }
});
// SIGINT from a terminal, or systemd's SIGTERM to the whole control group, reach the workers too;
// the supervisor decides when they stop (it sends 'stop', and a lost supervisor closes the channel).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
