/**
 * Control protocol micro-benchmarks: what mcrd does with one `add` line on the control socket before
 * the daemon sees the rule: NDJSON framing (LineSplitter), request parsing (parseRequest), rule
 * validation (parseRule, the schema shared with config files and CLI flags), reply serialisation;
 * and the error path of a malformed line. Run by bench/run.ts.
 */
import { LineSplitter } from '../../relay/control/framing.js';
import { errorReply, errorRequestId, okReply, parseRequest } from '../../relay/control/protocol.js';
import { toMcrError } from '../../relay/errors.js';
import { parseRule } from '../../relay/model/validate.js';
import type { MicroTask, SuiteDef } from './suite.js';

export const ADD_REQUEST = {
  id: 17, cmd: 'add',
  rule: { name: 'cam1', input: { interface: 'eth0', group: '239.1.1.1', port: 5001 }, outputs: [{ interface: 'eth1', group: '239.10.10.10', port: 6001 }] },
};
const ADD_LINE = Buffer.from(`${JSON.stringify(ADD_REQUEST)}\n`);
const BAD_LINE = 'hello';

let sink: unknown;

export const controlSuite: SuiteDef = {
  name: 'control protocol',
  async prepare(): Promise<MicroTask[] | string> {
    const splitter = new LineSplitter();
    const handleAdd = (): unknown => {
      const events = splitter.push(ADD_LINE);
      const first = events[0];
      if (first?.kind !== 'line') throw new Error('the add line was not split off');
      const req = parseRequest(first.text, 1);
      const rule = parseRule(req.rule, { source: () => 'request 17', pathPrefix: ['rule'] });
      return JSON.stringify(okReply(req.id, { rule }));
    };
    const handleBad = (): unknown => {
      try {
        return parseRequest(BAD_LINE, 1);
      } catch (err) {
        return JSON.stringify(errorReply(errorRequestId(err), toMcrError(err)));
      }
    };
    // Check once that the path does what it claims before timing it.
    const reply = JSON.parse(String(handleAdd())) as { ok?: boolean; result?: { rule?: { id?: string } } };
    if (reply.ok !== true || reply.result?.rule?.id !== 'cam1') throw new Error(`add request did not validate: ${JSON.stringify(reply)}`);
    const bad = JSON.parse(String(handleBad())) as { ok?: boolean; error?: { code?: string } };
    if (bad.ok !== false || bad.error?.code !== 'EPROTO') throw new Error(`malformed line did not produce an EPROTO reply: ${JSON.stringify(bad)}`);
    return [
      { name: 'NDJSON split of one add line', batch: 200, fn: () => { sink = splitter.push(ADD_LINE); } },
      { name: 'parseRequest (add)', batch: 200, fn: () => { sink = parseRequest(ADD_LINE.toString('utf8', 0, ADD_LINE.length - 1), 1); } },
      { name: 'add line end to end (split, parse, validate, reply)', batch: 100, fn: () => { sink = handleAdd(); } },
      { name: 'malformed line → error reply', batch: 100, fn: () => { sink = handleBad(); } },
    ];
  },
};

/** Keeps the optimiser from dropping benchmarked calls whose result is unused. */
export const lastResult = (): unknown => sink;
