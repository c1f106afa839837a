/** mcrctl's verbs, in the order `mcrctl --help` lists them (mcrctl.ts runs them; test/docs.test.ts parses with them). */
import { add } from './add.js';
import { config } from './config.js';
import type { Verb } from './context.js';
import { igmp } from './igmp.js';
import { list } from './list.js';
import { logLevel } from './log-level.js';
import { mroute } from './mroute.js';
import { msdp } from './msdp.js';
import { pim } from './pim.js';
import { ping } from './ping.js';
import { reload } from './reload.js';
import { remove } from './remove.js';
import { stats } from './stats.js';
import { subscribe } from './subscribe.js';
import { version } from './version.js';
import { workers } from './workers.js';

export const VERBS: Verb[] = [add, remove, list, stats, workers, ping, version, logLevel, reload, config, igmp, pim, mroute, subscribe, msdp];

/** The verb called `name` (or one of its aliases, like MCR's list-rules). */
export function findVerb(name: string | undefined): Verb | undefined {
  return VERBS.find((v) => v.name === name || v.aliases?.includes(name ?? ''));
}
