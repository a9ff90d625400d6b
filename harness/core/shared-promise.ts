/**
 * The promise `cache` holds for `key`, or the one `make` starts, kept for every later asker in
 * this process. A rejected one (network, abort) is forgotten, so the next asker tries again.
 */
export function sharedPromise<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = make();
    const mine = pending;
    mine.catch(() => cache.get(key) === mine && cache.delete(key));
    cache.set(key, mine);
  }
  return pending;
}
