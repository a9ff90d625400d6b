/**
 * Runs work that starts servers. First Ctrl-C (or SIGTERM): stop cleanly (servers removed,
 * finished cells kept), exit 130. Second: leave now; the next run reaps what is left.
 * `say` prints the notice, so a live progress display can keep its place on the screen.
 */
export async function interruptible(work: (signal: AbortSignal) => Promise<void>, say: (line: string) => void): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    say("interrupted: stopping servers and saving finished cells (Ctrl-C again to force)");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await work(controller.signal);
    return 0;
  } catch (err) {
    if (controller.signal.aborted) return 130;
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
