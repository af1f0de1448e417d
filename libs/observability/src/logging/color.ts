import type { Env } from '../env';

/**
 * Whether to colour what goes to a terminal: FORCE_COLOR (other than 0/false) forces it, NO_COLOR
 * (any non-empty value, https://no-color.org) turns it off, otherwise only on a terminal.
 */
export function colorEnabled(env: Env, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

export type Painter = (text: string) => string;
const sgr = (open: number, close: number): Painter => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Painter = (text) => text;

export function palette(enabled: boolean) {
  return enabled
    ? { green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39), dim: sgr(2, 22), bold: sgr(1, 22) }
    : { green: plain, yellow: plain, red: plain, dim: plain, bold: plain };
}
