// Why: sweep's kernels and layers reach past TensorFlow.js's public API (its layers' and
// optimizers' private fields, the engine's state, the wasm backend's memory). None of that is
// tfjs's contract: any release may rename or reshape it, and the failure would be a wrong
// number or an undefined deep inside a trial. So src/train touches it only through this module,
// written for one tfjs version, and the backend does not start on another (checkTfjsVersions).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export { checkTfjsVersions, readInstalledVersion, TFJS_PACKAGES, TFJS_VERSION, type TfjsPackage } from './tfjs-version.js';

// The wasm backend's memory: where tfjs-backend-wasm keeps each tensor, and the emscripten
// module's own views of it.

/** A tensor's byte offset in the wasm backend's memory (its private TensorData). */
export function heapOffset(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** The backend's whole memory as bytes: a view that growing the heap detaches, so take it after allocating. */
export function wasmHeap(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}

/** The backend's memory, where it is a plain (unshared) WebAssembly.Memory; else null. */
export function wasmMemory(backend: BackendWasm): WebAssembly.Memory | null {
  const memory = (backend.wasm as { asm?: { memory?: unknown } } | undefined)?.asm?.memory;
  return memory instanceof WebAssembly.Memory && memory.buffer instanceof ArrayBuffer ? memory : null;
}

// Kernels.

/** A kernel's (or a gradient's) attributes as the fields tfjs's kernel of that name takes, such as tf.Conv2DAttrs. */
export function kernelAttrs<T>(attrs: tf.NamedAttrMap | undefined): T {
  return attrs as unknown as T;
}

// The engine.

/** How many gradient scopes tfjs is inside (its engine's state): above 0 while a tape records. */
export function gradientDepth(): number {
  return tf.engine().state.gradientDepth;
}

/** The variable registered under `name`: the engine's registry, by which optimizers find what they update. */
export function registeredVariable(name: string): tf.Variable {
  return tf.engine().registeredVariables[name];
}

/** Every registered variable, in the order they were made (the order tfjs's minimize differentiates them). */
export function registeredVariables(): tf.Variable[] {
  return Object.values(tf.engine().registeredVariables);
}

// Layers. tfjs exports its layer classes only as factories (tf.layers.dense…): their classes are
// found from an instance's prototype, and their fields, protected or private in tfjs's
// declarations, are typed here as 4.22.0 has them.

type Kwargs = Record<string, unknown>;
type Activation = { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };

/** Dense's fields. */
export type DenseState = {
  kernel: tf.LayerVariable; bias: tf.LayerVariable | null; activation: Activation;
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): void;
};

/** Conv2D's fields. */
export type Conv2DState = {
  kernel: tf.LayerVariable; bias: tf.LayerVariable | null; activation: Activation;
  strides: [number, number]; padding: 'same' | 'valid'; dataFormat: string; dilationRate: [number, number];
};

/** BatchNormalization's fields. */
export type BatchNormState = {
  axis: number; momentum: number; epsilon: number; center: boolean; scale: boolean;
  gamma: tf.LayerVariable; beta: tf.LayerVariable; movingMean: tf.LayerVariable; movingVariance: tf.LayerVariable;
};

/** Dropout's fields: a seed, where set, re-seeds every mask. */
export type DropoutState = { seed?: number; rate: number; noiseShape?: number[] };

/** The class that made `instance`. */
function classOf(instance: object) {
  return Object.getPrototypeOf(instance).constructor;
}

/** tfjs's Dense class, to extend. */
export function denseClass(): new (args: NonNullable<Parameters<typeof tf.layers.dense>[0]>) => tf.layers.Layer {
  return classOf(tf.layers.dense({ units: 1 }));
}

/** tfjs's Conv2D class, to extend. */
export function conv2dClass(): new (args: NonNullable<Parameters<typeof tf.layers.conv2d>[0]>) => tf.layers.Layer {
  return classOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 }));
}

/** tfjs's BatchNormalization class, to extend. */
export function batchNormClass(): new (args?: Parameters<typeof tf.layers.batchNormalization>[0]) => tf.layers.Layer {
  return classOf(tf.layers.batchNormalization({}));
}

/** tfjs's Dropout class, to extend. */
export function dropoutClass(): new (args: { rate: number; seed?: number; name?: string }) => tf.layers.Layer {
  return classOf(tf.layers.dropout({ rate: 0.5 }));
}

/** A Dense layer's fields (a layer denseClass made, or a subclass's `this`). */
export function denseState(layer: tf.layers.Layer): DenseState {
  return layer as unknown as DenseState;
}

/** A Conv2D layer's fields. */
export function conv2dState(layer: tf.layers.Layer): Conv2DState {
  return layer as unknown as Conv2DState;
}

/** A BatchNormalization layer's fields. */
export function batchNormState(layer: tf.layers.Layer): BatchNormState {
  return layer as unknown as BatchNormState;
}

/** A Dropout layer's fields. */
export function dropoutState(layer: tf.layers.Layer): DropoutState {
  return layer as unknown as DropoutState;
}

/** The tf.Variable a layer's weight holds (its protected `val`): what the engine registers and optimizers update. */
export function variableOf(weight: tf.LayerVariable): tf.Variable {
  return (weight as unknown as { val: tf.Variable }).val;
}

// Optimizers.

type Slot = { originalName: string; variable: tf.Variable };

/** AdamOptimizer's fields: β₁ᵗ and β₂ᵗ so far, the moments of each variable it updated, by position, and its settings. */
export type AdamState = {
  accBeta1: tf.Variable; accBeta2: tf.Variable;
  accumulatedFirstMoment: Slot[]; accumulatedSecondMoment: Slot[];
  beta1: number; beta2: number; epsilon: number; learningRate: number;
};

/** An AdamOptimizer's fields (a subclass's `this` included). */
export function adamState(optimizer: tf.AdamOptimizer): AdamState {
  return optimizer as unknown as AdamState;
}

/** Adam's β₁ᵗ and β₂ᵗ, which a checkpoint keeps as they are; null for an optimizer without them. */
export function betaPowers(optimizer: tf.Optimizer): Pick<AdamState, 'accBeta1' | 'accBeta2'> | null {
  const { accBeta1, accBeta2 } = optimizer as unknown as Partial<AdamState>;
  return accBeta1 && accBeta2 ? { accBeta1, accBeta2 } : null;
}

/** An optimizer with its learning rate (a protected field of each of tfjs's) and SGD's setter, which also replaces the tensor SGD keeps of it. */
export type WithRate = tf.Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };

/** The optimizer, its learning rate in view. */
export function withRate(optimizer: tf.Optimizer): WithRate {
  return optimizer as WithRate;
}

/**
 * Whether `optimizer` was made by `cls` itself, not by a subclass or another optimizer class:
 * instanceof can't say, as tfjs's Optimizer answers it for any optimizer (its Symbol.hasInstance).
 */
export function madeBy<T extends tf.Optimizer>(optimizer: tf.Optimizer, cls: abstract new (...args: never[]) => T): optimizer is T {
  return Object.getPrototypeOf(optimizer) === cls.prototype;
}
