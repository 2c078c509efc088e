import { generateCrds } from './crd-generator.js';

type Node = Record<string, unknown>;

function walk(node: unknown, path: string, visit: (n: Node, path: string) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((n, i) => walk(n, `${path}/${i}`, visit));
    return;
  }
  visit(node as Node, path);
  for (const [k, v] of Object.entries(node)) walk(v, `${path}/${k}`, visit);
}

describe('generateCrds', () => {
  const crds = generateCrds();

  it('produces one namespaced CRD per kind with the status subresource and short names', () => {
    expect(crds.map((c) => (c.crd['metadata'] as Node)['name'])).toEqual([
      'routes.hubpo.io',
      'aimodels.hubpo.io',
      'prompttemplates.hubpo.io',
      'consumers.hubpo.io',
      'policies.hubpo.io',
    ]);
    for (const { crd } of crds) {
      const spec = crd['spec'] as Node;
      expect(spec['scope']).toBe('Namespaced');
      const version = (spec['versions'] as Node[])[0]!;
      expect(version['subresources']).toEqual({ status: {} });
      expect((spec['names'] as Node)['shortNames']).toEqual(expect.arrayContaining([expect.any(String)]));
    }
  });

  it('emits structural schemas only (no anyOf, const, patternProperties or additionalProperties: false)', () => {
    for (const { kind, crd } of crds) {
      walk(crd, kind, (n, path) => {
        for (const banned of ['anyOf', 'oneOf', 'const', 'patternProperties', '$id', 'writeOnly']) {
          if (banned in n && !path.includes('/x-kubernetes-validations'))
            throw new Error(`${path} has ${banned}`);
        }
        if (n['additionalProperties'] === false) throw new Error(`${path} has additionalProperties: false`);
        if ('properties' in n && n['type'] !== 'object')
          throw new Error(`${path}: properties without type object`);
      });
    }
  });

  it('turns literal unions into enums and keeps descriptions and CEL rules', () => {
    const route = crds.find((c) => c.kind === 'Route')!.crd;
    const schema = ((route['spec'] as Node)['versions'] as Node[])[0]!['schema'] as Node;
    const rules = (((schema['openAPIV3Schema'] as Node)['properties'] as Node)['spec'] as Node)[
      'properties'
    ] as Node;
    const rule = (rules['rules'] as Node)['items'] as Node;
    const match = ((rule['properties'] as Node)['matches'] as Node)['items'] as Node;
    const pathType = (((match['properties'] as Node)['path'] as Node)['properties'] as Node)['type'] as Node;
    expect(pathType).toEqual({
      type: 'string',
      enum: ['Exact', 'PathPrefix', 'RegularExpression'],
      description: 'How the path is compared (default PathPrefix).',
    });
    expect(rule['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ rule: expect.stringContaining('has(self.ai)') }),
    ]);
  });
});
