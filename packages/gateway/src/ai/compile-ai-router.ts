import { adapters, isProviderId, mergeCapabilities } from '@hubpo/ai-providers';
import type {
  ChatRequest,
  Credentials,
  EmbeddingsRequest,
  ProviderAdapter,
  TargetConfig,
} from '@hubpo/ai-providers';
import { errorMessage } from '@hubpo/core';
import type { AIModelConfig, AITargetConfig, ConsumerConfig, PolicyConfig } from '@hubpo/snapshot';
import type { RuntimeState, StateDraft } from '../runtime/runtime-state.js';
import type { UpstreamPool } from '../runtime/upstream-pool.js';
import { AIModelRuntime } from './ai-model-runtime.js';
import { AIPolicies } from './ai-policies.js';
import { AIRouter } from './ai-router.js';
import type { AIStateDraft } from './ai-state.js';
import { AITarget } from './ai-target.js';
import { PriceSchedule } from './price-schedule.js';
import { splitUrl } from './split-url.js';
import { credentialsFor, unsealCredential } from './unseal-credential.js';

export interface AIRouterInput {
  readonly models: readonly AIModelConfig[];
  readonly consumers: readonly ConsumerConfig[];
  /** Their `aiLogging` / `aiCredentials` parts apply to AI requests (see `AIPolicies`). */
  readonly policies?: readonly PolicyConfig[];
}

/** Reports a problem that makes the snapshot invalid (the program NACKs it). */
export type IssueSink = (path: string, message: string) => void;

const STRATEGIES: ReadonlySet<string> = new Set(['Fallback', 'Weighted', 'LeastLatency', 'LowestCost']);

/** A minimal request, built once per target at compile to learn the upstream origins. */
const PROBE_CHAT: ChatRequest = {
  model: 'probe',
  system: [],
  messages: [{ role: 'user', content: [{ kind: 'text', text: 'probe' }] }],
  tools: [],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
};
const PROBE_EMBEDDINGS: EmbeddingsRequest = {
  model: 'probe',
  input: ['probe'],
  encodingFormat: 'float',
  extensions: {},
};

/**
 * Compiles the AIModels of a snapshot into the `AIRouter` every AI rule of the runtime serves
 * from. Model-level errors (duplicate names, unknown strategy, duplicate target names) are
 * issues (the snapshot is refused). A target that cannot be used (unknown provider, credential
 * that does not open, configuration its adapter refuses) is left out with a warning and the
 * model serves from the others, as the translator does for a target whose Secret is missing.
 * Pools come from the runtime state (shared with proxy rules by origin); breakers and latency
 * averages from the AI state, by target id.
 */
export function compileAIRouter(
  input: AIRouterInput,
  state: RuntimeState,
  draft: StateDraft,
  aiDraft: AIStateDraft,
  issue: IssueSink,
): AIRouter {
  const compiler = new TargetCompiler(state, draft, aiDraft);
  const created = Math.floor(Date.now() / 1000);
  const models = new Map<string, AIModelRuntime>();
  for (const config of input.models) {
    const at = `/aimodel/${config.id}`;
    if (models.has(config.name)) {
      issue(`${at}/name`, `model name "${config.name}" is also AIModel ${models.get(config.name)!.id}'s`);
      continue;
    }
    if (!STRATEGIES.has(config.strategy)) issue(`${at}/strategy`, `unknown strategy "${config.strategy}"`);
    const names = new Set<string>();
    const targets: AITarget[] = [];
    config.targets.forEach((target, index) => {
      if (names.has(target.name)) {
        issue(`${at}/targets/${index}/name`, `duplicate target name "${target.name}"`);
        return;
      }
      names.add(target.name);
      const compiled = compiler.target(config, target, index);
      if (compiled !== null) targets.push(compiled);
    });
    models.set(
      config.name,
      new AIModelRuntime({
        id: config.id,
        name: config.name,
        strategy: config.strategy,
        targets,
        configuredTargets: config.targets.length,
        retryAttempts: Math.max(0, Math.floor(config.retry.attempts)),
        retryBackoffMs: Math.max(0, config.retry.backoffMs),
        requestMs: Math.max(0, config.timeouts.requestMs),
        firstTokenMs: Math.max(0, config.timeouts.firstTokenMs),
        contextWindow: config.limits.contextWindow,
        maxOutputTokens: config.limits.maxOutputTokens,
        policy: config.unsupportedFields === 'Drop' ? 'drop' : 'reject',
        created,
      }),
    );
  }
  const consumerModels = new Map<string, ReadonlySet<string> | null>();
  for (const consumer of input.consumers) {
    consumerModels.set(consumer.id, consumer.allowedModels === null ? null : new Set(consumer.allowedModels));
  }
  const policies = AIPolicies.compile(input.policies ?? [], state.ai.aiLog, issue);
  return new AIRouter(models, consumerModels, state.ai, state, policies);
}

