/**
 * Recursive-descent JQL parser for the grammar Jira accepts (the emulator evaluates a subset; see
 * evaluate.ts). Grammar:
 *
 *   query   := [or] [ORDER BY sort (, sort)*] EOF
 *   or      := and (OR and)*
 *   and     := not (AND not)*
 *   not     := NOT not | '(' or ')' | clause
 *   clause  := field operator operand
 *   operand := value | '(' value (, value)* ')' | function '(' args ')'
 */
import { syntaxError } from './errors.ts';
import { tokenize, type Token } from './tokenizer.ts';

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not' | 'was' | 'was not' | 'was in' | 'was not in' | 'changed';

/** An operand value; `quoted` keeps whether the user quoted it (reserved words must be). */
export interface Value { text: string; quoted: boolean; offset: number }
export type Operand =
  | { kind: 'value'; value: Value }
  | { kind: 'list'; values: Value[] }
  | { kind: 'function'; name: string; args: Value[]; offset: number };

export type Node =
  | { kind: 'and' | 'or'; children: Node[] }
  | { kind: 'not'; child: Node; offset: number }
  | { kind: 'clause'; field: string; fieldOffset: number; op: Operator; opOffset: number; operand: Operand };

export interface SortItem { field: string; dir: 'asc' | 'desc'; offset: number }
export interface Query { where?: Node; orderBy: SortItem[] }

const VALID_OPERATORS = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

/** Words that must be quoted to be used as values or field names (a subset of Jira's list). */
const RESERVED_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'order', 'by', 'empty', 'null', 'was', 'changed', 'asc', 'desc',
  'abort', 'after', 'before', 'begin', 'end', 'from', 'select', 'where', 'true', 'false', 'delete', 'update', 'insert', 'into', 'set', 'trans', 'during', 'on', 'to']);

class Parser {
  #tokens: Token[];
  #pos = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  #at(): Token { return this.#tokens[this.#pos]; }
  #next(): Token { return this.#tokens[this.#pos++]; }
  #isWord(t: Token, word: string): boolean { return t.kind === 'word' && t.text.toLowerCase() === word; }

