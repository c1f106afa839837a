/**
 * Ask mcrd one MCR wire request the way MCR's client does: write it, half-close, read the reply to EOF.
 *
 *   await askMcr('/run/mcrd/control.sock', 'GetPimNeighbors')    // → { PimNeighbors: [...] }
 */
import net from 'node:net';

export function askMcr(path: string, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let data = '';
    sock.on('connect', () => sock.end(`${JSON.stringify(request)}\n`));
    sock.on('data', (d) => { data += String(d); });
    sock.on('end', () => { try { resolve(JSON.parse(data) as Record<string, unknown>); } catch (e) { reject(new Error(`not JSON: ${data}`, { cause: e })); } });
    sock.on('error', reject);
  });
}
