/**
 * The one HTTP path of the online vulnerability sources: JSON in, JSON out, a timeout per attempt,
 * bounded retries with backoff on 429 and 5xx (honouring `Retry-After`), a cap on the size of an
 * answer, and every failure as a {@link BulwarkError} `UPSTREAM_UNAVAILABLE` naming the method,
 * URL and status. Nothing here logs, and no header value (an `Authorization` token) ever reaches
 * an error message.
 */
import { setTimeout as delay } from "node:timers/promises";
import { BulwarkError } from "../../core/index.js";

/** Transport settings shared by every source. All optional; the defaults suit the public services. */
export interface HttpOptions {
  /** `fetch` to use (global `fetch` by default); injected so tests and proxies can wrap it. */
  readonly fetch?: typeof fetch;
  /** Cancels everything in flight; the returned promise then rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** `User-Agent` header; `bulwark` by default. */
  readonly userAgent?: string;
  /** Time allowed for one attempt, headers and body, in ms (default 30 000). */
  readonly timeoutMs?: number;
  /** First backoff after a retryable failure, doubled for each further attempt (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Longest `Retry-After` that is waited for; a longer one fails at once (default 60 000 ms). */
  readonly maxRetryAfterMs?: number;
  /** Largest answer accepted, in bytes (default 64 MiB). */
  readonly maxResponseBytes?: number;
}

/** Attempts per request: the first one and at most two retries. */
export const MAX_ATTEMPTS = 3;

const DEFAULTS = {
  userAgent: "bulwark",
  timeoutMs: 30_000,
  retryDelayMs: 500,
  maxRetryAfterMs: 60_000,
  maxResponseBytes: 64 * 1024 * 1024,
} as const;

export interface JsonRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  /** Extra headers (`Authorization`, `Content-Encoding`, `Accept`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The encoded body of a POST; sent with `Content-Type: application/json`. */
  readonly body?: string | Uint8Array;
}

/** The error every transport or format problem of an online source becomes. */
export function upstreamError(
  request: Pick<JsonRequest, "method" | "url">,
  problem: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): BulwarkError {
  return new BulwarkError("UPSTREAM_UNAVAILABLE", `${request.method} ${request.url}: ${problem}`, {
    details: { method: request.method, url: request.url, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** `Retry-After` as ms from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
}

/** Reads the body up to `max` bytes; a larger answer is refused without buffering the rest. */
async function readCapped(res: Response, request: JsonRequest, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (declared > max) {
    await res.body?.cancel();
    throw upstreamError(request, `answer of ${declared} bytes exceeds the limit of ${max}`, {
      status: res.status,
    });
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw upstreamError(request, `answer exceeds the limit of ${max} bytes`, { status: res.status });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function parseJson(bytes: Uint8Array, request: JsonRequest, status: number): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw upstreamError(request, "answer is not UTF-8", { status }, e);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw upstreamError(request, `answer is not JSON (${(e as Error).message})`, { status }, e);
  }
}

/**
 * Sends one JSON request and returns the parsed answer of a 2xx response. MUST NOT retry anything
 * but 429, 5xx and network failures; MUST reject with `options.signal.reason` once that signal
 * aborts (no retry, no wrapping), and with `UPSTREAM_UNAVAILABLE` for everything else.
 */
export async function requestJson(request: JsonRequest, options: HttpOptions = {}): Promise<unknown> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const baseDelay = options.retryDelayMs ?? DEFAULTS.retryDelayMs;
  const maxRetryAfter = options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs;
  const maxBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
  const headers: Record<string, string> = {
    accept: "application/json",
    "user-agent": options.userAgent ?? DEFAULTS.userAgent,
    ...(request.body === undefined ? {} : { "content-type": "application/json" }),
    ...request.headers,
  };

  let last: BulwarkError | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let wait = baseDelay * 2 ** (attempt - 1);
    try {
      const res = await doFetch(request.url, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
      if (res.ok) return parseJson(await readCapped(res, request, maxBytes), request, res.status);
      await res.body?.cancel();
      const status = res.status;
      const statusText = res.statusText ? ` ${res.statusText}` : "";
      if (!isRetryableStatus(status)) {
        const hint = status === 401 || status === 403 ? " (check the registry credentials)" : "";
        throw upstreamError(request, `HTTP ${status}${statusText}${hint}`, { status });
      }
      last = upstreamError(request, `HTTP ${status}${statusText} after ${attempt} attempt(s)`, { status });
      const after = retryAfterMs(res.headers.get("retry-after"));
      if (after !== undefined) {
        if (after > maxRetryAfter)
          throw upstreamError(request, `HTTP ${status}${statusText}; asked to retry after ${after} ms`, {
            status,
            retryAfterMs: after,
          });
        wait = after;
      }
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (e instanceof BulwarkError) throw e;
      if (timeout.aborted)
        throw upstreamError(request, `no complete answer within ${timeoutMs} ms`, { timeoutMs }, e);
      const reason = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
      last = upstreamError(request, `network error: ${reason}`, {}, e);
    }
    if (attempt < MAX_ATTEMPTS) await sleep(wait, options.signal);
  }
  throw last!;
}

/**
 * `fn` over `items` with at most `limit` calls in flight, results in input order. The first
 * failure rejects the whole and stops starting new calls.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** A positive integer option, or a USAGE error naming it. */
export function positiveInt(name: string, value: number | undefined, fallback: number, max?: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || (max !== undefined && v > max))
    throw new BulwarkError(
      "USAGE",
      `${name} must be an integer from 1${max === undefined ? "" : ` to ${max}`}, got ${String(value)}`,
    );
  return v;
}
