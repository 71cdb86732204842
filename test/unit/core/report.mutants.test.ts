import { innermostError, redact, renderOutcome, type WorkflowOutcome } from '../../../functions/core/report';

const NOW = Date.UTC(2026, 2, 10, 12);
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:primary-failover:run-42';
const base: WorkflowOutcome = {
  cluster: 'prod',
  region: 'eu-west-1',
  workflow: 'primary-failover',
  execution: EXECUTION,
  outcome: 'failed',
  subject: 'prod',
  summary: 'Could not fence.',
};

describe('redact: what never leaves in a notification or an audit entry', () => {
  it('replaces a whole PEM private key block, whatever its kind, and nothing around it', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAmEw ggJd AgEAAoGBAL\n';
    for (const kind of ['RSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']) {
      expect(redact(`key: -----BEGIN ${kind}-----\n${body}-----END ${kind}----- done`)).toBe(
        'key: [redacted private key] done',
      );
    }
    // Two keys with text between: each block ends at its own END line.
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body}-----END RSA PRIVATE KEY-----`;
    expect(redact(`${pem} keep this ${pem}`)).toBe('[redacted private key] keep this [redacted private key]');
  });

  it('replaces a JWT-shaped token, its signature included', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.dozjgNryP4J3jVmN-l0w5N_XgL0n';
    expect(redact(`Authorization: Bearer ${jwt} end`)).toBe('Authorization: Bearer [redacted token] end');
    // Segments shorter than 10 characters are no token.
    expect(redact('eyJabc.def.ghi')).toBe('eyJabc.def.ghi');
  });

  it('replaces a hex run of 32 characters or more, and leaves short hex words alone', () => {
    expect(redact('secret 0123456789abcdef0123456789ABCDEF0123 used')).toBe('secret [redacted] used');
    expect(redact('node a is down at deadbeef')).toBe('node a is down at deadbeef');
  });

  it('replaces a base64 run of 40 characters or more with its padding, and leaves prose alone', () => {
    const b64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw'; // 44 characters, no padding
    expect(redact(`join key ${b64} set`)).toBe('join key [redacted] set');
    expect(redact(`master ${b64.slice(0, 42)}== set`)).toBe('master [redacted] set');
    const prose = 'The primary i-0abc is down; see the runbook --- ---- ----- ------ -------- (ok).';
    expect(redact(prose)).toBe(prose);
  });
});

describe('innermostError: unwrapping .sync children', () => {
  const wrap = (error: string, cause: unknown) =>
    JSON.stringify({ status: 'FAILED', error, cause, executionArn: EXECUTION });

  it('leaves an error that is not a States.TaskFailed as it is, even with a JSON cause', () => {
    const e = { Error: 'Lambda.Unknown', Cause: wrap('Inner', 'x') };
    expect(innermostError(e)).toEqual(e);
  });

  it('leaves a States.TaskFailed without a cause, or with a cause that is not a JSON object', () => {
    expect(innermostError({ Error: 'States.TaskFailed' })).toEqual({ Error: 'States.TaskFailed' });
    const padded = { Error: 'States.TaskFailed', Cause: ` ${wrap('Inner', 'x')}` };
    expect(innermostError(padded)).toEqual(padded);
    const broken = { Error: 'States.TaskFailed', Cause: '{"error": "Inner"' };
    expect(innermostError(broken)).toEqual(broken);
  });

  it('leaves a cause that names no child error, and drops a child cause that is not text', () => {
    const noError = { Error: 'States.TaskFailed', Cause: JSON.stringify({ status: 'FAILED', output: 'x' }) };
    expect(innermostError(noError)).toEqual(noError);
    const objectError = { Error: 'States.TaskFailed', Cause: JSON.stringify({ error: { name: 'X' } }) };
    expect(innermostError(objectError)).toEqual(objectError);
    const inner = innermostError({ Error: 'States.TaskFailed', Cause: wrap('NodeNotReady', { code: 1 }) });
    expect(inner).toStrictEqual({ Error: 'NodeNotReady', Cause: undefined });
  });

  it('unwraps at most five levels', () => {
    let e = { Error: 'Deepest', Cause: 'level 7' };
    const levels: { Error: string; Cause: string }[] = [e];
    for (let i = 0; i < 7; i++) {
      e = { Error: 'States.TaskFailed', Cause: wrap(e.Error, e.Cause) };
      levels.unshift(e);
    }
    // levels[0] is the outermost; five unwraps reach levels[5], still a wrapper.
    expect(innermostError(levels[0] as { Error: string; Cause: string })).toEqual(levels[5]);
    expect(innermostError(levels[2] as { Error: string; Cause: string })).toEqual(levels[7]);
  });
});

describe('renderOutcome: the audit item and the notification', () => {
  it('keys the audit entry by the execution name, and carries the error', () => {
    const out = renderOutcome({ ...base, error: { Error: 'StaleEpoch', Cause: 'epoch 4 moved on' } }, NOW);
    expect(out.audit.sk).toBe('AUDIT#2026-03-10T12:00:00.000Z#run-42');
    expect(out.audit).toMatchObject({ error: 'StaleEpoch: epoch 4 moved on' });
  });

  it('names an error without a cause by its name alone', () => {
    const out = renderOutcome({ ...base, error: { Error: 'NoCandidate' } }, NOW);
    expect(out.audit).toMatchObject({ error: 'NoCandidate' });
    expect(out.message).toContain('\nError: NoCandidate\n');
  });

  it('writes the message line by line: what, summary, error, execution', () => {
    const out = renderOutcome({ ...base, error: { Error: 'X', Cause: 'y' } }, NOW);
    expect(out.message).toBe(
      [
        'primary-failover failed for prod in eu-west-1 (cluster prod) at 2026-03-10T12:00:00.000Z.',
        'Could not fence.',
        'Error: X: y',
        `Execution: ${EXECUTION}`,
      ].join('\n'),
    );
    expect(renderOutcome(base, NOW).message.split('\n')).toHaveLength(3);
  });

  it('clips the subject under SNS’s 100 characters, and only past 99', () => {
    const prefix = '[prod/eu-west-1] primary-failover failed: '; // 42 characters
    const exact = renderOutcome({ ...base, subject: 'x'.repeat(99 - prefix.length) }, NOW).subject;
    expect(exact).toBe(`${prefix}${'x'.repeat(57)}`);
    const long = renderOutcome({ ...base, subject: 'y'.repeat(200) }, NOW).subject;
    expect(long).toHaveLength(99);
    expect(long).toBe(`${prefix}${'y'.repeat(56)}…`);
  });

  it('clips a long cause to 500 characters in the error line', () => {
    const out = renderOutcome({ ...base, error: { Error: 'X', Cause: 'z '.repeat(400) } }, NOW);
    expect(out.audit).toMatchObject({ error: `X: ${'z '.repeat(249)}z…` });
  });
});
