// The fetch transport's parser against the WHATWG rules for text/event-stream
// ("Interpreting an event stream"), chunk boundaries anywhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSSEParser } from '@ringcast/browser';

function parse(chunks) {
  const out = { events: [], ids: [], retries: [], comments: [] };
  const feed = createSSEParser({
    onEvent: (type, data, id) => out.events.push({ type, data, id }),
    onId: (id) => out.ids.push(id),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (text) => out.comments.push(text),
  });
  for (const c of chunks) feed(c);
  return out;
}

// Every way of cutting the text in two, and one character at a time.
function everySplit(text) {
  const ways = [[text], [...text]];
  for (let i = 1; i < text.length; i++) ways.push([text.slice(0, i), text.slice(i)]);
  return ways;
}

describe('createSSEParser', () => {
  it('reads an event: name, data, id', () => {
    const { events } = parse(['id: mwt8putv-17\nevent: order-update\ndata: {"orderId":"A-1"}\n\n']);
    assert.deepEqual(events, [{ type: 'order-update', data: '{"orderId":"A-1"}', id: 'mwt8putv-17' }]);
  });

  it('names an event without `event:` "message"', () => {
    assert.deepEqual(parse(['data: x\n\n']).events, [{ type: 'message', data: 'x', id: '' }]);
  });

  it('takes LF, CRLF and CR as line ends, mixed, wherever the chunks are cut', () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n';
    for (const chunks of everySplit(text)) {
      assert.deepEqual(
        parse(chunks).events.map((e) => [e.type, e.data]),
        [
          ['a', '1'],
          ['b', '2'],
          ['message', '3'],
        ],
        JSON.stringify(chunks),
      );
    }
  });

  it('joins several data lines with LF, and keeps an empty data line', () => {
    assert.equal(parse(['data: one\ndata: two\ndata\ndata:  three\n\n']).events[0].data, 'one\ntwo\n\n three');
    assert.deepEqual(parse(['data\n\n']).events, [{ type: 'message', data: '', id: '' }]);
  });

  it('drops one space after the colon, not more, and takes a line without a colon as a field with no value', () => {
    const { events } = parse(['event:tight\ndata:  two spaces\n\n']);
    assert.deepEqual(events, [{ type: 'tight', data: ' two spaces', id: '' }]);
  });

  it('hands comments over and dispatches nothing for them', () => {
    const out = parse([': heartbeat\n', ':\n', 'data: x\n\n']);
    assert.deepEqual(out.comments, [' heartbeat', '']);
    assert.equal(out.events.length, 1);
  });

  it('dispatches nothing for a block without data, but reports its id (the id-only block)', () => {
    const out = parse(['event: connected\ndata: {}\n\n', 'id: mwt8putv-42\n\n']);
    assert.deepEqual(
      out.events.map((e) => e.type),
      ['connected'],
    );
    assert.deepEqual(out.ids, ['', 'mwt8putv-42']);
  });

  it('keeps the last id for the events after it, and ignores an id holding NUL', () => {
    const { events } = parse(['id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n']);
    assert.deepEqual(
      events.map((e) => e.id),
      ['1', '1', '1', ''],
    );
  });

  it('takes `retry:` only when it is all digits', () => {
    assert.deepEqual(parse(['retry: 5000\nretry: 5s\nretry: -1\nretry:\nretry: 250\n\n']).retries, [5000, 250]);
  });

  it('ignores unknown fields', () => {
    assert.deepEqual(parse(['foo: bar\ndata: x\nbaz\n\n']).events, [{ type: 'message', data: 'x', id: '' }]);
  });

  it('never dispatches an event cut off by the end of the stream', () => {
    assert.deepEqual(parse(['data: complete\n\ndata: cut off\n']).events.length, 1);
    assert.deepEqual(parse(['data: no line end']).events.length, 0);
  });

  it('resets the event name after each event', () => {
    const { events } = parse(['event: a\ndata: 1\n\ndata: 2\n\n']);
    assert.deepEqual(
      events.map((e) => e.type),
      ['a', 'message'],
    );
  });

  it('keeps a CR at the end of one chunk and an LF at the start of the next as one line end', () => {
    const out = parse(['data: a\r', '\n', '\r', '\ndata: b\n\n']);
    assert.deepEqual(
      out.events.map((e) => e.data),
      ['a', 'b'],
    );
  });

  it('passes multi-byte text through unchanged when a TextDecoder splits its bytes', () => {
    const bytes = new TextEncoder().encode('data: héllo 🎉\n\n');
    const decoder = new TextDecoder();
    const events = [];
    const feed = createSSEParser({ onEvent: (type, data) => events.push(data) });
    for (const b of bytes) feed(decoder.decode(new Uint8Array([b]), { stream: true }));
    assert.deepEqual(events, ['héllo 🎉']);
  });

  it('leaves the byte order mark to the TextDecoder, which drops it', () => {
    const decoder = new TextDecoder();
    const events = [];
    const feed = createSSEParser({ onEvent: (type, data) => events.push(data) });
    feed(decoder.decode(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: x\n\n')])));
    assert.deepEqual(events, ['x']);
  });
});
