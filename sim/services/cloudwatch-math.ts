/**
 * CloudWatch metric math for the twin's alarms (sim/services/cloudwatch.ts): the subset of the expression
 * language the control plane's alarms use, evaluated one period at a time.
 *
 * Sources:
 * - [Math] CloudWatch User Guide, "Using metric math"
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html): arithmetic
 *   operators `+ - * /`, comparison operators `== != <= >= < >` (a comparison gives 1 or 0), logical operators
 *   `AND` / `&&`, `OR` / `||`, `NOT` / `!`; `IF(condition, trueValue, falseValue)` ("if the condition is true
 *   (non-zero)"); `FILL(m, value)` fills a time series' missing values; `MAX`, `MIN`, `ABS`.
 * - [Alarms] CloudWatch User Guide, "Create a CloudWatch alarm based on a metric math expression": the alarm
 *   evaluates the one expression that returns data, with the alarm's period.
 *
 * Twin choices: one period is one evaluation of the expression over the metrics' statistics for that period; a
 * metric with no datapoint in the period is missing, and arithmetic on a missing value is missing, unless FILLed;
 * when NO referenced metric has a datapoint in the period the expression has no datapoint (FILL has nothing to
 * fill). Functions and operators outside this subset are TwinNotModelled.
 */
import { NotModelledError } from '../core/errors';

type Node =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'id'; readonly id: string }
  | { readonly k: 'un'; readonly op: '-' | 'NOT'; readonly a: Node }
  | { readonly k: 'bin'; readonly op: string; readonly a: Node; readonly b: Node }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Node[] };

const FUNCTIONS = new Set(['IF', 'FILL', 'MAX', 'MIN', 'ABS']);

/** A parsed expression: its metric ids and its value for one period's statistics. */
export interface MathExpression {
  readonly ids: readonly string[];
  /** undefined when the expression has no datapoint for the period. */
  evaluate(values: Readonly<Record<string, number | undefined>>): number | undefined;
}

/** Parses an expression; a syntax error throws a plain Error (the caller maps it to ValidationError). */
export function parseExpression(text: string): MathExpression {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const expect = (t: string) => {
    if (take() !== t) throw new Error(`metric math: expected "${t}" in ${text}`);
  };
  const ids = new Set<string>();
  // Precedence, loosest first: OR, AND, comparison, + -, * /, unary.
  const binary = (ops: readonly string[], next: () => Node) => (): Node => {
    let a = next();
    while (ops.includes(normalizeOp(peek() ?? ''))) {
      const op = normalizeOp(take() as string);
      a = { k: 'bin', op, a, b: next() };
    }
    return a;
  };
  const primary = (): Node => {
    const t = take();
    if (t === undefined) throw new Error(`metric math: unexpected end of ${text}`);
    if (t === '(') {
      const n = orExpr();
      expect(')');
      return n;
    }
    if (t === '-') return { k: 'un', op: '-', a: primary() };
    if (t === '!' || t.toUpperCase() === 'NOT') return { k: 'un', op: 'NOT', a: primary() };
    if (/^\d/.test(t)) return { k: 'num', v: Number(t) };
    if (/^[A-Za-z_]\w*$/.test(t)) {
      if (peek() === '(') {
        const fn = t.toUpperCase();
        if (!FUNCTIONS.has(fn))
          throw new NotModelledError(`the twin does not model the metric math function ${t}`);
        take();
        const args: Node[] = [];
        if (peek() !== ')') {
          args.push(orExpr());
          while (peek() === ',') {
            take();
            args.push(orExpr());
          }
        }
        expect(')');
        const arity: Record<string, number> = { IF: 3, FILL: 2, MAX: 2, MIN: 2, ABS: 1 };
        if (args.length !== arity[fn]) throw new Error(`metric math: ${fn} takes ${arity[fn]} arguments`);
        return { k: 'call', fn, args };
      }
      if (!/^[a-z]\w*$/.test(t))
        throw new Error(`metric math: ${t} is not a metric id (ids start lower case)`);
      ids.add(t);
      return { k: 'id', id: t };
    }
    throw new Error(`metric math: unexpected "${t}" in ${text}`);
  };
  const mul = binary(['*', '/'], primary);
  const add = binary(['+', '-'], mul);
  const cmp = binary(['<', '>', '<=', '>=', '==', '!='], add);
  const andExpr = binary(['AND'], cmp);
  const orExpr = binary(['OR'], andExpr);
  const root = orExpr();
  if (i !== tokens.length) throw new Error(`metric math: unexpected "${tokens[i]}" in ${text}`);
  const idList = [...ids];
  return {
    ids: idList,
    evaluate(values) {
      if (idList.every((id) => values[id] === undefined)) return undefined;
      return evaluate(root, values);
    },
  };
}

function normalizeOp(t: string): string {
  const u = t.toUpperCase();
  if (u === '&&') return 'AND';
  if (u === '||') return 'OR';
  return u;
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*|<=|>=|==|!=|&&|\|\||[-+*/(),<>!])/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`metric math: cannot read "${text.slice(at)}"`);
    out.push(m[1] as string);
    at = re.lastIndex;
  }
  return out;
}

function evaluate(n: Node, values: Readonly<Record<string, number | undefined>>): number | undefined {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'id':
      return values[n.id];
    case 'un': {
      const a = evaluate(n.a, values);
      if (a === undefined) return undefined;
      return n.op === '-' ? -a : a === 0 ? 1 : 0;
    }
    case 'call': {
      if (n.fn === 'FILL') {
        // [Math] FILL(m, value): the missing values of m become value.
        return evaluate(n.args[0] as Node, values) ?? evaluate(n.args[1] as Node, values);
      }
      const args = n.args.map((a) => evaluate(a, values));
      if (n.fn === 'IF') {
        const [c, t, f] = args;
        if (c === undefined) return undefined;
        return c !== 0 ? t : f;
      }
      if (args.some((a) => a === undefined)) return undefined;
      const xs = args as number[];
      if (n.fn === 'ABS') return Math.abs(xs[0] as number);
      return n.fn === 'MAX' ? Math.max(...xs) : Math.min(...xs);
    }
    case 'bin': {
      const a = evaluate(n.a, values);
      const b = evaluate(n.b, values);
      if (a === undefined || b === undefined) return undefined;
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          // Division by zero has no value (CloudWatch drops such datapoints).
          return b === 0 ? undefined : a / b;
        case '<':
          return a < b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
        case 'AND':
          return a !== 0 && b !== 0 ? 1 : 0;
        default:
          return a !== 0 || b !== 0 ? 1 : 0;
      }
    }
  }
}
