import type { ServerPlace } from "../runtime.js";
import { VENV } from "./env-image.js";

/**
 * Inside the container every cell looks the same. On an engine on this machine it has no network
 * at all (not even a published port): Gunicorn listens on a unix socket in a folder shared with
 * the host, which is the only way in, and nothing the app under test does can reach out.
 */
export const SOCKET_DIR = "/run/repro-matrix";
/** Host folders for the sockets: <tmp>/rm-sock-<harness pid>-<random>, so a later run can reap a dead run's. */
export const SOCKET_DIR_PREFIX = "rm-sock-";
export const CONTAINER_PLACE: ServerPlace = { venv: VENV, appDir: "/app", bind: `unix:${SOCKET_DIR}/gunicorn.sock` };

/**
 * An engine on another machine (DOCKER_HOST=tcp://… or ssh://…) cannot share a folder with this
 * host: there Gunicorn listens on a port the engine publishes, and the container is on the
 * engine's default bridge network (so, unlike on a local engine, the app could reach out).
 */
export const PUBLISHED_PORT = 8000;
export const PUBLISHED_PORT_PLACE: ServerPlace = { ...CONTAINER_PLACE, bind: `0.0.0.0:${PUBLISHED_PORT}` };
