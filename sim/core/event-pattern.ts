/**
 * EventBridge event patterns: validation and matching, as the default event bus applies them to rules.
 *
 * Sources (AWS EventBridge User Guide unless noted):
 * - "Event pattern syntax" (eb-create-pattern): a pattern lists only the fields it matches; the event must
 *   contain every field the pattern names, with the same nesting; all other fields are ignored.
 * - "Arrays in event patterns" (eb-event-patterns-arrays): each pattern value is an array of alternatives;
 *   an event value that is itself an array matches when the two arrays intersect.
 * - "Matching null values and empty strings" (eb-event-patterns-null-values): `[null]` and `[""]` are
 *   distinct and match only themselves.
 * - "Content filtering" / "Comparison operators" (eb-event-patterns-content-based-filtering,
 *   eb-create-pattern-operators): prefix, suffix, equals-ignore-case, wildcard, anything-but (values,
 *   prefix, suffix, equals-ignore-case, wildcard), numeric, cidr, exists, `$or`. Comparison operators work
 *   only on leaf nodes, except `$or` and `anything-but`; exists matching works only on leaf nodes.
 * - aws/event-ruler README (the matching library behind EventBridge): wildcard escaping rules (`\*`, `\\`,
 *   no consecutive `*`), numeric range and precision (±5.0e9, six digits after the decimal point), and when
 *   `$or` is an OR (an array of two or more objects) rather than a field name.
 * - PutRule API reference: an invalid pattern fails with `InvalidEventPatternException`; EventPattern is at
 *   most 4096 characters.
 */
import { AwsError } from './errors';

export type EventPattern = Readonly<Record<string, unknown>>;

/** Maximum length of a rule's EventPattern (PutRule API reference: "Maximum length of 4096"). */
export const MAX_PATTERN_LENGTH = 4096;

/** aws/event-ruler README, "Numeric matching": values between -5.0e9 and +5.0e9 inclusive. */
const NUMERIC_LIMIT = 5e9;

export function invalidPattern(reason: string): AwsError {
  return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
}

type Field = { readonly present: false } | { readonly present: true; readonly value: unknown };
type ObjectMatcher = (node: unknown) => boolean;
type ValueMatcher =
  | { readonly kind: 'exists'; readonly exists: boolean }
  | { readonly kind: 'value'; readonly test: (v: Leaf) => boolean };
type Leaf = string | number | boolean | null;

const ABSENT: Field = { present: false };
const compiled = new WeakMap<object, ObjectMatcher>();

/** Throws `InvalidEventPatternException` unless `pattern` is a pattern EventBridge would accept. */
export function validatePattern(pattern: unknown): asserts pattern is EventPattern {
  compile(pattern);
  const length = JSON.stringify(pattern).length;
  if (length > MAX_PATTERN_LENGTH) {
    throw invalidPattern(`the pattern is ${length} characters long; the maximum is ${MAX_PATTERN_LENGTH}`);
  }
}

/** Whether `event` matches `pattern` (an invalid pattern throws `InvalidEventPatternException`). */
export function matches(pattern: EventPattern, event: unknown): boolean {
  return compile(pattern)(event);
}

function compile(pattern: unknown): ObjectMatcher {
  if (!isPlainObject(pattern)) throw invalidPattern('the pattern must be a JSON object');
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const matcher = compileObject(pattern, '');
  compiled.set(pattern, matcher);
  return matcher;
}

function compileObject(pattern: Record<string, unknown>, path: string): ObjectMatcher {
  const checks: ObjectMatcher[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or' && isOrClause(value)) {
      // event-ruler: "$or" followed by an array of 2+ objects is an OR of sub-patterns at this level.
      const alternatives = value.map((alt, i) => compileObject(alt, `${here}[${i}]`));
      checks.push((node) => alternatives.some((alt) => alt(node)));
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value, here);
      checks.push((node) => leaf(field(node, key)));
    } else if (isPlainObject(value)) {
      const nested = compileObject(value, here);
      checks.push((node) => matchNested(nested, field(node, key)));
    } else {
      throw invalidPattern(`"${here}" must be an object or an array of match values`);
    }
  }
  if (checks.length === 0) throw invalidPattern(`${path ? `"${path}"` : 'the pattern'} is empty`);
  return (node) => checks.every((check) => check(node));
}

function isOrClause(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length >= 2 && value.every(isPlainObject);
}

function field(node: unknown, key: string): Field {
  return isPlainObject(node) && Object.hasOwn(node, key) ? { present: true, value: node[key] } : ABSENT;
}

/**
 * A nested pattern applies to the object under the key. An array of objects matches when any element does
 * (event-ruler flattens arrays). Anything else has no leaves beneath it, so only `exists: false` can match.
 */
