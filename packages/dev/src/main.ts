import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchDev } from './dev-launcher.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = resolve(process.env['HUBPO_DATA_DIR'] ?? join(root, '.hubpo'));
const token = process.env['HUBPO_ADMIN_TOKEN'];

try {
  const stop = await launchDev({
    root,
    dataDir,
    examplesDir: join(root, 'examples/local'),
    ...(token === undefined ? {} : { adminToken: token }),
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping...\n');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (err) {
  console.error(`hubpo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
