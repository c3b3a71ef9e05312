// Assertions on RFC 9457 problem responses, shared by the route tests.
import { expect } from "vitest";

export interface ProblemBody {
  type: string;
  status: number;
  title: string;
  detail: string;
  errors?: { field: string; code?: string; message?: string }[];
}

/** Asserts status and content type, and optionally the problem's slug and a named field. */
export async function expectProblem(response: Response, status: number, slug?: string, field?: string): Promise<ProblemBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json<ProblemBody>();
  if (slug) expect(body.type).toMatch(new RegExp(`/${slug}$`));
  if (field) expect(body.errors?.map((e) => e.field)).toContain(field);
  return body;
}
