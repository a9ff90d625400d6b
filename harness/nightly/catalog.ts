import { readdir } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { describeIssue, isMissing, notAMapping, plainMessage } from "../config/issue-message.js";
import { loadScenario } from "../config/load.js";
import type { Scenario } from "../config/schema.js";
import { describeSyntaxError, readAtMost } from "../config/yaml-guards.js";
import { ConfigError } from "../core/errors.js";
import { readPage } from "../pages/page-file.js";

/** A catalog lists a few files: anything bigger is not one. */
const MAX_CATALOG_BYTES = 64 * 1024;

/** scenarios/catalog.yaml: what a night runs. */
const CatalogFile = z.strictObject({
  /** Scenario files, relative to the catalog; every YAML file beside the catalog must be listed. */
  scenarios: z.array(z.string().min(1).max(500)).min(1, "an empty list: a catalog lists at least one scenario file").max(200),
  /** The folder of fix pages, relative to the catalog; each page in it is kept current by one scenario. */
  pages: z.string().min(1).max(500).optional(),
});

export interface CatalogEntry {
  /** The scenario file as the commands name it (the catalog's folder joined with the listed path). */
  file: string;
  scenario: Scenario;
  /** The fix page the scenario keeps current, if it names one. */
  page?: string;
}

export interface Catalog {
  file: string;
  entries: CatalogEntry[];
  /** The pages folder, if the catalog names one. */
  pagesDir?: string;
}

/**
 * Read the catalog and every scenario and page it names, before a night starts anything: a wrong
 * file is one line naming it and its field, and nothing is written. A YAML file beside the
 * catalog that it does not list, or a page no scenario keeps current, is refused too: a night
 * that skipped it silently would leave its "last verified" date behind without anyone noticing.
 */
export async function loadCatalog(file: string): Promise<Catalog> {
  const listed = await readCatalogFile(file);
  const dir = dirname(file);
  const entries: CatalogEntry[] = [];
  for (const [i, path] of listed.scenarios.entries()) {
    const scenarioFile = join(dir, path);
    const scenario = await loadScenario(scenarioFile);
    const twin = entries.find((e) => e.scenario.scenario === scenario.scenario);
    if (twin)
      throw new ConfigError(
        `${file}: scenarios.${i}: ${scenarioFile} is scenario "${scenario.scenario}", as ${twin.file} is; each needs its own reports/<scenario>/ folder`,
      );
    const page = scenario.page === undefined ? undefined : join(dirname(scenarioFile), scenario.page);
    entries.push({ file: scenarioFile, scenario, ...(page ? { page } : {}) });
  }
  await checkEveryScenarioListed(file, entries);
  const pagesDir = listed.pages === undefined ? undefined : join(dir, listed.pages);
  await checkPages(file, entries, pagesDir);
  return { file, entries, ...(pagesDir ? { pagesDir } : {}) };
}

async function readCatalogFile(file: string): Promise<z.output<typeof CatalogFile>> {
  let bytes: Buffer;
  try {
    bytes = await readAtMost(file, MAX_CATALOG_BYTES + 1);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); pass --catalog <file>`, { cause: err });
  }
  if (bytes.length > MAX_CATALOG_BYTES)
    throw new ConfigError(`${file}: (file): over ${MAX_CATALOG_BYTES / 1024} KiB; a catalog lists files`);
  const text = bytes.toString("utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxError = doc.errors[0];
  if (syntaxError)
    throw new ConfigError(`${file}:${lineCounter.linePos(syntaxError.pos[0]).line}: ${describeSyntaxError(syntaxError, text)}`);
  let data: unknown;
  try {
    // No catalog needs aliases; a few are allowed, a bomb is not expanded.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(`${file}: (top level): ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  const shape = notAMapping(data);
  if (shape) throw new ConfigError(`${file}: (top level): ${shape}; a catalog is a mapping with scenarios: and pages:`);
  const parsed = CatalogFile.safeParse(data, { error: plainMessage });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  // Every field the file lacks, required or not, is a candidate for "did you mean".
  const missing = Object.keys(CatalogFile.shape).filter((k) => isMissing(data, [k]));
  throw new ConfigError(describeIssue(issue, file, doc, lineCounter, missing));
}

const isYaml = (name: string) => [".yaml", ".yml"].includes(extname(name));

async function checkEveryScenarioListed(file: string, entries: CatalogEntry[]): Promise<void> {
  const dir = dirname(file);
  const names = (await readdir(dir)).filter((n) => isYaml(n) && resolve(dir, n) !== resolve(file)).sort();
  const listed = new Set(entries.map((e) => resolve(e.file)));
  const unlisted = names.find((n) => !listed.has(resolve(dir, n)));
  if (unlisted)
    throw new ConfigError(
      `${file}: scenarios: ${join(dir, unlisted)} is not listed; add it (or move it out of ${dir}) so that a night runs it`,
    );
}

/** Each page sits in the pages folder and is kept by one scenario; every page there has one. */
async function checkPages(file: string, entries: CatalogEntry[], pagesDir: string | undefined): Promise<void> {
  const keeper = new Map<string, CatalogEntry>();
  for (const e of entries) {
    if (!e.page) continue;
    // A scenario must not rewrite a file outside the pages folder, whatever its `page:` says.
    if (!pagesDir || relative(resolve(pagesDir), resolve(e.page)).startsWith(".."))
      throw new ConfigError(
        `${e.file}: page: ${e.page} is outside ${pagesDir ? `the catalog's pages folder ${pagesDir}` : "any pages folder (the catalog names none: add pages: to it)"}`,
      );
    const other = keeper.get(resolve(e.page));
    if (other) throw new ConfigError(`${e.file}: page: ${e.page} is kept current by ${other.file} already; a page follows one scenario`);
    keeper.set(resolve(e.page), e);
    await readPage(e.page);
  }
  if (!pagesDir) return;
  let names: string[];
  try {
    names = (await readdir(pagesDir)).filter((n) => !n.startsWith(".") && basename(n) !== "README.md");
  } catch (err) {
    throw new ConfigError(`${file}: pages: ${pagesDir}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
  const orphan = names.sort().find((n) => !keeper.has(resolve(pagesDir, n)));
  if (orphan)
    throw new ConfigError(
      `${file}: pages: ${join(pagesDir, orphan)} is kept current by no scenario; name it in one scenario's page: field`,
    );
}
