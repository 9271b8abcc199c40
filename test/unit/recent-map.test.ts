import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../src/util/recent-map.js';

describe('RecentMap', () => {
  it('keeps the entries set most recently, a key set again counting as new', () => {
    const m = new RecentMap<string, number>(2);
    m.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    expect([...m]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
    m.delete('a');
    m.set('d', 5);
    expect([...m.keys()]).toEqual(['c', 'd']);
  });
});
