import { access, constants, mkdir, rm, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { cellId } from "../../harness/cell/cell.js";
import type { MachineFacts } from "../../harness/cell/record.js";
import { primaryCells } from "../../harness/claims/runtimes.js";
import { renderHtml } from "../../harness/report/html.js";
import { describeMachine } from "../../harness/report/machine-line.js";
import { tempDir } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

const RESULTS = join(process.cwd(), "reports", "uvicorn-85-preload", "results.json");
/** The full sweep: 185 releases, mostly runs of identical rows, which the heatmap and the table fold. */
const SWEEP = join(process.cwd(), "reports", "full-sweep", "results.json");
const SCREENSHOT = join(process.cwd(), ".cache", "screenshots", "html-report.png");

/** Debian's chromium, not a Playwright download: CI installs it with apt, so a missing one is a failure, not a skip. */
async function findChromium(): Promise<string> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, "chromium");
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error("chromium is not on PATH: install Debian's chromium (apt-get install chromium) to run the HTML report test");
}

describe("HTML report in a real browser", () => {
  it("renders the committed results offline: heatmap, evidence panel, filters", { timeout: 120_000 }, async () => {
    const results = await readResults(RESULTS);
    const cells = primaryCells(results.cells);
    const dir = await tempDir("html-report");
    const page = join(dir, "index.html");
    await writeFile(page, renderHtml(results));

    const browser = await chromium.launch({ executablePath: await findChromium(), args: ["--no-sandbox"] });
    try {
      const network: string[] = [];
      const errors: string[] = [];
      /** A tab on which the report must work from a file with no network: anything that is not the file itself is recorded and refused. */
      const offlineTab = async () => {
        const t = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        await t.route("**", (route) => {
          const url = route.request().url();
          if (url.startsWith("file:")) return route.continue();
          network.push(url);
          return route.abort();
        });
        t.on("pageerror", (err) => errors.push(err.message));
        return t;
      };
      const tab = await offlineTab();
      tab.on("request", (req) => {
        if (!req.url().startsWith("file:") && !network.includes(req.url())) network.push(req.url());
      });
      tab.on("console", (msg) => {
        if (msg.type() === "error") errors.push(msg.text());
      });
      await tab.goto(pathToFileURL(page).href);

      await expect.poll(() => tab.locator("[data-cell-id]").count()).toBe(cells.length);

      const reproduced = tab.locator('[data-outcome="reproduced"]').first();
      const id = (await reproduced.getAttribute("data-cell-id")) as string;
      const record = cells.find((c) => cellId(c) === id);
      expect(record?.outcome).toBe("reproduced");
      await reproduced.click();
      const evidence = tab.locator("#evidence");
      await evidence.waitFor({ state: "visible" });
      expect(await evidence.locator("mark", { hasText: "Event loop is closed" }).count()).toBeGreaterThan(0);
      const text = ((await evidence.textContent()) ?? "").replace(/\s+/g, " ");
      const statusCounts = Object.entries(record?.evidence.statusCounts ?? {});
      expect(statusCounts.length).toBeGreaterThan(0);
      for (const [status, n] of statusCounts) expect(text).toContain(`${status} × ${n}`);
      expect(text).toMatch(/uvicorn==\d/);
      // Where it ran: the committed docker cells carry their machine.
      expect(record?.machine).toBeDefined();
      expect(text).toContain(describeMachine(record?.machine as MachineFacts));
      expect(await evidence.locator("code.rerun").textContent()).toMatch(
        new RegExp(`^npx repro-matrix run .*--only '${id.replaceAll(".", "\\.")}' --force$`),
      );
      await mkdir(join(process.cwd(), ".cache", "screenshots"), { recursive: true });
      await tab.screenshot({ path: SCREENSHOT, fullPage: true });

      await tab.locator("#evidence-close").click();
      await evidence.waitFor({ state: "hidden" });

      // The answer first: the compatibility table (with Overall), then the short verdict, then the grid.
      const order: number[] = [];
      for (const s of ["#compat", "#verdict", "#heatmap", "#fingerprints"])
        order.push(await tab.locator(s).evaluate((el) => el.getBoundingClientRect().top + (el.ownerDocument.defaultView?.scrollY ?? 0)));
      expect(order.every((y, i) => y >= 0 && (i === 0 || y > (order[i - 1] as number)))).toBe(true);
      expect(await tab.locator("#compat thead th").last().textContent()).toBe("Overall");
      expect(await tab.locator("#compat tbody tr:not(.run)").count()).toBe(
        new Set(cells.filter((c) => c.preload).map((c) => c.packages.uvicorn)).size,
      );
      expect(await tab.locator("#verdict details").getAttribute("open")).toBeNull();
      expect(await tab.locator("#verdict .configs").isVisible()).toBe(false);
      expect(await tab.locator("#fingerprints").getAttribute("open")).toBeNull();
      expect(await tab.locator("#fingerprints table").isVisible()).toBe(false);

      // Sticky header: scrolled down inside its box, the header still sits at the box's top.
      const box = tab.locator("#heatmap").locator("xpath=..");
      await box.evaluate((el) => {
        el.style.maxHeight = "300px";
        el.scrollTop = 400;
      });
      const [boxTop, headTop, scrolled] = await box.evaluate((el) => [
        el.getBoundingClientRect().top,
        el.querySelector("thead")?.getBoundingClientRect().top,
        el.scrollTop,
      ]);
      expect(scrolled).toBeGreaterThan(0);
      expect(Math.abs((headTop as number) - (boxTop as number))).toBeLessThan(2);
      await box.evaluate((el) => {
        el.style.maxHeight = "";
        el.scrollTop = 0;
      });

      await tab.selectOption("#filter-python", "3.11");
      const visible = await tab.locator("[data-cell-id]:visible").evaluateAll((els) => els.map((e) => e.getAttribute("data-cell-id")));
      expect(visible).toHaveLength(cells.filter((c) => c.python === "3.11").length);
      expect(visible.every((v) => v?.startsWith("py3.11~"))).toBe(true);

      // The full sweep's page, for the folds: the #85 matrix's 12 releases on 4 Pythons have no two identical rows.
      const sweepPage = join(dir, "sweep.html");
      await writeFile(sweepPage, renderHtml(await readResults(SWEEP)));
      const sweepTab = await offlineTab();
      await sweepTab.goto(pathToFileURL(sweepPage).href);
      // Runs of identical versions are folded behind one line that opens them.
      const run = sweepTab.locator("#heatmap button[data-run]").first();
      expect(await run.textContent()).toMatch(/^\S+–\S+: \d+ releases, same as above$/);
      const folded = sweepTab.locator(`tr[data-run-of="${await run.getAttribute("data-run")}"]`);
      const n = await folded.count();
      expect(n).toBeGreaterThanOrEqual(2);
      expect(await folded.first().isVisible()).toBe(false);
      await run.click();
      for (const row of await folded.all()) expect(await row.isVisible()).toBe(true);
      // The compatibility table's folds open the same way.
      const compatRun = sweepTab.locator("#compat button[data-run]").first();
      const compatFolded = sweepTab.locator(`#compat tr[data-run-of="${await compatRun.getAttribute("data-run")}"]`);
      expect(await compatFolded.first().isVisible()).toBe(false);
      await compatRun.click();
      for (const row of await compatFolded.all()) expect(await row.isVisible()).toBe(true);

      expect(network).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
