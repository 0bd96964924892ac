/**
 * "Input arguments that accept an array have a maximum size of 250 for all APIs. Requests return
 * an error if an input array exceeds 250 items." (https://shopify.dev/docs/api/usage/limits#input-limits)
 *
 * The error is a top-level one and nothing runs:
 *   {"message":"The input array size of 251 is greater than the maximum allowed of 250.",
 *    "locations":[...],"path":["inventorySetQuantities","input","quantities"],
 *    "extensions":{"code":"MAX_INPUT_SIZE_EXCEEDED"}}
 * (wording and code as captured from the live API in public Shopify emulators' parity fixtures).
 */
import {
  getArgumentValues,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { ShopifyGraphqlError } from "./errors.ts";

export const MAX_INPUT_ARRAY = 250;

/**
 * Input lists with a limit of their own instead of 250: `productSet` takes a product's whole
 * variant list, up to the 2,048 variants a product may have ("By default, stores have a limit of
 * 2048 product variants for each product", productSet in the 2026-10 schema); past that it answers
 * the userError VARIANTS_OVER_LIMIT (mutations-products.ts), not this top-level error.
 */
const OWN_LIMITS: Record<string, number> = { "ProductSetInput.variants": Number.POSITIVE_INFINITY };

function oversizedArrays(
  value: unknown,
  type: GraphQLInputType,
  path: string[],
  found: { path: string[]; size: number }[],
  limit = MAX_INPUT_ARRAY,
): void {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    if (!Array.isArray(value)) return;
    if (value.length > limit) found.push({ path, size: value.length });
    for (const item of value) oversizedArrays(item, inner.ofType as GraphQLInputType, path, found);
    return;
  }
  const named = getNamedType(inner);
  if (isInputObjectType(named) && value && typeof value === "object") {
    for (const [name, field] of Object.entries(named.getFields())) {
      const own = OWN_LIMITS[`${named.name}.${name}`];
      oversizedArrays((value as Record<string, unknown>)[name], field.type, [...path, name], found, own);
    }
  }
}

export function checkInputArrayLimits(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): ShopifyGraphqlError[] {
  const errors: ShopifyGraphqlError[] = [];
  const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
  const walk = (parent: GraphQLCompositeType, set: SelectionSetNode, responsePath: string[]): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT || sel.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = sel.kind === Kind.INLINE_FRAGMENT ? sel : fragments[sel.name.value];
        const typeName = fragment?.typeCondition?.name.value;
        const type = (typeName ? schema.getType(typeName) : parent) as GraphQLCompositeType | undefined;
        if (fragment && type) walk(type, fragment.selectionSet, responsePath);
        continue;
      }
      if (!("getFields" in parent)) continue;
      const def = (parent as GraphQLObjectType).getFields()[sel.name.value];
      if (!def) continue;
      const key = sel.alias?.value ?? sel.name.value;
      const args = getArgumentValues(def, sel, variables);
      const found: { path: string[]; size: number }[] = [];
      for (const arg of def.args) oversizedArrays(args[arg.name], arg.type, [...responsePath, key, arg.name], found);
      for (const f of found) {
        errors.push({
          message: `The input array size of ${f.size} is greater than the maximum allowed of ${MAX_INPUT_ARRAY}.`,
          locations: sel.loc ? [{ line: sel.loc.startToken.line, column: sel.loc.startToken.column }] : [],
          path: f.path,
          extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" },
        });
      }
      if (sel.selectionSet)
        walk(getNamedType(def.type) as GraphQLCompositeType, sel.selectionSet, [...responsePath, key]);
    }
  };
  if (root) walk(root, operation.selectionSet, []);
  return errors;
}
