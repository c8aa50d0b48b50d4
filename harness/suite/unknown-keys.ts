import type { z } from 'zod';

/** A key zod would silently drop: a typo in a suite must be an error, never ignored. */
export interface UnknownKey {
  path: PropertyKey[];
  key: string;
  known: string[];
}

/** The parts of zod's schema definitions this walker reads (zod 4 `.def`). */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: readonly z.ZodType[];
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/**
 * Walks a value alongside its schema and lists keys no object schema declares. Schemas
 * defined elsewhere (the guest spec) use zod's default "strip", so strictness is applied
 * here, uniformly, rather than by rewriting them. Objects with a catchall accept anything.
 */
export function findUnknownKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): UnknownKey[] {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return value === undefined || value === null ? [] : findUnknownKeys(def.innerType, value, path);
  switch (def.type) {
    case 'object': {
      if (!isPlainObject(value)) return [];
      const shape = def.shape ?? {};
      const strict = def.catchall === undefined || defOf(def.catchall).type === 'never';
      const found: UnknownKey[] = [];
      for (const [key, child] of Object.entries(value)) {
        const childSchema = shape[key];
        if (childSchema) found.push(...findUnknownKeys(childSchema, child, [...path, key]));
        else if (strict) found.push({ path: [...path, key], key, known: Object.keys(shape) });
      }
      return found;
    }
    case 'array':
      return Array.isArray(value) && def.element ? value.flatMap((item, index) => findUnknownKeys(def.element!, item, [...path, index])) : [];
    case 'record':
      return isPlainObject(value) && def.valueType ? Object.entries(value).flatMap(([key, item]) => findUnknownKeys(def.valueType!, item, [...path, key])) : [];
    case 'pipe': {
      // z.preprocess is a pipe from a transform: the object schema is on the way out, and
      // sees the preprocessed value (a single item wrapped in a list, a name made a mapping).
      if (def.in && defOf(def.in).type === 'transform') {
        const preprocessed = def.in.safeParse(value);
        return def.out && preprocessed.success ? findUnknownKeys(def.out, preprocessed.data, path) : [];
      }
      return def.in ? findUnknownKeys(def.in, value, path) : [];
    }
    case 'lazy':
      return def.getter ? findUnknownKeys(def.getter(), value, path) : [];
    case 'union': {
      const match = def.options?.find((option) => option.safeParse(value).success);
      return match ? findUnknownKeys(match, value, path) : [];
    }
    default:
      return [];
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
