/**
 * KVM or TCG. /dev/kvm can be present and KVM_CREATE_VM succeed while a guest still never boots (nested
 * virtualisation inside a Firecracker guest hangs right after the real-mode setup), so the first run
 * on a host boots under KVM with a short deadline for stage 1's first line and falls back to TCG;
 * the verdict is kept in the cache per host kernel and qemu version. MCRVM_ACCEL=kvm|tcg overrides.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { VmError } from './errors.js';

export type Accel = 'kvm' | 'tcg';

/** What to boot with: a settled choice, or KVM on probation (`probe`: fall back to TCG if it hangs). */
export interface AccelChoice { accel: Accel; probe: boolean; remember(works: boolean): void }

/** How long a KVM guest may take to print stage 1's first line before KVM is judged unusable. */
export const kvmProbeMs = 20_000;

function verdictFile(cacheDir: string, qemu: string): string {
  const version = /version (\S+)/.exec(execFileSync(qemu, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return join(cacheDir, `accel-${release()}-qemu-${version}`);
}

export function chooseAccel(cacheDir: string, qemu: string): AccelChoice {
  const settled = (accel: Accel): AccelChoice => ({ accel, probe: false, remember: () => {} });
  const forced = process.env['MCRVM_ACCEL'];
  if (forced !== undefined) {
    if (forced !== 'kvm' && forced !== 'tcg') throw new VmError(`MCRVM_ACCEL=${forced}: expected kvm or tcg`);
    return settled(forced);
  }
  try { accessSync('/dev/kvm', constants.R_OK | constants.W_OK); } catch { return settled('tcg'); }
  const file = verdictFile(cacheDir, qemu);
  if (existsSync(file)) return settled(readFileSync(file, 'utf8').trim() === 'kvm' ? 'kvm' : 'tcg');
  return {
    accel: 'kvm',
    probe: true,
    remember(works) {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(file, works ? 'kvm\n' : 'tcg\n');
    },
  };
}
