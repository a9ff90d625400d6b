import { valid as isPep440 } from "@renovatebot/pep440";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { normalizeName } from "../core/package-name.js";
import { firstFixedMentions } from "./first-fixed.js";
import { splitLines } from "./lines.js";

/** What a fix page states, as `init --from-page` needs it. */
export const PageFields = z.strictObject({
  /** owner/name of the repository the issue is in, from "Based on closed <owner>/<repo> issue #N". */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  issue: z.number().int().positive(),
  /** The package the claim is about: the repository's name, PEP 503-normalized. */
  package: z.string().min(1),
  /** The page's "First fixed release" (the claimed one, also when the harness rewrote the value). */
  claimedFirstFixed: z.string().refine((v) => isPep440(v) !== null, { message: "not a PEP 440 version" }),
  /** The error text in backticks under "Failure Signature", literal (not a regex). */
  signature: z.string().min(1),
  /** The page mentions preload (`--preload`, "preloading"): the bug needs it, as far as the page says. */
  preload: z.boolean(),
  /** Worker classes the page names, as dotted paths. */
  workerClasses: z.array(z.string()),
});
export type PageFields = z.infer<typeof PageFields>;

/** Where each field comes from, for the one-line error when a page lacks it. */
const WHERE: Record<string, string> = {
  repo: 'a "Based on closed <owner>/<repo> issue #N" line',
  issue: 'a "Based on closed <owner>/<repo> issue #N" line',
  package: 'a "Based on closed <owner>/<repo> issue #N" line',
  claimedFirstFixed: 'a "First fixed release: <version>" line',
  signature: 'a "Failure Signature" line followed by the error in `backticks`',
};

const BASED_ON = /\bBased on closed ([\w.-]+)\/([\w.-]+) issue #(\d+)/i;
/** A worker class, bare (UvicornWorker: uvicorn's own module) or as a dotted path. */
const WORKER = /\b((?:[A-Za-z_]\w*\.)*)(Uvicorn\w*Worker)\b/g;

/** Read a fix page's fields; a page without one throws a ConfigError naming it. */
export function parsePage(text: string, source = "page"): PageFields {
  const based = BASED_ON.exec(text);
  const raw = {
    repo: based ? `${based[1]}/${based[2]}` : undefined,
    issue: based ? Number(based[3]) : undefined,
    package: based ? normalizeName(based[2] as string) : undefined,
    claimedFirstFixed: splitLines(text).flatMap((l) => firstFixedMentions(l.text))[0]?.claimed,
    signature: failureSignature(text),
    preload: /preload/i.test(text),
    workerClasses: workerClasses(text),
  };
  const parsed = PageFields.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const field = String(issue.path[0]);
  const missing = raw[field as keyof typeof raw] === undefined;
  const why = missing ? `not found; the page needs ${WHERE[field] ?? field}` : issue.message;
  throw new ConfigError(`${source}: ${field}: ${why}`);
}

/** The first backtick text in the "Failure Signature" heading's line or the few lines after it. */
function failureSignature(text: string): string | undefined {
  const lines = splitLines(text).map((l) => l.text);
  const at = lines.findIndex((l) => /^#*\s*Failure Signature\b/i.test(l.trim()));
  if (at < 0) return undefined;
  for (const line of lines.slice(at, at + 6)) {
    const code = /`([^`]+)`/.exec(line)?.[1]?.trim();
    if (code) return code;
  }
  return undefined;
}

function workerClasses(text: string): string[] {
  const paths = [...text.matchAll(WORKER)].map(([, prefix, name]) => (prefix ? `${prefix}${name}` : `uvicorn.workers.${name}`));
  return [...new Set(paths)];
}
