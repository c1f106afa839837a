/**
 * Load the JSON5 rule file. MCR's format is accepted as is:
 *
 *   // mcrd.json5
 *   {
 *     rules: [
 *       { name: "camera-1",
 *         input: { interface: "eth0", group: "239.1.1.1", port: 5001 },
 *         outputs: [{ interface: "eth1", group: "239.10.10.10", port: 6001 }] },
 *     ],
 *     // optional, mcrd only; command-line flags win over these
 *     daemon: { numWorkers: 2, backend: "mmsg", logLevel: "info" },
 *   }
 *
 * MCR's top-level keys: `multicast_ttl` is the TTL of outputs that give none (default 16, see
 * model/rule.ts); `pinning` is refused unless empty (`{}`, as MCR's `config save` writes it) since
 * mcrd places workers with --num-workers/--cpus. `igmp:` is validated by the IGMP module's schema
 * (protocols.ts). Other top-level sections are ignored with a warning, so an MCR file loads unchanged.
 * Inside a rule, unknown keys are errors: a misspelt `intreface` must not silently drop an output.
 * Tested in load.test.ts; `mcrd --check FILE` runs this alone.
 */
import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';
import { z } from 'zod';
import { McrError } from '../errors.js';
import { issuesToErrors, throwFirst } from '../model/issues.js';
import type { Rule } from '../model/rule.js';
import { parseRuleList } from '../model/validate.js';
import { lineOf, locatePaths } from './locate.js';
import { PROTOCOL_SECTIONS, type ProtocolSettings, parseProtocolSections } from './protocols.js';
import { type DaemonSettings, type SettingKey, daemonSettingsSchema } from './settings.js';

export { LOG_LEVELS, type LogLevel } from './settings.js';

export interface ConfigFile {
  rules: Rule[];
  /** The `daemon:` section, checked by the settings schema (settings.ts); flags win over it. */
  settings: DaemonSettings;
  /** Where a setting of the `daemon:` section is, for messages: `mcrd.json5:7 daemon.user`. */
  sourceOf(key: SettingKey): string;
  /** MCR's multicast_ttl: TTL of outputs that give none, if the file sets it. */
  multicastTtl?: number;
  /** The igmp: (and later pim:) sections, validated by their modules' schemas (protocols.ts). */
  protocols: ProtocolSettings;
  /** Things worth a log line that do not stop loading (ignored sections). */
  warnings: string[];
}

/** Parse config text; `name` is how errors refer to the file (`mcrd.json5:14 ...`). Throws McrError. */
export function parseConfigText(text: string, name: string): ConfigFile {
  let doc: unknown;
  try {
    doc = JSON5.parse(text);
  } catch (err) {
    const e = err as SyntaxError & { lineNumber?: number };
    const detail = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    throw new McrError({ code: 'EINVAL', detail: `not valid JSON5: ${detail}`, source: e.lineNumber ? `${name}:${e.lineNumber}` : name });
  }
  const lines = locatePaths(text);
  const source = (path: ReadonlyArray<PropertyKey>) => {
    const l = lineOf(lines, path);
    return l === undefined ? name : `${name}:${l}`;
  };
  return parseConfigDoc(doc, name, source);
}

const TOP_KEYS: readonly string[] = ['rules', 'daemon', 'multicast_ttl', 'pinning', ...PROTOCOL_SECTIONS];
const TTL_EXPECT = { error: 'expected integer 1-255 or null' };
const multicastTtl = z.union([z.null(), z.int(TTL_EXPECT).min(1, TTL_EXPECT).max(255, TTL_EXPECT)], TTL_EXPECT);

/**
 * Check a parsed config document (a file's, or the `config` of an MCR LoadConfig/CheckConfig request).
 * `source` maps a path to where errors point (`mcrd.json5:14`).
 */
export function parseConfigDoc(doc: unknown, name: string, source: (path: ReadonlyArray<PropertyKey>) => string = () => name): ConfigFile {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new McrError({ code: 'EINVAL', detail: 'expected an object with a "rules" list at the top', source: name });
  }
  const top = doc as Record<string, unknown>;
  const warnings = Object.keys(top)
    .filter((k) => !TOP_KEYS.includes(k))
    .map((k) => `${source([k])} ${k}: section not used by mcrd, ignored`);
  const pinning = top.pinning;
  if (pinning !== undefined && !(pinning !== null && typeof pinning === 'object' && Object.keys(pinning).length === 0)) {
    throw new McrError({
      code: 'EINVAL', path: 'pinning', source: source(['pinning']),
      detail: 'MCR\'s per-interface worker pinning is not supported; remove it and pin with daemon: { numWorkers: N, cpus: [...] } (or mcrd --num-workers N --cpus LIST)',
    });
  }
  const ttl = multicastTtl.safeParse(top.multicast_ttl ?? null);
  if (!ttl.success) throwFirst(issuesToErrors(ttl.error, top.multicast_ttl, { source, pathPrefix: ['multicast_ttl'] }));
  const defaultTtl = ttl.data ?? undefined;

  const rawRules = top.rules ?? [];
  if (!Array.isArray(rawRules)) {
    throw new McrError({ code: 'EINVAL', detail: 'expected a list of rules', path: 'rules', source: source(['rules']) });
  }
  const rules = parseRuleList(rawRules, { source, pathPrefix: ['rules'] }, defaultTtl);

  const s = daemonSettingsSchema.safeParse(top.daemon ?? {});
  if (!s.success) throwFirst(issuesToErrors(s.error, top.daemon, { source, pathPrefix: ['daemon'], knownKeys: Object.keys(daemonSettingsSchema.shape) }));
  const protocols = parseProtocolSections(top, { source });
  const sourceOf = (key: SettingKey) => `${source(['daemon', key])} daemon.${key}`;
  return { rules, settings: s.data, sourceOf, protocols, warnings, ...(defaultTtl !== undefined ? { multicastTtl: defaultTtl } : {}) };
}

/** What mcrd runs on without --config: no rules, no settings, no protocols. */
export function emptyConfig(): ConfigFile {
  return { rules: [], settings: {}, sourceOf: (key) => `daemon.${key}`, protocols: {}, warnings: [] };
}

/** Read and parse a config file. A missing or unreadable file is an McrError naming the path. */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new McrError({ code: code === 'EACCES' ? 'EACCES' : 'ENOENT', detail: `cannot read config: ${code ?? String(err)}`, source: path });
  }
  return parseConfigText(text, path);
}
