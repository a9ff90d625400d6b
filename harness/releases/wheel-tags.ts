/**
 * Which wheels a target interpreter (not the host's) can install, judged from the filename alone.
 * `pip download --platform` misses compressed tag sets, so the harness applies the rules itself,
 * in the same preference order pip uses (packaging.tags.sys_tags for CPython on glibc Linux).
 */

export interface TargetPlatform {
  /** "3.9" or "3.9.2": only major.minor matters for tags. */
  python: string;
  /** glibc version of the target, e.g. "2.31". */
  glibc: string;
  arch: "x86_64" | "aarch64";
}

export interface WheelTag {
  python: string;
  abi: string;
  platform: string;
}

export interface ParsedWheel {
  /** The distribution part as written in the filename (not normalized). */
  name: string;
  version: string;
  build?: string;
  /** The cross product of the compressed (dotted) tag sets. */
  tags: WheelTag[];
}

export function parseWheelFilename(filename: string): ParsedWheel | undefined {
  if (!filename.endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -".whl".length).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (parts.some((p) => p === "")) return undefined;
  const [name, version] = parts as [string, string];
  const build = parts.length === 6 ? parts[2] : undefined;
  // PEP 427: a build tag starts with a digit; anything else means the name held a stray hyphen.
  if (build !== undefined && !/^\d/.test(build)) return undefined;
  const [pys, abis, plats] = parts.slice(-3).map((p) => p.split(".")) as [string[], string[], string[]];
  const tags: WheelTag[] = [];
  for (const python of pys) for (const abi of abis) for (const platform of plats) tags.push({ python, abi, platform });
  return build === undefined ? { name, version, tags } : { name, version, build, tags };
}

/** Higher is better; undefined means pip on the target would refuse every tag of the wheel. */
export function wheelScore(filename: string, target: TargetPlatform): number | undefined {
  const wheel = parseWheelFilename(filename);
  if (!wheel) return undefined;
  const py = parsePython(target.python);
  const glibc = parseGlibc(target.glibc);
  if (!py || !glibc) return undefined;
  let best: number | undefined;
  for (const tag of wheel.tags) {
    const s = tagScore(tag, py, glibc, target.arch);
    if (s !== undefined && (best === undefined || s > best)) best = s;
  }
  return best;
}

type Pair = [number, number];

const parsePython = (v: string): Pair | undefined => {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

const parseGlibc = (v: string): Pair | undefined => {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

/** Legacy manylinux names are aliases of a glibc floor (PEP 600). */
const LEGACY_MANYLINUX: Record<string, Pair> = {
  manylinux1: [2, 5],
  manylinux2010: [2, 12],
  manylinux2014: [2, 17],
};

/**
 * The platform's rank (its glibc floor, so newer manylinux wins as in pip), 0 for "any",
 * undefined if the target cannot load it. Plain linux_<arch> wheels are never on PyPI for a
 * reason: pip treats them as built for one machine, so they count as incompatible.
 */
function platformRank(platform: string, glibc: Pair, arch: string): number | undefined {
  if (platform === "any") return 0;
  const suffix = `_${arch}`;
  if (!platform.endsWith(suffix)) return undefined;
  const head = platform.slice(0, -suffix.length);
  let floor: Pair | undefined = LEGACY_MANYLINUX[head];
  if (!floor) {
    const m = /^manylinux_(\d+)_(\d+)$/.exec(head);
    if (!m) return undefined;
    floor = [Number(m[1]), Number(m[2])];
  }
  const fits = floor[0] < glibc[0] || (floor[0] === glibc[0] && floor[1] <= glibc[1]);
  return fits ? floor[0] * 1000 + floor[1] : undefined;
}

// Interpreter/abi tiers, spaced so a closer minor version can be subtracted without crossing a tier.
const T_CP_CP = 1000;
const T_CP_ABI3 = 990;
const T_CP_NONE = 980;
const T_OLDER_ABI3 = 970;
const T_PY_NONE_PLAT = 700;
const T_CP_NONE_ANY = 400;
const T_PY_NONE_ANY = 390;
/** Keeps the platform rank (at most ~9999) from ever outweighing the interpreter tier. */
const TIER_WEIGHT = 100_000;

/** Mirrors the order of packaging.tags.sys_tags: interpreter/abi first, platform second. */
function tagScore(tag: WheelTag, [major, minor]: Pair, glibc: Pair, arch: string): number | undefined {
  const plat = platformRank(tag.platform, glibc, arch);
  if (plat === undefined) return undefined;
  const tier = plat === 0 ? anyTier(tag, major, minor) : binaryTier(tag, major, minor);
  return tier === undefined ? undefined : tier * TIER_WEIGHT + plat;
}

const versionOf = (tag: string, prefix: string, major: number): number | undefined => {
  const m = new RegExp(`^${prefix}${major}(\\d*)$`).exec(tag);
  if (!m) return undefined;
  return m[1] === "" ? -1 : Number(m[1]);
};

/** Tags with a real platform: cpXY-specific, then abi3 (own minor first), then pure-Python ones. */
function binaryTier(tag: WheelTag, major: number, minor: number): number | undefined {
  const cp = versionOf(tag.python, "cp", major);
  if (cp !== undefined && cp >= 0) {
    if (cp === minor && tag.abi === ownAbi(major, minor)) return T_CP_CP;
    if (cp === minor && tag.abi === "abi3") return T_CP_ABI3;
    if (cp === minor && tag.abi === "none") return T_CP_NONE;
    // abi3 arrived in 3.2; pip offers cp3Y-abi3 for every Y from minor-1 down to 2.
    if (cp < minor && tag.abi === "abi3" && (major !== 3 || cp >= 2)) return T_OLDER_ABI3 - (minor - cp);
    return undefined;
  }
  if (tag.abi !== "none") return undefined;
  return pyTier(tag.python, major, minor, T_PY_NONE_PLAT);
}

/**
 * The interpreter's own ABI tag: until 3.8, CPython's default build (with pymalloc) carried an
 * "m" flag, so Python 3.7's wheels are cp37-cp37m; 3.8 dropped the flag (cp38-cp38).
 */
const ownAbi = (major: number, minor: number) => `cp${major}${minor}${major === 3 && minor <= 7 ? "m" : ""}`;

/** Tags for platform "any": only abi none (pip never offers abi3-any or cpXY-any). */
function anyTier(tag: WheelTag, major: number, minor: number): number | undefined {
  if (tag.abi !== "none") return undefined;
  if (tag.python === `cp${major}${minor}`) return T_CP_NONE_ANY;
  return pyTier(tag.python, major, minor, T_PY_NONE_ANY);
}

/** pyXY (own minor) > pyX > pyXY for older minors, newest first, as pip orders them. */
function pyTier(python: string, major: number, minor: number, top: number): number | undefined {
  const v = versionOf(python, "py", major);
  if (v === undefined || v > minor) return undefined;
  if (v === minor) return top;
  if (v === -1) return top - 1;
  return top - 2 - (minor - 1 - v);
}

/**
 * Whether some tag of the wheel is for this Python by its interpreter and ABI alone, whatever
 * the platform: what a release's wheels say about the Pythons it was built for.
 */
export function wheelFitsPython(filename: string, python: string): boolean {
  const wheel = parseWheelFilename(filename);
  const py = parsePython(python);
  if (!wheel || !py) return false;
  const [major, minor] = py;
  return wheel.tags.some((tag) => (tag.platform === "any" ? anyTier(tag, major, minor) : binaryTier(tag, major, minor)) !== undefined);
}
