// Runs every code generator of the repo (CONVENTIONS.md §19: generated files are checked in and
// a check regenerates them and fails on drift).
//
//   pnpm gen                             regenerate: write changed files, delete stale ones
//   pnpm gen:check                       regenerate in memory; exit 1 with a diff summary on drift
//   pnpm gen [--check] proto crds        only the named generators (either mode)
// (`pnpm gen` runs this file under tsx with the `hubpo-source` export condition, so generators
// may import workspace packages' TypeScript sources.)
//
// A generator is a module in this directory, listed in `generators` below, that exports
//   name: string                         used on the command line and in messages
//   generate(): Promise<{ path, content }[]>
//                                        path repo-relative with "/" separators; must not write
//   outputDirs?: string[]                repo-relative directories it owns entirely: any file in
//                                        them it did not generate is stale (deleted / reported)
// Output that prettier formats (per .prettierrc.json and .prettierignore) is formatted here, so
// generators emit plain text and `prettier --check .` agrees with the checked-in files.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const generators = ['./gen-proto.mjs', './gen-crds.mjs', './gen-chart-crds.mjs', './gen-crd-reference.mjs'];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(argv) {
  const check = argv.includes('--check');
  const only = argv.filter((a) => !a.startsWith('--'));
  const modules = await Promise.all(generators.map((g) => import(g)));
  const unknown = only.filter((n) => !modules.some((m) => m.name === n));
  if (unknown.length > 0) {
    const known = modules.map((m) => m.name).join(', ');
    throw new Error(`unknown generator(s): ${unknown.join(', ')} (known: ${known})`);
  }
  const drift = [];
  for (const gen of modules) {
    if (only.length > 0 && !only.includes(gen.name)) continue;
    const changes = await plan(gen);
    if (check) drift.push(...changes.map((c) => ({ ...c, generator: gen.name })));
    else await apply(changes);
    if (!check)
      console.log(
        `gen ${gen.name}: ${changes.length === 0 ? 'up to date' : `${changes.length} file(s) updated`}`,
      );
  }
  if (check && drift.length > 0) {
    console.error(
      `Generated files are out of date (${drift.length}). Run \`pnpm gen\` and commit the result.\n`,
    );
    for (const d of drift) console.error(summarize(d));
    process.exitCode = 1;
  }
}

/** What a generator would change: [{ path, kind: 'add' | 'modify' | 'delete', want?, have? }]. */
async function plan(gen) {
  const files = await gen.generate();
  const changes = [];
  const produced = new Set();
  for (const file of files) {
    if (produced.has(file.path)) throw new Error(`generator ${gen.name} produced ${file.path} twice`);
    produced.add(file.path);
    const want = await format(file.path, file.content);
    const abs = path.join(repoRoot, file.path);
    const have = existsSync(abs) ? await readFile(abs, 'utf8') : undefined;
    if (have === undefined) changes.push({ path: file.path, kind: 'add', want });
    else if (have !== want) changes.push({ path: file.path, kind: 'modify', want, have });
  }
  for (const dir of gen.outputDirs ?? []) {
    for (const existing of await listFiles(dir)) {
      if (!produced.has(existing)) changes.push({ path: existing, kind: 'delete' });
    }
  }
  return changes;
}

async function apply(changes) {
  for (const change of changes) {
    const abs = path.join(repoRoot, change.path);
    if (change.kind === 'delete') {
      await rm(abs);
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, change.want);
  }
}

async function format(file, content) {
  const abs = path.join(repoRoot, file);
  const info = await prettier.getFileInfo(abs, { ignorePath: path.join(repoRoot, '.prettierignore') });
  if (info.ignored || info.inferredParser === null) return content;
  const options = (await prettier.resolveConfig(abs)) ?? {};
  return prettier.format(content, { ...options, filepath: abs });
}

async function listFiles(dir) {
  const abs = path.join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  const entries = await readdir(abs, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      path
        .relative(repoRoot, path.join(e.parentPath ?? e.path, e.name))
        .split(path.sep)
        .join('/'),
    );
}

function summarize(change) {
  const head = `  [${change.generator}] ${change.path}`;
  if (change.kind === 'add') return `${head}: missing (would be created)`;
  if (change.kind === 'delete') return `${head}: stale (no generator produces it; would be deleted)`;
  const want = change.want.split('\n');
  const have = change.have.split('\n');
  let line = 0;
  while (line < want.length && line < have.length && want[line] === have[line]) line += 1;
  return [
    `${head}: differs from line ${line + 1} (checked in ${have.length} lines, generated ${want.length})`,
    `      checked in: ${clip(have[line])}`,
    `      generated:  ${clip(want[line])}`,
  ].join('\n');
}

function clip(text) {
  if (text === undefined) return '<end of file>';
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
