/** `hactl pause` / `resume`: dry run (the pause's current state), confirmation, the op, its output. */
import { type Answers, CALLER, lambdaAnswer, opsRequests, run } from './helpers';

const status = (paused: boolean, version = 3) => ({
  op: 'pause-status',
  automationEnabled: true,
  effective: paused,
  majority: { paused, version },
  copies: [],
});

const changed = (paused: boolean, outcomes: string[] = ['written', 'written', 'written']) => ({
  op: paused ? 'pause' : 'resume',
  done: true,
  version: 4,
  paused,
  effective: paused,
  automationEnabled: true,
  copies: ['eu-west-1', 'us-east-1', 'eu-central-1'].map((region, i) => ({ region, outcome: outcomes[i] })),
  audited: true,
  notified: true,
});

function opsAnswers(paused: boolean, result: unknown, functionError?: string): Answers {
  return {
    'lambda.InvokeCommand': (input) => {
      const req = JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'));
      expect(input.FunctionName).toBe('artifactory-prod-control-plane-eu-west-1-operations');
      if (req.op === 'pause-status') return lambdaAnswer(status(paused));
      return lambdaAnswer(result, functionError);
    },
  };
}

describe('hactl pause / resume', () => {
  it('pause --reason --yes: the dry run verdict, then the op with the STS caller as actor', async () => {
    const r = await run(['pause', '--reason', 'db maintenance', '--yes'], opsAnswers(false, changed(true)));
    expect(r.code).toBe(0);
    expect(opsRequests(r.calls)).toEqual([
      { op: 'pause-status' },
      { op: 'pause', actor: CALLER, reason: 'db maintenance' },
    ]);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('dry run: pause turns the pause on (version 3 → 4)');
    expect(lines[1]).toBe('paused: version 4, effective pause here: on');
    expect(lines.slice(2)).toEqual([
      'COPY          OUTCOME',
      'eu-west-1     written',
      'us-east-1     written',
      'eu-central-1  written',
    ]);
  });

  it('--dry-run changes nothing (only the status is read)', async () => {
    const r = await run(['resume', '--reason', 'done', '--dry-run'], opsAnswers(true, changed(false)));
    expect(r.code).toBe(0);
    expect(r.out).toBe('dry run: resume turns the pause off (version 3 → 4)\n');
    expect(opsRequests(r.calls)).toEqual([{ op: 'pause-status' }]);
    expect(r.calls.some((c) => c.command === 'GetCallerIdentityCommand')).toBe(false);
  });

  it('not a TTY and no --yes: refused (exit 2), nothing changed', async () => {
    const r = await run(['pause', '--reason', 'x'], opsAnswers(false, changed(true)));
    expect(r.code).toBe(2);
    expect(r.err).toBe('hactl: refused: not a terminal, so pass --yes to confirm the change\n');
    expect(opsRequests(r.calls).map((q) => q.op)).toEqual(['pause-status']);
  });

  it('on a TTY the operator is asked: n declines (exit 2), y goes on', async () => {
    const no = await run(['pause', '--reason', 'x'], opsAnswers(false, changed(true)), {
      tty: true,
      input: 'n\n',
    });
    expect(no.code).toBe(2);
    expect(no.err).toContain('pause automation in every region? [y/N] ');
    expect(no.err).toContain('hactl: refused: pause not confirmed');
    expect(opsRequests(no.calls).map((q) => q.op)).toEqual(['pause-status']);
    const yes = await run(['pause', '--reason', 'x'], opsAnswers(false, changed(true)), {
      tty: true,
      input: 'y\n',
    });
    expect(yes.code).toBe(0);
    expect(opsRequests(yes.calls).map((q) => q.op)).toEqual(['pause-status', 'pause']);
    expect(yes.out).toContain('\u001b[33mpaused\u001b[0m'); // colour on a TTY
  });

  it('--json: one document (the op result, region, actor, reason); a copy not written is in it', async () => {
    const r = await run(
      ['--json', 'resume', '--reason', 'over', '--yes'],
      opsAnswers(true, changed(false, ['written', 'written', 'unreachable'])),
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({
      op: 'resume',
      paused: false,
      version: 4,
      region: 'eu-west-1',
      actor: CALLER,
      reason: 'over',
    });
    expect(doc.copies[2]).toEqual({ region: 'eu-central-1', outcome: 'unreachable' });
  });

  it('the op failing (a function error) is exit 3 with its message', async () => {
    const r = await run(
      ['pause', '--reason', 'x', '--yes'],
      opsAnswers(
        false,
        { errorType: 'QuorumError', errorMessage: 'only 1 of 3 copies written' },
        'Unhandled',
      ),
    );
    expect(r.code).toBe(3);
    expect(r.err).toBe(
      'hactl: the operation pause failed in eu-west-1: QuorumError: only 1 of 3 copies written\n',
    );
  });
});
