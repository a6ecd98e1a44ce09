import { idSchema, newId } from '../../shared/models/ids';

/** SQL Server compares uniqueidentifier by byte groups, the last six bytes first (then 8–9, 6–7, 4–5, 0–3). */
function sqlServerOrderKey(id: string): string {
  const hex = id.replace(/-/g, '');
  const group = (from: number, to: number) => hex.slice(from * 2, to * 2);
  return group(10, 16) + group(8, 10) + group(6, 8) + group(4, 6) + group(0, 4);
}

describe('row ids', () => {
  test('a new id is a lower-case version-4 UUID that the route schemas accept', () => {
    const id = newId(Date.now(), 'comb');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idSchema.safeParse(id).success).toBe(true);
  });

  test('ids made later sort later in SQL Server’s uniqueidentifier order, so inserts append to the clustered key', () => {
    const times = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_360_000, 1_800_000_000_000];
    const ids = times.map((t) => newId(t, 'comb'));
    expect([...ids].sort((a, b) => sqlServerOrderKey(a).localeCompare(sqlServerOrderKey(b)))).toEqual(ids);
    expect(ids[3]?.endsWith((1_800_000_000_000).toString(16).padStart(12, '0'))).toBe(true);
  });

  test('on SQLite (time-first), ids made later sort later as text, the order of its keys, and are version-7 UUIDs', () => {
    const times = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_360_000, 1_800_000_000_000];
    const ids = times.map((t) => newId(t, 'time-first'));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(idSchema.safeParse(id).success).toBe(true);
    }
    expect(ids[3]?.replace(/-/g, '').startsWith((1_800_000_000_000).toString(16).padStart(12, '0'))).toBe(true);
    const sameMs = new Set(Array.from({ length: 10_000 }, () => newId(1_700_000_000_000, 'time-first')));
    expect(sameMs.size).toBe(10_000);
  });

  test('ids made in the same millisecond still differ', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId(1_700_000_000_000, 'comb')));
    expect(ids.size).toBe(10_000);
  });

  test('a route id that is not a UUID is refused with a Spanish message', () => {
    expect(idSchema.safeParse('not-an-id').error?.issues[0]?.message).toBe('Identificador no válido.');
  });
});
