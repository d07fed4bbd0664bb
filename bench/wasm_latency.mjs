// Query latency in Node: pocketrec's WebAssembly runtime (build-wasm/pocketrec.mjs: recommendIds,
// the direct path, and recommend, the JSON API with titles and genres) against LiteRT.js (@litertjs/core, the official runtime's
// WASM build with XNNPACK) running the same .tflite, on the same histories. Run by
// bench/wasm_latency.sh from the LiteRT cache folder (its node_modules).
//   node wasm_latency.mjs WASM_DIR MODEL.tflite [CATALOG.json] [QUERIES]
import fs from "fs";
import vm from "vm";
import path from "path";
import { createRequire } from "module";
import { pathToFileURL } from "url";

const [wasmDir, modelPath, catalogPath, queries = "2000"] = process.argv.slice(2);
const bytes = new Uint8Array(fs.readFileSync(modelPath));
const catalog = catalogPath ? fs.readFileSync(catalogPath, "utf8") : "";
const { loadModel } = await import(pathToFileURL(path.resolve(wasmDir, "pocketrec.mjs")).href);
const ours = await loadModel(bytes, { catalog, name: path.basename(modelPath) });
const info = ours.info();

// LiteRT.js loads as a browser worker would (as ../shared/tools/litert/run.mjs does it).
const WASM_DIR = path.resolve("node_modules/@litertjs/core/wasm");
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = WASM_DIR;
globalThis.__filename = WASM_DIR + "/x.js";
globalThis.self = globalThis;
globalThis.navigator = {};
globalThis.importScripts = (url) => {
  const p = url.startsWith("file://") ? new URL(url).pathname : url;
  globalThis.Module = { wasmBinary: fs.readFileSync(p.replace(/\.js$/, ".wasm")),
                        locateFile: (f) => path.join(WASM_DIR, f) };
  vm.runInThisContext(fs.readFileSync(p, "utf8"), { filename: p });
};
const { loadLiteRt, loadAndCompile, Tensor } = await import("@litertjs/core");
await loadLiteRt("file://" + WASM_DIR + "/");
const theirs = await loadAndCompile(bytes, { accelerator: "wasm" });
const input = theirs.getInputDetails()[0];
const length = Object.values(input.shape).reduce((a, b) => a * b, 1);

// Histories of catalog ids (the graph's own ids: numeric for the starters and pocketrec exports).
const ids = [];
for (let offset = 0; ; offset += 1000) {
  const { items } = ours.items({ limit: 1000, offset });
  ids.push(...items.map((item) => item.id));
  if (items.length < 1000) break;
}
let seed = 7;
const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const histories = Array.from({ length: 200 }, () =>
  Array.from({ length: Math.min(length, 10) }, () => ids[random(ids.length)]));

const percentile = (times, p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
// Each query timed alone; only an asynchronous API (LiteRT.js's run) is awaited.
async function time(run) {
  for (let i = 0; i < 200; ++i) {  // warm-up
    const pending = run(histories[i % histories.length]);
    if (pending instanceof Promise) await pending;
  }
  const times = [];
  for (let i = 0; i < Number(queries); ++i) {
    const started = process.hrtime.bigint();
    const pending = run(histories[i % histories.length]);
    if (pending instanceof Promise) await pending;
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p90: percentile(times, 0.9), p99: percentile(times, 0.99) };
}
const pocketrec = await time((history) => ours.recommendIds(history, 10));
const pocketrecJson = await time((history) => ours.recommend({ history, k: 10 }));
const litert = await time(async (history) => {
  const data = new Int32Array(length);  // newest last, zero padding first, as the app feeds it
  history.forEach((id, i) => { data[length - history.length + i] = Number(id); });
  const tensor = new Tensor(data, Object.values(input.shape));
  const out = await theirs.run([tensor]);
  out.forEach((t) => { t.toTypedArray(); t.delete(); });
  tensor.delete();
});
const round = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, +v.toFixed(1)]));
console.log(JSON.stringify({
  model: path.basename(modelPath), items: info.items, context_length: length,
  queries: Number(queries), pocketrec_wasm_us: round(pocketrec),
  pocketrec_wasm_json_api_us: round(pocketrecJson), litert_js_us: round(litert),
  speedup_p50: +(litert.p50 / pocketrec.p50).toFixed(1),
}));
ours.close();
