/**
 * Calculated query cost, per Shopify's "GraphQL Admin API rate limits" page
 * (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits) and the engineering post
 * it grew from (https://shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity):
 *
 * - scalar and enum fields cost 0, object fields cost 1;
 * - interfaces and unions cost the maximum of their possible selections;
 * - a connection costs 2 plus `first` (or `last`) times the cost of one node;
 * - every mutation costs 10;
 * - requested cost is computed from the query before it runs, actual cost from what it returned
 *   (null objects and short pages cost less), and the bucket is refunded the difference.
 */
import {
  getNamedType,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

export const MUTATION_COST = 10;
export const SINGLE_QUERY_MAX_COST = 1_000;

interface CostInput {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

export function isConnectionType(type: GraphQLNamedType): boolean {
  if (!isObjectType(type) || !type.name.endsWith("Connection")) return false;
  const fields = type.getFields();
  return "pageInfo" in fields && ("edges" in fields || "nodes" in fields);
}

function argumentNumber(
  field: FieldNode,
  def: GraphQLField<unknown, unknown>,
  name: string,
  variables: Record<string, unknown>,
): number | undefined {
  const node = field.arguments?.find((a) => a.name.value === name);
  const fromNode = (value: ValueNode): unknown => {
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) return variables[value.name.value];
    return undefined;
  };
  const raw = node ? fromNode(node.value) : def.args.find((a) => a.name === name)?.defaultValue;
  return typeof raw === "number" && Number.isFinite(raw) ? raw : undefined;
}

function fieldDef(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (isObjectType(parent) || "getFields" in parent) {
    return (parent as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()[name];
  }
  return undefined;
}

/**
 * Walks a selection set. Fields without a type condition add up; fragments on other (concrete)
 * types are alternatives, so per type they add up and across types the most expensive wins.
 */
function walkSelections(
  input: CostInput,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  fieldCost: (parent: GraphQLCompositeType, field: FieldNode) => number,
): number {
  let common = 0;
  const byType = new Map<string, number>();
  const visit = (typeName: string | undefined, set: SelectionSetNode): void => {
    const target = typeName ? input.schema.getType(typeName) : parent;
    if (!target || target === parent || (isAbstractType(target) && !isAbstractType(parent))) {
      common += walkSelections(input, parent, set, fieldCost);
      return;
    }
    const cost = walkSelections(input, target as GraphQLCompositeType, set, fieldCost);
    byType.set(target.name, (byType.get(target.name) ?? 0) + cost);
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) common += fieldCost(parent, selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      visit(selection.typeCondition?.name.value, selection.selectionSet);
    else {
      const fragment = input.fragments[selection.name.value];
      if (fragment) visit(fragment.typeCondition.name.value, fragment.selectionSet);
    }
  }
  return common + Math.max(0, ...byType.values());
}

/** Collects `edges { node }` and `nodes` selections of a connection field (through fragments). */
function connectionNodeSelections(
  input: CostInput,
  set: SelectionSetNode,
): { edgesNode: FieldNode[]; nodes: FieldNode[] } {
  const result = { edgesNode: [] as FieldNode[], nodes: [] as FieldNode[] };
  const scan = (s: SelectionSetNode, inEdges: boolean): void => {
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (!inEdges && name === "edges" && sel.selectionSet) scan(sel.selectionSet, true);
        else if (!inEdges && name === "nodes") result.nodes.push(sel);
        else if (inEdges && name === "node") result.edgesNode.push(sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) scan(sel.selectionSet, inEdges);
      else {
        const fragment = input.fragments[sel.name.value];
        if (fragment) scan(fragment.selectionSet, inEdges);
      }
    }
  };
  scan(set, false);
  return result;
}

function nodeTypeOf(connection: GraphQLNamedType): GraphQLCompositeType | undefined {
  if (!isObjectType(connection)) return undefined;
  const nodes = connection.getFields()["nodes"];
  return nodes ? (getNamedType(nodes.type) as GraphQLCompositeType) : undefined;
}

/** Cost Shopify charges before running the operation. */
export function requestedQueryCost(input: CostInput): number {
  const root = input.operation.operation === "mutation" ? input.schema.getMutationType() : input.schema.getQueryType();
  if (!root) return 0;
  if (input.operation.operation === "mutation") {
    let count = 0;
    walkSelections(input, root, input.operation.selectionSet, (_p, field) => {
      if (!field.name.value.startsWith("__")) count += 1;
      return 0;
    });
    return count * MUTATION_COST;
  }
  const fieldCost = (parent: GraphQLCompositeType, field: FieldNode): number => {
    if (field.name.value.startsWith("__")) return 0;
    const def = fieldDef(parent, field.name.value);
    if (!def) return 0;
    const named = getNamedType(def.type);
    if (isLeafType(named)) return 0;
    const childOf = (type: GraphQLCompositeType, set: SelectionSetNode | undefined): number =>
      set ? walkSelections(input, type, set, fieldCost) : 0;
    if (isConnectionType(named) && field.selectionSet) {
      const size =
        argumentNumber(field, def, "first", input.variables) ??
        argumentNumber(field, def, "last", input.variables) ??
        0;
      const nodeType = nodeTypeOf(named);
      const { edgesNode, nodes } = connectionNodeSelections(input, field.selectionSet);
      const perNode = nodeType
        ? Math.max(0, ...[...edgesNode, ...nodes].map((n) => 1 + childOf(nodeType, n.selectionSet)))
        : 0;
      return 2 + size * perNode;
    }
    const own = 1 + childOf(named as GraphQLCompositeType, field.selectionSet);
    const unwrapped = isNonNullType(def.type) ? def.type.ofType : def.type;
    const pageSize = isListType(unwrapped) ? argumentNumber(field, def, "first", input.variables) : undefined;
    return pageSize !== undefined ? pageSize * own : own;
  };
  return walkSelections(input, root, input.operation.selectionSet, fieldCost);
}

type Json = Record<string, unknown>;

/** Cost of what the operation actually returned (the bucket is refunded the difference). */
export function actualQueryCost(input: CostInput, data: Json | null | undefined): number {
  const root = input.operation.operation === "mutation" ? input.schema.getMutationType() : input.schema.getQueryType();
  if (!root || !data) return 0;
  if (input.operation.operation === "mutation") return requestedQueryCost(input);

  const costOf = (parent: GraphQLCompositeType, set: SelectionSetNode, value: Json): number =>
    walkSelections(input, parent, set, (p, field) => fieldActual(p, field, value));

  const fieldActual = (parent: GraphQLCompositeType, field: FieldNode, container: Json): number => {
    if (field.name.value.startsWith("__")) return 0;
    const def = fieldDef(parent, field.name.value);
    const value = container[field.alias?.value ?? field.name.value];
    if (!def || value === null || value === undefined) return 0;
    const named = getNamedType(def.type);
    if (isLeafType(named) || !field.selectionSet) return 0;
    if (isConnectionType(named)) {
      const nodeType = nodeTypeOf(named);
      const connection = value as { edges?: { node?: Json }[]; nodes?: Json[] };
      const { edgesNode, nodes } = connectionNodeSelections(input, field.selectionSet);
      if (!nodeType) return 2;
      const sumOver = (items: (Json | undefined)[], selections: FieldNode[]): number =>
        items.reduce<number>(
          (sum, item) =>
            sum +
            (item
              ? Math.max(0, ...selections.map((s) => 1 + (s.selectionSet ? costOf(nodeType, s.selectionSet, item) : 0)))
              : 0),
          0,
        );
      const viaEdges = edgesNode.length
        ? sumOver(
            (connection.edges ?? []).map((e) => e.node),
            edgesNode,
          )
        : 0;
      const viaNodes = nodes.length ? sumOver(connection.nodes ?? [], nodes) : 0;
      return 2 + Math.max(viaEdges, viaNodes);
    }
    const type = named as GraphQLCompositeType;
    if (Array.isArray(value)) {
      const items = value.filter((v): v is Json => v !== null && typeof v === "object");
      const costs = items.map((item) => 1 + costOf(type, field.selectionSet!, item));
      const unwrapped = isNonNullType(def.type) ? def.type.ofType : def.type;
      const paged = isListType(unwrapped) && argumentNumber(field, def, "first", input.variables) !== undefined;
      return paged ? costs.reduce((a, b) => a + b, 0) : Math.max(0, ...costs);
    }
    return 1 + costOf(type, field.selectionSet, value as Json);
  };
  return costOf(root, input.operation.selectionSet, data);
}
