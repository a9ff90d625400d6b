import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import Docker from "dockerode";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_PID_LABEL } from "../../harness/runtimes/docker/labels.js";
import { BIN, CACHE_DIR, itScenario, tempDir, writeConfig } from "../helpers/harness.js";
import { readResults } from "../helpers/results.js";

/** The engine's own unix socket, which the proxy below forwards to. */
const ENGINE_SOCKET = (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");

const SCENARIO = itScenario(
  "it-remote-engine",
  `packages: { uvicorn: [0.39.0], gunicorn: 23.0.0 }
workerClasses: [uvicorn.workers.UvicornWorker]
preload: [true]
workers: 2
apps: [plain, prints-signature]
`,
);

/**
 * The engine as a CI machine's engine looks to the harness: an address (tcp://127.0.0.1:<port>),
 * not a socket it can share folders through. A TCP-to-unix forwarder on loopback stands in for
 * the network between them.
 */
describe("an engine reached through DOCKER_HOST=tcp://…", () => {
  let proxy: Server;
  let port: number;
  let connections = 0;
  let out: string;
  let run: { exitCode?: number; stderr: string };
  let seen: Docker.ContainerInspectInfo | undefined;

  beforeAll(async () => {
    proxy = createServer((client) => {
      connections++;
      const engine = createConnection(ENGINE_SOCKET);
      client.pipe(engine).pipe(client);
      client.on("error", () => engine.destroy());
      engine.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    port = (proxy.address() as { port: number }).port;
    out = await tempDir("remote-engine");
    const config = await writeConfig(out, SCENARIO);
    const child = execa(process.execPath, [BIN, "run", "--config", config, "--out", out, "--runtime", "docker", "--cache-dir", CACHE_DIR], {
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
      reject: false,
    });
    // Look at one of this run's cell containers while it runs: how it was set up is the point.
    const docker = new Docker({ socketPath: ENGINE_SOCKET });
    const mine = { label: [`${OWNER_PID_LABEL}=${child.pid}`] };
    let running = true;
    const watch = (async () => {
      while (running && !seen) {
        for (const found of await docker.listContainers({ filters: mine })) {
          // One removed between listing and inspecting is skipped; the next cell's is there. A
          // container kept for an env's cells runs a sleep, and each cell's gunicorn by exec.
          if (seen || !(found.Command.includes("gunicorn") || found.Command === "sleep infinity")) continue;
          seen = await docker
            .getContainer(found.Id)
            .inspect()
            .catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    run = await child;
    running = false;
    await watch;
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it("runs the cells through it, with the outcomes a local engine gives", async () => {
    expect(run.exitCode, run.stderr).toBe(0);
    // The run talked to the engine through the address it was given, not the default socket.
    expect(connections).toBeGreaterThan(0);
    const results = await readResults(join(out, "it-remote-engine", "results.json"));
    const outcome = (app: string) => results.cells.find((c) => c.app === app)?.outcome;
    expect(outcome("plain")).toBe("clean");
    expect(outcome("prints-signature")).toBe("reproduced");
    for (const c of results.cells) expect(c.command).toContain("0.0.0.0:8000");
  }, 600_000);

  it("shares no folder with this host: gunicorn listens on a port the engine publishes on its loopback", () => {
    expect(seen, "no cell container was seen while the run went on").toBeDefined();
    expect(seen?.HostConfig.Binds ?? []).toEqual([]);
    expect(seen?.HostConfig.PortBindings?.["8000/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: "" }]);
  });
});
