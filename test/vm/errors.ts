/**
 * A reason the VM could not run the command to its end, with the fix where there is one; the CLI
 * prints its message alone. `end` says whether the runner cut the run short itself.
 */
export class VmError extends Error {
  override name = 'VmError';
  constructor(message: string, readonly end: 'unavailable' | 'timeout' | 'aborted' = 'unavailable') {
    super(message);
  }
}
