import { expect, test } from 'vitest';
import { createLogger } from './log.js';

test('text lines carry level, message and key=value fields; the level filters and can change', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', json: false, write: (l) => lines.push(l) });
  log.debug('hidden');
  log.info('rule added', { id: 'cam 1', outputs: 2 });
  log.level = 'debug';
  log.debug('now shown');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info rule added id="cam 1" outputs=2$/);
});

test('JSON lines parse and carry the fields', () => {
  const lines: string[] = [];
  createLogger({ level: 'warn', json: true, write: (l) => lines.push(l) }).warn('x', { a: 1 });
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'x', a: 1 });
});
