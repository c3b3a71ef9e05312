// The webhooks page (docs/portal.md, "Webhooks"): an endpoint added from the page, a test event
// its receiver refuses once, the delivery log showing that attempt, and a retry from the page
// that succeeds. The receiver is a real HTTP server on 127.0.0.1 (allowed in development).
import { createServer, type Server } from "node:http";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signIn, url } from "./support.ts";

const ADMIN = "admin@globex.example";

let receiver: Server;
let port = 0;
let received = 0;

test.beforeAll(async () => {
  // Refuses the first request with a 503 whose Retry-After parks the automatic retry an hour
  // away, so only the page's retry can bring the delivery to success; accepts every later one.
  receiver = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      received += 1;
      if (received === 1) response.writeHead(503, { "retry-after": "3600" }).end();
      else response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as { port: number }).port;
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

test("happy path: a delivery the receiver refused once is retried from the page and succeeds", async ({ page }) => {
  test.setTimeout(120_000);
  const hook = `http://127.0.0.1:${port}/hook-${Date.now()}`;
  await signIn(page, ADMIN);
  await page.goto(url("/webhooks"));
  await expect(page.getByRole("heading", { name: "Webhooks" })).toBeVisible();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.getByLabel("Endpoint URL").fill(hook);
  await page.getByLabel("Description").fill("browser test receiver");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  // The signing secret, shown once.
  await expect(page.getByTestId("secret-value")).toHaveText(/^whsec_\S+$/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: new RegExp(hook) })).toContainText("Enabled");

  await page.getByRole("button", { name: `Deliveries of ${hook}` }).click();
  await page.getByRole("button", { name: `Send test to ${hook}` }).click();
  const delivery = page.getByTestId("delivery").first();
  await expect(delivery.getByTestId("delivery-status")).toHaveText("failed", { timeout: 30_000 });
  await expect(delivery).toContainText("last HTTP 503");
  await new AxeBuilder({ page }).analyze().then((result) => {
    const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious.map((v) => v.id)).toEqual([]);
  });

  await delivery.getByRole("button", { name: /^Retry / }).click();
  await expect(delivery.getByTestId("delivery-status")).toHaveText("succeeded", { timeout: 30_000 });
  await delivery.getByRole("button", { name: /^Attempts of / }).click();
  const attempts = delivery.getByTestId("attempt");
  await expect(attempts).toHaveCount(2);
  await expect(attempts.nth(0)).toContainText("503");
  await expect(attempts.nth(1)).toContainText("200");
  expect(received).toBe(2);
});

test("happy path: an endpoint is disabled and enabled again, and its secret rotated (shown once)", async ({ page }) => {
  const hook = `http://127.0.0.1:${port}/toggle-${Date.now()}`;
  await signIn(page, ADMIN);
  await page.goto(url("/webhooks"));
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.getByLabel("Endpoint URL").fill(hook);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const first = (await page.getByTestId("secret-value").textContent()) ?? "";
  await page.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row", { name: new RegExp(hook) });
  await page.getByRole("button", { name: `Disable ${hook}` }).click();
  await expect(row).toContainText("Disabled (manual)");
  await page.getByRole("button", { name: `Enable ${hook}` }).click();
  await expect(row).toContainText("Enabled");
  await page.getByRole("button", { name: `Rotate secret of ${hook}` }).click();
  await expect(page.getByTestId("secret-value")).toHaveText(/^whsec_\S+$/);
  expect(await page.getByTestId("secret-value").textContent()).not.toBe(first);
  // The "endpoint disabled" email links to /webhooks/endpoints/:id: it opens with that log shown.
  const list = await page.request.get(url("/v1/webhooks/endpoints?limit=100"));
  const { data } = (await list.json()) as { data: { id: string; url: string }[] };
  const endpoint = data.find((e) => e.url === hook);
  expect(endpoint).toBeDefined();
  await page.goto(url(`/webhooks/endpoints/${endpoint?.id}`));
  await expect(page.getByRole("heading", { name: "Deliveries" })).toBeVisible();
  await expect(page.getByText("No deliveries yet.")).toBeVisible();
});

test("errors: a URL the API refuses is named beside its field", async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto(url("/webhooks"));
  await page.getByRole("button", { name: "Add endpoint" }).click();
  // Passes the browser's type=url check but not the API's (ftp is no http(s) URL).
  await page.getByLabel("Endpoint URL").fill("ftp://127.0.0.1/hook");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByLabel("Endpoint URL")).toHaveAttribute("aria-invalid", "true");
});
