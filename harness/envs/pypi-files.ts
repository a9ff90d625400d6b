import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { eq, satisfies, valid, validRange } from "@renovatebot/pep440";
import { z } from "zod";
import { PrerequisiteError } from "../errors.js";
import { parseWheelFilename, type TargetPlatform, wheelScore } from "./wheel-tags.js";

export interface DistFile {
  /** PEP 503-normalized project name. */
  name: string;
  /** The version as the file spells it. */
  version: string;
  filename: string;
  url: string;
  sha256: string;
  kind: "wheel" | "sdist";
}

export interface PickOptions {
  target: TargetPlatform;
  /** A PEP 691 simple index; default https://pypi.org/simple */
  index?: string;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Refuse sdists: the target would have to build them. */
  onlyBinary?: boolean;
}

/**
 * A pinned package has no usable file (no such project or version, nothing for the target,
 * a hash that does not match). It is data about the env, not a fault of the harness.
 */
export class PackageFileError extends Error {}

const DEFAULT_INDEX = "https://pypi.org/simple";
const SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";

/** PEP 503: lowercase, and runs of -, _ and . are one "-". */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** The PEP 691 project page, trimmed to what picking a file needs. */
const ProjectPage = z.object({
  files: z.array(
    z.object({
      filename: z.string().min(1),
      url: z.string().min(1),
      hashes: z.record(z.string(), z.string()),
      "requires-python": z.string().nullish(),
      // PEP 592: false, true, or the reason it was yanked.
      yanked: z.union([z.boolean(), z.string()]).optional(),
    }),
  ),
});
type IndexFile = z.infer<typeof ProjectPage>["files"][number];

interface Candidate {
  file: DistFile;
  yanked: boolean;
  score: number;
  build: number;
}

export async function pickDistFile(name: string, version: string, opts: PickOptions): Promise<DistFile> {
  const project = normalizeName(name);
  const pin = `${project}==${version}`;
  if (!valid(version)) throw new PackageFileError(`${pin}: not a PEP 440 version`);
  const index = (opts.index ?? DEFAULT_INDEX).replace(/\/+$/, "");
  const files = await fetchProjectFiles(`${index}/${project}/`, pin, opts);

  const ofVersion = files.flatMap((f) => {
    const parsed = fileVersion(f.filename, project);
    return parsed && valid(parsed.version) && eq(parsed.version, version) ? [{ ...f, ...parsed }] : [];
  });
  if (ofVersion.length === 0) throw new PackageFileError(`${pin}: no such version on ${index}`);

  const python = opts.target.python;
  const forPython = ofVersion.filter((f) => pythonAllowed(python, f["requires-python"]));
  if (forPython.length === 0) {
    const spec = ofVersion.find((f) => f["requires-python"])?.["requires-python"];
    throw new PackageFileError(`${pin}: no file for Python ${python} (requires-python ${spec})`);
  }
  // Every file is checked after download, so one without a sha256 is of no use.
  const hashed = forPython.filter((f) => /^[0-9a-f]{64}$/i.test(f.hashes.sha256 ?? ""));
  if (hashed.length === 0) throw new PackageFileError(`${pin}: the index lists no sha256 for any file`);

  const candidates: Candidate[] = [];
  for (const f of hashed) {
    const score = f.kind === "wheel" ? wheelScore(f.filename, opts.target) : 0;
    if (score === undefined) continue;
    if (f.kind === "sdist" && opts.onlyBinary) continue;
    candidates.push({
      file: {
        name: project,
        version: f.version,
        filename: f.filename,
        url: new URL(f.url, `${index}/${project}/`).href,
        sha256: (f.hashes.sha256 ?? "").toLowerCase(),
        kind: f.kind,
      },
      // pip's rule for pinned versions: a yanked file is allowed, but any other file beats it.
      yanked: f.yanked !== undefined && f.yanked !== false,
      score,
      build: f.kind === "wheel" ? Number.parseInt(parseWheelFilename(f.filename)?.build ?? "-1", 10) : -1,
    });
  }
  candidates.sort(compareCandidates);
  const best = candidates[0];
  if (best) return best.file;

  const wheels = hashed.filter((f) => f.kind === "wheel").length;
  const sdist = hashed.find((f) => f.kind === "sdist");
  const where = describeTarget(opts.target);
  if (sdist) {
    throw new PackageFileError(
      `${pin}: no wheel for ${where} (${wheels} wheels listed), only the sdist ${sdist.filename}, and this package is binary-only`,
    );
  }
  throw new PackageFileError(`${pin}: no file for ${where} (${wheels} wheels listed, none compatible, no sdist)`);
}