function matchNested(nested: ObjectMatcher, f: Field): boolean {
  if (f.present && Array.isArray(f.value)) {
    const objects = f.value.filter(isPlainObject);
    if (objects.length > 0) return objects.some((o) => nested(o));
  }
  if (f.present && isPlainObject(f.value)) return nested(f.value);
  return nested({});
}

function compileLeaf(values: readonly unknown[], path: string): (f: Field) => boolean {
  if (values.length === 0) throw invalidPattern(`"${path}" is an empty array`);
  const matchers = values.map((v) => compileValue(v, path));
  return (f) => {
    const leaves = f.present ? leavesOf(f.value) : [];
    return matchers.some((m) =>
      m.kind === 'exists' ? m.exists === leaves.length > 0 : leaves.some((leaf) => m.test(leaf)),
    );
  };
}

/** The leaf values at a field: the value itself, or an array's primitive elements; objects are not leaves. */
function leavesOf(value: unknown): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((v) => leavesOf(v));
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [value];
  if (typeof value === 'number') return Number.isFinite(value) ? [value] : [];
  return [];
}

function compileValue(v: unknown, path: string): ValueMatcher {
  if (v === null || typeof v === 'string' || typeof v === 'boolean')
    return { kind: 'value', test: (x) => x === v };
  if (typeof v === 'number') {
    // A number in a pattern is an exact numeric match; a string "5" never matches the number 5.
    return { kind: 'value', test: (x) => typeof x === 'number' && x === v };
  }
  if (!isPlainObject(v))
    throw invalidPattern(`"${path}" holds a match value that is neither a literal nor an operator`);
  const entries = Object.entries(v);
  const [op, arg] = entries[0] ?? [];
  if (entries.length !== 1 || op === undefined) {
    throw invalidPattern(`"${path}": an operator object must have exactly one key`);
  }
  switch (op) {
    case 'prefix':
      return stringOp(path, op, arg, (x, p) => x.startsWith(p));
    case 'suffix':
      return stringOp(path, op, arg, (x, s) => x.endsWith(s));
    case 'equals-ignore-case':
      return { kind: 'value', test: equalsIgnoreCase(requireString(path, op, arg)) };
    case 'wildcard': {
      const re = wildcardRegExp(requireString(path, op, arg), path);
      return { kind: 'value', test: (x) => typeof x === 'string' && re.test(x) };
    }
    case 'anything-but':
      return { kind: 'value', test: anythingBut(arg, path) };
    case 'numeric':
      return { kind: 'value', test: numeric(arg, path) };
    case 'cidr':
      return { kind: 'value', test: cidr(arg, path) };
    case 'exists':
      if (typeof arg !== 'boolean') throw invalidPattern(`"${path}": exists takes true or false`);
      return { kind: 'exists', exists: arg };
    default:
      throw invalidPattern(`"${path}": unrecognized match type ${op}`);
  }
}

/** prefix / suffix, optionally `{ "equals-ignore-case": "..." }` inside: string values only. */
function stringOp(
  path: string,
  op: string,
  arg: unknown,
  test: (value: string, operand: string) => boolean,
): ValueMatcher {
  if (typeof arg === 'string') return { kind: 'value', test: (x) => typeof x === 'string' && test(x, arg) };
  if (isPlainObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
    const operand = fold(arg['equals-ignore-case']);
    return { kind: 'value', test: (x) => typeof x === 'string' && test(fold(x), operand) };
  }
  throw invalidPattern(`"${path}": ${op} takes a string or {"equals-ignore-case": string}`);
}

function requireString(path: string, op: string, arg: unknown): string {
  if (typeof arg !== 'string') throw invalidPattern(`"${path}": ${op} takes a string`);
  return arg;
}

function fold(s: string): string {
  return s.toLowerCase();
}

function equalsIgnoreCase(operand: string): (x: Leaf) => boolean {
  const folded = fold(operand);
  return (x) => typeof x === 'string' && fold(x) === folded;
}

/**
 * `anything-but`: a value or a list of values (all strings or all numbers) to exclude, or a nested prefix,
 * suffix, equals-ignore-case or wildcard (a string, or a list for the last two). The field must still be
 * present: anything-but never matches a missing field.
 */
