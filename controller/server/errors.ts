/**
 * Errors of the status API: a stable `code` (a public contract, like the Kubernetes Status reasons
 * they are named after) with its HTTP status, and a human `message`. Every error leaves the
 * server as `{"code": "...", "message": "..."}`.
 */
import type { Response } from 'express';

/** The error codes the API answers with, and their HTTP status. */
export const ERROR_CODES = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every error answer. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An error that becomes an error answer with this code. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** Sends `{code, message}` with the code's status; 401 answers also say how to authenticate. */
export function sendError(res: Response, code: ErrorCode, message: string): void {
  if (code === 'Unauthorized') res.set('WWW-Authenticate', 'Bearer realm="jirasync"');
  res.status(ERROR_CODES[code]).json({ code, message } satisfies ErrorBody);
}
