// The text/event-stream parser of the fetch transport, as the WHATWG
// EventSource parser reads a stream ("Interpreting an event stream"), fed text
// from a TextDecoder (which drops the byte order mark, as the spec does): lines end
// with CRLF, LF or CR (a CRLF split across two chunks is one line end); `:`
// starts a comment; `field: value` loses one space after the colon; a line
// without a colon is a field with an empty value; `data` lines are joined with
// LF; an `id` holding NUL is ignored; `retry` counts only when all digits; a
// blank line dispatches the event (nothing when it had no data, but the id
// still becomes the last event id); an event cut off by the end of the stream
// is never dispatched.

export interface SSEParserHandlers {
  /** A complete event: its name (`message` when it had none), data, and the last event id. */
  onEvent(type: string, data: string, id: string): void;
  /** The last event id at the end of every block (also of those without data: ringcast's id-only block). */
  onId?(id: string): void;
  /** A `retry:` field: the reconnection time the server asks for, ms. */
  onRetry?(ms: number): void;
  /** A comment line (ringcast's `: heartbeat` with `heartbeat_format = "comment"`), without its colon. */
  onComment?(text: string): void;
}

/** Returns a function to feed decoded text to, chunk by chunk, in order (decode with a TextDecoder: it drops a leading BOM). */
export function createSSEParser(h: SSEParserHandlers): (chunk: string) => void {
  let buf = '';
  let data = '';
  let type = '';
  let id = '';
  let skipLF = false;
  return (chunk) => {
    if (!chunk) return;
    // A CR that ended the last chunk may be the first half of a CRLF.
    if (skipLF && chunk[0] == '\n') chunk = chunk.slice(1);
    skipLF = chunk.endsWith('\r');
    const lines = (buf + chunk).split(/\r\n?|\n/);
    buf = lines.pop()!;
    for (const line of lines) {
      if (!line) {
        h.onId?.(id);
        if (data) h.onEvent(type || 'message', data.slice(0, -1), id);
        data = type = '';
      } else if (line[0] == ':') {
        h.onComment?.(line.slice(1));
      } else {
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        let value = c < 0 ? '' : line.slice(c + 1);
        if (value[0] == ' ') value = value.slice(1);
        if (field == 'data') data += value + '\n';
        else if (field == 'event') type = value;
        else if (field == 'id') {
          if (!value.includes('\0')) id = value;
        } else if (field == 'retry' && /^\d+$/.test(value)) h.onRetry?.(+value);
      }
    }
  };
}
