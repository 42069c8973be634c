// Imported first by the command line, so it runs before any WebAssembly compiles.
import { enableRelaxedSimd } from '../train/kernels/relaxed-simd.js';

enableRelaxedSimd();
