import fs from 'node:fs';
import path from 'node:path';

import { tsqlCompiler } from '../../shared/clients/sql.client';
import { up } from '../../sql/migrations/0001_initial';
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
    expect(find('[ix_coupons_active_expiry]')).toBe("CREATE INDEX [ix_coupons_active_expiry] ON [coupons] ([expires_at]) where status = 'ACTIVE'");
  });

  test('statuses are check constraints and money is an integer', () => {
    const invoices = find('CREATE TABLE [invoices]') ?? '';
    expect(invoices).toContain("constraint ck_invoices_status check ([status] in ('UNPAID','PAID'))");
    expect(invoices).toContain('[amount] int not null constraint ck_invoices_amount check ([amount] > 0)');
    expect(find('CREATE TABLE [coupons]')).toContain("check ([status] in ('ACTIVE','USED','EXPIRED','CANCELLED'))");
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

  test('times are datetime2 and ids are fixed-length strings', () => {
    expect(find('CREATE TABLE [users]')).toContain('[created_at] datetime2 not null');
    expect(find('CREATE TABLE [users]')).toContain('[id] nvarchar(36) not null');
  });
});
