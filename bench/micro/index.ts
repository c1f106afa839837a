/**
 * The micro-benchmark suites `npm run bench` runs, in order. Each skips itself, saying why, when the
 * code it measures is not in the tree.
 */
import { controlSuite } from './control.bench.js';
import { engineSuite, ruleLookupSuite, ruleUpdateSuite } from './engine.bench.js';
import { parserSuite } from './parser.bench.js';
import { schemaSuite } from './schema.bench.js';
import type { SuiteDef } from './suite.js';

export const SUITES: SuiteDef[] = [parserSuite, ruleLookupSuite, engineSuite, ruleUpdateSuite, controlSuite, schemaSuite];
export { releaseEngines } from './engine.bench.js';
