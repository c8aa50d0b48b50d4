/** An expected/actual value as text: strings as they are, anything else as indented JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner), 2) ?? String(value);
  } catch {
    return String(value);
  }
}
