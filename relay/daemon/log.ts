/**
 * Daemon log: one line per event on stderr, text or JSON lines (--log-json), level changeable at
 * runtime (mcrctl log-level). Nothing is logged per packet at any level.
 *
 *   2026-11-22T04:30:00.000Z info rule added id=cam1 outputs=1
 *   {"ts":"2026-11-22T04:30:00.000Z","level":"info","msg":"rule added","id":"cam1","outputs":1}
 */
import type { LogLevel } from '../config/load.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  level: LogLevel;
  error(msg: string, f?: Fields): void;
  warn(msg: string, f?: Fields): void;
  info(msg: string, f?: Fields): void;
  debug(msg: string, f?: Fields): void;
}

function quote(v: unknown): string {
  const s = String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** A logger writing to `write` (stderr by default). */
export function createLogger(opts: { level: LogLevel; json: boolean; write?: (line: string) => void }): Logger {
  const write = opts.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  const log = (level: LogLevel) => (msg: string, f: Fields = {}) => {
    if (RANK[level] > RANK[logger.level]) return;
    const ts = new Date().toISOString();
    if (opts.json) {
      write(JSON.stringify({ ts, level, msg, ...f }));
    } else {
      const kv = Object.entries(f).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${quote(v)}`);
      write([ts, level, msg, ...kv].join(' '));
    }
  };
  const logger: Logger = { level: opts.level, error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') };
  return logger;
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger = (): Logger => createLogger({ level: 'error', json: false, write: () => {} });
