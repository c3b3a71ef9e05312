// Fault injection for tests (local tooling, never deployed): a small HTTP server the tests call
// from inside workerd to freeze Postgres (SIGSTOP on the postmaster and every backend: sockets
// stay open, nothing answers — what a hung database looks like), thaw it, and stop/start the
// WebSocket proxy (connections cut, new ones refused — what a lost proxy looks like).
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { LocalStack } from "./local-stack.ts";

/** The postmaster's pid (first line of postmaster.pid) and all its descendants. */
function clusterPids(dataDir: string): number[] {
  const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may contain spaces, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const pids = [postmaster];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

export async function startFaultControl(
  stack: LocalStack,
  dataDir: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  let frozen: number[] = [];
  const signal = (pids: number[], name: NodeJS.Signals) =>
    pids.forEach((pid) => {
      try {
        process.kill(pid, name);
      } catch {
        /* gone */
      }
    });
  const actions: Record<string, () => Promise<void> | void> = {
    "/postgres/freeze": () => {
      frozen = clusterPids(dataDir);
      signal(frozen, "SIGSTOP");
    },
    "/postgres/thaw": () => {
      signal(frozen, "SIGCONT");
      frozen = [];
    },
    "/proxy/stop": () => stack.stopProxy(),
    "/proxy/start": () => stack.startProxy(),
  };
  const server: Server = createServer((req, res) => {
    const action = req.method === "POST" ? actions[req.url ?? ""] : undefined;
    if (!action) return void res.writeHead(404).end();
    Promise.resolve(action()).then(
      () => res.writeHead(204).end(),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      signal(frozen, "SIGCONT");
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
