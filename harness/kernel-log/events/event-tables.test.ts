import { describe, expect, it } from 'vitest';
import { compileTable } from './event-pattern.ts';
import { EVENT_TABLES } from './event-tables.ts';
import { parseKernelEvent } from './parse-event.ts';
import { ACTION_PAGE_TYPES } from './tables/memory-failure.ts';

const CONVERSIONS = /%(?!%)[-#0 +]*\*?\d*(?:hh|h|ll|l|L|z)?(?:p[A-Za-z]+|[diouxXsc])/g;

describe('event pattern tables', () => {
  it('name their source file and the kernels each format was found in', () => {
    for (const table of EVENT_TABLES) {
      expect(table.source).toMatch(/^[a-z0-9_/.-]+\.c\b/);
      for (const pattern of table.patterns) {
        expect(pattern.seenIn.length, pattern.format).toBeGreaterThan(0);
        expect(pattern.seenIn.every((series) => series === '6.1' || series === '6.12'), pattern.format).toBe(true);
      }
    }
  });

  it('name one field per printk conversion (or bring their own regex)', () => {
    for (const table of EVENT_TABLES) {
      for (const compiled of compileTable(table)) {
        if (compiled.pattern.regex) continue;
        expect(compiled.pattern.fields.length, compiled.pattern.format).toBe(compiled.pattern.format.match(CONVERSIONS)?.length ?? 0);
      }
    }
  });

  it('do not repeat a format', () => {
    const formats = EVENT_TABLES.flatMap((table) => table.patterns.map((pattern) => pattern.format));
    expect(new Set(formats).size).toBe(formats.length);
  });

  it('give null for lines that are not about memory errors', () => {
    for (const text of ['Run /init as init process', 'Kernel panic - not syncing: sysrq triggered crash', 'memharness-mark: begin-x#1.1', 'Memory: 2003912K/2096632K available', '']) {
      expect(parseKernelEvent(text)).toBeNull();
    }
  });

  it('reject a recovery verdict that is not one of the four results', () => {
    expect(parseKernelEvent('Memory failure: 0x1: recovery action for free buddy page: Maybe')).toBeNull();
  });

  it('know every action_page_types[] text of both kernels', () => {
    for (const types of Object.values(ACTION_PAGE_TYPES)) {
      for (const pageType of types) {
        const event = parseKernelEvent(`Memory failure: 0x1234: recovery action for ${pageType}: Ignored`);
        // 6.12's "already poisoned page" verdict is the already-poisoned event, like 6.1's own wording.
        if (pageType === 'already poisoned page') expect(event).toEqual({ type: 'already-poisoned', pfn: '0x1234', operation: 'memory-failure', result: 'Ignored' });
        else expect(event).toEqual({ type: 'memory-failure', pfn: '0x1234', pageType, result: 'Ignored' });
      }
    }
  });
});
