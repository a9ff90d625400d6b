import { readFile } from "node:fs/promises";
import { availableParallelism, machine, type as osType, release, totalmem } from "node:os";
import type { MachineFacts } from "../../cell/record.js";

const MiB = 1024 * 1024;

/** This machine, where the local runtime's servers run. */
export async function localMachine(): Promise<MachineFacts> {
  return { os: await osName(), kernel: release(), arch: machine(), cpus: availableParallelism(), memoryMiB: Math.round(totalmem() / MiB) };
}

/** The distribution's own name (os-release's PRETTY_NAME), else the kernel's. */
async function osName(): Promise<string> {
  const text = await readFile("/etc/os-release", "utf8").catch(() => "");
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
  return pretty || `${osType()} ${release()}`;
}
