// Splits the daemon's reply stream into lines. The socket delivers text in
// arbitrary pieces (setEncoding('utf8') already keeps multi-byte characters
// whole); a reply line may span several pieces, and one piece may hold
// thousands of replies when requests are pipelined.

export class LineSplitter {
  #partial = '';

  /** Complete lines in `chunk` (and what was left over before it). */
  push(chunk: string): string[] {
    const text = this.#partial + chunk;
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    const out: string[] = [];
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.length > 0) out.push(line);
    }
    return out;
  }

  /** A new connection starts with nothing carried over. */
  reset(): void {
    this.#partial = '';
  }
}
