import type { Comparison } from './catalog.js';

/**
 * Stores that are compared with each other, directly or through a shared store, form one group;
 * a store in no comparison is a group of its own. Groups come in the order of their first store
 * in `ids`. Within a group the stores follow the comparisons in order, theirs before ours, so the
 * two stores of each headline comparison sit next to each other.
 */
export function comparisonGroups(
  ids: readonly string[],
  comparisons: readonly Pick<Comparison, 'ours' | 'theirs'>[],
): string[][] {
  const present = new Set(ids);
  const pairs = comparisons.filter(({ ours, theirs }) => present.has(ours) && present.has(theirs));
  // Union-find over the ids.
  const parent = new Map(ids.map((id) => [id, id]));
  const root = (id: string): string => {
    let node = id;
    while (parent.get(node) !== node) node = parent.get(node)!;
    return node;
  };
  for (const { ours, theirs } of pairs) parent.set(root(ours), root(theirs));

  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const key = root(id);
    if (!groups.has(key)) groups.set(key, []);
  }
  for (const { ours, theirs } of pairs) {
    const group = groups.get(root(ours))!;
    for (const id of [theirs, ours]) if (!group.includes(id)) group.push(id);
  }
  for (const id of ids) {
    const group = groups.get(root(id))!;
    if (!group.includes(id)) group.push(id);
  }
  return [...groups.values()];
}

/**
 * The order in which round `round` (0-based) measures the stores, as consecutive blocks: each
 * block is one group, measured as the read windows of its stores back to back, then their write
 * windows. The groups rotate from round to round, and each group's order is reversed in every
 * other round, so in a two-store group ours and theirs are measured back to back, first one then
 * the other.
 */
export function roundOrder(groups: readonly (readonly string[])[], round: number): string[][] {
  return groups.map((_, index) => {
    const group = [...groups[(index + round) % groups.length]!];
    return round % 2 === 1 ? group.reverse() : group;
  });
}
