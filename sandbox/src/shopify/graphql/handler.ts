/**
 * `POST /{shop}/admin/api/2026-10/graphql.json`: the whole request pipeline.
 *
 *  1. unknown API version -> 404; seeded request faults (latency, 5xx, 429 bursts);
 *  2. `X-Shopify-Access-Token` must be a live token of an app installed on this shop -> else 401;
 *  3. parse and validate against the real 2026-10 schema (graphql-ruby style errors, HTTP 200);
 *  4. coerce variables, reject input arrays over 250 elements;
 *  5. requested cost: over 1,000 -> MAX_COST_EXCEEDED; more than the bucket holds -> THROTTLED;
 *  6. execute with the emulator's resolvers, refund requested - actual cost;
 *  7. every answer carries `extensions.cost`.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  execute,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  print,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import type { Logger } from "pino";
import { ADMIN_API_VERSION } from "../../../scripts/shopify-schema.ts";
import type { Faults } from "../../shared/faults.ts";
import type { Core } from "../events.ts";
import type { App, Shop } from "../state.ts";
import type { BulkOperations } from "./bulk.ts";
import type { RequestContext } from "./context.ts";
import { actualQueryCost, requestedQueryCost, SINGLE_QUERY_MAX_COST } from "./cost.ts";
import { formatSyntaxError, formatValidationError, formatVariableError, type ShopifyGraphqlError } from "./errors.ts";
import { checkInputArrayLimits } from "./input-limits.ts";
import { queryRoot } from "./query-root.ts";
import { mutationRoot } from "./mutation-root.ts";
import { fieldResolver, typeResolver } from "./resolvers.ts";
import type { RateLimiter, ThrottleStatus } from "./throttle.ts";

export const INVALID_TOKEN_BODY = {
  errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
};
const THROTTLED_ERROR = {
  message: "Throttled",
  extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/limits#rate-limits" },
};

export interface GraphqlDeps {
  core: Core;
  schema: GraphQLSchema;
  limiter: RateLimiter;
  faults: Faults;
  bulk: BulkOperations;
  logger: Logger;
  /** Overrides the base URL derived from the request (used in bulk result URLs). */
  publicUrl?: string;
}

interface GraphqlBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

interface CostExtension {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

/** Resolves the app behind an access token, if the token is live and the app still installed. */
export function authenticate(core: Core, shop: Shop, token: string | undefined): App | undefined {
  if (!token) return undefined;
  const record = core.state.tokens.get(token);
  if (!record || record.shop !== shop.domain) return undefined;
  if (record.expiresAt !== null && record.expiresAt <= core.state.now()) return undefined;
  if (!core.state.isInstalled(record.apiKey, shop.domain)) return undefined;
  return core.state.apps.get(record.apiKey);
}

export function graphqlRoute(deps: GraphqlDeps, prefix: string) {
  return async (
    request: FastifyRequest<{ Params: { shop: string; version: string }; Body: GraphqlBody | string }>,
    reply: FastifyReply,
  ) => {
    reply.header("X-Request-Id", randomUUID());
    if (request.params.version !== ADMIN_API_VERSION) return reply.code(404).send({ errors: "Not Found" });

    const fault = deps.faults.nextRequest();
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.kind === "error")
      return reply
        .code(fault.status)
        .send({ errors: fault.status === 500 ? "Internal Server Error" : "Service Unavailable" });
    if (fault.kind === "throttle")
      return reply
        .code(429)
        .header("Retry-After", "1.0")
        .send({ errors: [THROTTLED_ERROR] });

    const shop = deps.core.state.shops.get(request.params.shop);
    if (!shop) return reply.code(404).send({ errors: "Not Found" });
    const token = request.headers["x-shopify-access-token"];
    const app = authenticate(deps.core, shop, Array.isArray(token) ? token[0] : token);
    if (!app) return reply.code(401).send(INVALID_TOKEN_BODY);

    // Shopify accepts application/json and application/graphql bodies.
    const body: GraphqlBody = typeof request.body === "string" ? { query: request.body } : (request.body ?? {});
    if (typeof body.query !== "string" || body.query.trim() === "") {
      return reply.code(400).send({ errors: { query: "Required parameter missing or invalid" } });
    }
    const variables =
      body.variables && typeof body.variables === "object" ? (body.variables as Record<string, unknown>) : {};
    const operationName = typeof body.operationName === "string" ? body.operationName : undefined;
    const baseUrl = deps.publicUrl ?? `${request.protocol}://${request.headers.host ?? "localhost"}${prefix}`;
    const ctx: RequestContext = {
      core: deps.core,
      shop,
      app,
      schema: deps.schema,
      bulk: false,
      baseUrl,
      bulkRunner: deps.bulk,
    };
    reply.header("X-Shopify-API-Version", ADMIN_API_VERSION);
    return reply.code(200).send(await runGraphql(deps, ctx, body.query, variables, operationName));
  };
}

function selectOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | string {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName)
    return operations.find((o) => o.name?.value === operationName) ?? `No operation named "${operationName}"`;
  if (operations.length > 1) return "An operation name is required";
  return operations[0] ?? "No operation given";
}

export async function runGraphql(
  deps: GraphqlDeps,
  ctx: RequestContext,
  query: string,
  rawVariables: Record<string, unknown>,
  operationName: string | undefined,
): Promise<Record<string, unknown>> {
  const { schema, limiter } = deps;
  const { app, shop } = ctx;
  const status = () => limiter.refund(app.apiKey, shop.domain, shop.plan, 0);
  const rejected = (errors: ShopifyGraphqlError[], requested = 0): Record<string, unknown> => ({
    errors,
    extensions: {
      cost: { requestedQueryCost: requested, actualQueryCost: 0, throttleStatus: status() } satisfies CostExtension,
    },
  });

  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return rejected([formatSyntaxError(error as GraphQLError)]);
  }
  const validationErrors = validate(schema, document);
  if (validationErrors.length) return rejected(validationErrors.map((e) => formatValidationError(e, document)));

  const operation = selectOperation(document, operationName);
  if (typeof operation === "string")
    return rejected([{ message: operation, extensions: { code: "OPERATION_NOT_FOUND" } }]);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  if (coerced.errors) {
    const types = new Map((operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, print(v.type)]));
    return rejected(coerced.errors.map((e) => formatVariableError(e, rawVariables, types)));
  }
  const variables = coerced.coerced;

  const tooLarge = checkInputArrayLimits(schema, operation, fragments, variables);
  if (tooLarge.length) return rejected(tooLarge);

  const costInput = { schema, operation, fragments, variables };
  const requested = requestedQueryCost(costInput);
  if (requested > SINGLE_QUERY_MAX_COST) {
    return rejected(
      [
        {
          message:
            `Query cost is ${requested}, which exceeds the single query max cost limit (${SINGLE_QUERY_MAX_COST}).\n\n` +
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\n" +
            "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n" +
            "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
          extensions: {
            code: "MAX_COST_EXCEEDED",
            cost: requested,
            maxCost: SINGLE_QUERY_MAX_COST,
            documentation: "https://shopify.dev/api/usage/limits#rate-limits",
          },
        },
      ],
      requested,
    );
  }
  const taken = limiter.take(app.apiKey, shop.domain, shop.plan, requested);
  if (!taken.allowed) {
    return {
      errors: [THROTTLED_ERROR],
      extensions: {
        cost: {
          requestedQueryCost: requested,
          actualQueryCost: null,
          throttleStatus: taken.status,
        } satisfies CostExtension,
      },
    };
  }

  const result = await execute({
    schema,
    document,
    rootValue: operation.operation === "mutation" ? mutationRoot() : queryRoot(ctx),
    contextValue: ctx,
    variableValues: rawVariables,
    operationName: operation.name?.value,
    fieldResolver,
    typeResolver,
  });
  const actual = Math.min(
    requested,
    actualQueryCost(costInput, result.data as Record<string, unknown> | null | undefined),
  );
  const throttleStatus = limiter.refund(app.apiKey, shop.domain, shop.plan, requested - actual);
  for (const error of result.errors ?? []) {
    if (!error.extensions?.["code"])
      deps.logger.warn({ err: error.originalError ?? error, path: error.path }, "resolver error");
  }
  return {
    ...(result.errors?.length ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
    data: result.data ?? null,
    extensions: {
      cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus } satisfies CostExtension,
    },
  };
}
