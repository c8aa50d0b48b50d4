import { describe, expect, it } from 'vitest';
import { HELPER_TARGET_KINDS } from '../guest-helper/helper-messages.ts';
import { formatProblem, parseSuite } from '../suite/index.ts';
import { placementProblem } from './placement-spec.ts';
import { SCRATCH_FS_MODULES } from './scratch-fs.ts';
import { FILE_TARGET_KINDS, TARGET_KIND_NAMES, TARGET_KIND_TRAITS, isTargetKind, targetKindsWhere, type TargetKind } from './target-kind-traits.ts';

// The decisions TARGET_KIND_TRAITS encodes, checked where they take effect (lint, implied
// requirements, placement) and against the helper's vocabulary.

function lint(steps: string): string[] {
  const text = `suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n${steps}`;
  const result = parseSuite(text, 's.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('TARGET_KIND_TRAITS', () => {
  it('file-backed kinds: the page is in a file the helper holds open, the shmem memfd included and anon-shared not', () => {
    expect(FILE_TARGET_KINDS).toEqual(['shmem', 'pagecache-clean', 'pagecache-dirty', 'tmpfs-clean', 'tmpfs-dirty']);
    for (const kind of TARGET_KIND_NAMES) {
      const problems = lint(`      - target: { name: t0, kind: ${kind} }\n      - fsync: t0\n`);
      const traits = TARGET_KIND_TRAITS[kind];
      if (traits.file !== null) expect(problems, kind).toEqual([]);
      else if (traits.owned) expect(problems, kind).toEqual([expect.stringContaining(`fsync needs a file-backed target (${FILE_TARGET_KINDS.join(', ')}); '${kind}' has no file`)]);
      else expect(problems, kind).toEqual([expect.stringContaining(`fsync needs a page the helper maps; a '${kind}' target`)]);
    }
  });

  it("a kind's file agrees with what the helper's alloc makes of it", () => {
    const helperKindOf = (kind: TargetKind): string | null => {
      const traits = TARGET_KIND_TRAITS[kind];
      return traits.owned ? traits.helperKind : null;
    };
    for (const kind of TARGET_KIND_NAMES) {
      const { file, owned } = TARGET_KIND_TRAITS[kind];
      if (!owned) expect(file, kind).toBeNull();
      const expected = file === null ? undefined : file.fs === 'memfd' ? 'shmem' : file.synced ? 'file-clean' : 'file-dirty';
      if (expected) expect(helperKindOf(kind), kind).toBe(expected);
      else expect(['file-clean', 'file-dirty', 'shmem'], kind).not.toContain(helperKindOf(kind));
    }
    const used = new Set(TARGET_KIND_NAMES.map(helperKindOf).filter((kind) => kind !== null));
    expect([...used].sort()).toEqual([...HELPER_TARGET_KINDS].sort());
  });

  it('files on the scratch filesystem need its modules, tmpfs files CONFIG_TMPFS, pool pages CONFIG_HUGETLB_PAGE', () => {
    expect(targetKindsWhere((traits) => traits.file?.fs === 'scratch-fs')).toEqual(['pagecache-clean', 'pagecache-dirty']);
    expect(targetKindsWhere((traits) => traits.file?.fs === 'tmpfs')).toEqual(['tmpfs-clean', 'tmpfs-dirty']);
    expect(targetKindsWhere((traits) => traits.hugetlbPool)).toEqual(['hugetlb-free', 'hugetlb']);
    for (const kind of TARGET_KIND_NAMES) {
      const { file, hugetlbPool, needs } = TARGET_KIND_TRAITS[kind];
      if (file?.fs === 'scratch-fs') expect(needs.modules, kind).toEqual(SCRATCH_FS_MODULES);
      if (file?.fs === 'tmpfs') expect(needs.config, kind).toEqual({ CONFIG_TMPFS: ['y'] });
      if (hugetlbPool) expect(needs.config, kind).toEqual({ CONFIG_HUGETLB_PAGE: ['y'] });
    }
  });

  it("a kind's needs are its cases' implied requirements", () => {
    for (const kind of TARGET_KIND_NAMES) {
      const result = parseSuite(`suite: s\ntitle: t\ncases:\n  - id: c\n    title: t\n    steps:\n      - target: { name: t0, kind: ${kind} }\n`, 's.yaml');
      if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
      const implied = result.suite.cases[0]!.requirements.filter((requirement) => requirement.because === `target kind ${kind}`);
      const { needs } = TARGET_KIND_TRAITS[kind];
      expect(implied, kind).toEqual([
        ...Object.entries(needs.config ?? {}).map(([option, accepted]) => expect.objectContaining({ kind: 'config', option, accepted, implied: true })),
        ...(needs.modules ?? []).map((name) => expect.objectContaining({ kind: 'module', name, implied: true })),
      ]);
    }
  });

  it('placement: pages the helper maps are moved to a node, pages nobody maps are searched for', () => {
    for (const kind of TARGET_KIND_NAMES) {
      const { owned, placement } = TARGET_KIND_TRAITS[kind];
      if (owned) expect(placement, kind).toEqual({ node: 'move', device: null });
      else expect(placement.node, kind).not.toBe('move');
      expect(placementProblem(kind, { node: 1 }) === null, kind).toBe(placement.node !== null);
      expect(placementProblem(kind, { device: 'd1' }) === null, kind).toBe(placement.device !== null);
    }
    expect(targetKindsWhere((traits) => traits.placement.device !== null)).toEqual(['free', 'slab']);
    expect(targetKindsWhere((traits) => traits.placement.node === null)).toEqual(['free-movable']);
  });

  it('is the vocabulary: names in table order, and nothing else is a kind', () => {
    expect(TARGET_KIND_NAMES).toEqual(Object.keys(TARGET_KIND_TRAITS));
    expect(TARGET_KIND_NAMES.every(isTargetKind)).toBe(true);
    expect(isTargetKind('file-dirty')).toBe(false);
    expect(isTargetKind('toString')).toBe(false);
  });
});
