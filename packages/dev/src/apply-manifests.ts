import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const PLURALS: Readonly<Record<string, string>> = Object.freeze({
  Route: 'routes',
  AIModel: 'aimodels',
  PromptTemplate: 'prompttemplates',
  Consumer: 'consumers',
  Policy: 'policies',
});

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  [key: string]: unknown;
}

/** Reads every YAML document of the `.yaml` files in a directory, in file-name order. */
export async function readManifests(dir: string): Promise<Manifest[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const manifests: Manifest[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
      const value = doc.toJSON() as Manifest | null;
      if (value !== null) manifests.push(value);
    }
  }
  return manifests;
}

/** Creates or replaces each manifest through the admin API (like `kubectl apply`). */
export async function applyManifests(
  adminUrl: string,
  token: string,
  manifests: readonly Manifest[],
): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (const m of manifests) {
    const plural = PLURALS[m.kind];
    if (plural === undefined) throw new Error(`unknown kind ${m.kind}`);
    const ns = m.metadata.namespace ?? 'default';
    const base = `${adminUrl}/api/v1/namespaces/${ns}/${plural}`;
    let res = await fetch(base, { method: 'POST', headers, body: JSON.stringify(m) });
    if (res.status === 409) {
      const current = await fetch(`${base}/${m.metadata.name}`, { headers });
      const etag = current.headers.get('etag') ?? '';
      res = await fetch(`${base}/${m.metadata.name}`, {
        method: 'PUT',
        headers: { ...headers, 'if-match': etag },
        body: JSON.stringify(m),
      });
    }
    if (!res.ok)
      throw new Error(`applying ${m.kind} ${ns}/${m.metadata.name}: ${res.status} ${await res.text()}`);
  }
}
