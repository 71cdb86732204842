import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  type AslDefinition,
  CHILD_ALIASES,
  check,
  childStarts,
  condition,
  generate,
  machinesSection,
  mermaid,
  ROOT,
  workflowOfPlaceholder,
} from '../../scripts/asl-diagram';

/** `${<Name>StateMachineArn}`, as the definitions write a child workflow's ARN. */
const ph = (name: string) => `\${${name}StateMachineArn}`;

const inline: AslDefinition = {
  Comment: 'inline: a Choice, a Catch and a Parallel',
  StartAt: 'Acquire',
  States: {
    Acquire: {
      Type: 'Task',
      Retry: [{ ErrorEquals: ['States.ALL'] }],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
      Next: 'Taken?',
    },
    'Taken?': {
      Type: 'Choice',
      Choices: [
        { Variable: '$.lock.acquired', BooleanEquals: true, Next: 'FanOut' },
        {
          And: [
            { Variable: '$.tries', NumericGreaterThanEquals: 3 },
            { Not: { Variable: '$.mode', StringEquals: 'patient' } },
          ],
          Next: 'Failed',
        },
      ],
      Default: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 5, Next: 'Acquire' },
    FanOut: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Task', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Pass', End: true } } },
      ],
      Catch: [{ ErrorEquals: ['Custom.Error'], Next: 'Failed' }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'LockFailed' },
  },
};

