/**
 * PIM-SM (RFC 7761) protocol module for mcrd: the entry point the protocol host imports.
 */
export { pimConfigSchema, type PimConfig } from './config.js';
export { createPimModule, type PimModule, type PimDeps, type IgmpMembership } from './module.js';