  parseQuery(): Query {
    let where: Node | undefined;
    if (this.#at().kind !== 'eof' && !this.#isOrderBy()) where = this.#or();
    const orderBy: SortItem[] = [];
    if (this.#isOrderBy()) {
      this.#next();
      const by = this.#next();
      if (!this.#isWord(by, 'by')) throw syntaxError(`Expecting 'by' but got '${by.text}'.`, by.offset);
      do {
        if (orderBy.length > 0) this.#next();
        const f = this.#next();
        if (f.kind !== 'word' && f.kind !== 'string') {
          if (f.kind === 'eof') throw syntaxError('Expecting a field name at the end of the query.');
          throw syntaxError(`Expecting a field name but got '${f.text}'.`, f.offset);
        }
        let dir: 'asc' | 'desc' = 'asc';
        if (this.#isWord(this.#at(), 'asc') || this.#isWord(this.#at(), 'desc')) {
          dir = this.#next().text.toLowerCase() as 'asc' | 'desc';
        }
        orderBy.push({ field: f.text, dir, offset: f.offset });
      } while (this.#at().kind === 'comma');
    }
    const end = this.#at();
    if (end.kind !== 'eof') {
      if (where === undefined && orderBy.length === 0) throw syntaxError(`Expecting a field name but got '${end.text}'.`, end.offset);
      throw syntaxError(`Expecting either 'OR' or 'AND' but got '${end.text}'.`, end.offset);
    }
    return { where, orderBy };
  }

  #isOrderBy(): boolean {
    return this.#isWord(this.#at(), 'order') && this.#isWord(this.#tokens[this.#pos + 1] ?? this.#at(), 'by');
  }

  #or(): Node {
    const children = [this.#and()];
    while (this.#isWord(this.#at(), 'or')) {
      this.#next();
      children.push(this.#and());
    }
    return children.length === 1 ? children[0] : { kind: 'or', children };
  }

  #and(): Node {
    const children = [this.#not()];
    while (this.#isWord(this.#at(), 'and')) {
      this.#next();
      children.push(this.#not());
    }
    return children.length === 1 ? children[0] : { kind: 'and', children };
  }

  #not(): Node {
    const t = this.#at();
    if (this.#isWord(t, 'not')) {
      this.#next();
      return { kind: 'not', child: this.#not(), offset: t.offset };
    }
    if (t.kind === 'lparen') {
      this.#next();
      const inner = this.#or();
      const close = this.#next();
      if (close.kind !== 'rparen') {
        if (close.kind === 'eof') throw syntaxError("Expecting ')' before the end of the query.");
        throw syntaxError(`Expecting ')' but got '${close.text}'.`, close.offset);
      }
      return inner;
    }
    return this.#clause();
  }

  #clause(): Node {
    const f = this.#next();
    if (f.kind === 'eof') throw syntaxError('Expecting a field name at the end of the query.');
    if ((f.kind !== 'word' && f.kind !== 'string') || (f.kind === 'word' && RESERVED_WORDS.has(f.text.toLowerCase()))) {
      throw syntaxError(`Expecting a field name but got '${f.text}'. You must surround '${f.text}' in quotation marks to use it as a field name.`, f.offset);
    }
    const opTok = this.#at();
    const op = this.#operator();
    const operand: Operand = op === 'changed' ? { kind: 'list', values: [] } : this.#operand();
    return { kind: 'clause', field: f.text, fieldOffset: f.offset, op, opOffset: opTok.offset, operand };
  }

  #operator(): Operator {
    const t = this.#next();
    if (t.kind === 'op') return t.text as Operator;
    const w = t.kind === 'word' ? t.text.toLowerCase() : '';
    if (w === 'in') return 'in';
    if (w === 'changed') return 'changed';
    if (w === 'not' && this.#isWord(this.#at(), 'in')) { this.#next(); return 'not in'; }
    if (w === 'is') {
      if (this.#isWord(this.#at(), 'not')) { this.#next(); return 'is not'; }
      return 'is';
    }
    if (w === 'was') {
      const not = this.#isWord(this.#at(), 'not') ? (this.#next(), true) : false;
      const inn = this.#isWord(this.#at(), 'in') ? (this.#next(), true) : false;
      return (`was${not ? ' not' : ''}${inn ? ' in' : ''}`) as Operator;
    }
    if (t.kind === 'eof') throw syntaxError(`Expecting operator before the end of the query. ${VALID_OPERATORS}`);
    throw syntaxError(`Expecting operator but got '${t.text}'. ${VALID_OPERATORS}`, t.offset);
  }

  #value(): Value {
    const t = this.#next();
    if (t.kind === 'string') return { text: t.text, quoted: true, offset: t.offset };
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase();
      if (RESERVED_WORDS.has(lower) && lower !== 'empty' && lower !== 'null') {
        throw syntaxError(`Expecting either a value, list or function but got '${t.text}'. You must surround '${t.text}' in quotation marks to use it as a value.`, t.offset);
      }
      return { text: t.text, quoted: false, offset: t.offset };
    }
    if (t.kind === 'eof') throw syntaxError('Expecting either a value, list or function before the end of the query.');
    throw syntaxError(`Expecting either a value, list or function but got '${t.text}'.`, t.offset);
  }

  #operand(): Operand {
    const t = this.#at();
    if (t.kind === 'lparen') {
      this.#next();
      const values: Value[] = [this.#value()];
      while (this.#at().kind === 'comma') { this.#next(); values.push(this.#value()); }
      const close = this.#next();
      if (close.kind !== 'rparen') {
        if (close.kind === 'eof') throw syntaxError("Expecting ')' before the end of the query.");
        throw syntaxError(`Expecting ',' or ')' but got '${close.text}'.`, close.offset);
      }
      return { kind: 'list', values };
    }
    const v = this.#value();
    if (!v.quoted && this.#at().kind === 'lparen') {
      this.#next();
      const args: Value[] = [];
      if (this.#at().kind !== 'rparen') {
        args.push(this.#value());
        while (this.#at().kind === 'comma') { this.#next(); args.push(this.#value()); }
      }
      const close = this.#next();
      if (close.kind !== 'rparen') throw syntaxError(`Expecting ')' but got '${close.text || 'the end of the query'}'.`, close.offset);
      return { kind: 'function', name: v.text, args, offset: v.offset };
    }
    return { kind: 'value', value: v };
  }
}

/** Parses JQL, throwing a JqlError worded like Jira's on a syntax error. */
export function parseJql(jql: string): Query {
  return new Parser(tokenize(jql)).parseQuery();
}
