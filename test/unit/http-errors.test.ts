import { InvocationContext } from '@azure/functions';

import { AppError } from '../../shared/errors';
import { errorResponse } from '../../shared/http/handler';

const context = () => {
  const lines: string[] = [];
  return {
    lines,
    ctx: new InvocationContext({ functionName: 'test', logHandler: (_level, ...args) => lines.push(args.join(' ')) }),
  };
};

describe('the one place where errors become answers', () => {
  test('when an AppError is thrown, then problem+json with its code, status and Retry-After', () => {
    const res = errorResponse(
      new AppError('ACCOUNT_LOCKED', 'Bloqueada', { retryAfterSeconds: 60 }),
      'r1',
      '/api/auth/login',
      context().ctx,
    );
    expect(res.status).toBe(423);
    expect(res.headers).toMatchObject({
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Retry-After': '60',
    });
    expect(JSON.parse(res.body as string)).toEqual({
      type: 'https://cuponeras.epm.com.co/problems/account-locked',
      title: 'La cuenta está bloqueada temporalmente',
      status: 423,
      detail: 'Bloqueada',
      code: 'ACCOUNT_LOCKED',
      instance: '/api/auth/login',
      requestId: 'r1',
      retryAfterSeconds: 60,
    });
  });

  test('when something unexpected is thrown, then 500 without internals, and the stack goes to the log only', () => {
    const { ctx, lines } = context();
    const res = errorResponse(new Error('SELECT * FROM users exploded at /srv/app.js:12'), 'r2', '/api/me', ctx);
    expect(res.status).toBe(500);
    expect(res.body as string).not.toContain('SELECT');
    expect(res.body as string).not.toContain('app.js');
    expect(lines.join('\n')).toContain('exploded');
  });

  test('when the database is unreachable or failing over, then 503 SERVICE_UNAVAILABLE with Retry-After', () => {
    for (const error of [
      Object.assign(new Error('Database is not currently available'), { number: 40613 }),
      Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
    ]) {
      const res = errorResponse(error, 'r3', '/api/invoices/search', context().ctx);
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body as string).code).toBe('SERVICE_UNAVAILABLE');
      expect(res.headers).toMatchObject({ 'Retry-After': '5' });
    }
  });
});
