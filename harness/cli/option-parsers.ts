import { InvalidArgumentError } from 'commander';

/** A flag value that must be an integer in [min, max]; the message names the flag. */
export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** For repeatable flags: each occurrence adds to the list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
