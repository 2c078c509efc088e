// Generator: the CRD reference (docs/reference/crds/), Markdown generated from the same CRDs the
// `crds` generator writes, plus the status conditions and their reasons. Runs under tsx with the
// `hubpo-source` export condition (see the root `gen` script).
//
// The reason registries of the programs that write conditions (translator, operator) are passed
// in: a reason added there but not documented in packages/api/src/crd/status-conditions.ts makes
// `pnpm gen` fail instead of shipping an incomplete reference.
export const name = 'crd-reference';
export const outputDirs = ['docs/reference/crds'];

export async function generate() {
  const { generateCrdReference } = await import('../packages/api/src/crd/crd-reference.ts');
  const { Reasons: translatorReasons } = await import('../packages/translator/src/reasons.ts');
  const { Reasons: operatorReasons } =
    await import('../packages/operator/src/reconcile/resolve-references.ts');
  const requiredReasons = [...Object.values(translatorReasons), ...Object.values(operatorReasons)];
  return generateCrdReference({ requiredReasons }).map(({ path, content }) => ({
    path: `docs/reference/crds/${path}`,
    content,
  }));
}
