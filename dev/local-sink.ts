// A local HTTP sink for `npm run dev` and the tests (Node, 127.0.0.1), standing in for the
// outside world the event pipeline talks to:
//   POST /v2/email/outbound-emails   SES v2 SendEmail: checks the SigV4 signature (re-signing with
//                                    aws4fetch), stores the message; GET /emails lists them
//   POST /webhooks/{name}            a webhook receiver: verifies every delivery with the npm
//                                    `standardwebhooks` library against the secrets it was given,
//                                    answers per its script; GET /webhooks/{name}/requests lists
//   GET  /webhooks/{name}/stats      most requests it had in flight at once
//   PUT  /webhooks/{name}            configure: {secrets?, script?: [{status, retry_after?, delay_ms?}], then_status?}
//   GET  /dns-query?name=&type=      DNS over HTTPS (JSON) for a fixed test zone (SSRF tests)
//   PUT  /files/{name}               host a file (an SNS signing certificate); GET /files/{name}
//                                    serves it and counts the fetch; GET /files/{name}/fetches
//                                    lists them ({count, queries}): the SNS tests' receiver
import { AwsV4Signer } from "aws4fetch";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

export interface SinkOptions {
  port?: number;
  ses: { accessKeyId: string; secretAccessKey: string; region: string };
}

interface Step {
  status: number;
  retry_after?: string;
  delay_ms?: number;
}
interface Receiver {
  secrets: string[];
  script: Step[];
  thenStatus: number;
  inFlight: number;
  maxInFlight: number;
  requests: {
    headers: Record<string, string>;
    body: string;
    verified: boolean;
    verified_with: number[];
    status: number;
    received_at: string;
  }[];
}

/** The test DNS zone: name -> A / AAAA answers. */
export const testZone: Record<string, { A?: string[]; AAAA?: string[] }> = {
  "hooks.public.test": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1:248:1893:25c8:1946"] },
  "hooks.private.test": { A: ["10.1.2.3"] },
  "hooks.loopback6.test": { A: ["93.184.216.34"], AAAA: ["::1"] },
  "hooks.metadata.test": { A: ["169.254.169.254"] },
  "hooks.cgnat.test": { A: ["100.64.0.7"] },
  "hooks.mapped.test": { AAAA: ["::ffff:127.0.0.1"] },
};

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const flat = (req: IncomingMessage) =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));

export interface LocalSink {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export async function startLocalSink(options: SinkOptions): Promise<LocalSink> {
  const emails: { headers: Record<string, string>; body: unknown; signature_valid: boolean; received_at: string }[] =
    [];
  const receivers = new Map<string, Receiver>();
  const receiver = (name: string) => {
    let r = receivers.get(name);
    if (!r)
      receivers.set(
        name,
        (r = { secrets: [], script: [], thenStatus: 200, inFlight: 0, maxInFlight: 0, requests: [] }),
      );
    return r;
  };
  let messageCounter = 0;
  const files = new Map<string, { body: string; queries: string[] }>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    try {
      const body = await read(req);
      if (req.method === "POST" && url.pathname === "/v2/email/outbound-emails") {
        const headers = flat(req);
        const signer = new AwsV4Signer({
          url: url.toString(),
          method: "POST",
          headers: { "content-type": headers["content-type"] ?? "", "x-amz-date": headers["x-amz-date"] ?? "" },
          body,
          accessKeyId: options.ses.accessKeyId,
          secretAccessKey: options.ses.secretAccessKey,
          service: "ses",
          region: options.ses.region,
          datetime: headers["x-amz-date"],
        });
        const expected = (await signer.sign()).headers.get("authorization");
        const valid = expected !== null && expected === headers.authorization;
        emails.push({ headers, body: JSON.parse(body), signature_valid: valid, received_at: new Date().toISOString() });
        if (!valid)
          return send(403, {
            message: "The request signature we calculated does not match the signature you provided.",
          });
        return send(200, { MessageId: `sink-${++messageCounter}` });
      }
      if (req.method === "GET" && url.pathname === "/emails") return send(200, emails);
      if (req.method === "DELETE" && url.pathname === "/emails") {
        emails.length = 0;
        return send(204, "");
      }
      if (req.method === "GET" && url.pathname === "/dns-query") {
        const answers = testZone[url.searchParams.get("name") ?? ""];
        const type = url.searchParams.get("type") === "AAAA" ? "AAAA" : "A";
        if (!answers) return send(200, { Status: 3 });
        return send(200, {
          Status: 0,
          Answer: (answers[type] ?? []).map((data) => ({ type: type === "A" ? 1 : 28, data })),
        });
      }
      const file = url.pathname.match(/^\/files\/([\w.-]+)(\/fetches)?$/);
      if (file) {
        const name = file[1]!;
        if (req.method === "PUT" && !file[2]) {
          files.set(name, { body, queries: files.get(name)?.queries ?? [] });
          return send(200, { url: `${url.origin}/files/${name}` });
        }
        const hosted = files.get(name) ?? { body: "", queries: [] };
        if (!files.has(name)) files.set(name, hosted);
        if (req.method === "GET" && file[2])
          return send(200, { count: hosted.queries.length, queries: hosted.queries });
        if (req.method === "GET") {
          hosted.queries.push(url.search);
          return send(hosted.body ? 200 : 404, hosted.body || "not found", { "content-type": "text/plain" });
        }
      }
      const hook = url.pathname.match(/^\/webhooks\/([\w-]+)(\/requests|\/stats)?$/);
      if (hook) {
        const r = receiver(hook[1]!);
        if (req.method === "PUT" && !hook[2]) {
          const config = JSON.parse(body || "{}") as { secrets?: string[]; script?: Step[]; then_status?: number };
          if (config.secrets) r.secrets = config.secrets;
          if (config.script) r.script = config.script;
          if (config.then_status) r.thenStatus = config.then_status;
          return send(200, { url: `${url.origin}/webhooks/${hook[1]}` });
        }
        if (req.method === "GET" && hook[2] === "/requests") return send(200, r.requests);
        if (req.method === "GET" && hook[2] === "/stats")
          return send(200, { max_in_flight: r.maxInFlight, requests: r.requests.length });
        if (req.method === "POST" && !hook[2]) {
          const headers = flat(req);
          const verifiedWith = r.secrets.flatMap((secret, i) => {
            try {
              new Webhook(secret).verify(body, headers);
              return [i];
            } catch {
              return [];
            }
          });
          const step = r.script.shift() ?? { status: r.thenStatus };
          r.requests.push({
            headers,
            body,
            verified: verifiedWith.length > 0,
            verified_with: verifiedWith,
            status: step.status,
            received_at: new Date().toISOString(),
          });
          r.maxInFlight = Math.max(r.maxInFlight, ++r.inFlight);
          if (step.delay_ms) await new Promise((resolve) => setTimeout(resolve, step.delay_ms));
          r.inFlight--;
          return send(
            step.status,
            { received: step.status < 300 },
            step.retry_after ? { "retry-after": step.retry_after } : {},
          );
        }
      }
      send(404, { error: "not found" });
    } catch (error) {
      send(500, { error: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
