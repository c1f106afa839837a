/**
 * mcrctl msdp — MCR's MSDP commands (peers, sa-cache, add-peer, remove-peer, clear-sa-cache), refused
 * with what to do instead: mcrd has no MSDP. Exit 64, like any command mcrd's mcrctl lacks.
 *
 *   mcrctl msdp peers     →  mcrctl: msdp peers: not supported by mcrd: mcrd has no MSDP; run it in FRR ...
 */
import { unsupportedAdvice } from '../../compat/wire.js';
import { type Verb, usageError } from './context.js';

export const msdp: Verb = {
  name: 'msdp',
  summary: 'MCR\'s MSDP commands: refused, mcrd has no MSDP',
  usage: `usage: mcrctl msdp peers | sa-cache | add-peer | remove-peer | clear-sa-cache

  ${unsupportedAdvice('GetMsdpPeers')}`,
  run(argv) {
    return Promise.reject(usageError(`msdp${argv[0] ? ` ${argv[0]}` : ''}: not supported by mcrd: ${unsupportedAdvice('GetMsdpPeers')}`));
  },
};
