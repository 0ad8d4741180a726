import * as tf from "@tensorflow/tfjs";

/**
 * Silences tfjs's console warnings, above all the cpu backend's "Hi, looks like you are running
 * TensorFlow.js in Node.js..." banner printed on its first tensor. tfjs-core 4.22 reads its `PROD`
 * flag only to gate `console.warn`/`log` (log.ts, environment.ts), so no computation changes.
 * Call it before the first tensor is made.
 */
export function quietTfjs(): void {
  tf.enableProdMode();
}
