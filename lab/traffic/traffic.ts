/**
 * The typed traffic API the lab and the relay e2e tests use: run the native generator, start the
 * native sink, find the binaries. Formats and flags: docs/traffic.md; payload: native/traffic/lib/payload.h.
 *
 *   const sink = await startSink({ netns: 'h2', listen: ['239.1.1.1:5000'], interface: 'veth1', idleTimeoutS: 1 });
 *   const gen = await runGenerator({ netns: 'h1', dst: ['239.1.1.1:5000'], interface: 'veth0',
 *                                    ratePps: 20_000, count: 10_000, payloadBytes: 1316 });
 *   const rx = await sink.done;   // rx.listens[0].received === 10000 on a clean path
 */
export { nativeBinary, packageRoot, type NativeTool } from './binaries.js';
export { runGenerator } from './generator.js';
export type { GenOptions, SinkOptions } from './options.js';
export { TrafficToolError } from './process.js';
export type { GenReport, SinkLatencyNs, SinkListen, SinkReport, SinkStream } from './reports.js';
export { sinkStopGraceMs, startSink, type SinkHandle } from './sink.js';
