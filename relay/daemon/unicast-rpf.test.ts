import { describe, expect, test } from 'vitest';
import { parseRouteGet } from './unicast-rpf.js';

describe('parseRouteGet', () => {
  test('a route through a gateway gives its interface and next hop', () => {
    expect(parseRouteGet('10.0.9.9', '[{"dst":"10.0.9.9","gateway":"10.0.1.1","dev":"eth0","prefsrc":"10.0.1.2","flags":[],"uid":0,"cache":[]}]'))
      .toEqual({ interface: 'eth0', neighbor: '10.0.1.1' });
  });
  test('a directly connected address is its own next hop', () => {
    expect(parseRouteGet('10.0.1.1', '[{"dst":"10.0.1.1","dev":"eth0","prefsrc":"10.0.1.2","flags":[],"uid":0,"cache":[]}]'))
      .toEqual({ interface: 'eth0', neighbor: '10.0.1.1' });
  });
  test.each([
    ['local address', '[{"type":"local","dst":"10.0.1.2","dev":"lo","prefsrc":"10.0.1.2"}]'],
    ['empty answer', '[]'],
    ['not JSON', 'RTNETLINK answers: Network is unreachable'],
  ])('%s gives null', (_, out) => {
    expect(parseRouteGet('10.0.1.2', out)).toBeNull();
  });
});
