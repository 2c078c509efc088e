import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { KubeStatusError } from './kube-status.js';

/** The real API server's request body limit (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads a body; past `limit` bytes the rest is drained and the request fails with 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= limit) chunks.push(buffer);
  }
  if (size > limit) throw KubeStatusError.tooLarge(limit);
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** JSON, or YAML for `*yaml` media types (YAML 1.2 also reads JSON). */
export function parseDocument(body: Buffer, type: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw KubeStatusError.badRequest('the request body is empty');
  try {
    return type.endsWith('yaml') ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw KubeStatusError.badRequest(
      `the request body could not be decoded: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
