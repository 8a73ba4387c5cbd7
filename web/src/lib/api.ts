/** The public REST API, as one signed-in user. Errors carry the API's stable `code`. */
import { freshToken, recheck, type Session } from "./auth";
import type { Config } from "./config";
import { ApiError, type Page, REQUEST_TIMEOUT_MS } from "./http";

export { ApiError, enc, type Page } from "./http";

/** A request or its answer that did not get through, past the time limit or not. */
function unreachable(error: unknown): ApiError {
  const late = (error as Error)?.name === "TimeoutError";
  return new ApiError(0, "network_error", late ? "The server did not answer in time." : "The server cannot be reached.");
}

export class Api {
  readonly config: Config;
  readonly session: Session;

  constructor(config: Config, session: Session) {
    this.config = config;
    this.session = session;
  }

  token(): Promise<string> {
    return freshToken(this.config, this.session);
  }

  async request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.config.rest_url + path, {
        method,
        cache: "no-store", // someone's messages never stay in the HTTP cache (docs/web.md)
        headers: {
          Authorization: `Bearer ${await this.token()}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(error);
    }
    if (response.status === 401 && !retried) {
      // Refused although the token looked fresh: an admin may have disabled the account
      // (the pool then refuses the refresh and the session ends), or the token was
      // stale; either way one retry with what the pool says now.
      await recheck(this.config, this.session);
      return this.request<T>(method, path, body, true);
    }
    if (response.status === 204) return undefined as T;
    let data;
    try {
      data = await response.json();
    } catch (error) {
      // a body that is not JSON reads as none; one that never finished (cut off, or past
      // the time limit) is no answer at all, not an empty one
      if (!(error instanceof SyntaxError)) throw unreachable(error);
      data = null;
    }
    if (!response.ok) {
      const error = data?.error || {};
      throw new ApiError(response.status, error.code || "http_error", error.message || `HTTP ${response.status}`);
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("POST", path, body);
  }
  put<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }

  /** Every page of a list (bounded: lists used this way are small, e.g. the directory). */
  async all<T>(path: string, maxPages = 20): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const sep = path.includes("?") ? "&" : "?";
      const url = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
      const result: Page<T> = await this.get<Page<T>>(url);
      items.push(...result.items);
      cursor = result.next_cursor;
      if (!cursor) break;
    }
    return items;
  }
}

