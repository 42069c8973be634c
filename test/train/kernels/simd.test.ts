import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs build script, no declarations
import { generate, MODULE_TS, WAT } from '../../../scripts/build-wasm.mjs';

describe('simd-module.ts', () => {
  it('is simd.wat assembled: run `npm run build:wasm` after editing the .wat', async () => {
    expect(readFileSync(MODULE_TS, 'utf8')).toBe(await generate(readFileSync(WAT, 'utf8')));
  });
});
