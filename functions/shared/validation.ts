/**
 * Turns zod failures into {@link ValidationError}s whose issues name field paths but never echo input
 * values, so they are safe to log and to return to Step Functions.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.cjs';
import { ValidationError, type ValidationIssue } from './errors';

// zod/mini (docs/performance.md) loads no locale by itself; English gives the messages zod's full build gives.
// Imported alone: `z.locales.en` would put every locale into the bundle.
z.config(en());

type ZodIssue = z.core.$ZodIssue;

// Replaces zod's "expected string, received undefined" with the clearer "Required" for absent fields.
const errorMap = (issue: { code?: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined;

/** Render a zod path the way people write it: `detail.resources[0]`; the empty path is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Flatten zod issues into path/message pairs. For a failed union, report only the branch(es) that came
 * closest (fewest issues): "detail.state.value is wrong" beats listing every way each alternative failed.
 */
export function toValidationIssues(
  issues: readonly ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const fewest = Math.min(...issue.errors.map((branch) => branch.length));
      for (const branch of issue.errors) {
        if (branch.length === fewest) out.push(...toValidationIssues(branch, path));
      }
      continue;
    }
    out.push({ path: formatPath(path), message: issue.message });
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Parse `input` with `schema`, returning the typed data or throwing a {@link ValidationError} whose message
 * and issues list every bad field path (e.g. `detail.LifecycleActionToken: Required`).
 */
export function parseOrThrow<T>(schema: z.core.$ZodType<T>, input: unknown, what = 'input'): T {
  const result = z.safeParse(schema, input, { error: errorMap });
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error.issues);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new ValidationError(`Invalid ${what}: ${summary}`, issues);
}
