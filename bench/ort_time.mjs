// ort_time.mjs - times onnxruntime (onnxruntime-node, CPU, one intra-op and
// one inter-op thread, graph optimizations "all": what an onnxruntime user
// gets) on one ONNX model and one input, for the bench's Kiln/onnxruntime
// ratio.  Prints one JSON object: {"ns": [per-run nanoseconds], "version"}.
// The outputs of the first run are written as .npy when --out DIR is given,
// so the bench can check that both computed the same thing.
//
//   NODE_PATH=tools/ort/node_modules node bench/ort_time.mjs MODEL IN.npy --runs N --warmup W [--out DIR]
//
// Reads .npy float32 inputs only (the bench's models take float input).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

function readNpyF32(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const hlen = buf[6] === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = buf[6] === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${file}: not little-endian float32`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const body = buf.subarray(hstart + hlen);
  return new ort.Tensor('float32', new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), shape);
}

function writeNpyF32(file, t) {
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

async function main() {
  const a = process.argv.slice(2);
  const opt = { runs: 101, warmup: 3, out: null };
  const pos = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--runs') opt.runs = Number(a[++i]);
    else if (a[i] === '--warmup') opt.warmup = Number(a[++i]);
    else if (a[i] === '--out') opt.out = a[++i];
    else pos.push(a[i]);
  }
  if (pos.length !== 2 || !(opt.runs >= 1)) {
    console.error('usage: node ort_time.mjs MODEL IN.npy [--runs N] [--warmup W] [--out DIR]');
    process.exit(2);
  }
  const sess = await ort.InferenceSession.create(pos[0], {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  if (sess.inputNames.length !== 1) throw new Error(`${pos[0]}: ${sess.inputNames.length} inputs, the bench gives one`);
  const feeds = { [sess.inputNames[0]]: readNpyF32(pos[1]) };
  let out = null;
  for (let i = 0; i < opt.warmup; i++) out = await sess.run(feeds);
  const ns = [];
  for (let i = 0; i < opt.runs; i++) {
    const t0 = process.hrtime.bigint();
    const o = await sess.run(feeds);
    ns.push(Number(process.hrtime.bigint() - t0));
    out = out || o;
  }
  if (opt.out) {
    fs.mkdirSync(opt.out, { recursive: true });
    for (const n of sess.outputNames) writeNpyF32(path.join(opt.out, n.replace(/[^A-Za-z0-9_.-]/g, '_') + '.npy'), out[n]);
  }
  console.log(JSON.stringify({ ns, version: ort.env.versions.node || ort.env.versions.common }));
}

main().catch(e => { console.error(`ort_time: ${e.message}`); process.exit(1); });
