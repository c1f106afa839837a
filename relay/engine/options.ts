/**
 * The one schema of the engine's options (EngineOptions in types.ts): the Engine facade checks every
 * `new Engine(options)` with it, and mcrd's settings (relay/config/settings.ts) take the fields a user
 * sets from it, so a range is written once and worded once whichever way a value arrives:
 *
 *   new Engine({ backend: 'mmsg', ringBlockCount: 1 })   TypeError: Engine options.ringBlockCount: expected integer 2-65536, got 1 (number)
 *   mcrd --ring-blocks 1                                  --ring-blocks: expected integer 2-65536, got "1" (string)
 *
 * The native wrapper (native/engine/addon/engine_wrap.cc) then checks types only. Tested in engine.test.ts.
 */
import { z } from 'zod';

const int = (lo: number, hi: number, unit = '') => {
  const e = { error: `expected integer ${lo}-${hi}${unit}` };
  return z.int(e).min(lo, e).max(hi, e);
};
const either = <const T extends readonly [string, string]>(values: T) => z.enum(values, { error: `expected "${values[0]}" or "${values[1]}"` });
const bool = z.boolean({ error: 'expected true or false' });

/** The fields, each usable on its own (settings.ts builds mcrd's flags and config keys from them). */
export const ENGINE_FIELDS = {
  backend: either(['uring', 'mmsg']),
  fanoutGroup: int(0, 65535),
  cpu: int(0, 1023),
  ringBlockSize: int(16384, 2 ** 30).refine((n) => n % 4096 === 0, { error: 'expected a multiple of 4096' }),
  ringBlockCount: int(2, 65536),
  ringRetireMs: int(1, 1000),
  ringVersion: z.union([z.literal(2), z.literal(3)], { error: 'expected 2 or 3' }),
  filter: either(['rules', 'udp']),
  igmpJoin: bool,
  egress: either(['packet', 'socket']),
  gso: bool,
  busyPollUs: int(0, 1_000_000, ' (µs)'),
  adaptivePoll: bool,
} as const;

/** Every option but `backend` may be left out (the engine's defaults apply); unknown keys are not looked at. */
export const engineOptionsSchema = z.object(ENGINE_FIELDS, { error: 'expected an object' }).partial().required({ backend: true })
  .refine((o) => !(o.adaptivePoll === true && (o.busyPollUs ?? 0) !== 0),
    { path: ['adaptivePoll'], error: 'expected false when busyPollUs is set (a fixed window or adaptive, not both)' });
