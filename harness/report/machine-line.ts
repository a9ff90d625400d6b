import type { MachineFacts } from "../cell/record.js";

/** One line for a report: "Debian GNU/Linux 12 (bookworm), kernel 6.1.0, x86_64, 2 CPUs, 24 GiB, Docker 26.1.5 (remote)". */
export function describeMachine(m: MachineFacts): string {
  const memory = m.memoryMiB >= 1024 ? `${Math.round(m.memoryMiB / 1024)} GiB` : `${m.memoryMiB} MiB`;
  const engine = m.engine ? `, ${m.engine}${m.remoteEngine ? " (remote)" : ""}` : "";
  return `${m.os}, kernel ${m.kernel}, ${m.arch}, ${m.cpus} CPU${m.cpus === 1 ? "" : "s"}, ${memory}${engine}`;
}
