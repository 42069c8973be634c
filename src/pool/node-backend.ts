import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Whether @tensorflow/tfjs-node is installed (it is optional and often is not). Only
 * resolves it: loading its addon here would stop a worker thread from loading it.
 */
export function nodeBackendInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}
