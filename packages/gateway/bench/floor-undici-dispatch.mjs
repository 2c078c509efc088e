// Floor variant: undici Pool.dispatch with a handler object, the layer under request/stream.
// `--controller` uses undici 7's new handler API (onRequestStart/onResponseStart...), which
// undici adapts to its native callbacks by parsing every response's headers into an object.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { benchOptions, measure } from './bench-kit.mjs';

const options = benchOptions();
const controller = process.argv.includes('--controller');

class Legacy {
  constructor(res) {
    this.res = res;
    this.resume = null;
  }
  onConnect() {}
  onHeaders(status, raw, resume) {
    const headers = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      if (name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding')
        headers.push(name, raw[i + 1].toString('latin1'));
    }
    this.res.writeHead(status, headers);
    this.resume = resume;
    return true;
  }
  onData(chunk) {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume);
    return false;
  }
  onComplete() {
    this.res.end();
  }
  onError() {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

class Modern {
  constructor(res) {
    this.res = res;
  }
  onRequestStart() {}
  onResponseStart(ctl, status, headers) {
    delete headers.connection;
    delete headers['keep-alive'];
    delete headers['transfer-encoding'];
    this.res.writeHead(status, headers);
  }
  onResponseData(ctl, chunk) {
    if (!this.res.write(chunk)) {
      ctl.pause();
      this.res.once('drain', () => ctl.resume());
    }
  }
  onResponseEnd() {
    this.res.end();
  }
  onResponseError() {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

if (options.serve) {
  process.once('SIGTERM', () => process.exit(0));
  const pool = new Pool(options.upstream);
  const Handler = controller ? Modern : Legacy;
  createServer((req, res) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
    pool.dispatch({ path: req.url, method: req.method, headers: req.headers, body }, new Handler(res));
  }).listen(Number(options.port), '127.0.0.1');
} else {
  const file = fileURLToPath(import.meta.url);
  await measure(
    [
      { name: 'floor: undici dispatch (native cb)', file },
      { name: 'floor: undici dispatch (controller)', file, args: ['--controller'] },
    ],
    options,
  );
}
