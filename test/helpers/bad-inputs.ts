import { MINIMAL } from "./scenarios.js";

/**
 * Malformed matrix.yaml files, each refused at load with one line naming the field: shared by
 * the unit test (loadScenario) and the CLI test (exit 2, one line on stderr, no report written).
 */
export interface BadInput {
  /** What is wrong with the file: the test's name. */
  name: string;
  /** The file's contents; bytes for what is not UTF-8 text. */
  content: string | Uint8Array;
  /**
   * The message after the file's path: `:<line>: <field>: <what is wrong and how to fix>`, or a
   * pattern for that remainder when part of it (an engine's wording) is not ours.
   */
  expected: string | RegExp;
}

/** MINIMAL with one line replaced; fails loudly if the line is not there, so a case cannot rot. */
const replace = (from: string, to: string) => {
  if (!MINIMAL.includes(from)) throw new Error(`MINIMAL has no ${JSON.stringify(from)}`);
  return MINIMAL.replace(from, to);
};
/** MINIMAL with a line added at the end (line 10). */
const plus = (line: string) => `${MINIMAL}${line}\n`;

const UVICORN = "uvicorn: [0.11.3, 0.11.4]";
const WORKER = "workerClasses: [uvicorn.workers.UvicornWorker]";
const SIGNATURES = 'signatures: ["RuntimeError: Event loop is closed"]';
const PYTHON = '"3.9": { base: "debian:bullseye" }';

/** Billion laughs: nine aliases of nine aliases, 9^8 strings once expanded, under 1 KB as written. */
const BOMB = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
  .concat(
    Array.from({ length: 8 }, (_, i) => {
      const [prev, cur] = ["abcdefghi"[i], "abcdefghi"[i + 1]];
      return `${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`;
    }),
  )
  .join("\n");

