/**
 * Control protocol micro-benchmarks: what mcrd does with one `add` line on the control socket before
 * the daemon sees the rule: NDJSON framing (LineSplitter), request parsing (parseRequest), rule
 * validation (parseRule, the schema shared with config files and CLI flags), reply serialisation;
 * and the error path of a malformed line. Run by bench/run.ts.
 */
import { importFromRoot, type MicroTask, type SuiteDef } from './suite.js';

interface Splitter { push(chunk: Buffer): Array<{ kind: string; text?: string }> }
interface FramingModule { LineSplitter: new () => Splitter }
interface ProtocolModule {
  parseRequest(text: string, lineNo: number): { id: unknown; cmd: string; rule?: unknown };
  okReply(id: unknown, result: unknown): unknown;
  errorReply(id: unknown, err: unknown): unknown;
  errorRequestId(err: unknown): unknown;
}
interface ValidateModule { parseRule(value: unknown, ctx?: unknown): unknown }

export const ADD_REQUEST = {
  id: 17, cmd: 'add',
  rule: { name: 'cam1', input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'eth1', group: '239.10.10.10', port: 6001 }] },
};
const ADD_LINE = Buffer.from(`${JSON.stringify(ADD_REQUEST)}\n`);
const BAD_LINE = 'hello';

let sink: unknown;

/** Loads the three modules, or says which one is missing or lacks an export. */
async function load(): Promise<{ framing: FramingModule; protocol: ProtocolModule; validate: ValidateModule } | string> {
  const framing = await importFromRoot('relay/control/framing.js');
  const protocol = await importFromRoot('relay/control/protocol.js');
  const validate = await importFromRoot('relay/model/validate.js');
  for (const m of [framing, protocol, validate]) if (typeof m === 'string') return m;
  const f = framing as Record<string, unknown>;
  const p = protocol as Record<string, unknown>;
  const v = validate as Record<string, unknown>;
  if (typeof f.LineSplitter !== 'function') return 'relay/control/framing.js has no LineSplitter export';
  for (const name of ['parseRequest', 'okReply', 'errorReply', 'errorRequestId']) {
    if (typeof p[name] !== 'function') return `relay/control/protocol.js has no ${name} export`;
  }
  if (typeof v.parseRule !== 'function') return 'relay/model/validate.js has no parseRule export';
  return { framing: f as unknown as FramingModule, protocol: p as unknown as ProtocolModule, validate: v as unknown as ValidateModule };
}

export const controlSuite: SuiteDef = {
  name: 'control protocol',
  async prepare(): Promise<MicroTask[] | string> {
    const mods = await load();
    if (typeof mods === 'string') return mods;
    const { framing, protocol, validate } = mods;
    const splitter = new framing.LineSplitter();
    const handleAdd = (): unknown => {
      const events = splitter.push(ADD_LINE);
      const req = protocol.parseRequest(events[0]!.text!, 1);
      const rule = validate.parseRule(req.rule, { source: () => 'request 17', pathPrefix: ['rule'] });
      return JSON.stringify(protocol.okReply(req.id, { rule }));
    };
    const handleBad = (): unknown => {
      try {
        return protocol.parseRequest(BAD_LINE, 1);
      } catch (err) {
        return JSON.stringify(protocol.errorReply(protocol.errorRequestId(err), err));
      }
    };
    // Check once that the path does what it claims before timing it.
    const reply = JSON.parse(String(handleAdd())) as { ok?: boolean; result?: { rule?: { id?: string } } };
    if (reply.ok !== true || reply.result?.rule?.id !== 'cam1') throw new Error(`add request did not validate: ${JSON.stringify(reply)}`);
    const bad = JSON.parse(String(handleBad())) as { ok?: boolean; error?: { code?: string } };
    if (bad.ok !== false || bad.error?.code !== 'EPROTO') throw new Error(`malformed line did not produce an EPROTO reply: ${JSON.stringify(bad)}`);
    return [
      { name: 'NDJSON split of one add line', batch: 200, fn: () => { sink = splitter.push(ADD_LINE); } },
      { name: 'parseRequest (add)', batch: 200, fn: () => { sink = protocol.parseRequest(ADD_LINE.toString('utf8', 0, ADD_LINE.length - 1), 1); } },
      { name: 'add line end to end (split, parse, validate, reply)', batch: 100, fn: () => { sink = handleAdd(); } },
      { name: 'malformed line → error reply', batch: 100, fn: () => { sink = handleBad(); } },
    ];
  },
};

/** Keeps the optimiser from dropping benchmarked calls whose result is unused. */
export const lastResult = (): unknown => sink;
