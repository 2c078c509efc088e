import { get } from 'node:http';

export interface HttpGetResult {
  readonly status: number;
  readonly body: string;
}

/** One GET without keep-alive (so no socket outlives the call); rejects on error or timeout. */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpGetResult> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
