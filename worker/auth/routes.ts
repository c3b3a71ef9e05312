import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { newEvent } from "../events/messages.ts";
import { problemResponses } from "../http/problem.ts";
import { authenticate } from "./middleware.ts";
import { issueSessionToken } from "./session-token.ts";

const sessionTokenSchema = z
  .object({
    session_token: z.string().openapi({ example: "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0…" }),
    token_type: z.literal("Bearer"),
    customer_id: z.string().uuid(),
    expires_in: z.number().int().openapi({ description: "Seconds until the token expires", example: 3600 }),
  })
  .openapi("SessionToken");

const exchangeRoute = createRoute({
  method: "post",
  path: "/v1/auth/token",
  tags: ["auth"],
  summary: "Exchange an API key for a short-lived session token",
  description:
    "Send the API key as `Authorization: Bearer sb_live_…`. The returned JWT works on every endpoint " +
    "in place of the key, carries the key's scopes and never outlives the key.",
  security: [{ bearerAuth: [] }],
  middleware: [authenticate({ apiKeyOnly: true })] as const,
  responses: {
    200: { description: "A session token", content: { "application/json": { schema: sessionTokenSchema } } },
    ...problemResponses(401),
  },
});

export const authRoutes = new OpenAPIHono<AppEnv>().openapi(exchangeRoute, async (c) => {
  const principal = c.var.principal;
  const { token, expiresIn } = await issueSessionToken(c.env.SESSION_SIGNING_KEYS, principal);
  c.executionCtx.waitUntil(
    c.env.EVENTS.send(newEvent("auth.session_token.issued", principal.customerId, { api_key_id: principal.keyId, expires_in: expiresIn })),
  );
  return c.json({ session_token: token, token_type: "Bearer" as const, customer_id: principal.customerId, expires_in: expiresIn }, 200);
});
