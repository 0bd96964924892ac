/**
 * The Connector API client: every request is paced per account, authenticated with the
 * Bearer token (renewed once on a 401), retried when that is safe, and its answer validated.
 *
 * Answers become either data or a ChannelError:
 *   401 after one renewal -> unauthorized   404 -> not_found   other 4xx -> rejected
 *   429 / 5xx / network after the retries, or a 5xx on a request not safe to repeat -> unavailable
 *   a 2xx that is not the expected JSON -> unavailable (the request may have been applied)
 */
import type { z } from "zod";
import type { Logger } from "../../log/index.ts";
import { ChannelError } from "../types.ts";
import type { TokenKeeper } from "./auth.ts";
import {
  classifyNetworkFailure,
  exchange,
  type Exchange,
  type FetchLike,
  joinUrl,
  messageOf,
  rejectTransient,
  type RetrySettings,
  withRetries,
} from "./http.ts";
import type { Pacer } from "./pacing.ts";
import { listSchema } from "./schemas.ts";

export interface ProkipClientOptions {
  baseUrl: string;
  keeper: TokenKeeper;
  pace: Pacer;
  log: Logger;
  fetch: FetchLike;
  retry: RetrySettings;
  timeoutMs: number;
}

/** Validated data, with when the request that produced it left and when its answer came in. */
export interface Answer<T> {
  data: T;
  sentAt: Date;
  receivedAt: Date;
}

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** May this request be sent again after it might have reached Prokip? */
  repeatable: boolean;
}

export class ProkipClient {
  constructor(private readonly options: ProkipClientOptions) {}

  /** A read: always repeatable. */
  async get<S extends z.ZodType>(path: string, query: Record<string, string>, schema: S): Promise<Answer<z.output<S>>> {
    return this.request({ method: "GET", path, query, repeatable: true }, schema);
  }

  /**
   * Every row of a list. Asks for `per_page=-1` (everything in one answer); if Prokip paginated
   * anyway, reads the remaining pages. The timing spans from the first request to the last answer.
   */
  async getAll<Row extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    row: Row,
  ): Promise<Answer<z.output<Row>[]>> {
    const schema = listSchema(row);
    const first = await this.get(path, { ...query, per_page: "-1" }, schema);
    const rows: z.output<Row>[] = [...first.data.data];
    let receivedAt = first.receivedAt;
    const lastPage = first.data.meta?.last_page ?? 1;
    for (let page = (first.data.meta?.current_page ?? 1) + 1; page <= lastPage; page += 1) {
      const next = await this.get(path, { ...query, per_page: "-1", page: String(page) }, schema);
      rows.push(...next.data.data);
      receivedAt = next.receivedAt;
    }
    return { data: rows, sentAt: first.sentAt, receivedAt };
  }

  async request<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<Answer<z.output<S>>> {
    const answer = await this.authenticated(spec);
    return decode(answer, spec, schema);
  }

  /** Sends with the current token; on a 401, once more with a renewed one. */
  private async authenticated(spec: RequestSpec): Promise<Exchange> {
    const { keeper } = this.options;
    const token = await keeper.accessToken();
    const answer = await this.attempts(spec, token);
    if (answer.status !== 401) return answer;
    // A 401 comes from the auth middleware, before any controller: safe to send again.
    const renewed = await keeper.renew(token);
    const again = await this.attempts(spec, renewed);
    if (again.status === 401)
      throw new ChannelError(
        "unauthorized",
        "Prokip refused the saved sign-in even after renewing it; sign in to Prokip again",
        { status: 401 },
      );
    return again;
  }

  /** One request, paced and retried per the policy in http.ts. */
  private async attempts(spec: RequestSpec, token: string): Promise<Exchange> {
    const { baseUrl, pace, log, fetch: fetchFn, retry, timeoutMs } = this.options;
    const url = joinUrl(baseUrl, spec.path, spec.query);
    const headers: Record<string, string> = {
      // Without it Laravel answers an auth failure with a redirect to its login page, not a 401.
      Accept: "application/json",
      Authorization: `Bearer ${token}`,
    };
    if (spec.body !== undefined) headers["Content-Type"] = "application/json";
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    // The path and query are logged, never the URL's origin or the headers.
    const logPath = joinUrl("", spec.path, spec.query);

    return withRetries(
      async () => {
        const answer = await pace(() =>
          exchange(fetchFn, { method: spec.method, url, headers, body, timeoutMs }),
        ).catch((error: unknown) => {
          log.debug(
            { method: spec.method, path: logPath, error: error instanceof Error ? error.message : String(error) },
            "prokip request failed",
          );
          return classifyNetworkFailure(error, spec.repeatable);
        });
        log.debug(
          {
            method: spec.method,
            path: logPath,
            status: answer.status,
            durationMs: answer.receivedAt.getTime() - answer.sentAt.getTime(),
          },
          "prokip request",
        );
        return rejectTransient(answer, spec.repeatable);
      },
      {
        log,
        method: spec.method,
        path: logPath,
        settings: retry,
        unavailableMessage: "Prokip is unavailable right now",
      },
    );
  }
}

/** A final answer into data or a ChannelError. */
function decode<S extends z.ZodType>(answer: Exchange, spec: RequestSpec, schema: S): Answer<z.output<S>> {
  const { status } = answer;
  const what = `${spec.method} ${spec.path}`;
  if (status >= 300 && status < 400) {
    throw new ChannelError("unavailable", `Prokip redirected ${what} (HTTP ${status}); check the Prokip address`, {
      status,
    });
  }
  if (status === 404)
    throw new ChannelError("not_found", messageOf(answer.text) ?? `Prokip has no ${spec.path}`, { status });
  if (status >= 400)
    throw new ChannelError("rejected", messageOf(answer.text) ?? `Prokip refused ${what} (HTTP ${status})`, { status });

  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch (error) {
    throw new ChannelError("unavailable", `Prokip answered ${what} with something that is not JSON`, {
      status,
      cause: error,
    });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".")}: ${issue.message}` : "unknown";
    throw new ChannelError("unavailable", `Prokip answered ${what} in an unexpected shape (${where})`, {
      status,
      cause: parsed.error,
    });
  }
  return { data: parsed.data, sentAt: answer.sentAt, receivedAt: answer.receivedAt };
}
