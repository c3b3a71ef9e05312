// Loads terraform/ as parsed HCL (@cdktf/hcl2json, offline) and resolves what each environment
// actually sets: a resource attribute `${var.x}` in a module takes the environment's argument
// for `x` when it is a literal, else the variable's default. Runs in Node (vitest "node" project).
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

// Loaded with require and typed here: the package's own typings pull in the DOM library, which
// clashes with the Workers types the rest of the project compiles against.
const { parse } = createRequire(import.meta.url)("@cdktf/hcl2json") as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};

type Body = Record<string, unknown>;

export interface ModuleConfig {
  name: string;
  dir: string;
  /** type => name => body (the first block; we never declare a resource twice). */
  resources: Record<string, Record<string, Body>>;
  variables: Record<string, { default?: unknown }>;
  /** Raw text of every .tf file, joined: for jsonencode() bodies and checkov skip comments. */
  text: string;
}

export interface ModuleCall {
  name: string;
  module: string;
  args: Body;
}

export interface TerraformConfig {
  root: string;
  modules: Record<string, ModuleConfig>;
  environments: Record<string, { dir: string; calls: ModuleCall[]; text: string }>;
}

export const environmentNames = ["dev", "staging", "prod"] as const;

async function parseDir(dir: string): Promise<{ blocks: Record<string, Body>; locals: Body; text: string }> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".tf")).sort();
  const blocks: Record<string, Body> = {};
  const locals: Body = {};
  let text = "";
  for (const file of files) {
    const content = await readFile(join(dir, file), "utf8");
    text += `\n${content}`;
    const parsed = (await parse(file, content)) as Record<string, Body>;
    for (const [kind, value] of Object.entries(parsed)) {
      // `locals` blocks parse to a list (an entry a block), named blocks to an object by name.
      if (kind === "locals") Object.assign(locals, ...(value as unknown as Body[]));
      else blocks[kind] = { ...(blocks[kind] ?? {}), ...value };
    }
  }
  return { blocks, locals, text };
}

const first = (value: unknown): Body => (Array.isArray(value) ? (value[0] as Body) : (value as Body));

export async function loadTerraform(root: string): Promise<TerraformConfig> {
  const modules: Record<string, ModuleConfig> = {};
  for (const name of await readdir(join(root, "modules"))) {
    const dir = join(root, "modules", name);
    const { blocks, text } = await parseDir(dir);
    const resources: ModuleConfig["resources"] = {};
    for (const [type, byName] of Object.entries(blocks.resource ?? {})) {
      resources[type] = Object.fromEntries(Object.entries(byName as Body).map(([n, body]) => [n, first(body)]));
    }
    const variables = Object.fromEntries(
      Object.entries(blocks.variable ?? {}).map(([n, body]) => [n, first(body) as { default?: unknown }]),
    );
    modules[name] = { name, dir, resources, variables, text };
  }
  const environments: TerraformConfig["environments"] = {};
  for (const env of environmentNames) {
    const dir = join(root, "environments", env);
    const { blocks, locals, text } = await parseDir(dir);
    // The composition is shared (environments/shared/stack.tf, linked into each environment);
    // what differs is the environment's `local.settings`, resolved here into the call arguments.
    const calls = Object.entries(blocks.module ?? {}).map(([name, body]) => {
      const args = Object.fromEntries(
        Object.entries(first(body)).map(([key, value]) => [key, resolveLocal(value, locals)]),
      );
      const module = String(args.source).replace("../../modules/", "");
      return { name, module, args };
    });
    environments[env] = { dir, calls, text };
  }
  return { root, modules, environments };
}

/** One resource as deployed by one environment's module call. */
export interface Instance {
  env: string;
  call: string;
  module: ModuleConfig;
  type: string;
  name: string;
  body: Body;
  /** Where to point a reader: env/module-call/type.name */
  address: string;
  /** The attribute with `${var.x}` resolved for this environment (an expression stays as its text). */
  get: (path: string) => unknown;
  /** Raw HCL text of the resource block. */
  text: string;
  /** checkov:skip reasons in the block, by check id. */
  skips: Record<string, string>;
}

const VAR_ONLY = /^\$\{var\.([A-Za-z0-9_]+)\}$/;
const LOCAL_ONLY = /^\$\{local\.([A-Za-z0-9_.]+)\}$/;

/** `${local.a.b}` → that local's value in this environment; anything else stays as it is. */
function resolveLocal(value: unknown, locals: Body): unknown {
  const match = typeof value === "string" ? LOCAL_ONLY.exec(value) : null;
  if (!match) return value;
  const resolved = dig(locals, match[1]!);
  return resolved === undefined ? value : resolved;
}

export function resolveIn(value: unknown, module: ModuleConfig, args: Body): unknown {
  if (typeof value !== "string") return value;
  const match = VAR_ONLY.exec(value);
  if (!match) return value;
  const name = match[1]!;
  // An argument that is itself an expression (another module's output) stays as its text.
  if (name in args) return args[name];
  return module.variables[name]?.default;
}

function dig(body: Body, path: string): unknown {
  let current: unknown = body;
  for (const key of path.split(".")) {
    if (current === undefined || current === null) return undefined;
    current = Array.isArray(current) ? (current[0] as Body)?.[key] : (current as Body)[key];
  }
  return Array.isArray(current) && current.length === 1 && typeof current[0] === "object" ? current[0] : current;
}

/** The raw text of `resource "type" "name" { … }` (brace matching, good enough for our files). */
export function blockText(text: string, type: string, name: string): string {
  const start = text.indexOf(`resource "${type}" "${name}" {`);
  if (start < 0) return "";
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}

export function checkovSkips(block: string): Record<string, string> {
  const skips: Record<string, string> = {};
  for (const match of block.matchAll(/#\s*checkov:skip=([A-Z0-9_]+):([^\n]*)/g)) skips[match[1]!] = match[2]!.trim();
  return skips;
}

/** Every instance of the given resource types across environments and module calls. */
export function instances(config: TerraformConfig, ...types: string[]): Instance[] {
  const found: Instance[] = [];
  for (const [env, { calls }] of Object.entries(config.environments)) {
    for (const call of calls) {
      const module = config.modules[call.module];
      if (!module) continue;
      for (const type of types) {
        for (const [name, body] of Object.entries(module.resources[type] ?? {})) {
          const text = blockText(module.text, type, name);
          found.push({
            env,
            call: call.name,
            module,
            type,
            name,
            body,
            address: `${env}/module.${call.name}/${type}.${name}`,
            get: (path) => resolveIn(dig(body, path), module, call.args),
            text,
            skips: checkovSkips(text),
          });
        }
      }
    }
  }
  return found;
}
