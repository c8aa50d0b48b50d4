/**
 * "Did you mean" for misspelt keys and values. Case, '-' and '_' are ignored first because
 * the commonest slips are memory_mib for memoryMiB and hard_offline for hard-offline.
 */
export function suggest(input: string, candidates: Iterable<string>): string | null {
  candidates = [...candidates];
  const folded = fold(input);
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (fold(candidate) === folded) return candidate;
    const distance = editDistance(folded, fold(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // One-letter inputs (taint letters) are too short to guess from.
  const allowed = folded.length <= 1 ? 0 : Math.max(1, Math.min(3, Math.floor(folded.length / 3)));
  if (best !== null && bestDistance <= allowed) return best;
  // A part of the name (hard-offline for sysfs-hard-offline), when only one name has that part.
  const containing = folded.length >= 4 ? [...candidates].filter((candidate) => fold(candidate).includes(folded)) : [];
  return containing.length === 1 ? containing[0]! : null;
}

/** " (did you mean 'x'?)" or nothing. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const hit = suggest(input, candidates);
  return hit === null ? '' : `; did you mean '${hit}'?`;
}

function fold(text: string): string {
  return text.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance: a swap of two neighbours counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      let value = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1);
      row[j] = value;
    }
  }
  return d[rows - 1]![cols - 1]!;
}
