import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../infra/config/load';
import type { Config } from '../../infra/config/schema';

export const EXAMPLE_CONFIG_PATH = path.resolve(__dirname, '../../infra/config/example.yaml');

/** The example config as raw YAML data, for tests that break one field. */
export function exampleRaw(): Record<string, unknown> {
  return parseYaml(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
}

export function exampleConfig(): Config {
  return parseConfig(exampleRaw(), EXAMPLE_CONFIG_PATH);
}

/** An app that synthesizes into a temporary directory and skips asset bundling unless asked. */
export function testApp(options: { bundle?: boolean } = {}): App {
  return new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'cdk-test-')),
    ...(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
}

/**
 * Synthesizes with the policy plugins registered on the app and returns the report's findings
 * (empty = clean). Throws only for failures that are not policy findings.
 */
export function policyFindings(app: App): string[] {
  try {
    app.synth({ force: true });
    return [];
  } catch (err) {
    const reportPath = path.join(app.outdir, 'validation-report.json');
    if (!existsSync(reportPath)) throw err;
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
      }[];
    };
    return report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        (v.violatingConstructs ?? [{ constructPath: '?' }]).map(
          (c) => `${p.pluginName}: ${v.ruleName} on ${c.constructPath}`,
        ),
      ),
    );
  }
}

/** A CloudFormation value as one string: pseudo parameters as `${AWS::Partition}`, references as `${Id}`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `\${${v.Ref as string}}`;
  if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}