describe('workflow diagrams', () => {
  it('every statemachines/<name>.md diagram and statemachines/README.md are up to date (npm run diagrams)', () => {
    expect(check()).toEqual([]);
  });

  describe('mermaid()', () => {
    const lines = mermaid(inline).split('\n');

    it('is a top-down flowchart with one node per state, shaped by type', () => {
      expect(lines[0]).toBe('flowchart TD');
      expect(lines).toContain('  Acquire["Acquire ↻"]');
      expect(lines).toContain('  Taken_{"Taken?"}');
      expect(lines).toContain('  Pause("Pause (5s)")');
      expect(lines).toContain('  Done(["✔ Done"])');
      expect(lines).toContain('  Failed(["✘ Failed (LockFailed)"])');
      expect(lines).toContain('  __start --> Acquire');
    });

    it('draws Next, Choices with their condition, Default and Catch edges', () => {
      expect(lines).toContain('  Acquire --> Taken_');
      expect(lines).toContain('  Acquire -.->|"catch"| Failed');
      expect(lines).toContain('  Taken_ -->|"lock.acquired = true"| FanOut');
      expect(lines).toContain(`  Taken_ -->|"tries ≥ 3 and not mode = 'patient'"| Failed`);
      expect(lines).toContain('  Taken_ -->|"default"| Pause');
      expect(lines).toContain('  Pause --> Acquire');
      // Retries are annotations, not edges.
      expect(lines.filter((l) => l.startsWith('  Acquire -'))).toHaveLength(2);
    });

    it('draws a Parallel as a subgraph of branch subgraphs, linked by its own Next and Catch', () => {
      const open = lines.indexOf('  subgraph FanOut["FanOut (parallel)"]');
      expect(open).toBeGreaterThan(0);
      expect(lines.slice(open, open + 9)).toEqual([
        '  subgraph FanOut["FanOut (parallel)"]',
        '    subgraph FanOut_branch1["branch 1"]',
        '      Left["Left"]',
        '    end',
        '    subgraph FanOut_branch2["branch 2"]',
        '      Right("Right")',
        '    end',
        '  end',
        '  Done(["✔ Done"])',
      ]);
      expect(lines).toContain('  FanOut --> Done');
      expect(lines).toContain('  FanOut -.->|"catch Custom.Error"| Failed');
      // A branch's last state ends the branch, not the workflow.
      expect(lines.some((l) => l.includes('__end'))).toBe(false);
    });

    it('is deterministic and sanitizes ids (reserved words, collisions)', () => {
      expect(mermaid(inline)).toBe(mermaid(structuredClone(inline)));
      const tricky = mermaid({
        StartAt: 'end',
        States: {
          end: { Type: 'Pass', Next: 'a-b' },
          'a-b': { Type: 'Pass', Next: 'a_b' },
          a_b: { Type: 'Pass', End: true },
        },
      }).split('\n');
      expect(tricky).toContain('  s_end --> a_b');
      expect(tricky).toContain('  a_b --> a_b_2');
      expect(tricky).toContain('  a_b_2 --> __end');
    });

    it('renders conditions briefly', () => {
      expect(
        condition({
          Or: ['Pending', 'InProgress'].map((s) => ({ Variable: '$.status', StringEquals: s })),
          Next: 'x',
        }),
      ).toBe("status in ('Pending', 'InProgress')");
      expect(condition({ Variable: '$.items[0]', IsPresent: true })).toBe('items[0] is present');
      expect(condition({ Variable: '$.a', NumericLessThanPath: '$.b' })).toBe('a < b');
    });
  });

  describe('child workflows', () => {
    it('maps a <PascalCaseName>StateMachineArn placeholder to kebab-case-name, with the aliases', () => {
      expect(workflowOfPlaceholder(ph('NodeCommand'))).toBe('node-command');
      expect(workflowOfPlaceholder(ph('PrimaryFailoverConfirm'))).toBe('primary-failover-confirm');
      expect(workflowOfPlaceholder(ph('Failover'))).toBe('primary-failover');
      expect(CHILD_ALIASES).toEqual({ Failover: 'primary-failover' });
      expect(workflowOfPlaceholder(`\${TargetGroupArn}`)).toBeUndefined();
      expect(workflowOfPlaceholder('arn:aws:states:eu-west-1:111122223333:stateMachine:x')).toBeUndefined();
    });

    it('finds every states:startExecution Task with a placeholder ARN, nested ones included', () => {
      const parent: AslDefinition = {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Child',
                States: {
                  Child: {
                    Type: 'Task',
                    Resource: 'arn:aws:states:::states:startExecution.sync:2',
                    Parameters: { StateMachineArn: ph('NodeCommand') },
                    End: true,
                  },
                },
              },
            ],
            Next: 'Handover',
          },
          Handover: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution',
            Parameters: { StateMachineArn: ph('Failover') },
            Next: 'Other',
          },
          Other: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
            Parameters: { StateMachineArn: ph('NodeDrain') },
            End: true,
          },
        },
      };
      expect(childStarts(parent)).toEqual([
        { state: 'Child', placeholder: ph('NodeCommand'), workflow: 'node-command' },
        { state: 'Handover', placeholder: ph('Failover'), workflow: 'primary-failover' },
      ]);
    });
  });

  describe('the table of contents', () => {
    it('has one row per workflow: link, states, timeout, children, comment without the name prefix', () => {
      const section = machinesSection([
        {
          name: 'parent',
          file: 'parent.asl.json',
          definition: {
            Comment: 'parent: does | things',
            TimeoutSeconds: 5400,
            StartAt: 'A',
            States: {
              A: {
                Type: 'Task',
                Resource: 'arn:aws:states:::states:startExecution.sync:2',
                Parameters: { StateMachineArn: ph('Child') },
                Next: 'B',
              },
              B: {
                Type: 'Task',
                Resource: 'arn:aws:states:::states:startExecution.sync:2',
                Parameters: { StateMachineArn: ph('Child') },
                End: true,
              },
            },
          },
        },
        { name: 'child', file: 'child.asl.json', definition: inline },
      ]);
      expect(section).toContain(
        '| [`parent`](parent.md) | 2 | 5400 s (90 min) | [`child`](child.md) | does \\| things |',
      );
      expect(section).toContain(
        '| [`child`](child.md) | 8 | none | — | inline: a Choice, a Catch and a Parallel |',
      );
    });
  });

  describe('check() and generate() on a workflows directory of their own', () => {
    // alpha starts beta as a child; both have their specification. Independent of the repository's workflows.
    const alpha: AslDefinition = {
      Comment: 'alpha: runs beta, then waits',
      TimeoutSeconds: 600,
      StartAt: 'RunBeta',
      States: {
        RunBeta: {
          Type: 'Task',
          Resource: 'arn:aws:states:::states:startExecution.sync:2',
          Parameters: { StateMachineArn: ph('Beta') },
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          Next: 'WaitForIt',
        },
        WaitForIt: { Type: 'Wait', Seconds: 5, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const spec = (name: string) =>
      `# ${name}\n\nBefore.\n\n<!-- diagram:${name} -->\n<!-- /diagram:${name} -->\n\nAfter.\n`;

    let root: string;
    const file = (name: string) => path.join(root, 'statemachines', name);
    const read = (name: string) => readFileSync(file(name), 'utf8');
    const write = (name: string, text: string) => writeFileSync(file(name), text);
    const edit = (name: string, change: (text: string) => string) => write(name, change(read(name)));

    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'asl-diagram-'));
      mkdirSync(path.join(root, 'statemachines'));
      write('alpha.asl.json', JSON.stringify(alpha));
      write('beta.asl.json', JSON.stringify(inline));
      write('alpha.md', spec('alpha'));
      write('beta.md', spec('beta'));
      write('README.md', '# Workflows\n\nIntro.\n');
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('writes each diagram between its markers and the table of contents, then finds nothing stale', () => {
      expect(check(root)).toEqual([
        'statemachines/alpha.md is stale: run `npm run diagrams`',
        'statemachines/beta.md is stale: run `npm run diagrams`',
        'statemachines/README.md is stale: run `npm run diagrams`',
      ]);
      expect(generate(root)).toEqual([
        'statemachines/alpha.md',
        'statemachines/beta.md',
        'statemachines/README.md',
      ]);
      expect(read('alpha.md')).toMatch(
        /^# alpha\n\nBefore\.\n\n<!-- diagram:alpha -->\n\nGenerated from \[`alpha\.asl\.json`\]\(alpha\.asl\.json\)[^\n]*\n\n```mermaid\nflowchart TD\n[\s\S]*\n```\n\n<!-- \/diagram:alpha -->\n\nAfter\.\n$/,
      );
      expect(read('alpha.md')).toContain('  WaitForIt("WaitForIt (5s)")');
      expect(read('README.md')).toMatch(
        /^# Workflows\n\nIntro\.\n\n<!-- generated:start -->\n[\s\S]*<!-- generated:end -->\n$/,
      );
      expect(read('README.md')).toContain(
        '| [`alpha`](alpha.md) | 3 | 600 s (10 min) | [`beta`](beta.md) | runs beta, then waits |',
      );
      expect(check(root)).toEqual([]);
      expect(generate(root)).toEqual([]);
    });

    it('reports the specification stale when its definition changes, and only it', () => {
      generate(root);
      edit('alpha.asl.json', (text) => {
        const definition = JSON.parse(text);
        definition.States.WaitForIt.Seconds = 7;
        return JSON.stringify(definition);
      });
      expect(check(root)).toEqual(['statemachines/alpha.md is stale: run `npm run diagrams`']);
      expect(generate(root)).toEqual(['statemachines/alpha.md']);
      expect(read('alpha.md')).toContain('  WaitForIt("WaitForIt (7s)")');
      expect(read('alpha.md')).not.toContain('(5s)');
    });

    it('reports the table of contents stale when a Comment or a timeout changes', () => {
      generate(root);
      edit('beta.asl.json', (text) => JSON.stringify({ ...JSON.parse(text), TimeoutSeconds: 3600 }));
      expect(check(root)).toEqual(['statemachines/README.md is stale: run `npm run diagrams`']);
      generate(root);
      expect(read('README.md')).toContain('| [`beta`](beta.md) | 8 | 3600 s (1 h) | — |');
    });

    it('fails, naming the file, for a definition without a specification; generate() writes nothing', () => {
      write('gamma.asl.json', JSON.stringify(inline));
      expect(check(root)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^statemachines\/gamma\.asl\.json has no specification: write statemachines\/gamma\.md .*`<!-- diagram:gamma -->`/,
          ),
        ]),
      );
      expect(() => generate(root)).toThrow(/gamma\.asl\.json has no specification/);
      expect(read('README.md')).toBe('# Workflows\n\nIntro.\n');
      expect(read('alpha.md')).toBe(spec('alpha'));
    });

    it('fails, naming the file, for a specification without its diagram or without a definition', () => {
      write('beta.md', '# beta\n\nNo diagram here.\n');
      write('delta.md', '# delta\n');
      expect(check(root).filter((m) => !m.includes('is stale'))).toEqual([
        'statemachines/beta.md has no diagram: put `<!-- diagram:beta -->` and `<!-- /diagram:beta -->` in it, then run `npm run diagrams`',
        'statemachines/delta.md specifies no workflow: statemachines/delta.asl.json does not exist',
      ]);
    });

    it('fails for doubled markers and for a diagram of a workflow that does not exist', () => {
      write('beta.md', `${spec('beta')}\n${spec('beta')}`);
      write('alpha.md', `${spec('alpha')}\n<!-- diagram:omega -->\n<!-- /diagram:omega -->\n`);
      expect(check(root).filter((m) => !m.includes('is stale'))).toEqual([
        'statemachines/alpha.md shows the diagram of omega, but statemachines/omega.asl.json does not exist',
        'statemachines/beta.md holds its diagram markers more than once: keep one `<!-- diagram:beta -->` … pair',
      ]);
    });

    it('fails when a child placeholder names no workflow', () => {
      edit('alpha.asl.json', (text) => text.replace(ph('Beta'), ph('Gamma')));
      expect(check(root)).toContain(
        `statemachines/alpha.asl.json: RunBeta starts ${ph('Gamma')}, but statemachines/gamma.asl.json does not ` +
          'exist (name the placeholder after the workflow, or add it to CHILD_ALIASES in scripts/asl-diagram.ts)',
      );
    });

    it('replaces the placeholder paragraph of statemachines/README.md the first time, keeping the intro', () => {
      write(
        'README.md',
        '# Workflows\n\nIntro paragraph.\n\nNo workflow has landed yet; they arrive\nissue by issue.\n',
      );
      generate(root);
      const readme = read('README.md');
      expect(readme.startsWith('# Workflows\n\nIntro paragraph.\n\n<!-- generated:start -->\n')).toBe(true);
      expect(readme.endsWith('<!-- generated:end -->\n')).toBe(true);
      expect(readme).not.toContain('No workflow has landed yet');
      expect(readme).toContain('| [`beta`](beta.md) |');
    });
  });

  it('leaves the root README alone: it holds no diagram', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).not.toMatch(/<!-- diagram:|```mermaid/);
  });
});
