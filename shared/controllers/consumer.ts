import type { z } from 'zod';

/**
 * A queue message that can never succeed (bad JSON, wrong schema, unknown invoice or user). The
 * consumer moves it to `<queue>-poison` at once, with the reason logged, instead of retrying.
 */
export class PermanentMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PermanentMessageError';
  }
}

/** Validates a message with the same schema its producer used. */
export function parseMessage<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    throw new PermanentMessageError(typeof raw === 'string' ? 'the message is not JSON' : `the message does not match its schema: ${issues}`);
  }
  return result.data;
}
