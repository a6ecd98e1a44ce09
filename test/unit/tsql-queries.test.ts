import { tsqlCompiler } from '../../shared/clients/sql.client';
import { couponQueries } from '../../shared/models/coupon.model';
import { idempotencyQueries } from '../../shared/models/idempotency.model';
import { invoiceQueries } from '../../shared/models/invoice.model';
import { loginThrottleQueries } from '../../shared/models/loginThrottle.model';
import { outboxQueries } from '../../shared/models/outbox.model';
import { sessionQueries } from '../../shared/models/session.model';
import { transactionQueries } from '../../shared/models/transaction.model';

// No SQL Server runs here: the T-SQL of every statement that moves money or state is pinned, so
// a change to a query (or to knex) that alters what Azure SQL would run shows up in review.
const db = tsqlCompiler();
const now = new Date('2026-11-30T15:00:00Z');
const sql = (builder: { toSQL(): { sql: string } | { sql: string }[] }) => {
  const compiled = builder.toSQL();
  return Array.isArray(compiled) ? compiled.map((c) => c.sql).join(';\n') : compiled.sql;
};

describe('pinned T-SQL', () => {
  test('paying an invoice is a conditional update on UNPAID', () => {
    expect(sql(invoiceQueries.markPaid(db, 'i1', now))).toBe(
      'update [invoices] set [status] = ?, [paid_at] = ?, [updated_at] = ? where [id] = ? and [status] = ?;select @@rowcount',
    );
  });

  test('reversing sets the invoice back to UNPAID only from PAID', () => {
    expect(sql(invoiceQueries.markUnpaid(db, 'i1', now))).toBe(
      'update [invoices] set [status] = ?, [paid_at] = ?, [updated_at] = ? where [id] = ? and [status] = ?;select @@rowcount',
    );
  });

  test('using a coupon requires it ACTIVE and unexpired', () => {
    expect(sql(couponQueries.use(db, 'c1', now))).toBe(
      'update [coupons] set [status] = ?, [closed_at] = ? where [id] = ? and [status] = ? and [expires_at] > ?;select @@rowcount',
    );
  });

  test('the other ACTIVE coupons of a paid invoice are cancelled, returning who to tell (OUTPUT inserted)', () => {
    expect(sql(couponQueries.cancelOthersForInvoice(db, 'i1', 'c1', now))).toBe(
      'update [coupons] set [status] = ?, [closed_at] = ? output inserted.[id], inserted.[code], inserted.[user_id], inserted.[invoice_id] where [invoice_id] = ? and [status] = ? and not [id] = ?',
    );
  });

  test('expiry reads a bounded batch with TOP, then updates it conditionally with OUTPUT', () => {
    expect(sql(couponQueries.dueForExpiry(db, now, 500))).toBe(
      'select top (?) [id] from [coupons] where [status] = ? and [expires_at] <= ? order by [expires_at] asc',
    );
    expect(sql(couponQueries.expire(db, ['a', 'b'], now))).toBe(
      'update [coupons] set [status] = ?, [closed_at] = ? output inserted.[id], inserted.[code], inserted.[user_id], inserted.[invoice_id] where [id] in (?, ?) and [status] = ? and [expires_at] <= ?',
    );
  });

  test('the cuponera is paged by keyset (issued_at, id), newest first', () => {
    expect(sql(couponQueries.page(db, 'u1', { status: 'ACTIVE', cursor: { at: now, id: 'x' }, limit: 20 }))).toBe(
      'select top (?) [k].*, [i].[number] as [invoice_number], [i].[period] as [invoice_period], [i].[due_date] as [invoice_due_date], [c].[number] as [contract_number] from [coupons] as [k] inner join [invoices] as [i] on [i].[id] = [k].[invoice_id] inner join [contracts] as [c] on [c].[id] = [i].[contract_id] where [k].[user_id] = ? and [k].[status] = ? and ([k].[issued_at] < ? or ([k].[issued_at] = ? and [k].[id] < ?)) order by [k].[issued_at] desc, [k].[id] desc',
    );
  });

  test('history is paged by keyset (created_at, id) within the date range', () => {
    expect(sql(transactionQueries.page(db, 'u1', { from: now, to: now, limit: 20 }))).toBe(
      'select top (?) [t].[id], [t].[type], [t].[invoice_id], [i].[number] as [invoice_number], [c].[number] as [contract_number], [k].[code] as [coupon_code], [t].[user_id], [t].[amount], [t].[payment_method], [t].[reverses_id], [t].[reason], [t].[bank_authorization], [t].[payment_id], [t].[gateway_transaction_id], [t].[created_at], [r].[id] as [reversal_id] from [transactions] as [t] inner join [invoices] as [i] on [i].[id] = [t].[invoice_id] inner join [contracts] as [c] on [c].[id] = [i].[contract_id] left join [coupons] as [k] on [k].[id] = [t].[coupon_id] left join [transactions] as [r] on [r].[reverses_id] = [t].[id] where [t].[user_id] = ? and [t].[created_at] >= ? and [t].[created_at] < ? order by [t].[created_at] desc, [t].[id] desc',
    );
  });

  test('an outbox row is leased with a conditional update before it is sent', () => {
    expect(sql(outboxQueries.lease(db, 'm1', now, now))).toBe(
      'update [outbox] set [available_at] = ?, [attempts] = attempts + 1 where [id] = ? and [dispatched_at] is null and [available_at] <= ?;select @@rowcount',
    );
    expect(sql(outboxQueries.pending(db, now, 200))).toBe(
      'select top (?) [id], [queue], [body], [attempts], [created_at], [traceparent] from [outbox] where [dispatched_at] is null and [available_at] <= ? order by [created_at] asc',
    );
  });

  test('an idempotency key is taken over only when expired or abandoned', () => {
    expect(sql(idempotencyQueries.takeOver(db, 'u1', 'k1', 'h', now, now, now))).toBe(
      'update [idempotency_keys] set [request_hash] = ?, [status] = ?, [response_status] = ?, [response_body] = ?, [created_at] = ?, [locked_until] = ?, [expires_at] = ? where [user_id] = ? and [idempotency_key] = ? and ([expires_at] <= ? or ([status] = ? and [locked_until] <= ?));select @@rowcount',
    );
  });

  test('refresh-token rotation marks the token used only if nobody did first', () => {
    expect(sql(sessionQueries.markUsed(db, 't1', now))).toBe(
      'update [refresh_tokens] set [used_at] = ? where [id] = ? and [used_at] is null;select @@rowcount',
    );
  });

  test('a failed login counts for its (account, client) pair in one statement, restarting after a quiet window', () => {
    expect(sql(loginThrottleQueries.countFailure(db, 'k1', now, now))).toBe(
      'update [login_throttles] set [failures] = CASE WHEN last_failure_at < ? THEN 1 ELSE failures + 1 END, [blocked_until] = CASE WHEN last_failure_at < ? THEN NULL ELSE blocked_until END, [last_failure_at] = ? where [throttle_key] = ?;select @@rowcount',
    );
  });
});
