import { errorFromReply, renderAIError } from './render-ai-error.js';
import type { HeaderModifier } from '../runtime/header-modifier.js';
import { AIExchange } from './ai-exchange.js';
import type { AIExchangeContext, AIRuleView } from './ai-exchange.js';
import { AIEndpoint, formatOf } from './ai-endpoint.js';
import type { AIRouter } from './ai-router.js';

/**
 * A Route rule whose action is `ai`, compiled: the router of the runtime it belongs to, the
 * AIModel names it serves (null: all) and its response header modifier. The runtime hands it
 * requests after matching and admission (key auth, rate limits), with the path relative to the
 * rule's match: PathPrefix `/llm` serves `/llm/v1/chat/completions` as `/v1/chat/completions`.
 */
export class AIRule implements AIRuleView {
  readonly router: AIRouter;
  readonly routeId: string;
  readonly models: ReadonlySet<string> | null;
  readonly responseHeaders: HeaderModifier | null;

  constructor(
    router: AIRouter,
    routeId: string,
    models: readonly string[] | null,
    responseHeaders: HeaderModifier | null,
  ) {
    this.router = router;
    this.routeId = routeId;
    this.models = models === null ? null : new Set(models);
    this.responseHeaders = responseHeaders;
  }

  /**
   * Serves one request. `prefix` is the matched PathPrefix (without trailing slash; '' for "/"),
   * or null for Exact and RegularExpression matches, whose whole path names the endpoint.
   */
  serve(ctx: AIExchangeContext, path: string, prefix: string | null): void {
    new AIExchange(this, ctx, relativePath(path, prefix)).start();
  }

  /**
   * Writes an error the runtime decided before the AI handler (401 missing or invalid key, 403
   * route not allowed, 429 rate limited) in the client's API shape, keeping the runtime's status
   * and extra headers (WWW-Authenticate, Retry-After, RateLimit-*). The format follows the path
   * (`.../messages` is Anthropic's) or the client's `anthropic-version` header.
   */
  sendRuntimeError(
    ctx: { readonly req: AIExchangeContext['req']; readonly res: AIExchangeContext['res'] },
    reply: { readonly code: string; readonly message: string; readonly status: number },
    requestId: string,
    extra: readonly string[] | null,
  ): void {
    const res = ctx.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const url = ctx.req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const anthropicPath = path.endsWith('/messages') || path.endsWith('/messages/count_tokens');
    const format = formatOf(anthropicPath ? AIEndpoint.Messages : null, ctx.req.headers['anthropic-version']);
    const rendered = renderAIError(format, errorFromReply(reply), requestId);
    const headers = [
      'content-type',
      'application/json',
      'content-length',
      String(Buffer.byteLength(rendered.body)),
      'cache-control',
      'no-store',
      'x-request-id',
      requestId,
    ];
    if (extra !== null) for (const value of extra) headers.push(value);
    if (!ctx.req.complete) headers.push('connection', 'close');
    res.writeHead(reply.status, headers);
    res.end(ctx.req.method === 'HEAD' ? undefined : rendered.body);
  }
}

function relativePath(path: string, prefix: string | null): string {
  if (prefix === null || prefix === '') return path;
  const rest = path.slice(prefix.length);
  return rest === '' ? '/' : rest;
}
