import type { components } from './api.gen';

export type Problem = components['schemas']['Problem'];

/** ApiError carries the server's problem document; its message is the
 * human-readable `detail`, never an internal error. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined) {
    super(problem?.detail || fallbackMessage(status));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

function fallbackMessage(status: number): string {
  if (status === 0) return 'Coffer cannot be reached. Check your connection and try again.';
  if (status >= 500) return 'Coffer could not complete the request. Try again in a moment.';
  return `The request failed (HTTP ${status}).`;
}

function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'detail' in v && typeof v.detail === 'string';
}

/** What to show a person for any thrown value: the server's detail for API
 * errors, a generic sentence for anything else (never a stack trace). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Try again.';
}

/** Unwraps an openapi-fetch result: the data, or an ApiError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw new ApiError(result.response.status, isProblem(result.error) ? result.error : undefined);
}
