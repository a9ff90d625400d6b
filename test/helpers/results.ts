import { type ResultsFile, readResultsFile, resultsJsonChunks, writeAtomic } from "../../harness/store/results-file.js";

/** A results.json as the harness reads it (every cell whole, whatever the stored layout); fails the test if there is none. */
export async function readResults(file: string): Promise<ResultsFile> {
  const r = await readResultsFile(file);
  if (!r) throw new Error(`${file}: no results`);
  return r;
}

/** Write results as the harness stores them, e.g. after aging a cell by hand. */
export const writeResults = (file: string, r: ResultsFile) => writeAtomic(file, resultsJsonChunks(r));
