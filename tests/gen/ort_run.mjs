// ort_run.mjs - runs an ONNX model with onnxruntime (onnxruntime-node) on
// .npy inputs and writes each output as .npy: the independent reference for
// Kiln's quantized-ONNX tests (tests/models/gen_qdq_*.py call it at
// generation time; the tests themselves read the committed .npy files and
// never need node).
//
//   NODE_PATH=/path/to/node_modules node tests/gen/ort_run.mjs MODEL OUTDIR SUFFIX IN.npy... \
//       [--opt all|disabled] [--config key=value]... [--save-optimized FILE]
//
// Writes OUTDIR/<output name>_<SUFFIX>.npy for every graph output (the name
// made file-safe).  --opt picks the graph optimization level ("all", the
// default, is what an onnxruntime user gets: QDQ groups fused into QLinear*
// kernels; "disabled" runs every node as written, in float).  --config sets a
// session config entry (e.g. session.qdqisint8allowed=1).  --save-optimized
// writes the model onnxruntime actually ran, to see which kernels it chose.
//
// The .npy reader/writer handles little-endian f4, f8, i1, u1, i2, u2, i4,
// u4, i8, u8, b1 in C order, which is all these tests use.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const DT = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '|i1': ['int8', Int8Array], '|u1': ['uint8', Uint8Array],
  '<i2': ['int16', Int16Array], '<u2': ['uint16', Uint16Array],
  '<i4': ['int32', Int32Array], '<u4': ['uint32', Uint32Array],
  '<i8': ['int64', BigInt64Array], '<u8': ['uint64', BigUint64Array],
  '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s)
    .map(Number);
  const kind = DT[descr];
  if (!kind) throw new Error(`${file}: dtype ${descr} not handled`);
  const [type, Arr] = kind;
  const body = buf.subarray(hstart + hlen);
  const ab = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const data = type === 'bool' ? new Uint8Array(ab) : new Arr(ab);
  return new ort.Tensor(type, type === 'bool' ? Array.from(data, v => v !== 0) : data, shape);
}

function writeNpy(file, tensor) {
  const entry = Object.entries(DT).find(([, [t]]) => t === tensor.type);
  if (!entry) throw new Error(`output type ${tensor.type} not handled`);
  const descr = entry[0];
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const d = tensor.type === 'bool' ? Uint8Array.from(tensor.data, v => (v ? 1 : 0)) : tensor.data;
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
    Buffer.from(d.buffer, d.byteOffset, d.byteLength)]));
}

async function main() {
  const args = process.argv.slice(2);
  const pos = [];
  const opts = { graphOptimizationLevel: 'all', extra: {} };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--opt') opts.graphOptimizationLevel = args[++i];
    else if (args[i] === '--config') {
      const [k, v] = args[++i].split('=');
      // onnxruntime-node flattens `extra` with '.': {session: {x: '1'}} -> "session.x".
      let o = opts.extra;
      const parts = k.split('.');
      for (const p of parts.slice(0, -1)) o = (o[p] = o[p] || {});
      o[parts[parts.length - 1]] = v;
    } else if (args[i] === '--save-optimized') opts.optimizedModelFilePath = args[++i];
    else pos.push(args[i]);
  }
  if (pos.length < 3) {
    console.error('usage: node ort_run.mjs MODEL OUTDIR SUFFIX IN.npy... [--opt LEVEL] [--config k=v] ' +
                  '[--save-optimized FILE]');
    process.exit(2);
  }
  const [model, outdir, suffix, ...inputs] = pos;
  opts.intraOpNumThreads = 1;
  const sess = await ort.InferenceSession.create(model, opts);
  if (inputs.length !== sess.inputNames.length)
    throw new Error(`${model} has ${sess.inputNames.length} inputs, ${inputs.length} given`);
  const feeds = {};
  sess.inputNames.forEach((n, i) => { feeds[n] = readNpy(inputs[i]); });
  const out = await sess.run(feeds);
  fs.mkdirSync(outdir, { recursive: true });
  for (const name of sess.outputNames) {
    const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    const f = path.join(outdir, `${safe}_${suffix}.npy`);
    writeNpy(f, out[name]);
    console.log(`wrote ${f} ${out[name].type} [${out[name].dims}]`);
  }
}

main().catch(e => { console.error(`ort_run: ${e.message}`); process.exit(1); });
