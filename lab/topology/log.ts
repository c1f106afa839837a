/**
 * The run log: every command the lab runs, with its namespace, exit status and the tail of stderr
 * on failure, one line each, appended synchronously so the log is complete even after a crash.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export class RunLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }
  write(line: string): void {
    appendFileSync(this.path, `${new Date().toISOString()} ${line}\n`);
  }
}
