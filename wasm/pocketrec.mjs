// pocketrec in the browser and in Node: the runtime compiled to WebAssembly
// (scripts/build_wasm.sh), answering the same JSON API as `pocketrec serve` without a server.
//
//   import { loadModel } from "./pocketrec.mjs";
//   const model = await loadModel(bytesOfTflite, { catalog: textOfSortedMovieVocabJson });
//   model.recommend({ history: ["1", "2"], k: 10, blocked: ["3"] });  // { items: [...], ... }
//   model.similar("1", 5); model.items({ query: "star", limit: 20 }); model.item("1");
//   model.info();  // what GET /v1/model says
//   model.request("GET", "/v1/items?query=toy");  // any route: { status, body }
//   model.recommendIds(["1", "2"], 10);  // the direct path: [{ id, score }], no JSON, no titles
//   model.close();
import createPocketrec from "./pocketrec_runtime.mjs";

let runtime = null;

// In Node the module's bytes are read here (the generated loader fetches them in browsers only).
async function moduleOptions() {
  if (typeof process !== "object" || !process.versions || !process.versions.node) return {};
  const { readFile } = await import("node:fs/promises");
  return { wasmBinary: await readFile(new URL("./pocketrec_runtime.wasm", import.meta.url)) };
}

async function instance() {
  if (!runtime) runtime = moduleOptions().then((options) => createPocketrec(options));
  return runtime;
}

function withString(m, text, use) {
  const size = m.lengthBytesUTF8(text) + 1;
  const pointer = m._malloc(size);
  try {
    m.stringToUTF8(text, pointer, size);
    return use(pointer);
  } finally {
    m._free(pointer);
  }
}

function withBytes(m, bytes, use) {
  const pointer = m._malloc(Math.max(1, bytes.length));
  try {
    m.HEAPU8.set(bytes, pointer);
    return use(pointer);
  } finally {
    m._free(pointer);
  }
}

export class PocketrecError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

class Model {
  constructor(m, handle) {
    this.m = m;
    this.handle = handle;
  }

  // Any route of the API: the reply's status and parsed JSON body.
  request(method, target, body = "") {
    if (!this.handle) throw new PocketrecError(0, "the model was closed");
    const m = this.m;
    const text = withString(m, method, (pm) =>
      withString(m, target, (pt) =>
        withString(m, typeof body === "string" ? body : JSON.stringify(body), (pb) =>
          m.UTF8ToString(m._pw_handle(this.handle, pm, pt, pb)))));
    return { status: m._pw_status(), body: JSON.parse(text) };
  }

  // The body of a successful reply; a PocketrecError with the API's message otherwise.
  call(method, target, body) {
    const reply = this.request(method, target, body);
    if (reply.status !== 200) {
      const message = reply.body && reply.body.error ? reply.body.error.message : "failed";
      throw new PocketrecError(reply.status, message);
    }
    return reply.body;
  }

  recommend(request) { return this.call("POST", "/v1/recommend", request); }
  similar(id, k = 10) {
    return this.call("GET", `/v1/items/${encodeURIComponent(id)}/similar?k=${k}`);
  }
  items({ query = "", limit = 20, offset = 0 } = {}) {
    const q = encodeURIComponent(query);
    return this.call("GET", `/v1/items?query=${q}&limit=${limit}&offset=${offset}`);
  }
  item(id) { return this.call("GET", `/v1/items/${encodeURIComponent(id)}`); }
  info() { return this.call("GET", "/v1/model"); }

  // The direct path for queries in a loop: catalog ids in (unknown ones skipped), the best k as
  // [{ id, score }] out, with the history excluded unless excludeSeen is false.
  recommendIds(history, k = 10, excludeSeen = true) {
    const m = this.m;
    if (!this.ids) {
      this.ids = [];
      this.index = new Map();
      const n = m._pw_item_count(this.handle);
      for (let i = 0; i < n; ++i) {
        const id = m.UTF8ToString(m._pw_item_id(this.handle, i));
        this.ids.push(id);
        this.index.set(id, i);
      }
    }
    if (!this.buffer || this.capacity < Math.max(history.length, k)) {
      if (this.buffer) m._free(this.buffer);
      this.capacity = Math.max(256, history.length, k);
      this.buffer = m._malloc(this.capacity * 12);  // history, result indices, scores
    }
    let n = 0;
    const base = this.buffer >> 2;
    for (const id of history) {
      const index = this.index.get(String(id));
      if (index !== undefined) m.HEAPU32[base + n++] = index;
    }
    const items = this.buffer + this.capacity * 4, scores = this.buffer + this.capacity * 8;
    const count = m._pw_recommend_indices(this.handle, this.buffer, n, k, excludeSeen ? 1 : 0,
                                          items, scores);
    if (count < 0) throw new PocketrecError(0, m.UTF8ToString(m._pw_error()));
    const out = new Array(count);
    for (let i = 0; i < count; ++i) {
      out[i] = { id: this.ids[m.HEAPU32[(items >> 2) + i]], score: m.HEAPF32[(scores >> 2) + i] };
    }
    return out;
  }

  close() {
    if (this.buffer) this.m._free(this.buffer);
    this.buffer = 0;
    if (this.handle) this.m._pw_close(this.handle);
    this.handle = 0;
  }
}

// bytes: the .tflite file (Uint8Array or ArrayBuffer); options.catalog: the text of a
// sorted_movie_vocab.json for models without pocketrec's metadata; options.name names the model
// in errors and in info().
export async function loadModel(bytes, options = {}) {
  const m = await instance();
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const name = options.name || "model.tflite";
  const catalog = options.catalog || "";
  const handle = withBytes(m, data, (pd) => withString(m, name, (pn) =>
    withString(m, catalog, (pc) =>
      m._pw_open(pd, data.length, pn, pc, m.lengthBytesUTF8(catalog)))));
  if (!handle) throw new PocketrecError(0, m.UTF8ToString(m._pw_error()));
  return new Model(m, handle);
}
