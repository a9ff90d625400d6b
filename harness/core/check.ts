/** What `repro-matrix doctor` found about one prerequisite: data, never an exception. */
export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** The command or action that fixes a warn or fail. */
  fix?: string;
}

export const ok = (name: string, detail: string): Check => ({ name, status: "ok", detail });
export const warn = (name: string, detail: string, fix?: string): Check => ({ name, status: "warn", detail, ...(fix ? { fix } : {}) });
export const fail = (name: string, detail: string, fix?: string): Check => ({ name, status: "fail", detail, ...(fix ? { fix } : {}) });

/**
 * Runs one check with its own deadline (AbortSignal.timeout, also handed to the work so it can
 * cancel its request or process): a check that hangs or throws becomes `onFailure(why)`, so
 * doctor always finishes and always prints every line.
 */
export async function withDeadline<T>(ms: number, onFailure: (why: string) => T, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const late = `no answer within ${seconds(ms)}`;
  const deadline = new Promise<T>((resolve) => {
    if (signal.aborted) resolve(onFailure(late));
    else signal.addEventListener("abort", () => resolve(onFailure(late)), { once: true });
  });
  try {
    return await Promise.race([work(signal), deadline]);
  } catch (err) {
    return onFailure(signal.aborted ? late : `check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** withDeadline for checks: the lines the work returns, or one failed line named `name`. */
export const guarded = (
  name: string,
  ms: number,
  fix: string,
  work: (signal: AbortSignal) => Promise<Check | Check[] | undefined>,
): Promise<Check[]> =>
  withDeadline(
    ms,
    (why) => [fail(name, why, fix)],
    async (signal) => [await work(signal)].flat().filter((c): c is Check => c !== undefined),
  );

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** The first error code (ENOENT, EACCES, UND_ERR_CONNECT_TIMEOUT...) on an error or its causes. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** An error in a few words: its code, else the message of its innermost cause ("fetch failed" says nothing). */
export function describeError(err: unknown): string {
  const code = errorCode(err);
  if (code) return code;
  let e: unknown = err;
  for (let depth = 0; (e as { cause?: unknown })?.cause instanceof Error && depth < 5; depth++) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}
