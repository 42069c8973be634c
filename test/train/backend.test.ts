import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { nodeBackendInstalled } from '../../src/pool/node-backend.js';
import { initBackend } from '../../src/train/backend.js';

describe('initBackend', () => {
  it('auto picks tfjs-node where installed, else wasm', async () => {
    expect(await initBackend('auto')).toBe(nodeBackendInstalled() ? 'tensorflow' : 'wasm');
  });

  it('registers the conv filter gradient that stock wasm lacks', async () => {
    await initBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each([['cpu', 'cpu'], ['wasm', 'wasm']] as const)('%s gives the %s backend', async (choice, name) => {
    expect(await initBackend(choice)).toBe(name);
    expect(tf.getBackend()).toBe(name);
  });

  it.runIf(!nodeBackendInstalled())('an explicit node backend that is not installed fails, naming it', async () => {
    await expect(initBackend('node')).rejects.toThrow(/no TensorFlow\.js backend could start \(node: .*tfjs-node/);
  });
});
