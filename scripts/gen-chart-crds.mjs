// Generator: the Helm chart's copy of the CRDs (charts/hubpo/crds/), byte for byte the files the
// `crds` generator writes to crds/. Helm installs a chart's crds/ directory before its templates;
// generating the copy here keeps `pnpm gen:check` failing whenever the two drift apart.
import { generate as generateCrds } from './gen-crds.mjs';

export const name = 'chart-crds';
export const outputDirs = ['charts/hubpo/crds'];

export async function generate() {
  const files = await generateCrds();
  return files.map(({ path, content }) => {
    if (!path.startsWith('crds/')) throw new Error(`chart-crds: unexpected CRD path ${path}`);
    return { path: `charts/hubpo/${path}`, content };
  });
}
