import { nextOccurrence, resolveAppSetting, timerDelay } from '../../local/timerTrigger';

describe('timer schedules of the local host', () => {
  test('six-field NCRONTAB (seconds first) is read in UTC', () => {
    expect(nextOccurrence('0 */5 * * * *', new Date('2026-11-30T15:02:10Z')).toISOString()).toBe(
      '2026-11-30T15:05:00.000Z',
    );
    expect(nextOccurrence('*/30 * * * * *', new Date('2026-11-30T15:02:10Z')).toISOString()).toBe(
      '2026-11-30T15:02:30.000Z',
    );
    expect(nextOccurrence('0 0 5 * * *', new Date('2026-11-30T15:02:10Z')).toISOString()).toBe(
      '2026-12-01T05:00:00.000Z',
    );
  });

  test('a five-field (Unix) cron is refused, as the Functions host does', () => {
    expect(() => nextOccurrence('*/5 * * * *', new Date())).toThrow(/six-field/);
  });

  test('%SETTING% in a binding is resolved from the app settings', () => {
    expect(resolveAppSetting('%SCHEDULE%', { SCHEDULE: '0 0 * * * *' })).toBe('0 0 * * * *');
    expect(() => resolveAppSetting('%MISSING%', {})).toThrow(/MISSING/);
  });

  test('a run more than ~24.8 days away waits and looks again instead of firing at once', () => {
    const now = new Date('2026-12-01T18:00:00Z');
    const yearly = nextOccurrence('0 0 0 1 1 *', now);
    expect(timerDelay(yearly, now.getTime())).toEqual({ ms: 2 ** 31 - 1, fire: false });
    const soon = nextOccurrence('0 */5 * * * *', now);
    expect(timerDelay(soon, now.getTime())).toEqual({ ms: 300_000, fire: true });
    expect(timerDelay(new Date(now.getTime() - 10), now.getTime())).toEqual({ ms: 0, fire: true });
  });
});
