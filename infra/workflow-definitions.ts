/**
 * The workflow definitions as files: each `statemachines/<name>.asl.json` is deployed unmodified, its
 * `${Placeholders}` filled by CloudFormation's definition substitutions (CDK) or by the twin. A parent refers to
 * a child workflow by the placeholder `${<PascalCaseName>StateMachineArn}`. Used by the CDK constructs and the
 * twin's deployment alike (no CDK here).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Each Lambda's timeout in seconds, for the CDK functions and the twin alike. A workflow's Task that invokes
 * one waits its timeout plus a margin (test/infra/asl.test.ts checks it).
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  dispatch: 30,
  reconciler: 120,
  lease: 30,
  report: 30,
  failover: 60,
  watch: 30,
} as const;
export type FunctionName = keyof typeof FUNCTION_TIMEOUT_SECONDS;

export const STATEMACHINES_DIR = path.resolve(__dirname, '..', 'statemachines');

/** The definition file's text, as deployed before substitution. */
export function definitionText(name: string): string {
  return readFileSync(path.join(STATEMACHINES_DIR, `${name}.asl.json`), 'utf8');
}

/** The `${Placeholders}` a definition uses. */
export function placeholdersOf(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''));
}

/** `primary-failover-confirm` → `PrimaryFailoverConfirmStateMachineArn`: how a parent names a child's ARN. */
export function stateMachineArnPlaceholder(name: string): string {
  return `${name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}StateMachineArn`;
}

/** The workflows a definition starts (by placeholder, resolved to workflow names among `known`). */
export function childrenOf(name: string, known: readonly string[]): string[] {
  const used = placeholdersOf(definitionText(name));
  return known.filter((k) => k !== name && used.has(stateMachineArnPlaceholder(k)));
}

/**
 * Exactly the substitutions `name`'s definition uses, taken from `available`. A placeholder with no value
 * throws here, at synth or twin start, rather than deploying a broken ARN.
 */
export function substitutionsFor(
  name: string,
  available: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const key of placeholdersOf(definitionText(name))) {
    const value = available[key];
    if (value === undefined) missing.push(key);
    else out[key] = value;
  }
  if (missing.length > 0) {
    throw new Error(`statemachines/${name}.asl.json: no value for ${missing.sort().join(', ')}`);
  }
  return out;
}
