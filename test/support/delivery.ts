/**
 * Measured delivery of each e2e case (received/sent), printed and appended as JSON lines to
 * $MCR_E2E_DELIVERY (default /tmp/mcrR-e2e-delivery.jsonl) so a run's figures can be quoted.
 */
import { appendFileSync } from 'node:fs';

export function recordDelivery(testCase: string, received: number, sent: number, extra: Record<string, unknown> = {}): void {
  const line = { case: testCase, received, sent, ratio: sent ? received / sent : null, ...extra, at: new Date().toISOString() };
  console.log(`[delivery] ${testCase}: ${received}/${sent}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}`);
  appendFileSync(process.env.MCR_E2E_DELIVERY ?? '/tmp/mcrR-e2e-delivery.jsonl', `${JSON.stringify(line)}\n`);
}
