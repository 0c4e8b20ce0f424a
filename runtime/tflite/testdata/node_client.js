// A second TFLite client for the engine tests: runs a .tflite file through the npm
// package tfjs-tflite-node (its own N-API binding over the same TFLite C library).
// Usage: node node_client.js MODEL INPUT.f32 OUTPUT.f32 THREADS
// Reads the input as raw little-endian float32, writes the first output the same way,
// and prints the input and output shapes as JSON.
'use strict';
const fs = require('fs');
const { TFLiteNodeModelRunner } = require('tfjs-tflite-node');

const [model, input, output, threads] = process.argv.slice(2);
const bytes = fs.readFileSync(model);
const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const runner = new TFLiteNodeModelRunner(buffer, { threads: Number(threads) || 1 });

const [inTensor] = runner.getInputs();
const [outTensor] = runner.getOutputs();
const raw = fs.readFileSync(input);
const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const dst = inTensor.data();
if (dst.length !== pixels.length) {
  throw new Error(`input ${inTensor.name} holds ${dst.length} values, got ${pixels.length}`);
}
dst.set(pixels);
runner.infer();
const result = outTensor.data();
fs.writeFileSync(output, Buffer.from(result.buffer, result.byteOffset, result.byteLength));
console.log(JSON.stringify({
  input: { name: inTensor.name, shape: inTensor.shape },
  output: { name: outTensor.name, shape: outTensor.shape },
}));
