import { type Cell, packageEntries } from "../cell/cell.js";
import { type Outcome, untestedOnThisPython } from "../cell/outcome.js";
import { normalizeName } from "../core/package-name.js";

/**
 * Which Python each cell runs on, as the releases decided it (releases/era.ts plans it from the
 * index and hands it down): the combinations a release's own metadata excludes, and with
 * `pythonPolicy: era` the Pythons each release tries, in order.
 */
export interface PythonChoice {
  eraPackage?: string;
  /** Per version of eraPackage: the Pythons to try, era first. */
  order: Map<string, string[]>;
  /** `name==version` (normalized name) → Python → why the release excludes it. */
  excluded: Map<string, Map<string, string>>;
}

export const pinKey = (name: string, version: string) => `${normalizeName(name)}==${version}`;

/** Every package a cell pins, by name. */
const cellPins = (c: Cell): [string, string][] => packageEntries(c.packages);

/** A cell's version of a package axis. */
export const versionIn = (c: Cell, pkg: string): string | undefined =>
  cellPins(c).find(([n]) => normalizeName(n) === normalizeName(pkg))?.[1];

/** Why a cell cannot exist (a package it pins excludes its Python by its own metadata), or undefined. */
export function notApplicable(
  c: Cell,
  excluded: PythonChoice["excluded"],
): { package: string; version: string; reason: string } | undefined {
  for (const [name, version] of cellPins(c)) {
    const reason = excluded.get(pinKey(name, version))?.get(c.python);
    if (reason) return { package: name, version, reason };
  }
  return undefined;
}

/**
 * The era's passes over a matrix. First every release on its era Python; then each release whose
 * every cell there was untestable on the next Python of its order, until one is testable or none
 * is left, so a release stays untestable only when it is so on every Python it allows. A Python
 * where a release has no cell (another package excludes it) is passed over without a pass.
 * Without era there is one pass: the whole matrix.
 */
export class PythonPasses {
  /** Per release: the index in its order of the Python its latest pass ran on. */
  private readonly at = new Map<string, number>();
  /** The cells of each release on each Python, found once: a run asks after every env it finishes. */
  private byRelease: Map<string, Cell[]> | undefined;

  constructor(
    /** Every applicable cell, on every listed Python. */
    private readonly all: Cell[],
    private readonly choice: PythonChoice,
  ) {}

  /** The first pass's cells. */
  first(): Cell[] {
    const pkg = this.choice.eraPackage;
    if (!pkg) return this.all;
    const cells: Cell[] = [];
    for (const version of this.choice.order.keys()) cells.push(...this.advance(version, 0));
    return cells;
  }

  /** The next pass's cells, given the outcomes known so far (this run's, else the recorded ones); empty when done. */
  next(outcomeOf: (c: Cell) => Outcome | undefined): Cell[] {
    const cells: Cell[] = [];
    for (const [version, i] of [...this.at]) {
      const tried = this.on(version, this.choice.order.get(version)?.[i]);
      const outcomes = tried.map(outcomeOf);
      // Unknown outcomes (a filtered run, a shard) decide nothing: no fallback on a guess.
      if (outcomes.some((o) => o === undefined || !untestedOnThisPython(o))) continue;
      cells.push(...this.advance(version, i + 1));
    }
    return cells;
  }

  /** Cells of a release from Python `from` of its order on, stopping at the first Python that has some. */
  private advance(version: string, from: number): Cell[] {
    const order = this.choice.order.get(version) ?? [];
    this.at.delete(version);
    for (let i = from; i < order.length; i++) {
      const cells = this.on(version, order[i]);
      if (cells.length === 0) continue;
      this.at.set(version, i);
      return cells;
    }
    return [];
  }

  private on(version: string, python: string | undefined): Cell[] {
    if (!this.byRelease) {
      const pkg = this.choice.eraPackage as string;
      this.byRelease = new Map();
      for (const c of this.all) {
        const key = JSON.stringify([versionIn(c, pkg), c.python]);
        const cells = this.byRelease.get(key);
        if (cells) cells.push(c);
        else this.byRelease.set(key, [c]);
      }
    }
    return this.byRelease.get(JSON.stringify([version, python])) ?? [];
  }
}
