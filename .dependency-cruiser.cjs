// The harness's shape, as a check (npm run lint): no import cycles, and each stage imports only
// the stages below it in the data flow. Folder order, lowest first:
//   core → config → cell → plan → releases → envs → runtimes → probe → evidence → classify
//   → store → claims → report → pages → run → bisect → nightly → doctor → cli
// A runtime adapter (runtimes/<name>/) imports no other adapter, and nothing outside runtimes/
// imports an adapter's files: only the registry lists them.
const LAYERS = [
  "core", "config", "cell", "plan", "releases", "envs", "runtimes", "probe", "evidence", "classify",
  "store", "claims", "report", "pages", "run", "bisect", "nightly", "doctor", "cli",
];

const above = (i) => LAYERS.slice(i + 1).join("|");

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "an import cycle between files", from: {}, to: { circular: true } },
    {
      name: "no-loose-files",
      severity: "error",
      comment: "every module sits in a stage's folder",
      from: { path: "^harness/[^/]+\\.ts$" },
      to: {},
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `${layer}-imports-downward`,
      severity: "error",
      comment: `${layer}/ may import only the stages below it (${LAYERS.slice(0, i).join(", ") || "none"})`,
      from: { path: `^harness/${layer}/` },
      to: { path: `^harness/(${above(i)})/` },
    })),
    {
      name: "adapters-stand-alone",
      severity: "error",
      comment: "a runtime adapter does not import another adapter",
      from: { path: "^harness/runtimes/([^/]+)/" },
      to: { path: "^harness/runtimes/([^/]+)/", pathNot: "^harness/runtimes/$1/" },
    },
    {
      name: "adapters-behind-the-registry",
      severity: "error",
      comment: "outside runtimes/, an adapter is reached through the registry and runtime.ts/session.ts only",
      from: { path: "^harness/", pathNot: "^harness/runtimes/" },
      to: { path: "^harness/runtimes/[^/]+/" },
    },
    {
      name: "engine-client-in-docker-adapter",
      severity: "error",
      comment: "only the docker adapter talks to the engine (dockerode, tar-stream)",
      from: { path: "^harness/", pathNot: "^harness/runtimes/docker/" },
      to: { path: "node_modules/(dockerode|tar-stream)/" },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
