import { getFreePort } from '../process/get-free-port.js';

/**
 * `http://127.0.0.1:<port>` where nobody listens, so a connection attempt is refused at once
 * (ECONNREFUSED): an upstream that is down. The port was free a moment ago; another process could
 * bind it meanwhile, so use the URL right away.
 */
export async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await getFreePort()}`;
}
