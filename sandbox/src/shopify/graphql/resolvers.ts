/**
 * How graphql-js finds values: the root value (query-root.ts / mutation-root.ts) and every view
 * object are plain objects whose properties are either values or resolver functions. Fields the
 * emulator does not model resolve to null; when the schema marks such a field non-null the
 * response carries a clear NOT_IMPLEMENTED error instead of a confusing null-propagation message.
 */
import { GraphQLError, isNonNullType, type GraphQLFieldResolver, type GraphQLTypeResolver } from "graphql";
import type { RequestContext } from "./context.ts";

export const fieldResolver: GraphQLFieldResolver<unknown, RequestContext> = (source, args, context, info) => {
  if (source === null || typeof source !== "object") return null;
  const value = (source as Record<string, unknown>)[info.fieldName];
  if (typeof value === "function")
    return (value as (a: unknown, c: RequestContext, i: unknown) => unknown).call(source, args, context, info);
  if (info.parentType === info.schema.getMutationType()) {
    // An unimplemented mutation must not look like a silent success.
    throw new GraphQLError(`Mutation ${info.fieldName} is not emulated by the Prokip Sync Shopify emulator.`, {
      extensions: { code: "NOT_IMPLEMENTED" },
    });
  }
  if (value === undefined) {
    if (isNonNullType(info.returnType)) {
      throw new GraphQLError(
        `${info.parentType.name}.${info.fieldName} is not emulated by the Prokip Sync Shopify emulator.`,
        {
          extensions: { code: "NOT_IMPLEMENTED" },
        },
      );
    }
    return null;
  }
  return value;
};

/** Views carry `__typename`, which is how interfaces (Node, ...) and unions find their type. */
export const typeResolver: GraphQLTypeResolver<unknown, RequestContext> = (value) => {
  const name = value && typeof value === "object" ? (value as { __typename?: unknown }).__typename : undefined;
  return typeof name === "string" ? name : undefined;
};
