/** What every REST answer shares: the error with the API's stable `code`, the page shape.
 * No imports, so the store (and its unit tests under Node) can use it alone. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const enc = encodeURIComponent;
