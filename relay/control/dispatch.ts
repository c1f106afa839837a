/**
 * Route one parsed request to the daemon (ControlApi) after validating its arguments with the
 * same schema as config files and CLI flags. Errors come back as McrError anchored at
 * `request <id>`. Tested in server.test.ts.
 */
import { LOG_LEVELS, type LogLevel } from '../config/load.js';
import { McrError } from '../errors.js';
import { parseRule, parseRuleList } from '../model/validate.js';
import type { ControlApi } from './api.js';
import { dispatchProtocol, isProtocolCommand } from './dispatch-protocols.js';
import { COMMANDS, type Request, requestSource } from './protocol.js';

/** Run `req` against `api`; resolves with the reply's `result`, rejects with an McrError. */
export async function dispatch(req: Request, api: ControlApi, lineNo: number): Promise<unknown> {
  const source = requestSource(req.id, lineNo);
  switch (req.cmd) {
    case 'ping':
      return { pong: true };
    case 'version':
      return api.version();
    case 'add': {
      if (req.rule === undefined) throw new McrError({ code: 'EINVAL', source, path: 'rule', detail: 'expected a rule object, got nothing (missing)' });
      const rule = parseRule(req.rule, { source: () => source, pathPrefix: ['rule'] }, api.defaultTtl);
      return await anchored(api.add(rule, flag(req, 'replace', source)), source, 'rule');
    }
    case 'remove': {
      if (typeof req.name === 'string' && req.ruleId === undefined) return { rule: await anchored(api.remove(idOfName(api, req.name, source)), source) };
      if (typeof req.ruleId !== 'string' || req.ruleId === '') {
        throw new McrError({ code: 'EINVAL', source, path: 'ruleId', detail: 'expected the id of a rule (see list), or name instead of ruleId' });
      }
      return { rule: await anchored(api.remove(req.ruleId), source) };
    }
    case 'load': {
      if (!Array.isArray(req.rules)) throw new McrError({ code: 'EINVAL', source, path: 'rules', detail: 'expected a list of rules' });
      const rules = parseRuleList(req.rules, { source: () => source, pathPrefix: ['rules'] }, api.defaultTtl);
      return await anchored(api.load(rules, flag(req, 'replace', source)), source);
    }
    case 'list':
      return { rules: api.list() };
    case 'stats':
      return api.stats();
    case 'workers':
      return { workers: api.workers() };
    case 'log-level': {
      if (req.level !== undefined && !LOG_LEVELS.includes(req.level as LogLevel)) {
        throw new McrError({ code: 'EINVAL', source, path: 'level', detail: `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(req.level)}` });
      }
      return api.logLevel(req.level as LogLevel | undefined);
    }
    case 'reload':
      return api.reload();
    default:
      if (isProtocolCommand(req.cmd)) return dispatchProtocol(req, api.protocols, source);
      throw new McrError({ code: 'ENOSYS', source, path: 'cmd', detail: `unknown command ${JSON.stringify(req.cmd).slice(0, 60)}; expected one of ${COMMANDS.join(', ')}` });
  }
}

function flag(req: Request, key: string, source: string): boolean {
  const v = req[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new McrError({ code: 'EINVAL', source, path: key, detail: `expected true or false, got ${JSON.stringify(v)}` });
  return v;
}

/** The id of the rule called `name` (its MCR name, or its id when the name is id-shaped). */
export function idOfName(api: ControlApi, name: string, source?: string): string {
  const rules = api.list();
  const r = rules.find((x) => x.name === name) ?? rules.find((x) => x.id === name && x.name === undefined);
  if (!r) {
    const known = rules.map((x) => x.name ?? x.id).slice(0, 10).map((n) => JSON.stringify(n)).join(', ');
    throw new McrError({ code: 'ENOENT', source, path: 'name', detail: `no rule named ${JSON.stringify(name)}${known ? ` (rules: ${known})` : ' (no rules)'}; see mcrctl list` });
  }
  return r.id;
}

/** Errors the daemon raises about a rule (ENODEV, EEXIST) carry a path inside it; anchor them at the request. */
async function anchored<T>(p: Promise<T>, source: string, prefix?: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof McrError && err.source === undefined) throw err.path ? err.withSource(source, prefix) : err.withSource(source);
    throw err;
  }
}
