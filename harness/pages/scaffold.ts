import { major, minor } from "@renovatebot/pep440";
import { ConfigError } from "../core/errors.js";
import type { PageFields } from "./parse-page.js";

/** A YAML double-quoted scalar: JSON's string escapes are all valid YAML ones. */
const quote = (s: string) => JSON.stringify(s);

/** The page gives the error as text; a scenario's signatures are regexes. */
export const literalRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The claimed fix's minor line with one line before and one after (0.14.2 → ">=0.13,<0.16"):
 * enough to see the boundary on either side without running every release on the first try.
 */
export function versionsAround(claimed: string): string {
  const [maj, min] = [major(claimed), minor(claimed)];
  const from = min > 0 ? `${maj}.${min - 1}` : `${Math.max(maj - 1, 0)}`;
  return `>=${from},<${maj}.${min + 2}`;
}

export const scenarioName = (p: PageFields) =>
  `${p.repo.split("/")[1]}-${p.issue}${p.preload ? "-preload" : ""}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");

/**
 * A scenario (matrix.yaml format) that tests a fix page's claim: the claimed package's releases
 * around the claimed fix, the page's worker classes and trigger, its error as the signature.
 * Comments say what to review: nothing in it is measured yet. Only uvicorn pages are scaffolded:
 * the fixture apps exercise uvicorn, and another package's bug needs an app that uses it.
 */
export function scaffoldScenario(p: PageFields, source: string): string {
  if (p.package !== "uvicorn")
    throw new ConfigError(
      `${source}: the page is about ${p.repo}; init --from-page scaffolds uvicorn issues only (its fixture apps exercise uvicorn), write this scenario by hand with an app that uses ${p.package} (README: Writing a scenario for your own bug)`,
    );
  const workers = p.workerClasses.length > 0 ? p.workerClasses : ["uvicorn.workers.UvicornWorker"];
  const apps = p.preload ? "[plain, import-time-loop]" : "[plain]";
  return `# Scaffolded by \`repro-matrix init --from-page\` from ${source}:
# ${p.repo} issue #${p.issue}, whose fix page claims "first fixed release: ${p.claimedFirstFixed}".
# Nothing here is measured yet: review the versions, worker classes and apps, then
#   repro-matrix run --config <this file>
scenario: ${scenarioName(p)}
description: ${quote(`${p.repo} #${p.issue}: does \`${p.signature}\` appear, and from which ${p.package} release on does it not?`)}

packages:
  # The claimed fix's minor line and its neighbours, expanded from the index at run time.
  # Widen it ("all") if nothing in it reproduces; list exact versions for a quicker first run.
  uvicorn: ${quote(versionsAround(p.claimedFirstFixed))}
  # A recent Gunicorn; pin the one the issue's reporters used if the thread names it.
  gunicorn: 23.0.0

python:
  # Built offline with debootstrap; with a registry, \`base: python:3.9-slim\` works too.
  "3.9": { base: "debian:bullseye" }

# Each env gets its dependencies as they stood when its uvicorn release was uploaded: the
# issue's reporters had those, not today's. uvloop and httptools may be lifted past that day
# only where an old one does not build on this Python (each lift is recorded in the lock).
resolution:
  strategy: as-of-release
  anchor: uvicorn
  allowNewer: [uvloop, httptools]

# uvloop 0.22+ breaks every pre-0.12 UvicornWorker at boot, and pip 24.1+ refuses the metadata
# of uvicorn 0.12-0.13: both would be the tooling's failures, not the issue's.
constraints: ["uvloop<0.22", "pip<24.1"]

# What users install: since uvicorn 0.12, uvloop and httptools come only with [standard].
packageExtras: { uvicorn: [standard] }

workerClasses:
${workers.map((w) => `  - ${w}`).join("\n")}
# Both settings, so the table shows whether ${p.preload ? "the page's --preload trigger" : "preloading"} matters.
preload: [false, true]
workers: 4
# Fixture apps in images/apps: plain answers with its pid; import-time-loop grabs the event loop
# at import (in the master, under --preload); lifespan makes loop-bound resources at startup.
apps: ${apps}

signatures:
  # The page's error text as a literal regex; loosen it if the message varies (addresses, ids).
  - ${quote(literalRegex(p.signature))}

claim:
  text: ${quote(`first fixed release: ${p.claimedFirstFixed}`)}
  firstFixed: ${quote(p.claimedFirstFixed)}
${p.preload ? "  # The page names --preload as the trigger: only those cells count for the claim.\n  when: { preload: true }\n" : ""}`;
}
