import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, ConfigSchema } from './schema';

/** A configuration that cannot be deployed; `issues` names each bad field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid configuration ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`, options);
  }
}

/** Renders a zod path the way an operator reads a config file: regions[1].primaryAsgName. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

function describe(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${field === '' ? '(top level)' : field}: unknown field(s) ${issue.keys.join(', ')}`;
  }
  return `${field === '' ? '(top level)' : field}: ${issue.message}`;
}

/** Validates an already parsed document; throws ConfigError listing every bad field. */
export function parseConfig(raw: unknown, source = '(inline)'): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map(describe), { cause: result.error });
  }
  return result.data;
}

/** Reads a YAML or JSON config file and validates it. */
export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(path, [`cannot read the file (${(cause as Error).message})`], { cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(path, [`not valid YAML/JSON: ${(cause as Error).message}`], { cause });
  }
  return parseConfig(raw, path);
}
