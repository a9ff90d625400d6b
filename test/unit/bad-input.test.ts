import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario, parseScenario } from "../../harness/config/load.js";
import { ConfigError } from "../../harness/core/errors.js";
import { BAD_INPUT_COUNT, BAD_INPUTS, type BadInput } from "../helpers/bad-inputs.js";
import { tempDir } from "../helpers/harness.js";
import { MINIMAL } from "../helpers/scenarios.js";

/** Refused "fast": parsing and validating a malformed file, a YAML bomb included, takes milliseconds. */
const FAST_MS = 250;

/** The message of the ConfigError that loading `file` throws, and how long loading took. */
async function refusal(load: () => Promise<unknown>): Promise<{ message: string; ms: number }> {
  const start = performance.now();
  try {
    await load();
  } catch (err) {
    const ms = performance.now() - start;
    expect(err).toBeInstanceOf(ConfigError);
    return { message: (err as Error).message, ms };
  }
  throw new Error("expected a ConfigError, but the file loaded");
}

function expectMessage(message: string, file: string, expected: BadInput["expected"]) {
  expect(message.split("\n")).toHaveLength(1);
  expect(message.startsWith(file)).toBe(true);
  if (typeof expected === "string") expect(message).toBe(`${file}${expected}`);
  else expect(message.slice(file.length)).toMatch(expected);
}

describe(`malformed matrix.yaml (${BAD_INPUT_COUNT} cases)`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir("bad-input");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has at least 24 cases, each named once", () => {
    expect(BAD_INPUT_COUNT).toBeGreaterThanOrEqual(24);
    expect(new Set(BAD_INPUTS.map((c) => c.name)).size).toBe(BAD_INPUT_COUNT);
  });

  it.each(BAD_INPUTS.map((c, i) => [c.name, c, i] as const))("refuses %s with one line naming the field", async (_, c, i) => {
    const file = join(dir, String(i), "matrix.yaml");
    await mkdir(join(dir, String(i)), { recursive: true });
    await writeFile(file, c.content);
    const { message, ms } = await refusal(() => loadScenario(file));
    expectMessage(message, file, c.expected);
    expect(ms).toBeLessThan(FAST_MS);
    // Text handed over in memory (init --from-page, the tests) is refused the same way.
    if (typeof c.content === "string")
      expectMessage((await refusal(async () => parseScenario(c.content as string))).message, "matrix.yaml", c.expected);
  });

  it("refuses a YAML bomb in milliseconds, without expanding it", async () => {
    const bomb = BAD_INPUTS.find((c) => c.name.startsWith("YAML bomb"));
    const { message, ms } = await refusal(async () => parseScenario(bomb?.content as string));
    expect(message).toMatch(/billion laughs/);
    expect(ms).toBeLessThan(100);
  });
});

describe("what the checks still accept", () => {
  it.each([
    "RuntimeError: Event loop is closed",
    "Traceback.*Event loop is closed",
    "Worker \\(pid:\\d+\\) was sent (SIGKILL|SIGTERM)",
    "(?:[A-Za-z_]\\w*\\.)+TimeoutError",
    "uvicorn \\d+(\\.\\d+)*",
    "(?<n>Event) loop is closed",
    "\\p{Lu}\\w+Error: ",
    "(\\w+\\.)*\\w+Error",
    "(SIGKILL|SIGTERM)+",
    ".*Error.*",
  ])("signature %s", (signature) => {
    const s = parseScenario(MINIMAL.replace('"RuntimeError: Event loop is closed"', JSON.stringify(signature)));
    expect(s.signatures).toEqual([signature]);
  });

  it.each([
    [">=0.2,<0.12", true],
    ["~=0.11.0", true],
    ["==0.11.*,!=0.11.2", true],
    [">=0.11.4,<=0.11.4", true],
  ])("range %s", (range) => {
    expect(parseScenario(MINIMAL.replace("uvicorn: [0.11.3, 0.11.4]", `uvicorn: "${range}"`)).packages.uvicorn).toEqual({ select: range });
  });

  it.each(["debian:bookworm", "python:3.9-slim", "registry.example.com:5000/team/python:3.11", `python@sha256:${"a".repeat(64)}`])(
    "base %s",
    (base) => {
      expect(parseScenario(MINIMAL.replace("debian:bullseye", base)).python["3.9"]?.base).toBe(base);
    },
  );

  it("a few aliases, as a long file may use them", () => {
    const text = MINIMAL.replace(
      'python:\n  "3.9": { base: "debian:bullseye" }',
      'python:\n  "3.9": &bullseye { base: "debian:bullseye" }\n  "3.10": *bullseye',
    );
    expect(parseScenario(text).python["3.10"]).toEqual({ base: "debian:bullseye" });
  });
});
