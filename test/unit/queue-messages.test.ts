import { randomUUID } from 'node:crypto';

import { invoiceEmailMessageSchema } from '../../shared/models/message.model';

const event = {
  occurredAt: '2026-12-01T15:00:00.000Z',
  fullName: 'Ana Pérez',
  contractNumber: '10000001',
  holderName: 'A** P****',
  address: 'Calle 10 # 43-12',
  invoiceNumber: 'F-10000001-2026-11',
  period: '2026-11',
  dueDate: '2026-12-15',
  invoiceStatus: 'PAID',
  amount: 182_450,
  paymentMethod: 'CARD',
};
const receipt = { messageId: randomUUID(), kind: 'receipt', userId: 'u1', invoiceId: 'i1', transactionId: 't1' };

describe('invoice email messages', () => {
  test('a message of this version carries the event it is rendered from', () => {
    expect(invoiceEmailMessageSchema.parse({ v: 2, ...receipt, event })).toMatchObject({ v: 2, event });
  });

  test('a first-version message queued with its event before the upgrade is read as this version', () => {
    expect(invoiceEmailMessageSchema.parse({ v: 1, ...receipt, event })).toMatchObject({ v: 2, event });
  });

  test('a message without its event is refused, whatever its version: nothing is rendered from the database at delivery', () => {
    expect(invoiceEmailMessageSchema.safeParse({ v: 1, ...receipt }).success).toBe(false);
    expect(invoiceEmailMessageSchema.safeParse({ v: 2, ...receipt }).success).toBe(false);
    expect(invoiceEmailMessageSchema.safeParse({ v: 3, ...receipt, event }).success).toBe(false);
  });
});
