/**
 * Named instances, for several relays on one host: `mcrd --instance NAME` and `mcrctl --instance
 * NAME` derive the control socket and the state file from NAME, so two relays never share (and
 * swap) one state file by default. An explicit --control-socket / --state-file still wins.
 *
 *   (none)       /run/mcrd/control.sock        /var/lib/mcrd/rules.json
 *   --instance a /run/mcrd/a/control.sock      /var/lib/mcrd/a/rules.json
 *
 * Tested in instance.test.ts.
 */
import { McrError, describeValue } from '../errors.js';

export const DEFAULT_CONTROL_SOCKET = '/run/mcrd/control.sock';
export const DEFAULT_STATE_FILE = '/var/lib/mcrd/rules.json';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export interface InstancePaths { controlSocket: string; stateFile: string }

/** Default paths of an instance (undefined: the unnamed one). Throws McrError for a bad name, naming `source`. */
export function instancePaths(name: string | undefined, source = '--instance'): InstancePaths {
  if (name === undefined) return { controlSocket: DEFAULT_CONTROL_SOCKET, stateFile: DEFAULT_STATE_FILE };
  if (!NAME.test(name)) {
    throw new McrError({ code: 'EINVAL', source, detail: `expected an instance name: 1-32 letters, digits, ".", "_" or "-", starting with a letter or digit, got ${describeValue(name)}` });
  }
  return { controlSocket: `/run/mcrd/${name}/control.sock`, stateFile: `/var/lib/mcrd/${name}/rules.json` };
}
