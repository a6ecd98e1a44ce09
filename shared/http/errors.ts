/**
 * application/problem+json (RFC 9457) for the app's one error type (shared/errors.ts):
 * shared/http/handler.ts maps an AppError, and anything else thrown, through toProblem.
 */
import { type AppError, ERROR_CATALOG, type ErrorCode, type FieldError } from '../errors';

export const PROBLEM_BASE_URI = 'https://cuponeras.epm.com.co/problems/';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
  /** PAYMENT_IN_PROGRESS: the payment the invoice is in. */
  paymentId?: string;
}

export function problemTypeUri(code: ErrorCode): string {
  return PROBLEM_BASE_URI + code.toLowerCase().replace(/_/g, '-');
}

/** The problem+json body for an AppError. */
export function toProblem(error: AppError, requestId?: string, instance?: string): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemTypeUri(error.code),
    title: ERROR_CATALOG[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
  };
  if (instance) problem.instance = instance;
  if (requestId) problem.requestId = requestId;
  if (error.extras.errors) problem.errors = error.extras.errors;
  if (error.extras.retryAfterSeconds !== undefined) problem.retryAfterSeconds = error.extras.retryAfterSeconds;
  if (error.extras.extensions) Object.assign(problem, error.extras.extensions);
  return problem;
}
