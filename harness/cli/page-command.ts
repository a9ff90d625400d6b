import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { claimVerdict } from "../claims/verdict.js";
import { parseScenario } from "../config/load.js";
import { ConfigError } from "../core/errors.js";
import { type PageFacts, pageFacts } from "../pages/page-facts.js";
import { parsePage } from "../pages/parse-page.js";
import { scaffoldScenario } from "../pages/scaffold.js";
import { type FieldChange, updatePage } from "../pages/update-page.js";
import { readResultsFile, writeAtomic } from "../store/results-file.js";

/** Lines for main's usage text, indented like its continuation lines. */
export const PAGE_USAGE = `       repro-matrix page update <page> --results reports/<scenario>   (rewrite the fix page's measured fields: table, first fixed release, reproduced locally, last verified)
       repro-matrix page check <page> --results reports/<scenario>    (print what update would change; exit 1 if anything would, 0 if the page is current)
       repro-matrix init --from-page <page> [--out <file>]   (scaffold a scenario from a fix page; default stdout, never overwrites)`;

const usage = () => PAGE_USAGE.replace(/^\s+/gm, "");

/** `page update|check <page> --results <dir>`: 0 updated or current, 1 when check finds changes. */
export async function pageCommand(args: string[]): Promise<number> {
  const { action, page, results } = parsePageArgs(args);
  const text = await readText(page);
  const facts = await measuredFacts(results);
  const { text: updated, changes } = updatePage(text, facts, page);
  if (action === "check") {
    for (const c of changes) process.stdout.write(`${describeChange(page, c)}\n`);
    if (changes.length === 0) process.stderr.write(`${page}: current\n`);
    return changes.length > 0 ? 1 : 0;
  }
  if (changes.length > 0) await writeAtomic(page, updated);
  for (const c of changes) process.stderr.write(`${describeChange(page, c)}\n`);
  process.stderr.write(`${page}: ${changes.length === 0 ? "already current" : `${changes.length} field(s) updated`}\n`);
  return 0;
}

/** `init --from-page <page> [--out <file>]`: the scaffolded scenario on stdout or in a new file. */
export async function initCommand(args: string[]): Promise<number> {
  const values = parseOrThrow(
    () => parseArgs({ args, options: { "from-page": { type: "string" }, out: { type: "string" } }, strict: true }).values,
  );
  const page = values["from-page"];
  if (!page) throw new ConfigError(`init: --from-page <page> is required (the fix page to scaffold a scenario from)`);
  const yaml = scaffoldScenario(parsePage(await readText(page), page), page);
  // What init writes must load, or the user's first `run` would fail on the harness's own text.
  parseScenario(yaml, values.out ?? "scaffolded scenario");
  if (!values.out) {
    process.stdout.write(yaml);
    return 0;
  }
  await writeNew(values.out, yaml);
  process.stderr.write(`wrote ${values.out}; review it, then: repro-matrix run --config ${values.out}\n`);
  return 0;
}

function parsePageArgs(args: string[]): { action: "update" | "check"; page: string; results: string } {
  const { values, positionals } = parseOrThrow(() =>
    parseArgs({ args, options: { results: { type: "string" } }, strict: true, allowPositionals: true }),
  );
  const [action, page, ...extra] = positionals;
  if (action !== "update" && action !== "check")
    throw new ConfigError(
      `page: "${action ?? ""}" is not update or check; usage: repro-matrix page update|check <page> --results reports/<scenario>`,
    );
  if (!page || extra.length > 0) throw new ConfigError(`page ${action}: name exactly one page file, then --results reports/<scenario>`);
  if (!values.results) throw new ConfigError(`page ${action}: --results reports/<scenario> is required (the folder with results.json)`);
  return { action, page, results: values.results };
}

/** parseArgs' own errors (unknown option, missing value) are usage errors: exit 2, one line. */
function parseOrThrow<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; usage: ${usage().split("\n").join(" | ")}`, { cause: err });
  }
}

async function readText(file: string): Promise<string> {
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
  const file = results.endsWith(".json") ? results : join(results, "results.json");
  const r = await readResultsFile(file);
  if (!r)
    throw new ConfigError(`${file}: missing or not a results file; run \`repro-matrix run\` first, or pass --results reports/<scenario>`);
  const facts = pageFacts(r, claimVerdict(r));
  // An empty table would say nothing was ever tested; refuse rather than publish that.
  if (facts.rows.length === 0)
    throw new ConfigError(`${file}: no cells match the claim's trigger (${JSON.stringify(r.claim?.when ?? {})}); run the scenario first`);
  return facts;
}

async function writeNew(file: string, text: string): Promise<void> {
  try {
    // "wx": fail rather than replace, also when the file appears between a check and the write.
    await writeFile(file, text, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new ConfigError(`${file}: already exists; init never overwrites a scenario, choose another --out or remove it`, { cause: err });
    throw err;
  }
}

const describeChange = (page: string, c: FieldChange) => `${page}:${c.line}: ${c.field}: ${c.before} → ${c.after}`;
