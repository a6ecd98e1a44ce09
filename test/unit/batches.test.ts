import { nextBatchSize } from '../../shared/models/batches';

describe('the size of a timer’s next batch', () => {
  test('when a batch took longer than the budget, then the next is half as large, never under 50', () => {
    expect(nextBatchSize(20, 500, 45, 500)).toBe(250);
    expect(nextBatchSize(20, 80, 45, 500)).toBe(50);
    expect(nextBatchSize(20, 50, 300, 500)).toBe(50);
  });

  test('when a batch took under half the budget, then the next is twice as large, never over the size asked for', () => {
    expect(nextBatchSize(20, 125, 4, 500)).toBe(250);
    expect(nextBatchSize(20, 400, 4, 500)).toBe(500);
    expect(nextBatchSize(20, 500, 1, 500)).toBe(500);
  });

  test('when a batch took between half the budget and the budget, then the size stays', () => {
    expect(nextBatchSize(20, 250, 10, 500)).toBe(250);
    expect(nextBatchSize(20, 250, 20, 500)).toBe(250);
  });

  test('when the engine sets no budget (T-SQL), then the size stays as asked whatever a batch took', () => {
    expect(nextBatchSize(undefined, 500, 900, 500)).toBe(500);
  });
});
