/**
 * Bulk query operations (https://shopify.dev/docs/api/usage/bulk-operations/queries):
 * the query is validated against the schema, must contain at least one connection, at most five
 * connections and at most two levels of connection nesting; it then runs in the background with
 * connections read in full (no `first` needed). The result is JSONL: one line per connection node,
 * nested nodes on their own lines after their parent with `__parentId`. The file is served by the
 * emulator at `{baseUrl}/_bulk/{shop}/{id}.jsonl` and `bulk_operations/finish` is sent to the app.
 * Up to five bulk queries may run at once per app and shop (2026-01+).
 */
import {
  execute,
  getNamedType,
  isObjectType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import type { Logger } from "pino";
import { bulkOperationPayload } from "../payloads.ts";
import type { BulkOperation } from "../state.ts";
import { isConnectionType } from "./cost.ts";
import type { BulkRunner, RequestContext } from "./context.ts";
import { queryRoot } from "./query-root.ts";
import { fieldResolver, typeResolver } from "./resolvers.ts";

export const MAX_CONCURRENT_BULK_QUERIES = 5;
const MAX_CONNECTIONS = 5;
const MAX_CONNECTION_DEPTH = 2;

export class BulkQueryError extends Error {}

type Json = Record<string, unknown>;

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  return fragments;
}

/** Fields of a selection set by response key, looking through fragments. */
function collectFields(
  set: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  into = new Map<string, FieldNode>(),
): Map<string, FieldNode> {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) into.set(sel.alias?.value ?? sel.name.value, sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) collectFields(sel.selectionSet, fragments, into);
    else {
      const fragment = fragments[sel.name.value];
      if (fragment) collectFields(fragment.selectionSet, fragments, into);
    }
  }
  return into;
}

function nodeSelection(
  connectionField: FieldNode,
  fragments: Record<string, FragmentDefinitionNode>,
): { via: "edges" | "nodes"; node: FieldNode } | undefined {
  if (!connectionField.selectionSet) return undefined;
  const fields = collectFields(connectionField.selectionSet, fragments);
  const edges = fields.get("edges");
  if (edges?.selectionSet) {
    const node = collectFields(edges.selectionSet, fragments).get("node");
    if (node) return { via: "edges", node };
  }
  const nodes = fields.get("nodes");
  return nodes ? { via: "nodes", node: nodes } : undefined;
}

/** Enforces Shopify's structural rules for bulk queries. */
function checkStructure(schema: GraphQLSchema, document: DocumentNode): void {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || operations[0]!.operation !== "query")
    throw new BulkQueryError("Bulk queries must contain exactly one query operation.");
  const fragments = fragmentsOf(document);
  let connections = 0;
  const walk = (type: GraphQLNamedType, set: SelectionSetNode, depth: number, parentHasId: boolean): void => {
    if (!isObjectType(type) && !("getFields" in type)) return;
    const defs = (type as GraphQLObjectType).getFields();
    for (const field of collectFields(set, fragments).values()) {
      const def = defs[field.name.value];
      if (!def || !field.selectionSet) continue;
      const named = getNamedType(def.type);
      if (isConnectionType(named)) {
        connections += 1;
        if (depth + 1 > MAX_CONNECTION_DEPTH)
          throw new BulkQueryError(
            `Bulk queries cannot contain connections with a nesting depth greater than ${MAX_CONNECTION_DEPTH}.`,
          );
        if (depth > 0 && !parentHasId)
          throw new BulkQueryError(
            `The parent 'node' field for a nested connection must select the 'id' field. Connection field: '${field.name.value}'.`,
          );
        const selection = nodeSelection(field, fragments);
        const nodeType = getNamedType((named as GraphQLObjectType).getFields()["nodes"]!.type);
        if (selection?.node.selectionSet) {
          const hasId = collectFields(selection.node.selectionSet, fragments).has("id");
          walk(nodeType, selection.node.selectionSet, depth + 1, hasId);
        }
      } else {
        walk(named, field.selectionSet, depth, parentHasId);
      }
    }
  };
  walk(schema.getQueryType()!, (operations[0] as { selectionSet: SelectionSetNode }).selectionSet, 0, false);
  if (connections === 0) throw new BulkQueryError("Bulk queries must contain at least one connection.");
  if (connections > MAX_CONNECTIONS)
    throw new BulkQueryError(`Bulk queries cannot contain more than ${MAX_CONNECTIONS} connections.`);
}

function itemsOf(connection: Json, via: "edges" | "nodes"): (Json | undefined)[] {
  return via === "edges"
    ? ((connection["edges"] as { node?: Json }[] | undefined) ?? []).map((e) => e.node)
    : ((connection["nodes"] as Json[] | undefined) ?? []);
}

/**
 * Turns the executed result into JSONL lines: every connection node becomes a line, immediately
 * followed by the lines of its own nested connections, which point back with `__parentId`.
 */
