import { RuntimeState, compileRuntime } from './src/runtime/index.ts';
import { exact, prefix, proxyRule, route } from './src/runtime/testdata/config-factories.ts';
const routes = [];
for (const i of [3, 9999]) routes.push(route(`ns/route-${i}`, [proxyRule(['http://127.0.0.1:1'], { matches: [exact(`/r/${i}/exact`), prefix(`/r/${i}/tree`)] })], { hostnames: [`svc-${i}.example.com`] }));
const rt: any = compileRuntime({ revision: 1, objects: routes }, new RuntimeState());
const input = { method: 'GET', headers: {}, queryParam: () => null };
for (const [h, p] of [['svc-9999.example.com', '/r/9999/exact'], ['svc-3.example.com', '/r/3/exact'], ['svc-3.example.com', '/r/3/tree']]) console.log(h, p, rt.table.match(h, p, input)?.target.routeId);
