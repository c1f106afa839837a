/**
 * MCR's eight syslog severities ↔ mcrd's four log levels. mcrd keeps one global level, so MCR's
 * finer levels fold onto the nearest one (emergency…error → error, notice → info) and MCR's
 * per-facility levels have nothing to set. Tested in compat.test.ts.
 */
import type { LogLevel } from '../config/load.js';
import { McrError, describeValue } from '../errors.js';

const FROM_MCR: Record<string, LogLevel> = {
  emergency: 'error', emerg: 'error', alert: 'error', critical: 'error', crit: 'error', error: 'error', err: 'error',
  warning: 'warn', warn: 'warn', notice: 'info', info: 'info', informational: 'info', debug: 'debug',
};

/** MCR's severity names as its serde writes them (`"Info"`), for the level mcrd runs at. */
const TO_MCR: Record<LogLevel, string> = { error: 'Error', warn: 'Warning', info: 'Info', debug: 'Debug' };

/** MCR's facilities (src/logging/facility.rs), named in the refusal of `--facility`. */
export const MCR_FACILITIES = ['Supervisor', 'RuleDispatch', 'ControlSocket', 'DataPlane', 'Ingress', 'Egress', 'BufferPool', 'PacketParser', 'Stats', 'Security', 'Network', 'Test'];

/** An MCR severity (any case, MCR's aliases) as an mcrd level; McrError naming `source` otherwise. */
export function levelFromMcr(severity: string, source: string): LogLevel {
  const l = FROM_MCR[severity.toLowerCase()];
  if (l === undefined) {
    throw new McrError({ code: 'EINVAL', source, detail: `expected emergency, alert, critical, error, warning, notice, info or debug, got ${describeValue(severity)}` });
  }
  return l;
}

export function mcrSeverity(level: LogLevel): string {
  return TO_MCR[level];
}

/** The refusal of MCR's per-facility levels. */
export function facilityRefusal(source: string): McrError {
  return new McrError({
    code: 'EINVAL', source,
    detail: `mcrd has one global log level and no facilities (MCR's ${MCR_FACILITIES.slice(0, 4).join(', ')}, …); use log-level set --global LEVEL`,
  });
}
