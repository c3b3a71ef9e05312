import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";

export const auditRoutes = new OpenAPIHono<AppEnv>();
