// The OpenDSS command-line tokenizer, behaving like OpenDSS's own TParser:
// parameters are `name=value` or bare values separated by blanks, tabs or
// commas; a value may be quoted with () "" '' [] {} (no nesting: the first
// matching close character ends it); `!` and `//` start a comment outside
// quotes. A quoted scalar is evaluated as an RPN expression when read as a
// number. Written for speed: one pass over char codes, no regular expressions.

const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const EQUALS = 61;
const BANG = 33;
const SLASH = 47;
const PIPE = 124;

/** Close character of an opening quote character, by char code; -1 when `c` opens none. */
function closeQuote(c: number): number {
  switch (c) {
    case 40: // ( )
      return 41;
    case 34: // " "
      return 34;
    case 39: // ' '
      return 39;
    case 91: // [ ]
      return 93;
    case 123: // { }
      return 125;
    default:
      return -1;
  }
}

function isWhite(c: number): boolean {
  return c === SPACE || c === TAB || c === 13;
}

/**
 * One parameter of a command line: `name` is empty for a positional value.
 * `quoted` is true when the value was written inside quotes or brackets
 * (OpenDSS then evaluates it as an RPN expression where a number is wanted).
 */
export interface Param {
  name: string;
  value: string;
  quoted: boolean;
}

/**
 * Splits one command line into parameters. `extraDelimiter` adds `|` for
 * matrix rows, as OpenDSS does when it reads a vector.
 */
export class LineTokenizer {
  private buf = "";
  private pos = 0;
  private lastDelim = SPACE;
  private rowDelim = false;
  /** True when the last token read was quoted. */
  quoted = false;

  constructor(line = "", matrixRows = false) {
    this.rowDelim = matrixRows;
    this.reset(line);
  }

  reset(line: string): void {
    this.buf = line;
    this.pos = 0;
    this.skipWhite();
  }

  /** The unread rest of the line (OpenDSS `Parser.Remainder`). */
  remainder(): string {
    return this.buf.slice(this.pos);
  }

  /** True when the last token ended on the matrix row terminator `|`. */
  endedRow(): boolean {
    return this.lastDelim === PIPE;
  }

  private skipWhite(): void {
    const b = this.buf;
    while (this.pos < b.length && isWhite(b.charCodeAt(this.pos))) this.pos++;
  }

  private isComment(at: number): boolean {
    const c = this.buf.charCodeAt(at);
    return c === BANG || (c === SLASH && this.buf.charCodeAt(at + 1) === SLASH);
  }

  private isDelimChar(c: number): boolean {
    return c === COMMA || c === EQUALS || (this.rowDelim && c === PIPE);
  }

  /** Reads one token (OpenDSS `GetToken`); "" when the line is used up. */
  token(): string {
    const b = this.buf;
    const n = b.length;
    this.quoted = false;
    if (this.pos >= n) return "";
    let result: string;
    const c0 = b.charCodeAt(this.pos);
    const close = closeQuote(c0);
    if (close >= 0) {
      const start = ++this.pos;
      while (this.pos < n && b.charCodeAt(this.pos) !== close) this.pos++;
      result = b.slice(start, this.pos);
      if (this.pos < n) this.pos++;
      this.quoted = true;
    } else {
      const start = this.pos;
      let stop = -1;
      while (this.pos < n) {
        const c = b.charCodeAt(this.pos);
        if (c === BANG || (c === SLASH && b.charCodeAt(this.pos + 1) === SLASH)) {
          this.lastDelim = BANG;
          stop = this.pos;
          break;
        }
        if (this.isDelimChar(c)) {
          this.lastDelim = c;
          break;
        }
        if (isWhite(c)) {
          this.lastDelim = SPACE;
          break;
        }
        this.pos++;
      }
      result = b.slice(start, stop >= 0 ? stop : this.pos);
      if (stop >= 0) {
        this.pos = n; // rest of the line is a comment
        return result;
      }
    }
    // Trailing white space, then at most one delimiter character.
    if (this.lastDelim === SPACE) this.skipWhite();
    if (this.pos < n) {
      const c = b.charCodeAt(this.pos);
      if (this.isDelimChar(c)) {
        this.lastDelim = c;
        this.pos++;
      } else if (this.isComment(this.pos)) {
        // a comment right after a value ends the line
        this.pos = n;
        return result;
      }
    }
    this.skipWhite();
    return result;
  }

  /**
   * Next `name=value` or positional value (OpenDSS `NextParam` + `StrValue`).
   * An empty value means the line is used up.
   */
  next(): Param {
    this.lastDelim = SPACE;
    let value = this.token();
    let quoted = this.quoted;
    let name = "";
    if (this.lastDelim === EQUALS) {
      name = value;
      value = this.token();
      quoted = this.quoted;
    }
    return { name, value, quoted };
  }
}

/** All parameters of a line, stopping at the first empty value as OpenDSS does. */
export function splitParams(line: string): Param[] {
  const t = new LineTokenizer(line);
  const out: Param[] = [];
  for (;;) {
    const p = t.next();
    if (p.value.length === 0) break;
    out.push(p);
  }
  return out;
}
