import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";

export const apiKeyRoutes = new OpenAPIHono<AppEnv>();
