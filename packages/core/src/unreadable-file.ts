import { readFileSync } from 'node:fs';
import { errorMessage } from './hubpo-error.js';

/**
 * Why a configured file could not be read, for an error message that names it and never shows
 * its content: `cannot read "<path>" (ENOENT)`, or the error's message when it has no code.
 */
export function unreadableFile(path: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return `cannot read "${path}" (${typeof code === 'string' ? code : errorMessage(err)})`;
}

/**
 * Reads a PEM file that must hold a `-----BEGIN ...<label>-----` block (`CERTIFICATE`,
 * `PRIVATE KEY`): its text, or the problem to report with the variable that named it (never the
 * content). `read` is the file reader (tests pass their own).
 */
export function readPemFile(
  path: string,
  label: string,
  read: (path: string) => string = (p) => readFileSync(p, 'latin1'),
): { readonly pem: string } | { readonly problem: string } {
  let pem: string;
  try {
    pem = read(path);
  } catch (err) {
    return { problem: unreadableFile(path, err) };
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(pem))
    return { problem: `"${path}" holds no PEM ${label}` };
  return { pem };
}
