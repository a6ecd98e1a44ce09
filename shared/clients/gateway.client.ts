import type { Config } from '../config';
import { type WompiTransaction, wompiTransactionSchema } from '../formats/wompi';

/**
 * The payment gateway's API, as the app asks it things (docs/payments.md): a transaction by id,
 * the transactions of a reference (when an event never came), and a void (a card payment
 * reversed). Events come the other way, to POST /payments/events.
 */
export interface PaymentGateway {
  transaction(id: string): Promise<WompiTransaction | undefined>;
  transactionsByReference(reference: string): Promise<WompiTransaction[]>;
  voidTransaction(id: string): Promise<WompiTransaction>;
}

/** The gateway answered something other than what its API documents, or not at all. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** How long one call to the gateway may take before it counts as unreachable. */
export const GATEWAY_TIMEOUT_MS = 10_000;

/**
 * Wompi's REST API (`/v1/transactions…`, `{data: …}` answers, the private key as bearer token).
 * The embedded sandbox serves the same API under /api/sandbox/v1, so this one class talks to both.
 */
export class WompiApiGateway implements PaymentGateway {
  constructor(
    private readonly apiUrl: string,
    private readonly privateKey: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async transaction(id: string): Promise<WompiTransaction | undefined> {
    const answer = await this.request('GET', `/transactions/${encodeURIComponent(id)}`);
    return answer === undefined ? undefined : transactionOf((answer as { data?: unknown }).data);
  }

  async transactionsByReference(reference: string): Promise<WompiTransaction[]> {
    const answer = await this.request('GET', `/transactions?reference=${encodeURIComponent(reference)}`);
    const data = (answer as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data)) throw new GatewayError('gateway answered a transaction list without data[]');
    return data.map(transactionOf);
  }

  async voidTransaction(id: string): Promise<WompiTransaction> {
    const answer = await this.request('POST', `/transactions/${encodeURIComponent(id)}/void`);
    const data = (answer as { data?: { transaction?: unknown } } | undefined)?.data;
    return transactionOf(data?.transaction ?? data);
  }

  /** The parsed body, or undefined for a 404; anything else that is not 2xx is a GatewayError. */
  private async request(method: string, route: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.apiUrl + route, {
        method,
        headers: { Authorization: `Bearer ${this.privateKey}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
      });
    } catch (error) {
      throw new GatewayError(`gateway unreachable: ${(error as Error).message}`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new GatewayError(`gateway answered ${response.status} to ${method} ${route}`, response.status);
    try {
      return await response.json();
    } catch {
      throw new GatewayError(`gateway answered ${method} ${route} with a body that is not JSON`, response.status);
    }
  }
}

/** A transaction as the API documents it, or a GatewayError (never a validation error of ours). */
function transactionOf(value: unknown): WompiTransaction {
  const parsed = wompiTransactionSchema.safeParse(value);
  if (!parsed.success)
    throw new GatewayError(`gateway answered a transaction of another shape: ${parsed.error.message}`);
  return parsed.data;
}

export function createPaymentGateway(payments: Config['payments']): PaymentGateway {
  return new WompiApiGateway(payments.apiUrl, payments.privateKey);
}
