import { ConfigError } from "../core/errors.js";

export interface Shard {
  /** 1-based, as CI job matrices count. */
  index: number;
  count: number;
}

/** `--shard 2/4`: the second of four slices. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ConfigError(`--shard: "${text}" is not i/n with 1 <= i <= n (e.g. --shard 2/4)`);
  }
  return { index, count };
}

/**
 * The cells of one shard. Whole envs are dealt out, never split, so no two machines build the
 * same image; envs are dealt in sorted order of their keys, round robin, so every machine that
 * runs the same matrix gets the same slice, and the slices together are every cell exactly once.
 */
export function shardCells<C>(cells: C[], envKeyOf: (c: C) => string, shard: Shard): C[] {
  const keys = [...new Set(cells.map(envKeyOf))].sort();
  const mine = new Set(keys.filter((_, i) => i % shard.count === shard.index - 1));
  return cells.filter((c) => mine.has(envKeyOf(c)));
}