function anythingBut(arg: unknown, path: string): (x: Leaf) => boolean {
  const bad = () =>
    invalidPattern(
      `"${path}": anything-but takes a string, a number, a list of strings or numbers, or a nested prefix/suffix/equals-ignore-case/wildcard`,
    );
  if (typeof arg === 'string' || typeof arg === 'number') return (x) => x !== arg;
  if (Array.isArray(arg)) {
    const allStrings = arg.every((a) => typeof a === 'string');
    const allNumbers = arg.every((a) => typeof a === 'number');
    if (arg.length === 0 || !(allStrings || allNumbers)) throw bad();
    return (x) => !(arg as unknown[]).includes(x);
  }
  if (!isPlainObject(arg) || Object.keys(arg).length !== 1) throw bad();
  const [op, operand] = Object.entries(arg)[0] ?? [];
  const strings = (v: unknown): string[] => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0 || !list.every((s) => typeof s === 'string')) throw bad();
    return list as string[];
  };
  switch (op) {
    case 'prefix': {
      if (typeof operand !== 'string') throw bad();
      return (x) => typeof x === 'string' && !x.startsWith(operand);
    }
    case 'suffix': {
      if (typeof operand !== 'string') throw bad();
      return (x) => typeof x === 'string' && !x.endsWith(operand);
    }
    case 'equals-ignore-case': {
      const folded = strings(operand).map(fold);
      return (x) => typeof x === 'string' && !folded.includes(fold(x));
    }
    case 'wildcard': {
      const res = strings(operand).map((w) => wildcardRegExp(w, path));
      return (x) => typeof x === 'string' && !res.some((re) => re.test(x));
    }
    default:
      throw bad();
  }
}

/**
 * `*` matches any run of characters; `\*` is a literal asterisk and `\\` a literal backslash; consecutive
 * wildcards and any other escape are rejected (event-ruler README, "Wildcard matching").
 */
function wildcardRegExp(pattern: string, path: string): RegExp {
  let source = '';
  let previousWasWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\')
        throw invalidPattern(`"${path}": invalid escape in wildcard ${JSON.stringify(pattern)}`);
      source += escapeRegExp(next);
      i++;
      previousWasWildcard = false;
    } else if (c === '*') {
      if (previousWasWildcard)
        throw invalidPattern(`"${path}": consecutive wildcard characters in ${JSON.stringify(pattern)}`);
      source += '[\\s\\S]*';
      previousWasWildcard = true;
    } else {
      source += escapeRegExp(c);
      previousWasWildcard = false;
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * `numeric`: `["=", n]`, or one or two comparisons (a lower bound `>`/`>=` before an upper bound `<`/`<=`).
 * JSON numbers only, within ±5.0e9, compared at six digits after the decimal point.
 */
function numeric(arg: unknown, path: string): (x: Leaf) => boolean {
  const bad = (why: string) => invalidPattern(`"${path}": numeric ${why}`);
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4))
    throw bad('takes [op, number] or [op, number, op, number]');
  const terms: { op: string; n: number }[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== 'string' || !['=', '<', '<=', '>', '>='].includes(op))
      throw bad(`has an unknown operator ${String(op)}`);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw bad('compares with numbers only');
    if (Math.abs(n) > NUMERIC_LIMIT) throw bad(`value ${n} is outside ±5.0e9`);
    terms.push({ op, n: sixDigits(n) });
  }
  const [first, second] = terms;
  if (first && second) {
    if (first.op === '=' || second.op === '=') throw bad('"=" cannot be combined with another comparison');
    if (!first.op.startsWith('>') || !second.op.startsWith('<'))
      throw bad('range must be a lower bound then an upper bound');
    if (first.n >= second.n) throw bad('range is empty');
  }
  return (x) => {
    if (typeof x !== 'number' || Math.abs(x) > NUMERIC_LIMIT) return false;
    const v = sixDigits(x);
    return terms.every(({ op, n }) => {
      switch (op) {
        case '=':
          return v === n;
        case '<':
          return v < n;
        case '<=':
          return v <= n;
        case '>':
          return v > n;
        default:
          return v >= n;
      }
    });
  };
}

function sixDigits(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** `cidr`: IPv4 or IPv6 prefix; the event value is an address string of the same family. */
function cidr(arg: unknown, path: string): (x: Leaf) => boolean {
  const bad = () => invalidPattern(`"${path}": cidr takes an IPv4 or IPv6 prefix such as "10.0.0.0/24"`);
  if (typeof arg !== 'string') throw bad();
  const [address, lengthText] = arg.split('/');
  const network = address === undefined ? undefined : parseIp(address);
  const bits = network?.family === 4 ? 32 : 128;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (!network || !Number.isInteger(length) || length < 0 || length > bits) throw bad();
  const shift = BigInt(bits - length);
  const prefix = network.value >> shift;
  return (x) => {
    if (typeof x !== 'string') return false;
    const ip = parseIp(x);
    return ip !== undefined && ip.family === network.family && ip.value >> shift === prefix;
  };
}

function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string | undefined) => (s ? s.split(':') : []);
  let head = split(halves[0]);
  let tail = split(halves[1]);
  // An embedded IPv4 address in the last 32 bits (::ffff:10.0.0.1).
  const last = (halves.length === 2 ? tail : head).at(-1);
  if (last?.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    const words = [((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16)];
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...words];
    else head = [...head.slice(0, -1), ...words];
  }
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
