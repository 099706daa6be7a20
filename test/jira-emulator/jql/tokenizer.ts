/**
 * JQL tokenizer: quoted strings (with Jira's escapes), unquoted words, operators, parentheses and
 * commas, each with its offset so errors can point at a character like Jira's do.
 */
import { syntaxError } from './errors.ts';

export type TokenKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The text (unescaped for strings). */
  text: string;
  /** 0-based offset of the token in the query. */
  offset: number;
}

/** Characters Jira reserves outside quotes (besides the ones that are tokens themselves). */
const RESERVED = new Set(['+', '.', ';', '?', '|', '*', '/', '%', '^', '$', '#', '@', '[', ']', '{', '}', '&', '`', '\\']);
const WORD_STOP = new Set([' ', '\t', '\r', '\n', '"', "'", '(', ')', ',', '=', '!', '<', '>', '~']);

function readQuoted(q: string, start: number): { text: string; end: number } {
  const quote = q[start];
  let text = '';
  let i = start + 1;
  while (i < q.length) {
    const c = q[i];
    if (c === quote) return { text, end: i + 1 };
    if (c === '\\') {
      const n = q[i + 1];
      if (n === undefined) break;
      if (n === 'u') {
        const hex = q.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(`The escape sequence '\\u${hex}' is invalid.`, i);
        text += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const simple: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', n: '\n', t: '\t', r: '\r', ' ': ' ' };
      if (!(n in simple)) throw syntaxError(`The escape sequence '\\${n}' is invalid.`, i);
      text += simple[n];
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
  throw syntaxError(`The quoted string '${text}' has not been completed.`, start);
}

/** Splits a JQL query into tokens, ending with one `eof` token. */
export function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') { i++; continue; }
    if (c === '(') { tokens.push({ kind: 'lparen', text: c, offset: i }); i++; continue; }
    if (c === ')') { tokens.push({ kind: 'rparen', text: c, offset: i }); i++; continue; }
    if (c === ',') { tokens.push({ kind: 'comma', text: c, offset: i }); i++; continue; }
    if (c === '"' || c === "'") {
      const { text, end } = readQuoted(q, i);
      tokens.push({ kind: 'string', text, offset: i });
      i = end;
      continue;
    }
    const two = q.slice(i, i + 2);
    if (two === '!=' || two === '>=' || two === '<=' || two === '!~') {
      tokens.push({ kind: 'op', text: two, offset: i }); i += 2; continue;
    }
    if (two === '&&' || two === '||') {
      tokens.push({ kind: 'word', text: two === '&&' ? 'AND' : 'OR', offset: i }); i += 2; continue;
    }
    if (c === '=' || c === '<' || c === '>' || c === '~') { tokens.push({ kind: 'op', text: c, offset: i }); i++; continue; }
    if (c === '!') { tokens.push({ kind: 'word', text: 'NOT', offset: i }); i++; continue; }
    // cf[10014] names a custom field by id.
    if ((c === 'c' || c === 'C') && /^cf\[\d+\]/i.test(q.slice(i))) {
      const m = /^cf\[\d+\]/i.exec(q.slice(i))!;
      tokens.push({ kind: 'word', text: m[0].toLowerCase(), offset: i });
      i += m[0].length;
      continue;
    }
    if (RESERVED.has(c)) {
      const code = c.charCodeAt(0).toString(16).padStart(4, '0');
      throw syntaxError(`The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${code}' instead.`, i);
    }
    const start = i;
    while (i < q.length && !WORD_STOP.has(q[i])) {
      if (RESERVED.has(q[i])) {
        const code = q.charCodeAt(i).toString(16).padStart(4, '0');
        throw syntaxError(`The character '${q[i]}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${code}' instead.`, i);
      }
      i++;
    }
    tokens.push({ kind: 'word', text: q.slice(start, i), offset: start });
  }
  tokens.push({ kind: 'eof', text: '', offset: q.length });
  return tokens;
}
