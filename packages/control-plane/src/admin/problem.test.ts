import { HubpoError } from '@hubpo/core';
import { fromBodyParserError, toProblem } from './problem.js';

describe('toProblem', () => {
  it('renders a validation error with its code and the issues naming each field', () => {
    const problem = toProblem(
      new HubpoError('VALIDATION', 'the resource is invalid: /spec/rules', {
        issues: [{ path: '/spec/rules', message: 'required' }],
      }),
      '/api/v1/namespaces/a/routes',
    );
    expect(problem).toEqual({
      type: 'https://hubpo.io/problems/validation',
      title: 'Invalid resource',
      status: 422,
      code: 'HUBPO_ERR_VALIDATION',
      detail: 'the resource is invalid: /spec/rules',
      instance: '/api/v1/namespaces/a/routes',
      issues: [{ path: '/spec/rules', message: 'required' }],
      retryable: false,
    });
  });

  it('hides the message and stack of unexpected errors', () => {
    const problem = toProblem(new Error('connect ECONNREFUSED 10.1.2.3:5432'));
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('HUBPO_ERR_INTERNAL');
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|at .*\.ts/);
  });

  it('hides internal details of 5xx HubpoErrors too', () => {
    const problem = toProblem(
      new HubpoError('UNAVAILABLE', 'pool exhausted on db-7.internal', {
        issues: [{ path: 'x', message: 'y' }],
      }),
    );
    expect(problem.status).toBe(503);
    expect(problem.detail).not.toContain('db-7');
    expect(problem.issues).toBeUndefined();
  });

  it('maps body parser errors to 413, 400 and 415', () => {
    expect(fromBodyParserError({ type: 'entity.too.large' })?.status).toBe(413);
    expect(fromBodyParserError({ type: 'entity.parse.failed' })?.status).toBe(400);
    expect(fromBodyParserError({ type: 'charset.unsupported' })?.status).toBe(415);
    expect(fromBodyParserError(new Error('other'))).toBeUndefined();
  });
});
