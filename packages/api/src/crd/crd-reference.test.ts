import { Type } from '@sinclair/typebox';
import { Name, resourceSchema } from '../common.js';
import { KINDS, KIND_NAMES } from '../kind-registry.js';
import type { KindInfo } from '../kind-registry.js';
import { generateCrd, generateCrds } from './crd-generator.js';
import { generateCrdReference } from './crd-reference.js';
import { STATUS_CONDITIONS } from './status-conditions.js';

type Node = Record<string, unknown>;

/** Every property path under a schema node (`spec.a`, `spec.list[].b`, `spec.map.<key>.c`). */
function propertyPaths(node: Node, path: string): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries((node['properties'] ?? {}) as Record<string, Node>)) {
    out.push(`${path}.${name}`, ...propertyPaths(child, `${path}.${name}`));
  }
  const items = node['items'] as Node | undefined;
  if (items !== undefined) out.push(...propertyPaths(items, `${path}[]`));
  const values = node['additionalProperties'];
  if (typeof values === 'object' && values !== null)
    out.push(...propertyPaths(values as Node, `${path}.<key>`));
  return out;
}

/** The cells of the table row documenting `field`, or undefined. */
function rowOf(page: string, field: string): string[] | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`| \`${field}\` |`));
  return line
    ?.slice(2, -2)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function pageOf(pages: readonly { path: string; content: string }[], path: string): string {
  const page = pages.find((p) => p.path === path);
  if (page === undefined) throw new Error(`no page ${path}`);
  return page.content;
}

const Gadget = resourceSchema(
  'Gadget',
  Type.Object(
    {
      size: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'How big.' }),
      mode: Type.Optional(
        Type.Union([Type.Literal('Fast'), Type.Literal('Safe')], { description: 'Speed or care.' }),
      ),
      endpoint: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
      pattern: Type.Optional(Type.String({ pattern: '^(a|b)$', description: 'Either a | b.' })),
      owners: Type.Array(Name, { minItems: 1, maxItems: 4 }),
      parts: Type.Optional(
        Type.Array(Type.Object({ id: Name, weight: Type.Optional(Type.Number({ minimum: 0 })) }), {
          'x-kubernetes-validations': [{ rule: 'self.id != "x"', message: 'no x' }],
        }),
      ),
      labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    },
    { additionalProperties: false },
  ),
  'A test kind.',
);

const gadgetInfo = {
  kind: 'Gadget',
  plural: 'gadgets',
  singular: 'gadget',
  shortNames: ['gd'],
  schema: Gadget,
  semanticCheck: () => [],
  printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size', priority: 1 }],
} as unknown as KindInfo;

describe('generateCrdReference', () => {
  const pages = generateCrdReference();

  it('writes an index and one page per kind', () => {
    expect(pages.map((p) => p.path)).toEqual([
      'README.md',
      ...KIND_NAMES.map((k) => `${k.toLowerCase()}.md`),
    ]);
    const index = pageOf(pages, 'README.md');
    for (const kind of KIND_NAMES) {
      expect(index).toContain(`[${kind}](${kind.toLowerCase()}.md)`);
      for (const short of KINDS[kind].shortNames) expect(index).toContain(`\`${short}\``);
    }
  });

  it('documents every spec and status field of every CRD, so new schema fields appear on the next run', () => {
    for (const { kind, crd } of generateCrds()) {
      const page = pageOf(pages, `${kind.toLowerCase()}.md`);
      const version = ((crd['spec'] as Node)['versions'] as Node[])[0]!;
      const root = (version['schema'] as Node)['openAPIV3Schema'] as Node;
      const props = root['properties'] as Record<string, Node>;
      for (const part of ['spec', 'status']) {
        for (const field of propertyPaths(props[part]!, part)) {
          if (field.endsWith('[]')) continue;
          expect({ kind, field, documented: rowOf(page, field) !== undefined }).toEqual({
            kind,
            field,
            documented: true,
          });
        }
      }
    }
  });

  it('renders names, printer columns, types, required, defaults, enums, ranges, formats and CEL rules', () => {
    const [, page] = generateCrdReference({ crds: [{ kind: 'Gadget', crd: generateCrd(gadgetInfo) }] });
    const text = page!.content;
    expect(page!.path).toBe('gadget.md');
    expect(text).toContain('| API version | `hubpo.io/v1alpha1` |');
    expect(text).toContain('| Short names | `gd` |');
    expect(text).toContain('| Size | `integer` | `.spec.size` | with `-o wide` |');
    expect(rowOf(text, 'spec.size')).toEqual([
      '`spec.size`',
      'integer',
      'yes',
      '`8`',
      '≥ 1, ≤ 64',
      'How big.',
    ]);
    expect(rowOf(text, 'spec.mode')).toEqual([
      '`spec.mode`',
      'string',
      'no',
      '',
      'one of `Fast`, `Safe`',
      'Speed or care.',
    ]);
    expect(rowOf(text, 'spec.endpoint')?.slice(1, 5)).toEqual(['string (uri)', 'no', '', 'length ≤ 2048']);
    expect(rowOf(text, 'spec.pattern')?.slice(4)).toEqual(['pattern `^(a\\|b)$`', 'Either a \\| b.']);
    expect(rowOf(text, 'spec.owners')?.slice(1, 5)).toEqual([
      '[]string',
      'yes',
      '',
      expect.stringMatching(/^items 1–4; each: length 1–253, pattern `/),
    ]);
    expect(rowOf(text, 'spec.parts[].id')?.slice(1, 3)).toEqual(['string', 'yes']);
    expect(rowOf(text, 'spec.parts[].weight')?.slice(1, 5)).toEqual(['number', 'no', '', '≥ 0']);
    expect(rowOf(text, 'spec.labels')?.[1]).toBe('map[string]string');
    expect(text).toContain('| `spec.parts` | `self.id != "x"` | no x |');
  });

  it('keeps every table row to its header width, whatever pipes the patterns hold', () => {
    for (const { path, content } of pages) {
      let width = 0;
      for (const line of content.split('\n')) {
        if (!line.startsWith('|')) {
          width = 0;
          continue;
        }
        const cells = line.split(/(?<!\\)\|/).length;
        if (width === 0) width = cells;
        expect({ path, line, cells }).toEqual({ path, line, cells: width });
      }
    }
  });

  it('lists every status condition with each of its reasons', () => {
    const index = pageOf(pages, 'README.md');
    for (const condition of STATUS_CONDITIONS) {
      expect(index).toContain(`### ${condition.type}`);
      for (const r of condition.reasons) expect(index).toContain(`| \`${r.status}\` | \`${r.reason}\` |`);
    }
  });

  it('refuses to generate when a reason the programs can write is not documented', () => {
    expect(() => generateCrdReference({ requiredReasons: ['Accepted', 'BrandNewReason'] })).toThrow(
      /BrandNewReason.*status-conditions\.ts/,
    );
    expect(() => generateCrdReference({ requiredReasons: ['SecretNotFound', 'NoGateways'] })).not.toThrow();
  });
});
