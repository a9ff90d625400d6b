import { NOMINAL_PLACE, type ServerPlace } from "../runtime.js";

/**
 * Inside the container every cell looks the same. On an engine on this machine it has no network
 * at all (not even a published port): Gunicorn listens on a unix socket in a folder shared with
 * the host, which is the only way in, and nothing the app under test does can reach out.
 */
export const SOCKET_DIR = "/run/repro-matrix";
/** Host folders for the sockets: <tmp>/rm-sock-<harness pid>-<random>, so a later run can reap a dead run's. */
export const SOCKET_DIR_PREFIX = "rm-sock-";
/**
 * A container is the nominal place recorded commands and cell keys are written against (its venv
 * is VENV and its socket is in SOCKET_DIR: test/unit/apps-placed.test.ts holds them equal).
 */
export const CONTAINER_PLACE: ServerPlace = NOMINAL_PLACE;

/**
 * An engine on another machine (DOCKER_HOST=tcp://… or ssh://…) cannot share a folder with this
 * host: there Gunicorn listens on a port the engine publishes, and the container is on the
 * engine's default bridge network (so, unlike on a local engine, the app could reach out).
 */
export const PUBLISHED_PORT = 8000;
export const PUBLISHED_PORT_PLACE: ServerPlace = { ...CONTAINER_PLACE, bind: `0.0.0.0:${PUBLISHED_PORT}` };