export const BAD_INPUTS: BadInput[] = [
  // Unknown keys
  {
    name: "unknown top-level key",
    content: plus("workerz: 4"),
    expected: ":10: workerz: unknown field (allowed fields are listed in the README)",
  },
  {
    name: "misspelt key",
    content: replace("signatures:", "signature:"),
    expected: ":9: signature: unknown field; did you mean signatures?",
  },
  {
    name: "unknown nested key",
    content: plus("probes: { cuont: 5 }"),
    expected: ":10: probes.cuont: unknown field (allowed fields are listed in the README)",
  },
  // Wrong types
  {
    name: "workers is a word",
    content: plus("workers: eight"),
    expected: ':10: workers.0: Gunicorn workers per server: a whole number from 1 to 64 (found "eight")',
  },
  { name: "preload is yes (a string in YAML 1.2)", content: plus("preload: yes"), expected: ':10: preload.0: true or false (found "yes")' },
  {
    name: "probes.count is negative",
    content: plus("probes: { count: -1 }"),
    expected: ":10: probes.count: requests sent per server: a whole number from 1 to 10000 (found -1)",
  },
  {
    name: "version is a YAML number",
    content: replace(UVICORN, "uvicorn: 0.11"),
    expected:
      ':3: packages.uvicorn: versions as strings: "0.11.4", a list of them, "all", or a range such as ">=0.2,<0.12" (quote numbers like 0.11)',
  },
  // Empty axes
  {
    name: "apps: []",
    content: replace("apps: [plain]", "apps: []"),
    expected: ":8: apps: an empty list: an axis needs at least one value (leave the field out for its default)",
  },
  {
    name: "workerClasses: []",
    content: replace(WORKER, "workerClasses: []"),
    expected: ":7: workerClasses: an empty list: an axis needs at least one value (leave the field out for its default)",
  },
  {
    name: "packages.uvicorn: []",
    content: replace(UVICORN, "uvicorn: []"),
    expected: ':3: packages.uvicorn: an empty list: give at least one version, "all", or a range such as ">=0.2,<0.12"',
  },
  {
    name: "preload: []",
    content: plus("preload: []"),
    expected: ":10: preload: an empty list: an axis needs at least one value (leave the field out for its default)",
  },
  {
    name: "python: {}",
    content: replace(`python:\n  ${PYTHON}`, "python: {}"),
    expected: ':5: python: no Python version: add one such as "3.9": { base: "debian:bullseye" }',
  },
  // Versions
  {
    name: "inverted PEP 440 range",
    content: replace(UVICORN, 'uvicorn: ">=0.12,<0.11"'),
    expected: ':3: packages.uvicorn: ">=0.12,<0.11" matches no version: nothing is >=0.12 and <0.11 at once; are the bounds swapped?',
  },
  {
    name: "range excluding its only version",
    content: replace(UVICORN, 'uvicorn: "==0.11.4,!=0.11.4"'),
    expected: ':3: packages.uvicorn: "==0.11.4,!=0.11.4" matches no version: it allows only 0.11.4, which it also excludes',
  },
  {
    name: "version that is not PEP 440",
    content: replace(UVICORN, "uvicorn: [0.11.3, zero.eleven]"),
    expected: ':3: packages.uvicorn.1: "zero.eleven" is not a PEP 440 version',
  },
  // Signatures
  {
    name: "invalid regex",
    content: replace(SIGNATURES, 'signatures: ["(unclosed"]'),
    expected: /^:9: signatures\.0: not a valid regular expression \(Invalid regular expression: .*\)$/,
  },
  {
    name: "catastrophically backtracking regex (nested quantifier)",
    content: replace(SIGNATURES, 'signatures: ["(a+)+$"]'),
    expected:
      ':9: signatures.0: "(a+)+$" can backtrack catastrophically on a long log line (a+ inside (a+)+ can take the same characters as what follows it); write it so each character can match one way only, e.g. a+$ rather than (a+)+$',
  },
  {
    name: "catastrophically backtracking regex (overlapping alternatives)",
    content: replace(SIGNATURES, 'signatures: ["Error: (\\\\w|\\\\d)+$"]'),
    expected:
      ':9: signatures.0: "Error: (\\\\w|\\\\d)+$" can backtrack catastrophically on a long log line (\\w and \\d inside (\\w|\\d)+ can match the same text); write it so each character can match one way only, e.g. a+$ rather than (a+)+$',
  },
  {
    name: "regex that matches every line",
    content: replace(SIGNATURES, 'signatures: ["(Error)?"]'),
    expected:
      ':9: signatures.0: "(Error)?" matches an empty line, so every cell would count as reproduced; give the text the failure prints',
  },
  {
    name: "signature with polynomial backtracking (adjacent .*)",
    content: replace(SIGNATURES, 'signatures: ["Error.*.*.*.*.*.*:X"]'),
    expected:
      ':9: signatures.0: "Error.*.*.*.*.*.*:X" can backtrack catastrophically on a long log line (.* and .* can split the same characters between them in many ways); keep one of them, e.g. .*x rather than .*.*x',
  },
  {
    name: "signature with polynomial backtracking (a*a*a*…b)",
    content: replace(SIGNATURES, 'signatures: ["a*a*a*a*a*a*a*b"]'),
    expected:
      ':9: signatures.0: "a*a*a*a*a*a*a*b" can backtrack catastrophically on a long log line (a* and a* can split the same characters between them in many ways); keep one of them, e.g. .*x rather than .*.*x',
  },
  {
    name: 'signature "." (matches every line)',
    content: replace(SIGNATURES, 'signatures: ["."]'),
    expected:
      ':9: signatures.0: "." can match with 0 literal characters (it needs at least 3 that every match contains, e.g. "Error" rather than "\\w"), so it would match lines that have nothing to do with the failure; give the text the failure prints',
  },
  {
    name: "signature \\w (matches nearly every line)",
    content: replace(SIGNATURES, 'signatures: ["\\\\w"]'),
    expected:
      ':9: signatures.0: "\\\\w" can match with 0 literal characters (it needs at least 3 that every match contains, e.g. "Error" rather than "\\w"), so it would match lines that have nothing to do with the failure; give the text the failure prints',
  },
  {
    name: "signature with a lookbehind (RE2 has none)",
    content: replace(SIGNATURES, 'signatures: ["(?<=Error: )Event loop is closed"]'),
    expected:
      ':9: signatures.0: "(?<=Error: )Event loop is closed" uses the lookbehind (?<=Error: ), which the linear-time matcher (RE2) does not have; write the text itself',
  },
  {
    name: "signature over the matching budget",
    content: replace(SIGNATURES, 'signatures: ["Error [ab]{450}!"]'),
    expected:
      ':9: signatures.0: "Error [ab]{450}!" costs 459 (RE2 program size), over the 200 all signatures share so that a long log line is matched in bounded time; use fewer or smaller counted repetitions such as [ab]{50}',
  },
  {
    name: "signatures over the matching budget together",
    content: replace(SIGNATURES, 'signatures: ["Error [ab]{120}!", "Fatal [ab]{120}!"]'),
    expected:
      ":9: signatures.1: the line patterns up to this one (signatures, then checks and waits) cost 258 (RE2 program size), over the 200 they share so that a long log line is matched in bounded time; drop or shorten some",
  },
  // Worker classes and counts
  {
    name: "worker class that is not a dotted Python path",
    content: replace(WORKER, "workerClasses: [uvicorn/workers:UvicornWorker]"),
    expected: ":7: workerClasses.0.class: a dotted path such as uvicorn.workers.UvicornWorker",
  },
  {
    name: "worker class package crafted to backtrack",
    content: replace(WORKER, `workerClasses: [{ class: a.B, package: "a==1${",===1".repeat(60)};" }]`),
    expected: ':7: workerClasses.0.package: "===1;" is not a version bound such as ==0.3.0 or <0.22 (PEP 440)',
  },
  {
    name: "negative worker count",
    content: plus("workers: [8, -2]"),
    expected: ":10: workers.1: Gunicorn workers per server: a whole number from 1 to 64 (found -2)",
  },
  {
    name: "absurd worker count",
    content: plus("workers: 100000"),
    expected: ":10: workers.0: Gunicorn workers per server: a whole number from 1 to 64 (found 100000)",
  },
  {
    name: "worker class package with a command in its extras",
    content: replace(WORKER, 'workerClasses: [{ class: a.B, package: "uvicorn-worker[$(id) --index-url=http://example.invalid/]" }]'),
    expected:
      ':7: workerClasses.0.package: extra "$(id) --index-url=http://example.invalid/" is not a PEP 508 name (letters, digits and . _ - inside)',
  },
  {
    name: "worker class listed twice",
    content: replace(WORKER, "workerClasses: [uvicorn.workers.UvicornWorker, uvicorn.workers.UvicornWorker]"),
    expected: ":7: workerClasses.1: uvicorn.workers.UvicornWorker is listed twice (items 0 and 1); list it once",
  },
  // Package names, extras and constraints (they reach uv's and pip's command lines)
  {
    name: "onlyBinary with a shell command",
    content: plus('onlyBinary: ["x; rm -rf /"]'),
    expected: ":10: onlyBinary.0: a package name such as uvicorn (PEP 508: letters, digits and . _ - inside)",
  },
  {
    name: "packageExtras with an option in an extra",
    content: plus('packageExtras: { uvicorn: ["standard --index-url=http://example.invalid/"] }'),
    expected: ":10: packageExtras.uvicorn.0: an extra's name such as standard (PEP 508: letters, digits and . _ - inside)",
  },
  {
    name: "constraint with an option after it",
    content: plus('constraints: ["uvloop<0.22 --index-url=http://example.invalid/"]'),
    expected: ':10: constraints.0: "<0.22 --index-url=http://example.invalid/" is not a version bound such as ==0.3.0 or <0.22 (PEP 440)',
  },
  {
    name: "allowNewer with a space",
    content: plus("resolution: { allowNewer: [uvloop httptools] }"),
    expected: ":10: resolution.allowNewer.0: a package name such as uvicorn (PEP 508: letters, digits and . _ - inside)",
  },
  {
    name: "one package as two axes",
    content: replace("  gunicorn: 23.0.0", "  gunicorn: 23.0.0\n  Uvicorn: [0.11.4]"),
    expected: ":5: packages.Uvicorn: the same package as packages.uvicorn (names compare with case, -, _ and . alike); keep one",
  },
  // Duplicates and a claim about cells the matrix does not have
  {
    name: "version listed twice under PEP 440 (0.11.4 and 0.11.4.0)",
    content: replace(UVICORN, 'uvicorn: [0.11.4, "0.11.4.0"]'),
    expected: ':3: packages.uvicorn.1: "0.11.4.0" is the same version as "0.11.4" (item 0) under PEP 440; list it once',
  },
  {
    name: "app listed twice",
    content: replace("apps: [plain]", "apps: [plain, lifespan, plain]"),
    expected: ':8: apps.2: "plain" is listed twice (items 0 and 2); list it once',
  },
  {
    name: "claim.firstFixed not among the versions",
    content: plus('claim: { text: "fixed in 0.11.5", firstFixed: "0.11.5" }'),
    expected:
      ":10: claim.firstFixed: 0.11.5 is not one of packages.uvicorn's versions (0.11.3, 0.11.4); the claimed first fixed release must be tested",
  },
  {
    name: "claim.when.app not among the apps",
    content: plus('claim: { text: "fixed in 0.11.4", firstFixed: "0.11.4", when: { app: import-time-loop } }'),
    expected: ':10: claim.when.app: "import-time-loop" is not one of apps (plain)',
  },
  {
    name: "claim.when.workerClass not among the worker classes",
    content: plus('claim: { text: "fixed in 0.11.4", firstFixed: "0.11.4", when: { workerClass: UvicornH11Worker } }'),
    expected:
      ':10: claim.when.workerClass: "UvicornH11Worker" is not one of workerClasses (uvicorn.workers.UvicornWorker); give its dotted path or last part',
  },
  {
    name: "claim.when.preload not among preload's values",
    content: plus('preload: [false]\nclaim: { text: "fixed in 0.11.4", firstFixed: "0.11.4", when: { preload: true } }'),
    expected: ":11: claim.when.preload: true is not one of preload's values (false); no cell would count for the claim",
  },
  // Timeouts and probes
  {
    name: "zero timeout",
    content: plus("timeouts: { bootSeconds: 0 }"),
    expected: ":10: timeouts.bootSeconds: seconds until the first answer: a number of seconds above 0, at most 3600 (found 0)",
  },
  {
    name: "absurd timeout",
    content: plus("timeouts: { bootSeconds: 1e9 }"),
    expected: ":10: timeouts.bootSeconds: seconds until the first answer: a number of seconds above 0, at most 3600 (found 1000000000)",
  },
  {
    name: "boot timeout not below the cell timeout",
    content: plus("timeouts: { cellSeconds: 30 }"),
    expected:
      ":10: timeouts.bootSeconds: 60 is not below cellSeconds (30), which includes the boot; raise cellSeconds or lower bootSeconds",
  },
  {
    name: "absurd probe count",
    content: plus("probes: { count: 10000000 }"),
    expected: ":10: probes.count: requests sent per server: a whole number from 1 to 10000 (found 10000000)",
  },
  // Names that become paths
  {
    name: "scenario name with a slash",
    content: replace("scenario: demo", "scenario: ../../etc"),
    expected: ":1: scenario: lowercase letters, digits and dashes only (it names the folder reports/<scenario>/)",
  },
  {
    name: "scenario name ..",
    content: replace("scenario: demo", 'scenario: ".."'),
    expected: ":1: scenario: lowercase letters, digits and dashes only (it names the folder reports/<scenario>/)",
  },
  // Python and base images
  {
    name: "python key that is not 3.X",
    content: replace(PYTHON, '"2.7": { base: "debian:bullseye" }'),
    expected: ':6: python.2.7: a Python 3 version as a quoted string such as "3.9"',
  },
  {
    name: "python that is not a CPython release (3.99)",
    content: replace(PYTHON, '"3.99": { base: "debian:bullseye" }'),
    expected: ":6: python.3.99: Python 3.99 is not a CPython release (known: 3.5, 3.6, 3.7, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13, 3.14, 3.15)",
  },
  {
    name: "python 3.10 unquoted (read as 3.1)",
    content: replace(PYTHON, '3.10: { base: "debian:bookworm" }'),
    expected:
      ':6: python.3.1: Python 3.1 predates async/await and every uvicorn; if you wrote 3.10 unquoted, YAML read it as 3.1: quote it ("3.10")',
  },
  {
    name: "base that is neither debian:<suite>, a host interpreter nor an image",
    content: replace("debian:bullseye", "not an image!"),
    expected:
      ':6: python.3.9.base: "not an image!" is none of debian:<suite> (e.g. debian:bookworm, built offline), pyenv, host:<absolute prefix> (an interpreter of this machine) or an image reference such as python:3.9-slim',
  },
  {
    name: "host interpreter base with a relative prefix",
    content: replace("debian:bullseye", "host:pyenv/versions/3.9.18"),
    expected:
      ':6: python.3.9.base: "host:pyenv/versions/3.9.18" is none of debian:<suite> (e.g. debian:bookworm, built offline), pyenv, host:<absolute prefix> (an interpreter of this machine) or an image reference such as python:3.9-slim',
  },
  // Sizes
  {
    name: "description over 10000 characters",
    content: plus(`description: "${"x".repeat(10_001)}"`),
    expected: `:10: description: longer than 10000 characters; a description is a paragraph (found "${"x".repeat(40)}…")`,
  },
  {
    name: "more than 32 signatures",
    content: replace(SIGNATURES, `signatures: [${Array.from({ length: 33 }, (_, i) => `"Error number ${i}"`).join(", ")}]`),
    expected: ":9: signatures: more than 32 values",
  },
  // Documents that are not a scenario
  {
    name: "a list, not a mapping",
    content: "- scenario: demo\n- apps: [plain]\n",
    expected:
      ":1: (top level): a list, not a mapping; a scenario is a mapping of fields such as scenario:, packages:, python: (see the README)",
  },
  {
    name: "a scalar, not a mapping",
    content: "just some text\n",
    expected:
      ':1: (top level): a single value ("just some text"), not a mapping; a scenario is a mapping of fields such as scenario:, packages:, python: (see the README)',
  },
  {
    name: "empty file",
    content: "",
    expected: ": (top level): the file is empty; a scenario is a mapping of fields such as scenario:, packages:, python: (see the README)",
  },
  { name: "duplicate key", content: plus("apps: [lifespan]"), expected: ":10: apps: appears twice in the same mapping; keep one" },
  {
    name: "tab indentation",
    content: replace(`  ${PYTHON}`, `\t${PYTHON}`),
    expected: ":6: YAML syntax error: a tab indents this line; indent with spaces",
  },
  {
    name: "two YAML documents",
    content: `${MINIMAL}---\nscenario: other\n`,
    expected: ":10: YAML syntax error: more than one YAML document (a --- line); one scenario per file",
  },
  {
    name: "YAML bomb (billion laughs)",
    content: `${MINIMAL}${BOMB}\n`,
    expected:
      ':14: e: aliases (*name) expand it to 66420 values, over 10000 (a "billion laughs" YAML bomb?); refused unexpanded, write the values out',
  },
  {
    name: "flow collections nested 100000 deep",
    content: plus(`description: ${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    expected: ":10: (top level): [ or { nested more than 64 deep; a scenario needs a few levels",
  },
  // Files that are not YAML text
  {
    name: "not UTF-8",
    content: Buffer.concat([Buffer.from(`${MINIMAL}description: caf`), Buffer.from([0xe9]), Buffer.from("\n")]),
    expected: ":10: (file): not UTF-8 text (byte 0xe9); save it as UTF-8",
  },
  {
    name: "binary file",
    content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff, 0xfe]),
    expected: ":1: (file): binary data (a NUL byte), not a YAML text file",
  },
  {
    name: "huge file (over 1 MiB)",
    content: `${MINIMAL}description: "${"x".repeat(1024 * 1024)}"\n`,
    expected: ": (file): larger than 1 MiB (a scenario is a few KB); refused before parsing",
  },
];

/** How many malformed inputs are refused (the README cites it). */
export const BAD_INPUT_COUNT = BAD_INPUTS.length;
