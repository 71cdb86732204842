import {
  ConfigurationError,
  ConflictError,
  ErrorNames,
  isRetryable,
  NotFoundError,
  SafetyViolationError,
  TransientError,
  ValidationError,
} from '../../../functions/shared/errors';

describe('typed errors', () => {
  const cause = new Error('ConditionalCheckFailedException');

  it.each([
    ['ConfigurationError', new ConfigurationError('m', { cause }), ConfigurationError],
    ['ConflictError', new ConflictError('m', { cause }), ConflictError],
    ['NotFoundError', new NotFoundError('m', { cause }), NotFoundError],
    ['TransientError', new TransientError('m', { cause }), TransientError],
    ['SafetyViolationError', new SafetyViolationError('m', { cause, rule: 'quorum' }), SafetyViolationError],
    ['ValidationError', new ValidationError('m', [], { cause }), ValidationError],
  ] as const)('%s keeps its name, message and cause', (name, err, cls) => {
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(cls);
    expect(err.name).toBe(name);
    expect(Object.values(ErrorNames)).toContain(name);
    expect(err.message).toBe('m');
    expect(err.cause).toBe(cause);
    // The Lambda runtime reports `errorType` from the name; the stack and toString start with it too.
    expect(String(err)).toBe(`${name}: m`);
    expect(err.stack?.startsWith(`${name}: m`)).toBe(true);
  });

  it('has no cause unless given one', () => {
    expect(new ConflictError('lost').cause).toBeUndefined();
    expect('cause' in new ConflictError('lost')).toBe(false);
  });

  it('carries validation issues and the refusing safety rule', () => {
    const issues = [{ path: 'detail.EC2InstanceId', message: 'Invalid EC2 instance id' }];
    expect(new ValidationError('bad', issues).issues).toEqual(issues);
    expect(new SafetyViolationError('no', { rule: 'keep-quorum' }).rule).toBe('keep-quorum');
    expect(new SafetyViolationError('no').rule).toBeUndefined();
  });
});

describe('isRetryable', () => {
  it.each([
    ['a TransientError', new TransientError('slow down'), true],
    [
      'an SDK throttling error',
      Object.assign(new Error('Rate exceeded'), { $retryable: { throttling: true } }),
      true,
    ],
    ['an SDK server fault', Object.assign(new Error('InternalFailure'), { $fault: 'server' }), true],
    ['an SDK client fault', Object.assign(new Error('AccessDenied'), { $fault: 'client' }), false],
    [
      "DynamoDB's throttling (a client fault without $retryable)",
      Object.assign(new Error('Rate of requests exceeds'), {
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
      }),
      true,
    ],
    [
      'a failed condition',
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        $fault: 'client',
      }),
      false,
    ],
    [
      'a plain error named like throttling',
      Object.assign(new Error('x'), { name: 'ThrottlingException' }),
      false,
    ],
    ['a ConflictError', new ConflictError('lost'), false],
    ['a SafetyViolationError', new SafetyViolationError('no'), false],
    ['a ValidationError', new ValidationError('bad', []), false],
    ['a string', 'boom', false],
    ['null', null, false],
  ])('%s -> %s', (_label, err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });
});
