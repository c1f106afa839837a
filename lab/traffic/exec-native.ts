/**
 * The body of the mcr-gen / mcr-sink bin shims: run the native binary with our argv and stdio, pass
 * on termination signals and leave with its exit status.
 *
 * SIGINT is not forwarded: Ctrl-C reaches the whole foreground process group, so the tool already
 * has it, and a second copy would make it exit without its report (a second SIGINT means "now").
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

import { nativeBinary, type NativeTool } from './binaries.js';

export function execNative(tool: NativeTool): void {
  const bin = nativeBinary(tool);
  if (!existsSync(bin)) {
    process.stderr.write(`${tool}: native binary not built (no ${bin}); run \`npm install\` or \`npm run install\`\n`);
    process.exit(69);
  }
  const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => () => void child.kill(sig);
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', forward('SIGTERM')],
    ['SIGHUP', forward('SIGHUP')],
    ['SIGINT', () => undefined],
  ];
  for (const [sig, h] of handlers) process.on(sig, h);
  child.on('error', (err) => {
    process.stderr.write(`${tool}: cannot run ${bin}: ${err.message}\n`);
    process.exit(69);
  });
  child.on('exit', (code, signal) => {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
