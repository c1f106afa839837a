import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { renderSchemaFile } from './emit-schema.js';

describe('scenario JSON Schema', () => {
  test('the committed scenarios/scenario.schema.json matches the zod schema (regenerate with emit-schema)', () => {
    const committed = readFileSync(new URL('../../scenarios/scenario.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderSchemaFile());
  });

  test('strict objects are closed in the JSON Schema so editors flag unknown keys too', () => {
    const schema = JSON.parse(renderSchemaFile());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.links.items.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'hosts', 'links', 'relay', 'streams', 'tests']));
  });
});
