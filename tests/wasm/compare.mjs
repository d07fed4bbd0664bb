// The WebAssembly runtime against the native one: the same model loaded in the page's runtime
// (build-wasm/pocketrec.mjs) and in `pocketrec serve`, asked the same requests (recommend with
// random histories, filters, similar items, catalog search); ids must be equal and scores within
// float rounding. Prints a JSON summary; exit status 1 on the first difference.
//   node compare.mjs WASM_DIR MODEL.tflite SERVER_URL [CATALOG.json] [HISTORIES]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [wasmDir, modelPath, server, catalogPath, count = "300"] = process.argv.slice(2);
const { loadModel } = await import(pathToFileURL(path.resolve(wasmDir, "pocketrec.mjs")).href);
const catalog = catalogPath ? readFileSync(catalogPath, "utf8") : "";
const model = await loadModel(readFileSync(modelPath), { catalog, name: path.basename(modelPath) });

let seed = 12345;
const random = (n) => {  // deterministic: the same histories on every run
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const fail = (message) => {
  console.error(`FAIL: ${message}`);
  process.exit(1);
};
async function native(method, target, body) {
  const response = await fetch(server + target, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
  });
  return { status: response.status, body: await response.json() };
}
function same(what, a, b) {
  if (a.status !== b.status) fail(`${what}: status ${a.status} (wasm) vs ${b.status} (native)`);
  const x = a.body.items || [], y = b.body.items || [];
  if (x.length !== y.length) fail(`${what}: ${x.length} vs ${y.length} items`);
  for (let i = 0; i < x.length; ++i) {
    if (x[i].id !== y[i].id) fail(`${what}: rank ${i} is ${x[i].id} (wasm) vs ${y[i].id}`);
    const tolerance = 1e-4 * Math.max(1, Math.abs(y[i].score));
    if (Math.abs(x[i].score - y[i].score) > tolerance)
      fail(`${what}: score ${x[i].score} vs ${y[i].score}`);
    const why = (item) => JSON.stringify((item.because || []).map((b) => b.id));
    if (why(x[i]) !== why(y[i])) fail(`${what}: because ${why(x[i])} vs ${why(y[i])}`);
  }
  return x.length;
}

const ids = [];
for (let offset = 0; ; offset += 1000) {
  const { items } = model.items({ limit: 1000, offset });
  ids.push(...items.map((item) => item.id));
  if (items.length < 1000) break;
}
const info = model.info(), nativeInfo = (await native("GET", "/v1/model")).body;
if (info.items !== nativeInfo.items || info.encoder !== nativeInfo.encoder)
  fail(`model info differs: ${JSON.stringify(info)} vs ${JSON.stringify(nativeInfo)}`);
let compared = 0;
for (let q = 0; q < Number(count); ++q) {
  const history = Array.from({ length: 1 + random(15) }, () => ids[random(ids.length)]);
  const request = { history, k: 10 };
  if (q % 5 === 1) request.blocked = ids.slice(0, 20);
  if (q % 7 === 2) request.allowed = ids.filter((_, i) => i % 3 === 0);
  if (q % 11 === 3) request.exclude_seen = false;
  if (q % 3 === 0) request.explain = true;
  compared += same(`recommend ${JSON.stringify(request).slice(0, 80)}`,
                   model.request("POST", "/v1/recommend", request),
                   await native("POST", "/v1/recommend", request));
}
// The direct path (recommendIds) gives the JSON API's ranking.
for (let q = 0; q < 50; ++q) {
  const history = Array.from({ length: 1 + random(15) }, () => ids[random(ids.length)]);
  const direct = model.recommendIds(history, 10);
  const reply = await native("POST", "/v1/recommend", { history, k: 10 });
  compared += same(`recommendIds ${history.slice(0, 5)}`, { status: 200, body: { items: direct } },
                   { status: reply.status, body: { items: reply.body.items.map(
                     ({ id, score }) => ({ id, score })) } });
}
for (let q = 0; q < 20; ++q) {
  const target = `/v1/items/${encodeURIComponent(ids[random(ids.length)])}/similar?k=5`;
  compared += same(target, model.request("GET", target), await native("GET", target));
}
for (const target of ["/v1/items?query=the&limit=7", "/v1/items/none-such", "/v1/nowhere"]) {
  same(target, model.request("GET", target), await native("GET", target));
}
console.log(JSON.stringify({ model: path.basename(modelPath), items: ids.length,
                             encoder: info.encoder, histories: Number(count), compared }));
model.close();
