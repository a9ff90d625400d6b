/** Types of entry.js for the tests that import it. */
export interface Entry {
  kind: "compiled" | "source";
  url: URL;
  why: string;
}
export function chooseEntry(root?: URL, env?: NodeJS.ProcessEnv): Entry;
export function start(argv: string[]): Promise<void>;
