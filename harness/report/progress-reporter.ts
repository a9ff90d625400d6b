import type { RunListener } from "./events.js";

/**
 * A run's progress for people, fed the run's events. Disposed when the command ends, however it
 * ends: a live display is taken down and its timer stopped, so an error line lands on a clean line.
 */
export interface ProgressReporter extends Disposable {
  onEvent: RunListener;
  /** A line that must be seen (an interrupt, a warning), also with --quiet, above any live display. */
  notice(line: string): void;
}
