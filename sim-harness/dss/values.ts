// Reading OpenDSS values: numbers (with in-line RPN math when quoted), yes/no,
// integers, vectors `[1 2 3]`, lower-triangle matrices `[1 | 2 3]`, string
// lists `[a, b]`. Errors are thrown as plain `ValueError` and turned into a
// located BlackstartError by the interpreter, which knows file and line.
import { LineTokenizer } from "./tokenizer.js";

export class ValueError extends Error {}

const DEG = Math.PI / 180;

/**
 * Strict decimal number as Pascal's Val accepts it: optional sign, digits
 * with an optional point, optional exponent. NaN when it is not one.
 */
export function parseNumber(s: string): number {
  const n = s.length;
  if (n === 0) return NaN;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) {
    i++;
    c = s.charCodeAt(i);
  }
  let digits = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++;
    digits++;
  }
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return NaN;
  if (i < n && ((c = s.charCodeAt(i)) === 101 || c === 69)) {
    i++;
    if (i < n && ((c = s.charCodeAt(i)) === 43 || c === 45)) i++;
    let exp = 0;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++;
      exp++;
    }
    if (exp === 0) return NaN;
  }
  if (i !== n) return NaN;
  return Number(s);
}

/**
 * OpenDSS's in-line RPN calculator: numbers push, operators act on X (and Y).
 * `(8 1000 /)` = 0.008; trig in degrees; the result is X.
 */
export function evalRpn(expr: string): number {
  const stack: number[] = [];
  const t = new LineTokenizer(expr);
  const pop = (): number => {
    const v = stack.pop();
    return v === undefined ? 0 : v;
  };
  for (;;) {
    const tok = t.token();
    if (tok.length === 0) break;
    const num = t.quoted ? evalRpn(tok) : parseNumber(tok);
    if (!Number.isNaN(num)) {
      stack.push(num);
      continue;
    }
    const x = pop();
    switch (tok.toLowerCase()) {
      case "+": stack.push(pop() + x); break;
      case "-": stack.push(pop() - x); break;
      case "*": stack.push(pop() * x); break;
      case "/": stack.push(pop() / x); break;
      case "^": stack.push(Math.pow(pop(), x)); break;
      case "sqrt": stack.push(Math.sqrt(x)); break;
      case "sqr": stack.push(x * x); break;
      case "sin": stack.push(Math.sin(x * DEG)); break;
      case "cos": stack.push(Math.cos(x * DEG)); break;
      case "tan": stack.push(Math.tan(x * DEG)); break;
      case "asin": stack.push(Math.asin(x) / DEG); break;
      case "acos": stack.push(Math.acos(x) / DEG); break;
      case "atan": stack.push(Math.atan(x) / DEG); break;
      case "atan2": stack.push(Math.atan2(pop(), x) / DEG); break;
      case "swap": {
        const y = pop();
        stack.push(x, y);
        break;
      }
      case "rollup": case "rolldn": stack.push(x); break;
      case "ln": stack.push(Math.log(x)); break;
      case "log10": stack.push(Math.log10(x)); break;
      case "exp": stack.push(Math.exp(x)); break;
      case "inv": stack.push(1 / x); break;
      case "pi": stack.push(x, Math.PI); break;
      default:
        throw new ValueError(`'${tok}' in expression (${expr}) is neither a number nor an RPN operator`);
    }
  }
  const x = stack.pop();
  if (x === undefined) throw new ValueError(`empty expression (${expr})`);
  return x;
}

/** A number as OpenDSS's MakeDouble reads it: quoted values are RPN expressions. */
export function toNumber(value: string, quoted: boolean): number {
  const n = quoted ? evalRpn(value) : parseNumber(value);
  if (Number.isNaN(n)) throw new ValueError(`'${value}' is not a number`);
  return n;
}

/** An integer as OpenDSS's MakeInteger reads it (a decimal value is rounded). */
export function toInteger(value: string, quoted: boolean): number {
  if (!quoted && value.charCodeAt(0) === 36 /* $ hex */) {
    const h = Number.parseInt(value.slice(1), 16);
    if (Number.isNaN(h)) throw new ValueError(`'${value}' is not an integer`);
    return h;
  }
  return Math.round(toNumber(value, quoted));
}

/** yes/no as OpenDSS's InterpretYesNo: first letter y or t is true, n or f false. */
export function toBool(value: string): boolean {
  const c = value.charCodeAt(0) | 0x20;
  if (c === 121 || c === 116) return true; // y t
  if (c === 110 || c === 102) return false; // n f
  throw new ValueError(`'${value}' is not yes/no (y, n, true, false)`);
}

/**
 * A vector `1 2 3` (already unquoted), values separated by blanks or commas.
 * Elements may themselves be quoted RPN expressions. Stops at `|` when
 * `stopAtRow` (used by the matrix reader).
 */
export function toNumbers(value: string): number[] {
  const out: number[] = [];
  const t = new LineTokenizer(value, true);
  for (;;) {
    const tok = t.token();
    if (tok.length === 0) break;
    out.push(toNumber(tok, t.quoted));
  }
  return out;
}

/**
 * Rows of a matrix written as `a | b c | d e f` (lower triangle or full):
 * returned as the rows the user wrote; the consumer fills its n x n matrix
 * the way OpenDSS's ParseAsSymMatrix / ParseAsMatrix do.
 */
export function toMatrixRows(value: string): number[][] {
  const rows: number[][] = [];
  let row: number[] = [];
  const t = new LineTokenizer(value, true);
  for (;;) {
    const tok = t.token();
    if (tok.length === 0) break;
    row.push(toNumber(tok, t.quoted));
    if (t.endedRow()) {
      rows.push(row);
      row = [];
    }
  }
  if (row.length > 0 || rows.length === 0) rows.push(row);
  return rows;
}

/** A list of names `[a, b c]` (already unquoted). */
export function toStrings(value: string): string[] {
  const out: string[] = [];
  const t = new LineTokenizer(value);
  for (;;) {
    const p = t.next();
    if (p.value.length === 0) break;
    out.push(p.value);
  }
  return out;
}

/**
 * Symmetric n x n matrix from lower-triangle rows, as OpenDSS's
 * ParseAsSymMatrix fills it: element (i,j) and (j,i) from row i, column j,
 * later rows overwriting earlier ones; missing values are zero. Row-major.
 */
export function symMatrix(rows: readonly (readonly number[])[], n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n && i < rows.length; i++) {
    const r = rows[i]!;
    for (let j = 0; j < r.length && j < n; j++) {
      m[i * n + j] = r[j]!;
      m[j * n + i] = r[j]!;
    }
  }
  return m;
}

/** Full n x n matrix from rows (ParseAsMatrix), row-major; missing values zero. */
export function fullMatrix(rows: readonly (readonly number[])[], n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n && i < rows.length; i++) {
    const r = rows[i]!;
    for (let j = 0; j < r.length && j < n; j++) m[i * n + j] = r[j]!;
  }
  return m;
}
