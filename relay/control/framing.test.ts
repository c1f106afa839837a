import { expect, test } from 'vitest';
import { LineSplitter } from './framing.js';

const lines = (evs: ReturnType<LineSplitter['push']>) => evs.map((e) => (e.kind === 'line' ? e.text : `<oversize ${e.limit}>`));

test('a line split across chunks comes out whole', () => {
  const s = new LineSplitter();
  expect(lines(s.push(Buffer.from('{"id":1,')))).toEqual([]);
  expect(lines(s.push(Buffer.from('"cmd":"ping"}')))).toEqual([]);
  expect(lines(s.push(Buffer.from('\n')))).toEqual(['{"id":1,"cmd":"ping"}']);
});

test('several requests in one chunk come out in order; CRLF and blank lines are tolerated', () => {
  const s = new LineSplitter();
  expect(lines(s.push(Buffer.from('a\r\n\n b \nc')))).toEqual(['a', ' b ']);
  expect(lines(s.push(Buffer.from('\n')))).toEqual(['c']);
});

test('a multi-byte character split between chunks survives', () => {
  const s = new LineSplitter();
  const b = Buffer.from('"é"\n');
  expect(lines(s.push(b.subarray(0, 2)))).toEqual([]);
  expect(lines(s.push(b.subarray(2)))).toEqual(['"é"']);
});

test('an over-long line is reported once, discarded to its newline, and the next line is read', () => {
  const s = new LineSplitter(10);
  expect(lines(s.push(Buffer.from('0123456789AB')))).toEqual(['<oversize 10>']);
  expect(lines(s.push(Buffer.from('more garbage')))).toEqual([]);
  expect(lines(s.push(Buffer.from('tail\nok\n')))).toEqual(['ok']);
});

test('an over-long line ending inside the chunk does not swallow the following line', () => {
  const s = new LineSplitter(4);
  expect(lines(s.push(Buffer.from('toolong\nok\n')))).toEqual(['<oversize 4>', 'ok']);
});

test('a line of exactly the limit is accepted', () => {
  const s = new LineSplitter(4);
  expect(lines(s.push(Buffer.from('abcd\n')))).toEqual(['abcd']);
});
