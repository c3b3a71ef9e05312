// The served OpenAPI document as test data: its operations, their inputs, and minimal bodies
// built from the schemas. Tests that must keep covering routes added later derive from here.
import { call } from "./tenants.ts";

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  example?: unknown;
  default?: unknown;
  description?: string;
}

export interface Parameter {
  name: string;
  in: "query" | "path" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
  "x-required-permission"?: string;
  "x-public"?: boolean;
}

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Omit<Operation, "method" | "path">>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  webhooks?: Record<string, unknown>;
}

export async function fetchDocument(): Promise<OpenApiDocument> {
  const response = await call("/openapi.json");
  if (response.status !== 200) throw new Error(`/openapi.json: ${response.status}`);
  return response.json<OpenApiDocument>();
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
  );
}

export function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`unresolved ${schema.$ref}`);
  return resolve(doc, target);
}

export const jsonBodySchema = (doc: OpenApiDocument, op: Operation): JsonSchema | undefined => {
  const schema = op.requestBody?.content["application/json"]?.schema;
  return schema ? resolve(doc, schema) : undefined;
};

const isType = (schema: JsonSchema, type: string) =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

/** Every string-typed spot in a schema, as a dotted path from the root (`""` for the root). */
export function stringFields(
  doc: OpenApiDocument,
  schema: JsonSchema,
  path = "",
): { path: string; schema: JsonSchema }[] {
  const s = resolve(doc, schema);
  const variants = [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])];
  if (variants.length > 0) return variants.flatMap((v) => stringFields(doc, v, path));
  if (isType(s, "string")) return [{ path, schema: s }];
  if (isType(s, "array") && s.items) return stringFields(doc, s.items, path === "" ? "0" : `${path}.0`);
  if (isType(s, "object") || s.properties) {
    return Object.entries(s.properties ?? {}).flatMap(([key, child]) =>
      stringFields(doc, child, path === "" ? key : `${path}.${key}`),
    );
  }
  return [];
}

/** A string schema whose values are bounded: a length limit, or a format/enum/pattern that implies one. */
export const isBoundedString = (s: JsonSchema) =>
  s.maxLength !== undefined || s.enum !== undefined || ["uuid", "date-time", "date"].includes(s.format ?? "");

/** A plausible value for a schema (the tests replace the field under test). */
export function sampleOf(doc: OpenApiDocument, schema: JsonSchema): unknown {
  const s = resolve(doc, schema);
  const variant = s.anyOf ?? s.oneOf;
  if (variant) return sampleOf(doc, variant.find((v) => !isType(resolve(doc, v), "null")) ?? variant[0]!);
  if (s.enum) return s.enum[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (isType(s, "string")) {
    if (s.format === "uuid") return crypto.randomUUID();
    if (s.format === "date-time") return "2030-01-01T00:00:00Z";
    if (s.format === "date") return "2030-01-01";
    if (s.format === "email") return "someone@example.com";
    return "x".repeat(Math.max(1, s.minLength ?? 1));
  }
  if (isType(s, "integer") || isType(s, "number")) return s.minimum ?? 1;
  if (isType(s, "boolean")) return true;
  if (isType(s, "array"))
    return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sampleOf(doc, s.items ?? {}));
  if (isType(s, "object") || s.properties) {
    return Object.fromEntries((s.required ?? []).map((key) => [key, sampleOf(doc, s.properties?.[key] ?? {})]));
  }
  return null;
}

/** A copy of `value` with the dotted `path` set (creating objects/arrays on the way). */
export function withField(value: unknown, path: string, replacement: unknown): unknown {
  if (path === "") return replacement;
  const root = structuredClone(value ?? {}) as Record<string, unknown>;
  const keys = path.split(".");
  let node: Record<string, unknown> = root;
  keys.slice(0, -1).forEach((key, i) => {
    const next = node[key];
    node[key] = next !== null && typeof next === "object" ? next : /^\d+$/.test(keys[i + 1]!) ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1]!] = replacement;
  return root;
}

/** A concrete URL path for an operation, with `{param}`s filled by `fill` (default: a random UUID). */
export const concretePath = (op: Operation, fill: (name: string) => string = () => crypto.randomUUID()) =>
  op.path.replace(/\{([^}]+)\}/g, (_, name: string) => fill(name));

/**
 * A route path as Hono registers it, written as the document writes it: ":id" is "{id}", and
 * ":id{[^/]+\\.html}" (a parameter with a file suffix, which Hono routes by pattern) is "{id}.html".
 */
export function documentPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_]+)\{\[\^\/\]\+\\\.([a-z]+)\}/g, "{$1}.$2").replace(/:([A-Za-z_]+)/g, "{$1}");
}
