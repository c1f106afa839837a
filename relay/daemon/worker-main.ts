/**
 * Data-plane worker process: owns one native Engine and does what the supervisor says over IPC
 * (protocol in ipc.ts). Started by workers.ts with child_process.fork; never run by hand.
 * The engine runs on its own thread, so this process's event loop only handles IPC.
 */
import { Engine } from '../engine/engine.js';
import type { Capture, EngineOptions, EngineRule } from '../engine/types.js';
import { type FromWorker, type ToWorker, toWireError } from './ipc.js';
import { afterStart } from './least-privilege.js';

const send = (m: FromWorker) => process.send?.(m);
let engine: Engine | undefined;

async function init(options: EngineOptions, rules: EngineRule[], capture?: Capture): Promise<void> {
  try {
    // A data-plane worker needs CAP_NET_RAW and nothing else, however it was started.
    afterStart();
    engine = new Engine(options);
    // PIM source reports are rare (rate-limited in the engine): each batch goes on as it comes.
    engine.onSources((reports) => send({ type: 'sources', reports }));
    engine.setRules(rules, capture);
    engine.start();
    send({ type: 'ready', maxRuleSlots: Engine.MAX_RULE_SLOTS, maxOutputSlots: Engine.MAX_OUTPUT_SLOTS });
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
      ready = init(m.options, m.rules, m.capture);
      break;
    case 'setRules':
    case 'updateRules':
      void ready.then(() => {
        try {
          if (m.type === 'setRules') engine!.setRules(m.rules, m.capture);
          else engine!.updateRules(m.remove, m.add, m.capture);
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
