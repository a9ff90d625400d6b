import { valid as isPep440 } from "@renovatebot/pep440";
import { z } from "zod";

// Package names, extras and requirements as PEP 508 writes them. They end up in requirement
// files and on uv's and pip's command lines, so anything else (a space, `$(id)`, a second
// option such as --index-url) is refused here rather than passed on.

/** PEP 508 names (projects and extras alike): letters and digits, with . _ - inside only. */
export const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** PEP 503 project names as written; compared normalized (lowercase, runs of -_. as one dash). */
export const packageName = z.string().max(200).regex(NAME, "a package name such as uvicorn (PEP 508: letters, digits and . _ - inside)");

/** An extra's name, e.g. standard in uvicorn[standard]. */
export const extraName = z.string().max(200).regex(NAME, "an extra's name such as standard (PEP 508: letters, digits and . _ - inside)");

/** A version bound: an operator and a PEP 440 version (`==` and `!=` may end in .*; `===` takes a plain token). */
const BOUND = /^\s*(===|==|!=|~=|<=|>=|<|>)\s*([A-Za-z0-9._+!*-]+)\s*$/;
function isBound(clause: string): boolean {
  const m = BOUND.exec(clause);
  if (!m) return false;
  const [, op, version = ""] = m;
  if (op === "===") return !version.includes("*");
  const plain = op === "==" || op === "!=" ? version.replace(/\.\*$/, "") : version;
  return isPep440(plain) !== null;
}

/** name, [extras], bounds: the parts split without a pattern that could read the text two ways. */
const HEAD = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?([^[\]]*)$/;

/** Why `s` is not a requirement (`name[extra,...] <bounds>`), or undefined when it is one. */
export function requirementProblem(s: string, boundRequired: boolean): string | undefined {
  const example = boundRequired
    ? "a requirement with a version bound, such as uvloop<0.22"
    : "a requirement such as uvicorn-worker or uvicorn-worker==0.3.0";
  const m = HEAD.exec(s);
  if (!m || !NAME.test(m[1] as string)) return example;
  const extras = m[2];
  if (extras !== undefined) {
    const bad = extras.split(",").find((e) => !NAME.test(e.trim()));
    if (bad !== undefined) return `extra ${JSON.stringify(bad.trim())} is not a PEP 508 name (letters, digits and . _ - inside)`;
  }
  const bounds = (m[3] as string).trim();
  if (bounds === "") return boundRequired ? example : undefined;
  const bad = bounds.split(",").find((b) => !isBound(b));
  return bad === undefined ? undefined : `${JSON.stringify(bad.trim())} is not a version bound such as ==0.3.0 or <0.22 (PEP 440)`;
}

/** A requirement for a package the scenario installs (a worker class's package, a constraint). */
export const requirement = (boundRequired: boolean) =>
  z
    .string()
    .max(500)
    .superRefine((s, ctx) => {
      const problem = requirementProblem(s, boundRequired);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