/** Like pip: non-yanked first, then any wheel over the sdist, then tag priority, then build tag. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    Number(a.yanked) - Number(b.yanked) ||
    Number(b.file.kind === "wheel") - Number(a.file.kind === "wheel") ||
    b.score - a.score ||
    b.build - a.build ||
    // Old releases sometimes carry both .tar.gz and .zip sdists: settle on one deterministically.
    Number(b.file.filename.endsWith(".tar.gz")) - Number(a.file.filename.endsWith(".tar.gz")) ||
    a.file.filename.localeCompare(b.file.filename)
  );
}

const describeTarget = (t: TargetPlatform) => {
  const [major, minor] = t.python.split(".");
  return `cp${major}${minor} manylinux_${t.glibc.replace(".", "_")}_${t.arch}`;
};

/** pip ignores a requires-python it cannot parse (PyPI has some, e.g. ">=3.6.*"), and so do we. */
function pythonAllowed(python: string, spec: string | null | undefined): boolean {
  if (!spec?.trim()) return true;
  try {
    return !validRange(spec) || satisfies(python, spec, { prereleases: true });
  } catch {
    return true;
  }
}

const SDIST_EXTENSIONS = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar"];

function fileVersion(filename: string, project: string): { version: string; kind: "wheel" | "sdist" } | undefined {
  if (filename.endsWith(".whl")) {
    const wheel = parseWheelFilename(filename);
    return wheel && normalizeName(wheel.name) === project ? { version: wheel.version, kind: "wheel" } : undefined;
  }
  const ext = SDIST_EXTENSIONS.find((e) => filename.toLowerCase().endsWith(e));
  if (!ext) return undefined;
  const stem = filename.slice(0, -ext.length);
  // The name may itself hold hyphens, so try each split and keep the one whose name matches.
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1)) {
    if (normalizeName(stem.slice(0, i)) === project && valid(stem.slice(i + 1))) {
      return { version: stem.slice(i + 1), kind: "sdist" };
    }
  }
  return undefined;
}

async function fetchProjectFiles(url: string, pin: string, opts: PickOptions): Promise<IndexFile[]> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const res = await withRetry(url, opts.signal, async () => {
    const r = await doFetch(url, {
      headers: { Accept: SIMPLE_JSON },
      signal: opts.signal,
    });
    if (isTransientStatus(r.status)) await giveUp(r);
    return r;
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    if (res.status === 404) throw new PackageFileError(`${pin}: no such project on ${url}`);
    throw new PrerequisiteError(`${pin}: ${url} answered HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new PrerequisiteError(`${pin}: ${url} did not return PEP 691 JSON (is it a simple index?)`);
  }
  const parsed = ProjectPage.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrerequisiteError(`${pin}: ${url} returned an unexpected page (${issue?.path.join(".")}: ${issue?.message})`);
  }
  return parsed.data.files;
}

/**
 * Puts the file at <cacheDir>/<filename>, reusing a copy whose sha256 matches. Writes go to a
 * temporary name first, so a crash or a concurrent download never leaves a half file in place.
 */
export async function downloadDistFile(
  file: DistFile,
  cacheDir: string,
  opts: { fetch?: typeof globalThis.fetch; signal?: AbortSignal } = {},
): Promise<string> {
  const pin = `${file.name}==${file.version}`;
  if (basename(file.filename) !== file.filename || file.filename.startsWith(".")) {
    throw new PackageFileError(`${pin}: refusing unsafe filename ${JSON.stringify(file.filename)}`);
  }
  const dir = resolve(cacheDir);
  const dest = join(dir, file.filename);
  const want = file.sha256.toLowerCase();
  if ((await sha256OfFile(dest)) === want) return dest;

  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${file.filename}.${process.pid}.${randomBytes(4).toString("hex")}.part`);
  const doFetch = opts.fetch ?? globalThis.fetch;
  try {
    const got = await withRetry(file.url, opts.signal, async () => {
      const res = await doFetch(file.url, { signal: opts.signal });
      if (isTransientStatus(res.status)) await giveUp(res);
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw new PrerequisiteError(`${pin}: ${file.url} answered HTTP ${res.status}`);
      }
      const hash = createHash("sha256");
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body), tap, createWriteStream(tmp), {
        signal: opts.signal,
      });
      return hash.digest("hex");
    });
    if (got !== want) {
      throw new PackageFileError(`${pin}: ${file.filename} has sha256 ${got}, the index says ${want}`);
    }
    await rename(tmp, dest);
    return dest;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function sha256OfFile(path: string): Promise<string | undefined> {
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

/** Drops the body (undici holds the socket until it is read) and marks the answer as retryable. */
async function giveUp(res: Response): Promise<never> {
  await res.body?.cancel().catch(() => {});
  throw new TransientHttpError(res.status);
}

const isTransientStatus = (status: number) => status >= 500 || status === 429;

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
async function withRetry<T>(url: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
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