export function flattenToJsonl(
  schema: GraphQLSchema,
  document: DocumentNode,
  data: Json,
): { lines: Json[]; roots: number } {
  const fragments = fragmentsOf(document);
  const lines: Json[] = [];
  let roots = 0;

  const emitNodes = (
    connection: Json,
    field: FieldNode,
    connectionType: GraphQLObjectType,
    parentId: string | undefined,
  ): void => {
    const selection = nodeSelection(field, fragments);
    if (!selection?.node.selectionSet) return;
    const nodeType = getNamedType(connectionType.getFields()["nodes"]!.type);
    for (const item of itemsOf(connection, selection.via)) {
      if (!item) continue;
      if (parentId === undefined) roots += 1;
      const nested: (() => void)[] = [];
      const ownId = typeof item["id"] === "string" ? item["id"] : parentId;
      const line = inline(item, nodeType, selection.node.selectionSet, ownId, nested);
      if (parentId !== undefined) line["__parentId"] = parentId;
      lines.push(line);
      for (const emit of nested) emit();
    }
  };

  /** Copies an object's selected fields; nested connections are queued to become their own lines. */
  const inline = (
    value: Json,
    type: GraphQLNamedType,
    set: SelectionSetNode,
    nearestId: string | undefined,
    nested: (() => void)[],
  ): Json => {
    const out: Json = {};
    const concrete = typeof value["__typename"] === "string" ? (schema.getType(value["__typename"]) ?? type) : type;
    const defs = "getFields" in concrete ? (concrete as GraphQLObjectType).getFields() : {};
    for (const [key, field] of collectFields(set, fragments)) {
      if (!(key in value)) continue;
      const v = value[key];
      const def = defs[field.name.value];
      const named = def ? getNamedType(def.type) : undefined;
      if (named && isConnectionType(named) && field.selectionSet) {
        if (v && typeof v === "object")
          nested.push(() => emitNodes(v as Json, field, named as GraphQLObjectType, nearestId));
        continue;
      }
      if (named && field.selectionSet && v && typeof v === "object") {
        const selection = field.selectionSet;
        out[key] = Array.isArray(v)
          ? v.map((x) => (x && typeof x === "object" ? inline(x as Json, named, selection, nearestId, nested) : x))
          : inline(v as Json, named, selection, nearestId, nested);
        continue;
      }
      out[key] = v;
    }
    return out;
  };

  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as {
    selectionSet: SelectionSetNode;
  };
  const rootFields = schema.getQueryType()!.getFields();
  for (const [key, field] of collectFields(operation.selectionSet, fragments)) {
    const def = rootFields[field.name.value];
    const named = def ? getNamedType(def.type) : undefined;
    const connection = data[key];
    if (named && isConnectionType(named) && connection && typeof connection === "object")
      emitNodes(connection as Json, field, named as GraphQLObjectType, undefined);
  }
  return { lines, roots };
}

export class BulkOperations implements BulkRunner {
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly logger: Logger,
    public delayMs: number,
  ) {}

  start(ctx: RequestContext, query: string, groupObjects: boolean): BulkOperation {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      throw new BulkQueryError(`Invalid bulk query: ${(error as Error).message}`);
    }
    const errors = validate(ctx.schema, document);
    if (errors.length) throw new BulkQueryError(`Invalid bulk query: ${errors[0]!.message}`);
    checkStructure(ctx.schema, document);

    const { core, shop } = ctx;
    const op: BulkOperation = {
      id: core.state.ids.take(),
      apiKey: ctx.app.apiKey,
      query,
      groupObjects,
      status: "CREATED",
      errorCode: null,
      createdAt: core.state.now(),
      completedAt: null,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      url: null,
      result: null,
    };
    shop.bulkOperations.set(op.id, op);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.run(ctx, op, document);
    }, this.delayMs);
    this.timers.add(timer);
    return op;
  }

  private async run(ctx: RequestContext, op: BulkOperation, document: DocumentNode): Promise<void> {
    const { core, shop } = ctx;
    op.status = "RUNNING";
    const bulkCtx: RequestContext = { ...ctx, bulk: true };
    try {
      const result = await execute({
        schema: ctx.schema,
        document,
        rootValue: queryRoot(bulkCtx),
        contextValue: bulkCtx,
        fieldResolver,
        typeResolver,
      });
      if (result.errors?.length || !result.data)
        throw new Error(result.errors?.[0]?.message ?? "bulk query returned no data");
      const { lines, roots } = flattenToJsonl(ctx.schema, document, result.data as Json);
      op.result = lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : "");
      op.objectCount = lines.length;
      op.rootObjectCount = roots;
      op.fileSize = Buffer.byteLength(op.result);
      op.url = lines.length ? `${ctx.baseUrl}/_bulk/${shop.domain}/${op.id}.jsonl` : null;
      op.status = "COMPLETED";
    } catch (error) {
      this.logger.warn({ err: error, op: op.id }, "bulk operation failed");
      op.status = "FAILED";
      op.errorCode = "INTERNAL_SERVER_ERROR";
    }
    op.completedAt = core.state.now();
    core.events.emit({
      shop,
      topic: "bulk_operations/finish",
      payload: bulkOperationPayload(shop, op),
      onlyApiKey: op.apiKey,
    });
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
