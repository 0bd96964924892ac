/**
 * Shopify's Admin API runs graphql-ruby, whose error messages and `extensions.code` values differ
 * from graphql-js. Clients match on these (and people search for them), so validation errors are
 * rewritten into graphql-ruby's wording, e.g.
 *
 *   {"message":"Field 'titel' doesn't exist on type 'Product'","locations":[{"line":1,"column":20}],
 *    "path":["query","products","nodes","titel"],
 *    "extensions":{"code":"undefinedField","typeName":"Product","fieldName":"titel"}}
 *
 * Messages with no known counterpart keep graphql-js wording with code GRAPHQL_VALIDATION_FAILED.
 */
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from "graphql";

export interface ShopifyGraphqlError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** graphql-ruby style path to a node: ["query Name", "products", "nodes", "titel"]. */
function rubyPath(document: DocumentNode, target: ASTNode): string[] | undefined {
  let found: string[] | undefined;
  visit(document, {
    enter(node, _key, _parent, _path, ancestors) {
      if (found) return false;
      if (node !== target) return undefined;
      const chain = [
        ...ancestors.filter(
          (a): a is ASTNode => !Array.isArray(a) && typeof a === "object" && a !== null && "kind" in a,
        ),
        node,
      ];
      found = chain.flatMap((n) => {
        switch (n.kind) {
          case Kind.OPERATION_DEFINITION:
            return [n.name ? `${n.operation} ${n.name.value}` : n.operation];
          case Kind.FRAGMENT_DEFINITION:
            return [`fragment ${n.name.value}`];
          case Kind.FIELD:
            return [n.alias?.value ?? n.name.value];
          case Kind.INLINE_FRAGMENT:
            return [n.typeCondition ? `... on ${n.typeCondition.name.value}` : "..."];
          case Kind.ARGUMENT:
          case Kind.OBJECT_FIELD:
            return [n.name.value];
          default:
            return [];
        }
      });
      return false;
    },
  });
  return found;
}

function operationLabel(document: DocumentNode): string {
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return op && op.kind === Kind.OPERATION_DEFINITION && op.name
    ? op.name.value
    : `anonymous ${op && op.kind === Kind.OPERATION_DEFINITION ? op.operation : "query"}`;
}

type Rewrite = (
  m: RegExpMatchArray,
  document: DocumentNode,
) => { message: string; extensions: Record<string, unknown> };

const REWRITES: [RegExp, Rewrite][] = [
  [
    /^Cannot query field "(\w+)" on type "(\w+)"\./,
    (m) => ({
      message: `Field '${m[1]}' doesn't exist on type '${m[2]}'`,
      extensions: { code: "undefinedField", typeName: m[2], fieldName: m[1] },
    }),
  ],
  [
    /^Unknown argument "(\w+)" on field "\w+\.(\w+)"\./,
    (m) => ({
      message: `Field '${m[2]}' doesn't accept argument '${m[1]}'`,
      extensions: { code: "argumentNotAccepted", name: m[2], typeName: "Field", argumentName: m[1] },
    }),
  ],
  [
    /^Field "(?:\w+\.)?(\w+)" argument "(\w+)" of type "([^"]+)" is required, but it was not provided\./,
    (m) => ({
      message: `Field '${m[1]}' is missing required arguments: ${m[2]}`,
      extensions: { code: "missingRequiredArguments", className: "Field", name: m[1], arguments: m[2] },
    }),
  ],
  [
    /^Field "(\w+)" of type "([^"]+)" must have a selection of subfields\./,
    (m) => ({
      message: `Field must have selections (field '${m[1]}' returns ${m[2]} but has no selections. Did you mean '${m[1]} { ... }'?)`,
      extensions: { code: "selectionMismatch", nodeName: `field '${m[1]}'`, typeName: m[2] },
    }),
  ],
  [
    /^Field "(\w+)" must not have a selection since type "([^"]+)" has no subfields\./,
    (m) => ({
      message: `Selections can't be made on scalars (field '${m[1]}' returns ${m[2]} but has selections [...])`,
      extensions: { code: "selectionMismatch", nodeName: `field '${m[1]}'`, typeName: m[2] },
    }),
  ],
  [
    /^Variable "\$(\w+)" is never used/,
    (m, d) => ({
      message: `Variable $${m[1]} is declared by ${operationLabel(d)} but not used`,
      extensions: { code: "variableNotUsed", variableName: m[1] },
    }),
  ],
  [
    /^Variable "\$(\w+)" is not defined/,
    (m, d) => ({
      message: `Variable $${m[1]} is used by ${operationLabel(d)} but not declared`,
      extensions: { code: "variableNotDefined", variableName: m[1] },
    }),
  ],
  [
    /^Variable "\$(\w+)" of type "([^"]+)" used in position expecting type "([^"]+)"\./,
    (m) => ({
      message: `${m[2]?.replace(/!$/, "") === m[3]?.replace(/!$/, "") ? "Nullability" : "Type"} mismatch on variable $${m[1]} and argument (${m[2]} / ${m[3]})`,
      extensions: { code: "variableMismatch", variableName: m[1], typeName: m[2] },
    }),
  ],
  [
    /^Unknown directive "@(\w+)"\./,
    (m) => ({
      message: `Directive @${m[1]} is not defined`,
      extensions: { code: "undefinedDirective", directiveName: m[1] },
    }),
  ],
  [
    /^Unknown type "(\w+)"\./,
    (m) => ({
      message: `No such type ${m[1]}, so it can't be a fragment condition`,
      extensions: { code: "undefinedType", typeName: m[1] },
    }),
  ],
  [
    /^Unknown fragment "(\w+)"\./,
    (m) => ({
      message: `Fragment ${m[1]} was used, but not defined`,
      extensions: { code: "useAndDefineFragment", fragmentName: m[1] },
    }),
  ],
  [
    /^Fragment "(\w+)" is never used\./,
    (m) => ({
      message: `Fragment ${m[1]} was defined, but not used`,
      extensions: { code: "useAndDefineFragment", fragmentName: m[1] },
    }),
  ],
];

