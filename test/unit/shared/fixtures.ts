import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const EVENT_FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'fixtures', 'events');

/** Every `*.json` file in test/fixtures/events. */
export function eventFixtureNames(): string[] {
  return readdirSync(EVENT_FIXTURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** A fresh copy of an AWS-documented sample event, safe to mutate. */
export function loadEventFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(EVENT_FIXTURES_DIR, name), 'utf8')) as Record<string, unknown>;
}

/** Marks a field to delete in {@link mutate}. */
export const DELETE = Symbol('delete');

/** A copy of `event` with the field at `fieldPath` set to `value` (or removed, for {@link DELETE}). */
export function mutate(
  event: Record<string, unknown>,
  fieldPath: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(event);
  let node: Record<string, unknown> = copy;
  for (const key of fieldPath.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) throw new Error(`no object at ${fieldPath.join('.')}`);
    node = next as Record<string, unknown>;
  }
  const last = fieldPath.at(-1);
  if (last === undefined) throw new Error('empty path');
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}
