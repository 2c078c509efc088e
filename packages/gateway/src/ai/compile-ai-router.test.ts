import type { AIModelConfig, AITargetConfig } from '@hubpo/snapshot';
import { RuntimeState, StateDraft } from '../runtime/runtime-state.js';
import { AIStateDraft } from './ai-state.js';
import { compileAIRouter } from './compile-ai-router.js';

function target(name: string, provider: string, overrides: Partial<AITargetConfig> = {}): AITargetConfig {
  return {
    name,
    provider,
    model: 'm',
    endpoint: null,
    region: null,
    apiVersion: null,
    weight: 1,
    priority: 0,
    pricing: [],
    credential: null,
    ...overrides,
  };
}

function model(
  name: string,
  targets: AITargetConfig[],
  overrides: Partial<AIModelConfig> = {},
): AIModelConfig {
  return {
    kind: 'aimodel',
    id: `ns/${name}`,
    generation: 1,
    name,
    strategy: 'Fallback',
    targets,
    retry: { attempts: 1, backoffMs: 10 },
    timeouts: { requestMs: 1000, firstTokenMs: 500 },
    limits: { contextWindow: null, maxOutputTokens: 256 },
    unsupportedFields: 'Drop',
    ...overrides,
  };
}

function compile(models: AIModelConfig[]) {
  const warnings: string[] = [];
  const issues: string[] = [];
  const state = new RuntimeState({
    ai: { warn: (m, f) => warnings.push(`${m}: ${f['target']}: ${f['reason']}`) },
  });
  const aiDraft = new AIStateDraft();
  const router = compileAIRouter(
    {
      models,
      consumers: [
        {
          kind: 'consumer',
          id: 'ns/a',
          generation: 1,
          apiKeys: [],
          allowedModels: ['chat'],
          allowedRoutes: null,
        },
      ],
    },
    state,
    new StateDraft(),
    aiDraft,
    (path, message) => issues.push(`${path}: ${message}`),
  );
  return { router, warnings, issues, state, aiDraft };
}

describe('compileAIRouter', () => {
  it('compiles models and targets: adapter config, limits, policy; pools only for network targets', () => {
    const { router, warnings, issues } = compile([
      model('chat', [
        target('local', 'mock'),
        target('openai', 'openai', { priority: 1 }),
        target('vertex', 'vertex-ai', {
          endpoint: 'https://europe-west4-aiplatform.googleapis.com/v1/projects/acme/locations/europe-west4',
          priority: 2,
        }),
      ]),
    ]);
    expect(issues).toEqual([]);
    expect(warnings).toEqual([]);
    const chat = router.models.get('chat')!;
    expect(chat).toMatchObject({ policy: 'drop', maxOutputTokens: 256, retryAttempts: 1 });
    const [local, openai, vertex] = chat.byPriority;
    expect(local!.local).toBe(true);
    expect(local!.pools.size).toBe(0);
    expect(openai!.config).toMatchObject({ provider: 'openai', model: 'm', defaultMaxTokens: 256 });
    expect([...openai!.pools.keys()]).toEqual(['https://api.openai.com']);
    expect(vertex!.config).toMatchObject({
      provider: 'gemini',
      project: 'acme',
      region: 'europe-west4',
      endpoint: 'https://europe-west4-aiplatform.googleapis.com',
    });
    expect(vertex!.id).toBe('ns/chat/vertex');
  });

  it('leaves out unusable targets with a warning, and keeps serving the model', () => {
    const { router, warnings } = compile([
      model('chat', [
        target('ok', 'mock'),
        target('alien', 'watsonx'),
        target('no-key', 'openai', { credential: 'c2VhbGVk' }),
        target('vertex-no-project', 'vertex-ai'),
        target('azure-no-endpoint', 'azure-openai'),
      ]),
    ]);
    expect(router.models.get('chat')!.targets.map((t) => t.name)).toEqual(['ok']);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toMatch(/alien: unknown provider "watsonx"/);
    expect(warnings.join('\n')).toMatch(/no-key: .*HUBPO_DATAPLANE_KEY/);
    expect(warnings.join('\n')).toMatch(/vertex-no-project: vertex-ai targets need endpoint/);
    expect(warnings.join('\n')).toMatch(/azure-no-endpoint: the azure-openai adapter refuses the target/);
  });

  it('refuses duplicate model names, duplicate target names and unknown strategies', () => {
    const { issues } = compile([
      model('chat', [target('a', 'mock'), target('a', 'mock')]),
      model('chat', [target('b', 'mock')], { id: 'ns/other' }),
      model('odd', [target('c', 'mock')], { strategy: 'Random' as never }),
    ]);
    expect(issues).toEqual([
      '/aimodel/ns/chat/targets/1/name: duplicate target name "a"',
      '/aimodel/ns/other/name: model name "chat" is also AIModel ns/chat\'s',
      '/aimodel/ns/odd/strategy: unknown strategy "Random"',
    ]);
  });

  it('who may use what: the rule list, then the consumer allowance; anonymous callers only the rule', () => {
    const { router } = compile([model('chat', [target('a', 'mock')]), model('other', [target('b', 'mock')])]);
    expect(router.mayUse(null, 'ns/a', 'chat')).toBe(true);
    expect(router.mayUse(null, 'ns/a', 'other')).toBe(false);
    expect(router.mayUse(new Set(['other']), null, 'chat')).toBe(false);
    expect(router.mayUse(null, null, 'other')).toBe(true);
    expect(router.usable(null, 'ns/a').map((m) => m.name)).toEqual(['chat']);
  });

  it('carries target state across compiles by id, and drops it when the target leaves', () => {
    const state = new RuntimeState();
    const once = (targets: AITargetConfig[]) => {
      const draft = new AIStateDraft();
      compileAIRouter(
        { models: [model('chat', targets)], consumers: [] },
        state,
        new StateDraft(),
        draft,
        () => {},
      );
      state.ai.commit(draft);
    };
    once([target('a', 'mock'), target('b', 'mock')]);
    const before = state.ai.targetState('ns/chat/a')!;
    before.breaker.failure(0);
    once([target('a', 'mock')]);
    expect(state.ai.targetState('ns/chat/a')).toBe(before);
    expect(state.ai.targetIds).toEqual(['ns/chat/a']);
  });
});
