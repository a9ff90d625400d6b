/** A command's action hands its exit code here: commander's own return value carries none. */
export type Done = (exitCode: number) => void;
