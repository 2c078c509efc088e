import type { PromptTemplate } from '@hubpo/api';
import { sortedUnique } from './compare.js';
import type { IrPromptTemplate } from './ir.js';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

/**
 * A PromptTemplate in IR form: the models it and its variants use must exist in the cluster
 * (ModelNotFound otherwise). Templates reach no snapshot yet: there is no payload type for them.
 */
export function promptTemplateToIr(
  template: PromptTemplate,
  status: StatusBuilder,
  ctx: TranslationContext,
): IrPromptTemplate {
  const refs: { readonly at: string; readonly name: string }[] = [
    { at: 'spec.model', name: template.spec.model },
  ];
  (template.spec.variants ?? []).forEach((variant, i) => {
    if (variant.model !== undefined) refs.push({ at: `spec.variants[${i}].model`, name: variant.model });
  });
  const models: string[] = [];
  for (const { at, name } of refs) {
    if (ctx.modelNames.has(name)) models.push(name);
    else
      status.unresolved(
        Reasons.ModelNotFound,
        `${at}: no AIModel named "${name}" in cluster "${ctx.cluster.name}"`,
      );
  }
  return { kind: 'PromptTemplate', meta: status.meta, models: sortedUnique(models) };
}
