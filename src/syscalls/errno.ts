// errno values of Linux x86_64, by name (from Node's own table) and back.
import { constants } from 'node:os';

export const ERRNO: Readonly<Record<string, number>> = constants.errno;

const NAMES = new Map<number, string>();
for (const [name, nr] of Object.entries(ERRNO)) if (!NAMES.has(nr)) NAMES.set(nr, name);

/** ENOENT -> 2 */
export function errnoNumber(name: string): number | undefined {
  return ERRNO[name];
}

/** 2 -> ENOENT */
export function errnoName(nr: number): string {
  return NAMES.get(nr) ?? `E${nr}`;
}
