/**
 * What a memory-error bisect cares about among a build's hundreds of changelog entries.
 * `--keyword` replaces the list.
 */
export const DEFAULT_KEYWORDS: readonly string[] = [
  'memory-failure',
  'hwpoison',
  'poison',
  'hugetlb',
  'hotplug',
  'migrate',
  'migration',
  'soft offline',
  'madvise',
  'mce',
  'mm/',
  'mm:',
  'mm,',
];

/** Case, '-' and '_' do not matter: memory_failure, memory-failure and Memory failure are one word. */
function fold(text: string): string {
  return text.toLowerCase().replace(/[-_]/g, ' ');
}

/**
 * The keywords a title mentions. A keyword must start a word ("mm/" matches "mm/hugetlb:" and
 * "x86/mm/pat:", not "drm/"; "mce" matches "x86/mce:", not "commence").
 */
export function matchingKeywords(title: string, keywords: readonly string[]): string[] {
  const folded = fold(title);
  return keywords.filter((keyword) => {
    const wanted = fold(keyword);
    if (wanted === '') return false;
    for (let at = folded.indexOf(wanted); at !== -1; at = folded.indexOf(wanted, at + 1)) {
      if (at === 0 || !/[a-z0-9]/.test(folded[at - 1]!)) return true;
    }
    return false;
  });
}
