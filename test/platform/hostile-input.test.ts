// Hostile input is a 4xx problem on every route, never a 5xx. The routes and their string inputs
// come from the served OpenAPI document, so a route added later is covered without editing this.
import { beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMITS, JSON_LIMITS, jsonShapeProblem } from "../../worker/http/input.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import {
  concretePath,
  fetchDocument,
  isBoundedString,
  jsonBodySchema,
  operationsOf,
  resolve,
  sampleOf,
  stringFields,
  withField,
  type OpenApiDocument,
  type Operation,
} from "../helpers/openapi.ts";
import { expectProblem } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";

let doc: OpenApiDocument;
let operations: Operation[];
let customerToken: string;
let superAdminToken: string;

beforeAll(async () => {
  doc = await fetchDocument();
  operations = operationsOf(doc);
  // gov_federal has the highest rate limit: this file sends a few hundred requests per user.
  const tenant = await createTenant({ tier: "gov_federal" });
  customerToken = (await userToken(tenant.customerId, "admin")).token;
  superAdminToken = (await staffToken()).token;
});

const tokenFor = (op: Operation) =>
  op["x-public"] ? undefined : op["x-required-permission"] === "super_admin" ? superAdminToken : customerToken;

const send = (op: Operation, init: { path?: string; query?: string; body?: BodyInit; contentType?: string } = {}) =>
  call(`${init.path ?? concretePath(op)}${init.query ?? ""}`, {
    method: op.method,
    token: tokenFor(op),
    headers: init.body === undefined ? {} : { "content-type": init.contentType ?? "application/json" },
    body: init.body,
  });

/**
 * Signed receivers authenticate the raw body before reading it (an unsigned one is a 401 whatever
 * it holds), and, like Stripe's, ignore fields they do not know so the sender can add some.
 */
const SIGNED_RECEIVERS = ["POST /v1/payments/webhook"];
const withBody = (op: Operation) =>
  ["POST", "PUT", "PATCH"].includes(op.method) &&
  jsonBodySchema(doc, op) !== undefined &&
  !SIGNED_RECEIVERS.includes(`${op.method} ${op.path}`);
const opName = (op: Operation) => `${op.method} ${op.path}`;

/** Values no string input may accept, with whether they can travel in JSON and in a URL. */
const HOSTILE_JSON = {
  nul: "\u0000",
  embedded_nul: "a\u0000b",
  lone_surrogate: "\ud800",
  lone_low_surrogate: "x\udc00y",
};
const HOSTILE_URL = { nul: "%00", embedded_nul: "a%00b", lone_surrogate: "%ED%A0%80", truncated_utf8: "%C3" };

