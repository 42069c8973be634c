import * as tf from '@tensorflow/tfjs';
import { nodeBackendInstalled } from '../pool/node-backend.js';
import type { BackendChoice } from '../pool/protocol.js';
import { registerWasmKernels } from './kernels/index.js';
import { checkTfjsVersions } from './tfjs-internals.js';

/**
 * Makes `choice` this thread's TensorFlow.js backend and returns the one that runs:
 * auto tries tfjs-node, then wasm, then cpu; an explicit choice that fails throws. A tfjs
 * installed at another version than sweep's internals were written for throws a UserError first.
 */
export async function initBackend(choice: BackendChoice): Promise<string> {
  checkTfjsVersions();
  // PROD silences tfjs's console banners ("install our node backend"), which would
  // interleave with the progress log; `sweep` reports the backend itself.
  tf.env().set('PROD', true);
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto'
    ? [...(nodeBackendInstalled() ? (['node'] as const) : []), 'wasm', 'cpu']
    : [choice];
  const failures: string[] = [];
  for (const name of order) {
    try {
      await load(name);
      return tf.getBackend();
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${failures.join('; ')})`);
}

async function load(name: Exclude<BackendChoice, 'auto'>): Promise<void> {
  if (name === 'node') {
    // Registers the 'tensorflow' backend; its addon loads in one thread per process only.
    await import('@tensorflow/tfjs-node' as string);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node did not initialise');
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  } else if (!(await tf.setBackend('cpu'))) {
    throw new Error('the cpu backend did not initialise');
  }
  await tf.ready();
}
