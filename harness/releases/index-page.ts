import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { ConfigError, PrerequisiteError } from "../core/errors.js";
import { sharedPromise } from "../core/shared-promise.js";
import { parseSimpleHtml } from "./simple-html.js";

/**
 * One file as a package source lists it: a simple index page (PEP 691 JSON or PEP 503 HTML) or
 * a find-links location. The same shape whatever the source, so callers never branch on it.
 */
export interface ListedFile {
  filename: string;
  /** Absolute: http(s) for an index or a page of links, file:// for a local folder. */
  url: string;
  /** Lowercase hex; HTML pages may leave it out, local files always have it (hashed here). */
  sha256?: string;
  requiresPython?: string;
  /** PEP 592, with or without a reason. */
  yanked: boolean;
  /** PEP 700 upload-time, as the index wrote it; only JSON pages carry it. */
  uploadedAt?: string;
}

export interface SimplePage {
  /** The page the files were read from (after redirects), for messages. */
  url: string;
  files: ListedFile[];
  /** PEP 700 `versions`: every release, even one whose files are all gone. Empty for HTML. */
  versions: string[];
}

export interface FetchOptions {
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** What this run fetched already; without one, every page is fetched afresh. */
  cache?: IndexCache;
}

/**
 * Index pages and release lists already fetched by one run (or bisect). Every env of a sweep
 * picks its files from the same few projects' pages (uvloop's lists some 1,500 files): one
 * request and one parse per page and run, not one per env and package, which cost the network
 * time and most of the harness's memory churn. Owned by the run's session, so a page is at most
 * a run old and no process-wide state outlives it.
 */
export class IndexCache {
  readonly pages = new Map<string, Promise<SimplePage | undefined>>();
  readonly releases = new Map<string, Promise<unknown>>();
  /**
   * Each project's files parsed from its pages (pypi-files.ts), and each file picked for a pin
   * and target: a warm sweep asks for the same few hundred pins thousands of times (every env
   * names gunicorn, click, h11…), and parsing uvloop's 1,500 filenames each time was most of it.
   */
  readonly listings = new Map<string, Promise<unknown>>();
  readonly picks = new Map<string, Promise<unknown>>();
  /** Files in the files cache this run has checked against their sha256 (or downloaded): read and hashed once, not once per env. */
  readonly checkedFiles = new Map<string, Promise<string>>();
}

/** JSON first (it has upload times and hashes for every file); HTML for indexes that only speak PEP 503. */
export const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";

/** The PEP 691 project page, trimmed to what picking a file and listing releases need. */
const JsonPage = z.object({
  files: z.array(
    z.object({
      filename: z.string().min(1),
      url: z.string().min(1),
      hashes: z.record(z.string(), z.string()),
      "requires-python": z.string().nullish(),
      // PEP 592: false, true, or the reason it was yanked.
      yanked: z.union([z.boolean(), z.string()]).optional(),
      "upload-time": z.string().nullish(),
    }),
  ),
  versions: z.array(z.string()).optional(),
});

const SHA256 = /^[0-9a-f]{64}$/i;

/**
 * GETs one simple page (a project page of an index, or a find-links page) and reads it as JSON
 * or HTML by its content-type. `undefined` means the page does not exist (404/410): a project
 * may live on another source. `label` prefixes messages (the pin or project being looked up).
 */
export function fetchSimplePage(url: string, label: string, opts: FetchOptions = {}): Promise<SimplePage | undefined> {
  return opts.cache && !opts.fetch ? sharedPromise(opts.cache.pages, url, () => fetchPage(url, label, opts)) : fetchPage(url, label, opts);
}

async function fetchPage(url: string, label: string, opts: FetchOptions): Promise<SimplePage | undefined> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const res = await withRetry(url, opts.signal, async () => {
    const r = await doFetch(url, { headers: { Accept: SIMPLE_ACCEPT }, signal: opts.signal });
    await throwIfTransient(r);
    return r;
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    if (res.status === 404 || res.status === 410) return undefined;
    throw new PrerequisiteError(`${label}: ${url} answered HTTP ${res.status}`);
  }
  // Relative links resolve against where the page really was, as pip does after a redirect.
  const pageUrl = res.url || url;
  const type = res.headers.get("content-type") ?? "";
  if (/json/i.test(type)) return readJsonPage(res, pageUrl, label);
  if (/html/i.test(type)) {
    const files = parseSimpleHtml(await res.text(), pageUrl).map((l) => ({
      filename: l.filename,
      url: l.url,
      ...(l.sha256 ? { sha256: l.sha256 } : {}),
      ...(l.requiresPython ? { requiresPython: l.requiresPython } : {}),
      yanked: l.yanked,
    }));
    return { url: pageUrl, files, versions: [] };
  }
  await res.body?.cancel().catch(() => {});
  throw new PrerequisiteError(
    `${label}: ${url} did not return PEP 691 JSON or PEP 503 HTML (content-type ${type || "none"}; is it a simple index?)`,
  );
}