describe("hostile strings in request bodies", () => {
  it("NUL and lone surrogates in any body string are a 422 naming the field, before any work", async () => {
    let cases = 0;
    for (const op of operations.filter(withBody)) {
      const schema = jsonBodySchema(doc, op)!;
      const base = sampleOf(doc, schema);
      for (const field of stringFields(doc, schema)) {
        for (const [label, value] of Object.entries(HOSTILE_JSON)) {
          const response = await send(op, { body: JSON.stringify(withField(base, field.path, value)) });
          expect(response.status, `${opName(op)} body.${field.path} = ${label}`).toBe(422);
          await expectProblem(response, { status: 422, type: "validation-error", field: `body.${field.path}` });
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(40);
  });

  it("NUL in a field name is refused too", async () => {
    const op = operations.find((o) => o.method === "POST" && o.path === "/v1/api-keys")!;
    const response = await send(op, { body: '{"name":"ok","scopes":["invoices:read"],"evil\\u0000":1}' });
    await expectProblem(response, { status: 422, type: "validation-error" });
  });

  it("over-long strings are a 4xx naming the field, on every bounded body string", async () => {
    let cases = 0;
    for (const op of operations.filter(withBody)) {
      const schema = jsonBodySchema(doc, op)!;
      const base = sampleOf(doc, schema);
      for (const field of stringFields(doc, schema).filter((f) => f.schema.maxLength !== undefined)) {
        const response = await send(op, {
          body: JSON.stringify(withField(base, field.path, "y".repeat(field.schema.maxLength! + 1))),
        });
        expect(response.status, `${opName(op)} body.${field.path} too long`).toBeLessThan(500);
        if (response.status === 422)
          await expectProblem(response, { status: 422, type: "validation-error", field: `body.${field.path}` });
        else await expectProblem(response, { status: response.status });
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(10);
  });

  it("every request string in the document is bounded (length, format or enum), so new routes stay bounded", () => {
    const unbounded: string[] = [];
    for (const op of operations) {
      const body = jsonBodySchema(doc, op);
      for (const field of body ? stringFields(doc, body) : []) {
        if (!isBoundedString(field.schema)) unbounded.push(`${opName(op)} body.${field.path}`);
      }
      for (const param of op.parameters ?? []) {
        for (const field of stringFields(doc, param.schema)) {
          if (!isBoundedString(field.schema)) unbounded.push(`${opName(op)} ${param.in}.${param.name}`);
        }
      }
    }
    expect(unbounded).toEqual([]);
  });

  it("a signed receiver refuses an unsigned body (over-long, unknown fields) with a 401 before reading it", async () => {
    for (const name of SIGNED_RECEIVERS) {
      const op = operations.find((o) => `${o.method} ${o.path}` === name)!;
      const body = { id: "y".repeat(10_000), type: "payment.succeeded", data: { amount_cents: 1 }, evil: true };
      await expectProblem(await send(op, { body: JSON.stringify(body) }), { status: 401 });
    }
  });

  it("every JSON request body refuses unknown fields (additionalProperties: false)", () => {
    const open = operations
      .filter(withBody)
      .filter((op) => resolve(doc, jsonBodySchema(doc, op)!).additionalProperties !== false)
      .map(opName);
    expect(open).toEqual([]);
  });

  it("an unknown field is a 422 naming it, not silently dropped", async () => {
    for (const op of operations.filter(withBody)) {
      const base = sampleOf(doc, jsonBodySchema(doc, op)!) as Record<string, unknown>;
      const response = await send(op, { body: JSON.stringify({ ...base, surprise_field: 1 }) });
      expect(response.status, opName(op)).toBe(422);
      const problem = await expectProblem(response, { status: 422, type: "validation-error" });
      expect(JSON.stringify(problem.errors), opName(op)).toContain("surprise_field");
    }
  });
});

describe("malformed bodies", () => {
  it("a body over the route's limit is a 413 problem, decided before it is parsed", async () => {
    for (const op of operations.filter(withBody)) {
      const padding = "z".repeat(BODY_LIMITS.bulk + 1); // over every route kind's limit
      const response = await send(op, { body: `{"padding":"${padding}"}` });
      await expectProblem(response, { status: 413, type: "payload-too-large" });
    }
  });

  it("a streamed body (no Content-Length) over the limit is a 413 too", async () => {
    const op = operations.find((o) => o.method === "POST" && o.path === "/v1/api-keys")!;
    // One chunk, then the end: the Worker sees no Content-Length and must count while reading.
    const oversized = new TextEncoder().encode(`{"name":"${"x".repeat(BODY_LIMITS.standard)}"}`);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(oversized);
        controller.close();
      },
    });
    const response = await call(op.path, {
      method: "POST",
      token: customerToken,
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body,
      // @ts-expect-error: required by the fetch spec for stream bodies, missing from the types
      duplex: "half",
    });
    await expectProblem(response, { status: 413, type: "payload-too-large" });
  });

  it("invalid UTF-8 is a 400, never stored as replacement characters", async () => {
    for (const op of operations.filter(withBody)) {
      const bytes = new Uint8Array([
        ...new TextEncoder().encode('{"name":"'),
        0xff,
        0xfe,
        0xc3,
        ...new TextEncoder().encode('"}'),
      ]);
      const response = await send(op, { body: bytes });
      await expectProblem(response, { status: 400, type: "validation-error", field: "body" });
    }
  });

  it("a non-JSON content type is a 415 and syntactically broken JSON a 400", async () => {
    for (const op of operations.filter(withBody)) {
      const json = JSON.stringify(sampleOf(doc, jsonBodySchema(doc, op)!));
      await expectProblem(await send(op, { body: json, contentType: "text/plain" }), {
        status: 415,
        type: "unsupported-media-type",
      });
      await expectProblem(await send(op, { body: '{"name": ', contentType: "application/json" }), {
        status: 400,
        type: "validation-error",
        field: "body",
      });
    }
  });
});

describe("deeply nested and oversized JSON", () => {
  const nestedObject = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
  const nestedArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  // The one bulk route (BODY_LIMITS.bulk); every other body is "standard".
  const bodyKind = (op: Operation) => (op.path === "/v1/admin/usage" ? "bulk" : "standard");

  it("5,000 nested objects or arrays are a 400 naming the depth limit on every body route, never a 500", async () => {
    let cases = 0;
    for (const op of operations.filter(withBody)) {
      for (const [label, body] of [
        ["objects", nestedObject(5000)],
        ["arrays", nestedArray(5000)],
      ]) {
        const response = await send(op, { body });
        expect(response.status, `${opName(op)} 5,000 nested ${label}`).toBe(400);
        const problem = await expectProblem(response, { status: 400, type: "validation-error", field: "body" });
        expect(problem.errors?.[0]?.code, opName(op)).toBe("too_deep");
        expect(problem.detail).toContain(`${JSON_LIMITS.depth} levels`);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(40);
  });

  it("the depth limit is exact, and brackets inside strings do not count", async () => {
    const op = operations.find((o) => o.method === "POST" && o.path === "/v1/api-keys")!;
    for (const body of [nestedObject(JSON_LIMITS.depth), nestedArray(JSON_LIMITS.depth)]) {
      const response = await send(op, { body });
      const problem = await expectProblem(response, { status: 422, type: "validation-error" });
      expect(problem.errors?.map((e) => e.code)).not.toContain("too_deep");
    }
    await expectProblem(await send(op, { body: nestedArray(JSON_LIMITS.depth + 1) }), {
      status: 400,
      type: "validation-error",
      field: "body",
    });
    const bracketName = JSON.stringify({ name: `${"[{".repeat(40)}`, scopes: ["invoices:read"] });
    expect((await send(op, { body: bracketName })).status).toBe(201);
  });

  it("more keys and elements than the route allows are a 400 naming the limit, on every body route", async () => {
    for (const op of operations.filter(withBody)) {
      const limit = JSON_LIMITS.values[bodyKind(op)];
      const response = await send(op, { body: `[${"0,".repeat(limit)}0]` });
      expect(response.status, opName(op)).toBe(400);
      const problem = await expectProblem(response, { status: 400, type: "validation-error", field: "body" });
      expect(problem.errors?.[0]?.code, opName(op)).toBe("too_many_values");
      expect(problem.detail).toContain(String(limit));
    }
  });

  it("the largest legitimate batch (1,000 usage events) is within the limits", () => {
    const event = { event_id: "e", customer_id: "c", metric: "m", quantity: "1", occurred_at: "t", account_id: "a" };
    const batch = JSON.stringify({ events: Array.from({ length: 1000 }, () => event) });
    expect(jsonShapeProblem(batch, JSON_LIMITS.values.bulk)).toBeNull();
    expect(jsonShapeProblem(batch, JSON_LIMITS.values.standard)).toBeNull();
  });
});

describe("hostile strings in URLs", () => {
  it("NUL, lone surrogates and broken UTF-8 in any query parameter are a 400 naming it", async () => {
    let cases = 0;
    for (const op of operations) {
      for (const param of (op.parameters ?? []).filter((p) => p.in === "query")) {
        for (const [label, value] of Object.entries(HOSTILE_URL)) {
          const response = await send(op, { query: `?${param.name}=${value}` });
          expect(response.status, `${opName(op)} query.${param.name} = ${label}`).toBe(400);
          await expectProblem(response, { status: 400, type: "validation-error", field: `query.${param.name}` });
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(20);
  });

  it("over-long query strings are a 400 naming the parameter", async () => {
    for (const op of operations) {
      for (const param of (op.parameters ?? []).filter((p) => p.in === "query" && p.schema.maxLength !== undefined)) {
        const response = await send(op, { query: `?${param.name}=${"q".repeat(param.schema.maxLength! + 1)}` });
        await expectProblem(response, { status: 400, type: "validation-error", field: `query.${param.name}` });
      }
    }
  });

  it("hostile path parameters are a 4xx on every route that has one", async () => {
    let cases = 0;
    for (const op of operations.filter((o) => o.path.includes("{"))) {
      for (const value of Object.values(HOSTILE_URL)) {
        const response = await send(op, {
          path: concretePath(op, () => value),
          ...(withBody(op) ? { body: "{}" } : {}),
        });
        expect(response.status, `${opName(op)} path = ${value}`).toBe(400);
        await expectProblem(response, { status: 400 });
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(10);
  });
});
