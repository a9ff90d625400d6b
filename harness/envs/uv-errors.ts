/** uv's failures fall in two kinds: the index could not be reached, or the request cannot be met. */
export function isNetworkFailure(stderr: string): boolean {
  return /Failed to fetch|error sending request|Request failed after|dns error|tcp connect error|timed out/i.test(stderr);
}

/** uv's command-line parser (clap) refusing an argument, e.g. a platform it does not know. */
export function isUsageError(stderr: string): boolean {
  return /^error: (invalid value|unexpected argument|the argument)/m.test(stderr) && /For more information, try '--help'/.test(stderr);
}

/**
 * One short sentence from uv's explanation of why an env cannot exist, for a table cell.
 * The full text stays in the evidence; this picks the fact a reader needs first.
 */
export function summarizeUvFailure(stderr: string): string {
  // Environment markers ({sys_platform != 'win32' ...}) repeat on every name and say nothing here.
  const text = stderr.replace(/\{[^{}]*\}/g, "").replace(/\s+/g, " ");
  const patterns: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/there is no version of (\S+?)(?: and| we|,|$)/, (m) => `no version ${m[1]} on the index`],
    [/does not satisfy (Python\S+) and (\S+) depends on/, (m) => `${m[2]} requires ${m[1]}`],
    // A requirement with extras is reported as the root's own: "... and you require uvicorn[standard]==0.54.0".
    [/does not satisfy (Python\S+) and you require (\S+?),? we can conclude/, (m) => `${m[2]} requires ${m[1]}`],
    [/Because (\S+?) has no usable wheels/, (m) => `${m[1]} has no wheel for this Python/platform and is binary-only`],
    [/Failed to build `([^`]+)`.*?(\w+Error: [^\n]+?)(?: hint:|$)/, (m) => `cannot build ${m[1]}: ${m[2]}`],
    [/Failed to build `([^`]+)`/, (m) => `cannot build ${m[1]}`],
  ];
  for (const [re, say] of patterns) {
    const m = text.match(re);
    if (m) return say(m).slice(0, 240);
  }
  const first = stderr.split("\n").find((l) => /cause:|error:/.test(l)) ?? stderr.trim().split("\n")[0] ?? "";
  return first.replace(/^\s*(error:|cause:)\s*/, "").slice(0, 240);
}
