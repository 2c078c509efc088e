import { HubpoError } from '@hubpo/core';
import { AttemptTimeout, FailureAction, classifyAttemptFailure } from './attempt-failure.js';

const err = (kind: ConstructorParameters<typeof HubpoError>[0]): HubpoError => new HubpoError(kind, 'x');

describe('classifyAttemptFailure', () => {
  it.each([
    ['PROVIDER_ERROR', FailureAction.RetrySame, true],
    ['UNAVAILABLE', FailureAction.RetrySame, true],
    ['PROVIDER_TIMEOUT', FailureAction.RetrySame, true],
    ['PROVIDER_RATE_LIMITED', FailureAction.NextTarget, true],
    ['PROVIDER_AUTH', FailureAction.NextTarget, true],
    ['MODEL_NOT_FOUND', FailureAction.NextTarget, true],
    ['BAD_REQUEST', FailureAction.Final, false],
    ['CONTEXT_LENGTH_EXCEEDED', FailureAction.Final, false],
  ] as const)('provider %s', (kind, action, counts) => {
    expect(classifyAttemptFailure(err(kind), null)).toMatchObject({ action, countsAgainstTarget: counts });
  });

  it('transport errors: refused moves on, a reset is retried', () => {
    expect(
      classifyAttemptFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), null),
    ).toMatchObject({
      action: FailureAction.NextTarget,
      error: { kind: 'UPSTREAM_CONNECT' },
    });
    expect(
      classifyAttemptFailure(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }), null),
    ).toMatchObject({
      action: FailureAction.RetrySame,
      error: { kind: 'UPSTREAM_RESET' },
    });
  });

  it("the gateway's own timeouts move on and count against the target", () => {
    for (const timeout of [AttemptTimeout.FirstToken, AttemptTimeout.Request]) {
      expect(classifyAttemptFailure(new Error('aborted'), timeout)).toMatchObject({
        action: FailureAction.NextTarget,
        countsAgainstTarget: true,
        error: { kind: 'PROVIDER_TIMEOUT', status: 504 },
      });
    }
  });
});
