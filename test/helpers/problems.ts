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
export async function expectProblem(
  response: Response,
  status: number,
  slug?: string,
  field?: string,
): Promise<ProblemBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json<ProblemBody>();
  if (slug) expect(body.type).toMatch(new RegExp(`/${slug}$`));
  if (field) expect(body.errors?.map((e) => e.field)).toContain(field);
  return body;
}

/** Another tenant's resource must be indistinguishable from one that does not exist. */
export async function expectSameAsMissing(theirs: Response, missing: Response): Promise<void> {
  expect(theirs.status).toBe(404);
  expect(missing.status).toBe(404);
  const [a, b] = [await theirs.json<ProblemBody>(), await missing.json<ProblemBody>()];
  expect(a.type).toBe(b.type);
  expect(a.title).toBe(b.title);
}
