import fs from 'node:fs';
import path from 'node:path';

import { tsqlCompiler } from '../../shared/clients/sql.client';
import { MAX_AMOUNT } from '../../shared/models/money';
import { up } from '../../sql/migrations/0002_dba_schema';
import { SCHEMA_MAX_AMOUNT } from '../../sql/migrations/columns';
import { renderTsqlScript } from '../../sql/tsqlScript';

describe('the Azure SQL schema script', () => {
  test('when the migrations change, then sql/azure-sql-schema.sql must be regenerated (npm run sql:script)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '../../sql/azure-sql-schema.sql'), 'utf8');
    expect(committed).toBe(renderTsqlScript());
  });

  const statements = up(tsqlCompiler())
    .toSQL()
    .map((s) => s.sql);
  const find = (fragment: string) => statements.find((s) => s.includes(fragment));

  test('one ACTIVE coupon per user and invoice is a filtered unique index', () => {
    expect(find('[uq_coupons_active_user_invoice]')).toBe(
      "CREATE UNIQUE INDEX [uq_coupons_active_user_invoice] ON [coupons] ([user_id], [invoice_id]) where status = 'ACTIVE'",
    );
  });

  test('ACTIVE coupons are indexed by expiry for the expiry timer', () => {
    expect(find('[ix_coupons_active_expiry]')).toBe(
      "CREATE INDEX [ix_coupons_active_expiry] ON [coupons] ([expires_at]) where status = 'ACTIVE'",
    );
  });

  test('statuses are ASCII check constraints and money is a bounded whole number of pesos', () => {
    const invoices = find('CREATE TABLE [invoices]') ?? '';
    expect(invoices).toContain(
      "[status] varchar(10) not null constraint ck_invoices_status check ([status] in ('UNPAID','PAID'))",
    );
    expect(invoices).toContain(
      '[amount] bigint not null constraint ck_invoices_amount check ([amount] between 1 and 999999999999)',
    );
    expect(find('CREATE TABLE [coupons]')).toContain("check ([status] in ('ACTIVE','USED','EXPIRED','CANCELLED'))");
    expect(find('CREATE TABLE [transactions]')).toContain(
      '[amount] bigint not null constraint ck_transactions_amount check ([amount] between 1 and 999999999999)',
    );
  });

  test('states and their timestamps agree: PAID ⇔ paid_at, ACTIVE ⇔ no closed_at, a reversal points at its payment, the period is YYYY-MM', () => {
    expect(find('CREATE TABLE [invoices]')).toContain(
      "constraint ck_invoices_paid_at check (([status] = 'PAID' AND [paid_at] IS NOT NULL) OR ([status] = 'UNPAID' AND [paid_at] IS NULL))",
    );
    expect(find('CREATE TABLE [invoices]')).toContain(
      "constraint ck_invoices_period check ([period] LIKE '[12][0-9][0-9][0-9]-[01][0-9]' AND SUBSTRING([period], 6, 2) BETWEEN '01' AND '12')",
    );
    expect(find('CREATE TABLE [coupons]')).toContain(
      "constraint ck_coupons_closed_at check (([status] = 'ACTIVE' AND [closed_at] IS NULL) OR ([status] <> 'ACTIVE' AND [closed_at] IS NOT NULL))",
    );
    expect(find('CREATE TABLE [transactions]')).toContain(
      "constraint ck_transactions_reverses check (([type] = 'PAYMENT' AND [reverses_id] IS NULL) OR ([type] = 'REVERSAL' AND [reverses_id] IS NOT NULL))",
    );
    expect(find('CREATE TABLE [email_deliveries]')).toContain(
      "constraint ck_email_deliveries_sent_at check (([status] = 'SENT' AND [sent_at] IS NOT NULL) OR ([status] = 'PENDING' AND [sent_at] IS NULL))",
    );
  });

  test('the purge and sweep paths have their indexes', () => {
    for (const index of [
      'CREATE INDEX [ix_outbox_dispatched] ON [outbox] ([dispatched_at]) where [dispatched_at] is not null',
      'CREATE INDEX [ix_sessions_expires] ON [sessions] ([expires_at])',
      'CREATE INDEX [ix_refresh_tokens_expires] ON [refresh_tokens] ([expires_at])',
      'CREATE INDEX [ix_rate_limits_window] ON [rate_limits] ([window_start])',
      'CREATE INDEX [ix_idempotency_keys_expires] ON [idempotency_keys] ([expires_at])',
    ]) {
      expect(statements).toContain(index);
    }
  });

  test('every lookup the API makes has its index', () => {
    for (const index of [
      'CREATE INDEX [ix_invoices_contract_period] ON [invoices] ([contract_id], [period])',
      'CREATE INDEX [ix_coupons_user_status] ON [coupons] ([user_id], [status], [issued_at])',
      'CREATE INDEX [ix_transactions_user_created] ON [transactions] ([user_id], [created_at], [id])',
      'CREATE INDEX [ix_notifications_user_unread] ON [notifications] ([user_id]) where [read_at] is null',
      'CREATE UNIQUE INDEX [uq_users_email] ON [users] ([email]) WHERE [email] IS NOT NULL',
      'CREATE UNIQUE INDEX [uq_transactions_reverses] ON [transactions] ([reverses_id]) where [reverses_id] is not null',
    ]) {
      expect(statements).toContain(index);
    }
  });

  test('times are datetime2(3), ids are uniqueidentifier, codes are varchar and names stay Unicode', () => {
    const users = find('CREATE TABLE [users]') ?? '';
    expect(users).toContain('[created_at] datetime2(3) not null');
    expect(users).toContain('[id] uniqueidentifier not null');
    expect(users).toContain('[full_name] nvarchar(120) not null');
    expect(users).toContain('[document_number] varchar(20) not null');
    expect(find('CREATE TABLE [coupons]')).toContain('[code] varchar(16) not null');
  });

  test('the upgrade copies every table aside, rebuilds it and copies it back, in one transaction of the script', () => {
    expect(statements[0]).toBe('SELECT * INTO [_0001_users] FROM [users]');
    expect(statements).toContain('INSERT INTO [coupons] SELECT * FROM [_0001_coupons]');
    expect(statements.at(-1)).toBe('DROP TABLE [_0001_email_deliveries]');
  });
});

test("the schema's amount checks and the app's bound agree", () => {
  expect(SCHEMA_MAX_AMOUNT).toBe(MAX_AMOUNT);
});