/** A validation error rewritten the way Shopify reports it. */
export function formatValidationError(error: GraphQLError, document: DocumentNode): ShopifyGraphqlError {
  const locations = error.locations?.map((l) => ({ line: l.line, column: l.column }));
  const node = error.nodes?.[0];
  const path = node ? rubyPath(document, node) : undefined;
  for (const [pattern, rewrite] of REWRITES) {
    const match = error.message.match(pattern);
    if (match) {
      const { message, extensions } = rewrite(match, document);
      return { message, ...(locations ? { locations } : {}), ...(path ? { path } : {}), extensions };
    }
  }
  // Literal argument values of the wrong type (graphql-js: 'Expected value of type "Int", found "x"').
  if (node?.kind === Kind.ARGUMENT || (error.message.includes("cannot represent") && node)) {
    const argument = path?.[path.length - 1];
    const field = path?.[path.length - 2];
    return {
      message: `Argument '${argument}' on Field '${field}' has an invalid value. ${error.message}`,
      ...(locations ? { locations } : {}),
      ...(path ? { path } : {}),
      extensions: { code: "argumentLiteralsIncompatible", typeName: "Field", argumentName: argument },
    };
  }
  return {
    message: error.message,
    ...(locations ? { locations } : {}),
    ...(path ? { path } : {}),
    extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
  };
}

/** graphql-ruby reports parse failures as "syntax error, ..." with the location. */
export function formatSyntaxError(error: GraphQLError): ShopifyGraphqlError {
  const locations = error.locations?.map((l) => ({ line: l.line, column: l.column }));
  const detail = error.message.replace(/^Syntax Error: /, "");
  const where = locations?.[0] ? ` at [${locations[0].line}, ${locations[0].column}]` : "";
  return { message: `syntax error, ${detail}${where}`, ...(locations ? { locations } : {}) };
}

/**
 * Variable coercion failures, graphql-ruby style:
 * {"message":"Variable $input of type InventorySetQuantitiesInput! was provided invalid value for quantities.0.quantity (...)",
 *  "extensions":{"code":"INVALID_VARIABLE","value":...,"problems":[{"path":["quantities",0,"quantity"],"explanation":"..."}]}}
 */
export function formatVariableError(
  error: GraphQLError,
  variables: Record<string, unknown>,
  variableTypes: Map<string, string>,
): ShopifyGraphqlError {
  const name = /Variable "\$(\w+)"/.exec(error.message)?.[1] ?? "";
  const type = variableTypes.get(name) ?? "";
  const at = /at "([^"]+)"/.exec(error.message)?.[1];
  const path = at
    ? at
        .split(/[.[\]]+/)
        .filter(Boolean)
        .slice(1)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    : [];
  const missingField = /Field "(\w+)" of required type "[^"]+" was not provided/.exec(error.message)?.[1];
  if (missingField) path.push(missingField);
  const notProvided = /of required type "[^"]+" was not provided/.test(error.message) && !missingField;
  const explanation =
    notProvided || missingField ? "Expected value to not be null" : error.message.replace(/^.*?; /, "");
  const where = path.length ? ` for ${path.join(".")}` : "";
  return {
    message: `Variable $${name} of type ${type} was provided invalid value${where} (${explanation})`,
    locations: error.locations?.map((l) => ({ line: l.line, column: l.column })) ?? [],
    extensions: { code: "INVALID_VARIABLE", value: variables[name] ?? null, problems: [{ path, explanation }] },
  };
}
