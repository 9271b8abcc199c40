// A Map that keeps only the `max` entries set most recently: setting a key again makes it the
// newest, and past `max` the oldest is dropped. For in-memory caches of proofs and digests that
// may forget (whoever misses an entry does the work again), never for anything that must stay.
export class RecentMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) super.delete(oldest.value);
    }
    return this;
  }
}
