import { VENV } from "../images/env-image.js";
import type { ServerPlace } from "./runtime.js";

/**
 * Inside the container every cell looks the same. It has no network at all (not even a
 * published port): Gunicorn listens on a unix socket in a folder shared with the host, which is
 * the only way in, and nothing the app under test does can reach out.
 */
export const SOCKET_DIR = "/run/repro-matrix";
/** Host folders for the sockets: <tmp>/rm-sock-<harness pid>-<random>, so a later run can reap a dead run's. */
export const SOCKET_DIR_PREFIX = "rm-sock-";
export const CONTAINER_PLACE: ServerPlace = { venv: VENV, appDir: "/app", bind: `unix:${SOCKET_DIR}/gunicorn.sock` };
