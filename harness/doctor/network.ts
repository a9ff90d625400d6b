import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Check, describeError, fail, ok, warn } from "../core/check.js";
import { SIMPLE_ACCEPT } from "../releases/index-page.js";

/** An index slower than this works, but a matrix asks it hundreds of times. */
export const SLOW_MS = 3000;

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/**
 * Node's fetch (what the harness lists releases and downloads files with) ignores proxy
 * variables unless NODE_USE_ENV_PROXY=1; uv and pip do use them. Names only: a proxy URL can
 * hold a password.
 */
export function ignoredProxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_USE_ENV_PROXY === "1") return undefined;
  return PROXY_VARS.find((v) => env[v]);
}

/**
 * GETs the index's simple page for a project the way the harness does (globalThis.fetch, PEP 691
 * JSON preferred), with the caller's deadline, and reports the latency. `why` says what needs it.
 */
export async function checkIndex(
  indexUrl: string,
  why: string,
  signal: AbortSignal,
  opts: { project?: string; fetch?: typeof globalThis.fetch; env?: NodeJS.ProcessEnv } = {},
): Promise<Check> {
  const name = `index ${indexUrl}`;
  const project = opts.project ?? "uvicorn";
  const fix = `check the network and proxy, or ${why}`;
  if (indexUrl.startsWith("file:")) {
    const folder = fileURLToPath(indexUrl);
    return existsSync(folder) ? ok(name, "a local folder") : fail(name, `${folder} does not exist`, why);
  }
  const page = `${indexUrl.replace(/\/+$/, "")}/${project}/`;
  const proxy = ignoredProxy(opts.env);
  const proxyNote = proxy ? ` (${proxy} is set, but Node's fetch uses it only with NODE_USE_ENV_PROXY=1)` : "";
  const started = performance.now();
  let res: Response;
  try {
    res = await (opts.fetch ?? globalThis.fetch)(page, { headers: { Accept: SIMPLE_ACCEPT }, signal });
    await res.body?.cancel().catch(() => {});
  } catch (err) {
    if (signal.aborted) throw err;
    const proxyFix = proxy ? `export NODE_USE_ENV_PROXY=1 if the index is reached through ${proxy}; or ` : "";
    return fail(name, `${page}: ${describeError(err)}`, `${proxyFix}${fix}`);
  }
  const ms = Math.round(performance.now() - started);
  const format = /json/i.test(res.headers.get("content-type") ?? "") ? "PEP 691 JSON" : "HTML";
  if (res.ok) {
    const detail = `${project} page in ${ms} ms (HTTP ${res.status}, ${format})${proxyNote}`;
    return ms > SLOW_MS ? warn(name, `${detail}: slow`, fix) : ok(name, detail);
  }
  if (res.status === 404 || res.status === 410)
    return warn(
      name,
      `answers in ${ms} ms but has no ${project} page (HTTP ${res.status})`,
      `make sure ${project} is on one of the indexes`,
    );
  if (res.status === 401 || res.status === 403)
    return fail(name, `${page}: HTTP ${res.status} (not allowed)`, `give the index's credentials, or ${why}`);
  return fail(name, `${page}: HTTP ${res.status}`, fix);
}
