// Property: whatever a client sends to any route — bodies and query strings generated from the
// route's own schema, mixed with hostile values — the answer is never a 5xx, and every 4xx is a
// problem document (validation problems name a field). Routes come from the served OpenAPI
// document, so new routes are fuzzed without editing this file. `npm test` runs a bounded number
// of cases per route; `npm run fuzz` runs many more (FUZZ_RUNS).
import fc from "fast-check";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { staffToken, userToken } from "../helpers/identity.ts";
import {
  concretePath,
  fetchDocument,
  jsonBodySchema,
  operationsOf,
  resolve,
  sampleOf,
  withField,
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
} from "../helpers/openapi.ts";
import { call, createTenant } from "../helpers/tenants.ts";

const RUNS = inject("fuzzRuns");
/** Would end the caller's own credentials mid-run; covered by their own tests. */
const SKIP = new Set(["POST /v1/auth/logout", "POST /v1/auth/token"]);

const hostileText = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x".repeat(5000),
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  "<script>alert(1)</script>",
  "%00",
  "${jndi:ldap://x}",
  "\u202e\u0301",
  "😀".repeat(300),
  "null",
  "-1",
  "1e309",
);
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string(),
  hostileText,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 3 }),
);

/** Values shaped by the schema most of the time, anything at all some of the time. */
function arbitraryFor(doc: OpenApiDocument, schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => arbitraryFor(doc, v, depth + 1)));
  const types = Array.isArray(s.type) ? s.type : [s.type];
  let shaped: fc.Arbitrary<unknown>;
  if (s.enum) shaped = fc.constantFrom(...s.enum);
  else if (types.includes("string")) {
    shaped =
      s.format === "uuid"
        ? fc.uuid()
        : s.format === "date-time"
          ? fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
          : s.format === "email"
            ? fc.emailAddress()
            : fc.string({ unit: "grapheme", maxLength: (s.maxLength ?? 50) + 2 });
    shaped = fc.oneof(shaped, hostileText);
  } else if (types.includes("integer"))
    shaped = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53, Number.MAX_SAFE_INTEGER));
  else if (types.includes("number")) shaped = fc.double({ noNaN: true });
  else if (types.includes("boolean")) shaped = fc.boolean();
  else if (types.includes("array"))
    shaped = depth > 3 ? fc.constant([]) : fc.array(arbitraryFor(doc, s.items ?? {}, depth + 1), { maxLength: 4 });
  else if (types.includes("object") || s.properties) {
    const props = Object.entries(s.properties ?? {});
    shaped =
      depth > 3
        ? fc.constant({})
        : fc.record(Object.fromEntries(props.map(([k, v]) => [k, arbitraryFor(doc, v, depth + 1)])), {
            requiredKeys: [],
          });
  } else shaped = anyJson;
  return fc.oneof({ arbitrary: shaped, weight: 4 }, { arbitrary: anyJson, weight: 1 });
}

const encodeQuery = (pairs: [string, string][]) => {
  const text = new URLSearchParams(pairs).toString();
  return text ? `?${text}` : "";
};
const asText = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));

/** A request to fuzz: each input on its own (so the value under test is what the route sees), then all at once. */
interface Case {
  label: string;
  arbitrary: fc.Arbitrary<{ query: string; body: unknown }>;
}

function casesFor(doc: OpenApiDocument, op: Operation): Case[] {
  const params = (op.parameters ?? []).filter((p) => p.in === "query");
  const bodySchema = jsonBodySchema(doc, op);
  const valid = bodySchema ? sampleOf(doc, bodySchema) : undefined;
  const fields = bodySchema ? Object.entries(resolve(doc, bodySchema).properties ?? {}) : [];
  const cases: Case[] = [
    ...params.map((p) => ({
      label: `query.${p.name}`,
      arbitrary: fc
        .oneof(arbitraryFor(doc, p.schema), hostileText)
        .map((v) => ({ query: encodeQuery([[p.name, asText(v)]]), body: valid })),
    })),
    ...fields.map(([key, schema]) => ({
      label: `body.${key}`,
      arbitrary: fc
        .oneof(arbitraryFor(doc, schema), hostileText)
        .map((v) => ({ query: "", body: withField(valid, key, v) })),
    })),
  ];
  const everything = fc.record({
    query: fc
      .tuple(...params.map((p) => fc.option(arbitraryFor(doc, p.schema).map(asText), { nil: undefined })))
      .map((values) =>
        encodeQuery(values.flatMap((v, i): [string, string][] => (v === undefined ? [] : [[params[i]!.name, v]]))),
      ),
    body: bodySchema ? arbitraryFor(doc, bodySchema) : fc.constant(undefined),
  });
  return [...cases, { label: "everything at random", arbitrary: everything }];
}

let doc: OpenApiDocument;
let tokens: { customer: string; staff: string };

beforeAll(async () => {
  doc = await fetchDocument();
  const tenant = await createTenant({ tier: "gov_federal" });
  tokens = { customer: (await userToken(tenant.customerId, "admin")).token, staff: (await staffToken()).token };
});

describe("fuzzing every route from its schema", () => {
  it("never answers 5xx, and every 4xx is a problem document", async () => {
    let requests = 0;
    for (const op of operationsOf(doc)) {
      const name = `${op.method} ${op.path}`;
      if (SKIP.has(name)) continue;
      const token = op["x-public"]
        ? undefined
        : op["x-required-permission"] === "super_admin"
          ? tokens.staff
          : tokens.customer;
      for (const { label, arbitrary } of casesFor(doc, op)) {
        await fc.assert(
          fc.asyncProperty(arbitrary, async ({ query, body }) => {
            requests++;
            const response = await call(`${concretePath(op)}${query}`, {
              method: op.method,
              token,
              ...(body === undefined
                ? {}
                : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
            });
            const text = await response.text();
            // In the test environment any http(s) URL is accepted, and a generated host does
            // not resolve: delete the endpoint before an event is delivered to it (workerd logs
            // every failed DNS lookup as an uncaught exception, even one the Worker catches).
            if (name === "POST /v1/webhooks/endpoints" && response.status === 201) {
              const { id } = JSON.parse(text) as { id: string };
              expect((await call(`/v1/webhooks/endpoints/${id}`, { method: "DELETE", token })).status).toBe(204);
            }
            const what = `${name} (${label}) ${query} ${JSON.stringify(body)?.slice(0, 300)} → ${text.slice(0, 300)}`;
            expect(response.status, what).toBeLessThan(500);
            if (response.status >= 400) {
              expect(response.headers.get("content-type"), what).toBe("application/problem+json");
              const problem = JSON.parse(text) as { type: string; errors?: { field: string }[] };
              if (problem.type.endsWith("/validation-error"))
                expect(problem.errors?.[0]?.field, what).toMatch(/^(body|query|path|param|header)/);
            }
          }),
          { numRuns: RUNS },
        );
      }
    }
    expect(requests).toBeGreaterThan(20);
  }, 600_000);
});
