import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { claimVerdict } from "../../claims/verdict.js";
import { ConfigError } from "../../core/errors.js";
import { type PageFacts, pageFacts } from "../../pages/page-facts.js";
import { type FieldChange, updatePage } from "../../pages/update-page.js";
import { readResultsFile, writeAtomic } from "../../store/results-file.js";
import { checkInputFile, checkInputFolder } from "../paths.js";

const PageFlags = z.strictObject({ results: z.string(), json: z.boolean().optional(), quiet: z.boolean().optional() });

/** `page update|check <page> --results <dir>`: 0 updated or current, 1 when check finds changes. */
export async function pageAction(action: "update" | "check", file: unknown, flags: unknown): Promise<number> {
  const f = PageFlags.parse(flags);
  const page = z.string().parse(file);
  const text = await readText(page);
  const facts = await measuredFacts(f.results);
  const { text: updated, changes } = updatePage(text, facts, page);
  if (action === "check") {
    if (f.json) process.stdout.write(`${JSON.stringify({ page, current: changes.length === 0, changes }, null, 2)}\n`);
    else for (const c of changes) process.stdout.write(`${describeChange(page, c)}\n`);
    if (changes.length === 0 && !f.json) process.stderr.write(`${page}: current\n`);
    return changes.length > 0 ? 1 : 0;
  }
  if (changes.length > 0) await writeAtomic(page, updated);
  if (f.quiet) return 0;
  for (const c of changes) process.stderr.write(`${describeChange(page, c)}\n`);
  process.stderr.write(`${page}: ${changes.length === 0 ? "already current" : `${changes.length} field(s) updated`}\n`);
  return 0;
}

/** A fix page's text; a page that is missing is said in the page's terms, a FIFO or device refused first. */
export async function readText(file: string): Promise<string> {
  await checkInputFile("page", file, { missingOk: true });
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); pass the path of a fix page`, {
      cause: err,
    });
  }
}

/** --results is the report folder (reports/<scenario>); a path to results.json itself works too. */
async function measuredFacts(results: string): Promise<PageFacts> {
  if (!results.endsWith(".json")) await checkInputFolder("--results", results, { missingOk: true });
  const file = results.endsWith(".json") ? results : join(results, "results.json");
  await checkInputFile("--results", file, { missingOk: true });
  const r = await readResultsFile(file);
  if (!r)
    throw new ConfigError(`${file}: missing or not a results file; run \`repro-matrix run\` first, or pass --results reports/<scenario>`);
  const facts = pageFacts(r, claimVerdict(r));
  // An empty table would say nothing was ever tested; refuse rather than publish that.
  if (facts.rows.length === 0)
    throw new ConfigError(`${file}: no cells match the claim's trigger (${JSON.stringify(r.claim?.when ?? {})}); run the scenario first`);
  return facts;
}

const describeChange = (page: string, c: FieldChange) => `${page}:${c.line}: ${c.field}: ${c.before} → ${c.after}`;
