/**
 * The IGMP protocol module (RFC 2236 querier, RFC 3376 router with v1/v2 host compatibility, RFC 4604
 * SSM rules) for the protocol host: its config schema and constructor. See README.md in this folder.
 */
export { igmpConfigSchema, type IgmpConfig, type IgmpConfigInput } from './config.js';
export { createIgmpModule, type IgmpModule } from './module.js';
export type { FilterMode } from './records.js';
