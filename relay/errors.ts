/**
 * McrError: the one error type of the control plane. Its message is composed in one place
 * (formatMessage) so the CLI, the daemon log and the control-socket reply say the same words:
 *
 *   mcrd.json5:14 rules[2].outputs[0].port: expected integer 1-65535, got "80a" (string)
 *   request 17 rule.input.group: expected IPv4 multicast or unicast address, got "239.1.1" (string)
 *   --input-port: expected integer 1-65535, got "x" (string)
 *
 * Exercised by relay/errors.test.ts and every schema test.
 */

/** Error codes on the wire and in logs. errno-like names so scripts can switch on them. */
export type McrErrorCode =
  | 'EINVAL'    // a field is wrong (schema, flags, config)
  | 'EEXIST'    // duplicate rule id or input
  | 'ENOENT'    // no such rule, or no such file
  | 'ENODEV'    // an interface named by a rule does not exist where mcrd runs
  | 'EPROTO'    // a control line is not JSON or not a request
  | 'EMSGSIZE'  // a control line is longer than the limit
  | 'ENOSYS'    // unknown command
  | 'EENGINE'   // the packet engine refused the rule table (with the engine's own code in `cause`)
  | 'EWORKER'   // no data-plane worker could take the change
  | 'EBUSY'     // too many control connections, or the state file locked by another mcrd
  | 'EUNAVAIL'  // daemon not reachable (client side)
  | 'EACCES'    // permission (client side, or state file)
  | 'EIO';      // anything else

export interface McrErrorFields {
  code: McrErrorCode;
  /** The reason, starting with what was expected: `expected integer 1-65535, got "x" (string)`. */
  detail: string;
  /** Where in the document: `rules[2].outputs[0].port`. */
  path?: string;
  /** Which document: `mcrd.json5:14`, `request 17`, `--input-port`. */
  source?: string;
  /** Extra hint appended after the reason, e.g. an engine hint. */
  hint?: string;
}

/** Compose `source path: detail (hint)` — the single place error text is built. */
export function formatMessage(f: Omit<McrErrorFields, 'code'>): string {
  const where = [f.source, f.path].filter((s) => s !== undefined && s !== '').join(' ');
  const tail = f.hint ? ` (${f.hint})` : '';
  return where ? `${where}: ${f.detail}${tail}` : `${f.detail}${tail}`;
}

export class McrError extends Error {
  readonly code: McrErrorCode;
  readonly detail: string;
  readonly path: string | undefined;
  readonly source: string | undefined;
  readonly hint: string | undefined;

  constructor(f: McrErrorFields) {
    super(formatMessage(f));
    this.name = 'McrError';
    this.code = f.code;
    this.detail = f.detail;
    this.path = f.path;
    this.source = f.source;
    this.hint = f.hint;
  }

  /** The same error seen from another document, e.g. a rule error re-anchored at `request 17`. */
  withSource(source: string, pathPrefix?: string): McrError {
    const path = pathPrefix ? joinPath(pathPrefix, this.path) : this.path;
    return new McrError({ code: this.code, detail: this.detail, path, source, hint: this.hint });
  }

  /** The `error` object of a control-socket reply. */
  toWire(): { code: string; message: string; path?: string } {
    return this.path ? { code: this.code, message: this.message, path: this.path } : { code: this.code, message: this.message };
  }
}

/** Join `rule` and `outputs[0].port` into `rule.outputs[0].port`; index segments attach without a dot. */
export function joinPath(prefix: string, rest: string | undefined): string {
  if (!rest) return prefix;
  return rest.startsWith('[') ? `${prefix}${rest}` : `${prefix}.${rest}`;
}

/** Format a zod/JS path array as `rules[2].outputs[0].port`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Describe a received value for `got ...`: `"80a" (string)`, `80.5 (number)`, `nothing (missing)`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    const s = v.length > 40 ? `${v.slice(0, 40)}…` : v;
    return `${JSON.stringify(s)} (string)`;
  }
  return `${String(v)} (${typeof v})`;
}

/** Turn anything thrown into an McrError (unknown errors keep their message, code EIO). */
export function toMcrError(err: unknown): McrError {
  if (err instanceof McrError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new McrError({ code: 'EIO', detail: msg });
}
