import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type AslDefinition, check, condition, generate, mermaid, ROOT } from '../../scripts/asl-diagram';

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
  it('statemachines/README.md and README.md are up to date (npm run diagrams --check)', () => {
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

  describe('check() on a copy of the repository files', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'asl-diagram-'));
      cpSync(path.join(ROOT, 'statemachines'), path.join(root, 'statemachines'), {
        recursive: true,
        filter: (src) => !src.includes(`${path.sep}.`),
      });
      cpSync(path.join(ROOT, 'README.md'), path.join(root, 'README.md'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    const edit = (file: string, change: (text: string) => string) => {
      const p = path.join(root, file);
      writeFileSync(p, change(readFileSync(p, 'utf8')));
    };

    it('reports statemachines/README.md stale when a definition changes, and generate() fixes it', () => {
      expect(check(root)).toEqual([]);
      edit('statemachines/node-command.asl.json', (text) => {
        const definition = JSON.parse(text);
        definition.States.WaitForNodeCommand.Seconds = 7;
        return JSON.stringify(definition);
      });
      expect(check(root)).toEqual(['statemachines/README.md']);
      expect(generate(root)).toEqual(['statemachines/README.md']);
      expect(readFileSync(path.join(root, 'statemachines/README.md'), 'utf8')).toContain(
        'WaitForNodeCommand("WaitForNodeCommand (7s)")',
      );
      expect(check(root)).toEqual([]);
    });

    it('keeps README.md diagram blocks between their markers in step, and leaves the rest alone', () => {
      const markers = '<!-- diagram:node-drain -->\nold diagram\n<!-- /diagram:node-drain -->';
      writeFileSync(path.join(root, 'README.md'), `# Title\n\nBefore.\n\n${markers}\n\nAfter.\n`);
      expect(check(root)).toEqual(['README.md']);
      generate(root);
      const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
      expect(readme).toMatch(
        /^# Title\n\nBefore\.\n\n<!-- diagram:node-drain -->\n\n```mermaid\nflowchart TD\n[\s\S]*\n```\n\n<!-- \/diagram:node-drain -->\n\nAfter\.\n$/,
      );
      expect(readme).not.toContain('old diagram');
      expect(check(root)).toEqual([]);
    });

    it('replaces the placeholder paragraph the first time, keeping the intro', () => {
      writeFileSync(
        path.join(root, 'statemachines/README.md'),
        '# Workflows\n\nIntro paragraph.\n\nNo workflow has landed yet; they arrive\nissue by issue.\n',
      );
      expect(check(root)).toEqual(['statemachines/README.md']);
      generate(root);
      const readme = readFileSync(path.join(root, 'statemachines/README.md'), 'utf8');
      expect(readme.startsWith('# Workflows\n\nIntro paragraph.\n\n<!-- generated:start -->\n')).toBe(true);
      expect(readme.endsWith('<!-- generated:end -->\n')).toBe(true);
      expect(readme).not.toContain('No workflow has landed yet');
      expect(readme).toContain('| [`node-drain`](#node-drain) |');
    });
  });
});