async function readJsonPage(res: Response, pageUrl: string, label: string): Promise<SimplePage> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new PrerequisiteError(`${label}: ${pageUrl} did not return PEP 691 JSON (is it a simple index?)`);
  }
  const parsed = JsonPage.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrerequisiteError(`${label}: ${pageUrl} returned an unexpected page (${issue?.path.join(".")}: ${issue?.message})`);
  }
  const files = parsed.data.files.flatMap((f): ListedFile[] => {
    const url = tryUrl(f.url, pageUrl);
    if (!url) return [];
    const sha256 = f.hashes.sha256;
    const requiresPython = f["requires-python"];
    const uploadedAt = f["upload-time"];
    return [
      {
        filename: f.filename,
        url,
        ...(sha256 && SHA256.test(sha256) ? { sha256: sha256.toLowerCase() } : {}),
        ...(requiresPython ? { requiresPython } : {}),
        yanked: f.yanked !== undefined && f.yanked !== false,
        ...(uploadedAt ? { uploadedAt } : {}),
      },
    ];
  });
  return { url: pageUrl, files, versions: parsed.data.versions ?? [] };
}

function tryUrl(href: string, base: string): string | undefined {
  try {
    return new URL(href, base).href;
  } catch {
    return undefined;
  }
}

/**
 * The files at one find-links location (pip's --find-links): a local folder or file, a file://
 * URL, or an http(s) page of links. `keep` picks by filename before anything is hashed, since a
 * folder serves many projects and has no index of hashes. A location that does not exist is a
 * configuration mistake, not an absent project, so it is reported rather than skipped.
 */
export async function listFindLinks(location: string, keep: (filename: string) => boolean, opts: FetchOptions = {}): Promise<ListedFile[]> {
  if (/^https?:\/\//i.test(location)) {
    const page = await fetchSimplePage(location, "find-links", opts);
    if (!page) throw new ConfigError(`find-links ${location}: no such page (HTTP 404)`);
    return page.files.filter((f) => keep(f.filename));
  }
  const path = location.startsWith("file:") ? fileURLToPath(location) : resolve(location);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ConfigError(`find-links ${location}: no such folder`);
  const paths = info.isDirectory()
    ? (await readdir(path, { withFileTypes: true })).filter((e) => !e.isDirectory() && keep(e.name)).map((e) => join(path, e.name))
    : keep(basename(path))
      ? [path]
      : [];
  const files: ListedFile[] = [];
  for (const p of paths) {
    const sha256 = await sha256OfFile(p);
    // A dangling symlink or an unreadable file is not something the folder offers.
    if (sha256) files.push({ filename: basename(p), url: pathToFileURL(p).href, sha256, yanked: false });
  }
  return files;
}

/** The file's sha256, or undefined when it is missing or not a regular file. */
export async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    const hash = createHash("sha256");
    await pipeline(createReadStream(path), hash);
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

class TransientHttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Drops the body of a 5xx/429 (undici holds the socket until it is read) and marks it retryable. */
export async function throwIfTransient(res: Response): Promise<void> {
  if (res.status < 500 && res.status !== 429) return;
  await res.body?.cancel().catch(() => {});
  throw new TransientHttpError(res.status);
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Node's fetch wraps socket errors as TypeError("fetch failed") with the code on a cause. */
function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TransientHttpError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  }
  return err instanceof TypeError && err.message === "fetch failed";
}

const RETRIES = 3;
const BACKOFF_MS = 100;

/** Retries transient failures; anything else (and an abort) passes straight through. */
export async function withRetry<T>(url: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted || !isTransient(err)) throw err;
      if (i >= RETRIES) {
        throw new PrerequisiteError(`cannot fetch ${url} after ${RETRIES + 1} tries: ${describeError(err)}`, {
          cause: err,
        });
      }
      await sleep(BACKOFF_MS * 2 ** i, undefined, { signal });
    }
  }
}

function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  return code ?? (err instanceof Error ? err.message : String(err));
}
