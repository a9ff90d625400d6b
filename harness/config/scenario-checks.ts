import { compare } from "@renovatebot/pep440";
import type { z } from "zod";
import { normalizeName } from "../core/package-name.js";
import { SIGNATURE_BUDGET, signatureCost } from "./signature.js";

// Checks of the scenario as a whole: what one field means depends on another (the claim names
// versions, apps and worker classes that must exist), and lists must not repeat themselves.
// Each issue points at the field to fix.

/** The parts of a parsed scenario these checks read. */
export interface Whole {
  packages: Record<string, { versions: string[] } | { select: string }>;
  workerClasses: { path: string }[];
  /** A fixture by name, or the scenario's own app by its path (and the name it goes by). */
  apps: { name: string; path?: string }[];
  preload: boolean[];
  workers: number[];
  signatures: string[];
  /** Checks and steps: their line patterns are read on every line too. */
  checks?: object[] | undefined;
  steps?: object[] | undefined;
  claim?: { package: string; firstFixed: string; when: { preload?: boolean; app?: string; workerClass?: string } } | undefined;
}

type Ctx = z.core.$RefinementCtx;

export function checkWhole(s: Whole, ctx: Ctx): void {
  noRepeats(s, ctx);
  withinBudget(linePatterns(s), ctx);
  if (s.claim) claimExists(s, s.claim, ctx);
}

/** The first item of `items` whose key an earlier item already had, with both indexes. */
function repeated<T>(items: readonly T[], key: (item: T) => string): { first: number; again: number } | undefined {
  const seen = new Map<string, number>();
  for (const [i, item] of items.entries()) {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) return { first, again: i };
    seen.set(k, i);
  }
  return undefined;
}

/** A repeated value would run the same cells twice and count them twice in the table. */
function noRepeats(s: Whole, ctx: Ctx): void {
  const lists: [string, readonly unknown[], (v: never) => string][] = [
    ["apps", s.apps, (a: { name: string; path?: string }) => a.path ?? a.name],
    ["workerClasses", s.workerClasses, (w: { path: string }) => w.path],
    ["preload", s.preload, String],
    ["workers", s.workers, String],
    ["signatures", s.signatures, (x: string) => x],
  ];
  for (const [field, items, key] of lists) {
    const r = repeated(items as never[], key);
    if (r)
      ctx.addIssue({
        code: "custom",
        path: [field, r.again],
        message: `${show(items[r.again])} is listed twice (items ${r.first} and ${r.again}); list it once`,
      });
  }
  const names = Object.keys(s.packages);
  const r = repeated(names, normalizeName);
  if (r)
    ctx.addIssue({
      code: "custom",
      path: ["packages", names[r.again] as string],
      message: `the same package as packages.${names[r.first]} (names compare with case, -, _ and . alike); keep one`,
    });
}

const show = (v: unknown) => {
  if (typeof v !== "object" || v === null) return JSON.stringify(v);
  // A worker class or an own app by its path; a fixture by its name, quoted as a string value is.
  return "path" in v ? String(v.path) : "name" in v ? JSON.stringify(v.name) : JSON.stringify(v);
};

/** Every pattern read on every output line, with where it is written: signatures, line checks, wait steps. */
function linePatterns(s: Whole): { source: string; path: (string | number)[] }[] {
  const text = (o: object, key: string) =>
    key in o && typeof (o as Record<string, unknown>)[key] === "string" ? (o as Record<string, string>)[key] : undefined;
  return [
    ...s.signatures.map((source, i) => ({ source, path: ["signatures", i] })),
    ...(s.checks ?? []).flatMap((c, i) =>
      ["signature", "missingLine"].flatMap((key) => {
        const source = text(c, key);
        return source === undefined ? [] : [{ source, path: ["checks", i, key] }];
      }),
    ),
    ...(s.steps ?? []).flatMap((st, i) => {
      const wait = "wait" in st && typeof st.wait === "object" && st.wait !== null ? text(st.wait, "line") : undefined;
      return wait === undefined ? [] : [{ source: wait, path: ["steps", i, "wait", "line"] }];
    }),
  ];
}

/** Every line is matched against every pattern: together they stay within the matcher's budget. */
function withinBudget(patterns: readonly { source: string; path: (string | number)[] }[], ctx: Ctx): void {
  let total = 0;
  for (const { source, path } of patterns) {
    try {
      total += signatureCost(source);
    } catch {
      return; // refused on its own, with its own message
    }
    if (total > SIGNATURE_BUDGET) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `the line patterns up to this one (signatures, then checks and waits) cost ${total} (RE2 program size), over the ${SIGNATURE_BUDGET} they share so that a long log line is matched in bounded time; drop or shorten some`,
      });
      return;
    }
  }
}

/** The claim is about cells the matrix has: its first fixed version, its app, worker class and --preload. */
function claimExists(s: Whole, claim: NonNullable<Whole["claim"]>, ctx: Ctx): void {
  const axisName = Object.keys(s.packages).find((n) => normalizeName(n) === normalizeName(claim.package));
  const axis = axisName === undefined ? undefined : s.packages[axisName];
  // A range or `all` is checked against the index's releases when it is expanded (releases/versions.ts).
  if (axis && "versions" in axis && !axis.versions.some((v) => compare(v, claim.firstFixed) === 0))
    ctx.addIssue({
      code: "custom",
      path: ["claim", "firstFixed"],
      message: `${claim.firstFixed} is not one of packages.${axisName}'s versions (${axis.versions.join(", ")}); the claimed first fixed release must be tested`,
    });
  const { app, workerClass, preload } = claim.when;
  if (app !== undefined && !s.apps.some((a) => a.name === app))
    ctx.addIssue({
      code: "custom",
      path: ["claim", "when", "app"],
      message: `"${app}" is not one of apps (${s.apps.map((a) => a.name).join(", ")})`,
    });
  if (workerClass !== undefined && !s.workerClasses.some((w) => w.path === workerClass || w.path.endsWith(`.${workerClass}`)))
    ctx.addIssue({
      code: "custom",
      path: ["claim", "when", "workerClass"],
      message: `"${workerClass}" is not one of workerClasses (${s.workerClasses.map((w) => w.path).join(", ")}); give its dotted path or last part`,
    });
  if (preload !== undefined && !s.preload.includes(preload))
    ctx.addIssue({
      code: "custom",
      path: ["claim", "when", "preload"],
      message: `${preload} is not one of preload's values (${s.preload.join(", ")}); no cell would count for the claim`,
    });
}
