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
  command: 30,
  signer: 30,
  certs: 60,
  routing: 60,
  operations: 60,
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

/** How a definition names the lease Lambda. */
const LEASE_FUNCTION_PLACEHOLDER = ['$', '{LeaseFunctionArn}'].join('');

/** One lease a workflow takes: the Task that acquires it, its name, TTL and whose execution ARN owns it. */
export interface LeaseAcquire {
  readonly workflow: string;
  readonly state: string;
  readonly lease: string;
  readonly ttlSeconds: number;
  /** `$$.Execution.Id` (the workflow's own execution) or the JSONPath the owner is passed in under. */
  readonly owner: string;
}

/**
 * Every lease `name`'s definition acquires through `${LeaseFunctionArn}` (nested Map/Parallel states
 * included). The lease Lambda reads these holders' status before a takeover, and each TTL must outlast its
 * holder (test/infra/leases.test.ts).
 */
export function leaseAcquiresOf(name: string): LeaseAcquire[] {
  const out: LeaseAcquire[] = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [state, s] of Object.entries(states)) {
      const params = s.Parameters as { FunctionName?: string; Payload?: Record<string, unknown> } | undefined;
      const p = params?.Payload;
      if (params?.FunctionName === LEASE_FUNCTION_PLACEHOLDER && p?.op === 'acquire') {
        out.push({
          workflow: name,
          state,
          lease: String(p.name),
          ttlSeconds: Number(p.ttlSeconds),
          owner: String(p['owner.$'] ?? p.owner),
        });
      }
      for (const inner of [
        ...((s.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []),
        ...[
          (s.ItemProcessor ?? s.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined,
        ],
      ]) {
        if (inner?.States) walk(inner.States);
      }
    }
  };
  walk((JSON.parse(definitionText(name)) as { States: Record<string, Record<string, unknown>> }).States);
  return out;
}

/**
 * The workflows (among `known`) whose executions may own a lease: those that acquire one as themselves, and
 * the parents of those that acquire one for an owner passed in (the parent's execution). The lease Lambda
 * reads these executions' status before any takeover.
 */
export function leaseHolders(known: readonly string[]): string[] {
  const holders = new Set<string>();
  for (const name of known) {
    for (const acquire of leaseAcquiresOf(name)) {
      if (acquire.owner === '$$.Execution.Id') holders.add(name);
      else for (const parent of known) if (childrenOf(parent, known).includes(name)) holders.add(parent);
    }
  }
  return [...holders].sort();
}
