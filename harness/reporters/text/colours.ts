import type { Colour } from '../verdict-style.ts';

export type Paint = Record<Colour | 'bold' | 'cyan', (text: string) => string>;

const CODES: Record<keyof Paint, [number, number]> = {
  green: [32, 39],
  red: [31, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** ANSI colours only where they help: on a terminal, and not when NO_COLOR asks otherwise. */
export function createPaint(enabled: boolean): Paint {
  const paint = {} as Paint;
  for (const [name, [open, close]] of Object.entries(CODES) as Array<[keyof Paint, [number, number]]>) {
    paint[name] = enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
  }
  return paint;
}

export function coloursWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY;
}
