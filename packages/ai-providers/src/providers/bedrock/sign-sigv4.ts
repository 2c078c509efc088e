import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
 * as a pure function of credentials, region, service, time and request. Verified against the
 * AWS SigV4 test suite vectors (get-vanilla, post-vanilla) in sign-sigv4.test.ts.
 */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SigV4Request {
  readonly method: string;
  readonly url: string;
  /** Headers to sign besides host and x-amz-date (names are lower-cased). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

export interface SigV4Options {
  readonly credentials: SigV4Credentials;
  readonly region: string;
  readonly service: string;
  /** Signing time, epoch milliseconds. */
  readonly now: number;
}

/**
 * Returns the headers to add: `authorization`, `x-amz-date`, and `x-amz-security-token` for
 * temporary credentials. `host` is signed from the URL but not returned: HTTP clients derive it.
 */
export function signSigV4(request: SigV4Request, options: SigV4Options): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = new Date(options.now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const added: Record<string, string> = { 'x-amz-date': amzDate };
  if (options.credentials.sessionToken !== undefined)
    added['x-amz-security-token'] = options.credentials.sessionToken;

  const signed = new Map<string, string>();
  signed.set('host', url.host);
  for (const [name, value] of Object.entries(request.headers))
    signed.set(name.toLowerCase(), normalizeValue(value));
  for (const [name, value] of Object.entries(added)) signed.set(name, value);
  const names = [...signed.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${signed.get(n) as string}\n`).join('');
  const signedHeaders = names.join(';');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');

  const scope = `${date}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const kDate = hmac(`AWS4${options.credentials.secretAccessKey}`, date);
  const kRegion = hmac(kDate, options.region);
  const kService = hmac(kRegion, options.service);
  const kSigning = hmac(kService, 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  added['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

const SPACES = / +/g;

function normalizeValue(value: string): string {
  return value.trim().replace(SPACES, ' ');
}

/** RFC 3986 encoding: encodeURIComponent plus the reserved characters it leaves alone. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Every service but S3 signs the path encoded twice: the URL path is already encoded once
 * (a Bedrock model id `...-v1:0` is sent as `...-v1%3A0`), and each segment is encoded again.
 */
function canonicalPath(pathname: string): string {
  if (pathname === '' || pathname === '/') return '/';
  return pathname
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
}

function canonicalQuery(params: URLSearchParams): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of params) pairs.push([uriEncode(key), uriEncode(value)]);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}