class TargetCompiler {
  readonly #state: RuntimeState;
  readonly #draft: StateDraft;
  readonly #aiDraft: AIStateDraft;

  constructor(state: RuntimeState, draft: StateDraft, aiDraft: AIStateDraft) {
    this.#state = state;
    this.#draft = draft;
    this.#aiDraft = aiDraft;
  }

  target(model: AIModelConfig, target: AITargetConfig, index: number): AITarget | null {
    const id = `${model.id}/${target.name}`;
    const leaveOut = (reason: string): null => {
      this.#state.ai.warn('AI target left out', { model: model.id, target: target.name, reason });
      return null;
    };
    const providerId = target.provider === 'vertex-ai' ? 'gemini' : target.provider;
    if (!isProviderId(providerId)) return leaveOut(`unknown provider "${target.provider}"`);
    const adapter: ProviderAdapter = adapters[providerId];
    let config: TargetConfig;
    let credentials: Credentials;
    try {
      config = targetConfig(model, target, providerId);
      credentials = this.#credentials(target);
    } catch (err) {
      return leaveOut(errorMessage(err));
    }
    const capabilities = mergeCapabilities(adapter.capabilities, undefined);
    const local = providerId === 'mock' && config.endpoint === undefined;
    let pools: Map<string, UpstreamPool>;
    try {
      pools = local ? new Map() : this.#pools(adapter, config, credentials, capabilities.embeddings);
    } catch (err) {
      return leaveOut(`the ${providerId} adapter refuses the target: ${errorMessage(err)}`);
    }
    return new AITarget({
      id,
      name: target.name,
      provider: target.provider,
      modelName: model.name,
      adapter,
      config,
      credentials,
      capabilities,
      weight: Math.max(0, target.weight),
      priority: target.priority,
      index,
      prices: new PriceSchedule(target.pricing),
      state: this.#state.ai.target(this.#aiDraft, id),
      pools,
    });
  }

  #credentials(target: AITargetConfig): Credentials {
    if (target.credential === null) return { kind: 'none' };
    const key = this.#state.ai.dataplaneKey;
    if (key === null) throw new Error('the target has a credential and no HUBPO_DATAPLANE_KEY is set');
    return credentialsFor(target.provider, unsealCredential(target.credential, key));
  }

  /** Builds probe requests to learn the origins the target calls, and takes a pool for each. */
  #pools(
    adapter: ProviderAdapter,
    config: TargetConfig,
    credentials: Credentials,
    embeddings: boolean,
  ): Map<string, UpstreamPool> {
    const ctx = { credentials, requestId: 'probe', now: 0 };
    const urls = [adapter.buildRequest(PROBE_CHAT, config, ctx).url];
    if (embeddings && adapter.buildEmbeddingsRequest !== undefined) {
      try {
        urls.push(adapter.buildEmbeddingsRequest(PROBE_EMBEDDINGS, config, ctx).url);
      } catch {
        // The target serves chat only (e.g. a Bedrock model without an embeddings family).
      }
    }
    const pools = new Map<string, UpstreamPool>();
    for (const url of urls) {
      const { origin } = splitUrl(url);
      if (!origin.startsWith('http://') && !origin.startsWith('https://'))
        throw new Error(`"${origin}" is not an http(s) origin`);
      if (!pools.has(origin))
        pools.set(origin, this.#state.pool(this.#draft, origin, this.#state.ai.connectMs));
    }
    return pools;
  }
}

/** The adapter's view of a target. `vertex-ai` reads its project from the endpoint path. */
function targetConfig(model: AIModelConfig, target: AITargetConfig, providerId: string): TargetConfig {
  let endpoint = target.endpoint ?? undefined;
  let region = target.region ?? undefined;
  let project: string | undefined;
  if (target.provider === 'vertex-ai') {
    // The snapshot has no `project` field yet: Vertex targets name it in the endpoint,
    // `https://<host>/v1/projects/<project>/locations/<location>` (see docs/guides/ai-gateway.md).
    const match = /^(https?:\/\/[^/]+)\/v1\/projects\/([^/]+)(?:\/locations\/([^/]+))?\/?$/.exec(
      endpoint ?? '',
    );
    if (match === null)
      throw new Error(
        'vertex-ai targets need endpoint https://<host>/v1/projects/<project>[/locations/<location>]',
      );
    endpoint = match[1]!;
    project = decodeURIComponent(match[2]!);
    if (match[3] !== undefined) region ??= decodeURIComponent(match[3]);
  }
  const maxOutput = model.limits.maxOutputTokens;
  return {
    provider: providerId as TargetConfig['provider'],
    model: target.model,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(target.apiVersion === null ? {} : { apiVersion: target.apiVersion }),
    ...(region === undefined ? {} : { region }),
    ...(project === undefined ? {} : { project }),
    ...(maxOutput === null ? {} : { defaultMaxTokens: maxOutput }),
  };
}
