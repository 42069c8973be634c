import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { paramEnv, paramEnvName, paramEnvNames } from '../../../src/trial/program/param-env.js';

describe('paramEnvName', () => {
  it.each([
    ['lr', 'SWEEP_PARAM_LR'],
    ['learning-rate', 'SWEEP_PARAM_LEARNING_RATE'],
    ['batch_size', 'SWEEP_PARAM_BATCH_SIZE'],
    ['opt.beta1', 'SWEEP_PARAM_OPT_BETA1'],
    ['taux_é', 'SWEEP_PARAM_TAUX__'],
    ['😀', 'SWEEP_PARAM__'],
  ])('%s -> %s', (name, expected) => {
    expect(paramEnvName(name)).toBe(expected);
  });
});

describe('paramEnv', () => {
  it('holds each value as ${args} writes it', () => {
    expect(paramEnv({ lr: 1e-5, layers: [128, 64], bn: true, none: null, name: 'a b', ratio: 1 }, new Set(['ratio']))).toEqual({
      SWEEP_PARAM_LR: '1e-05',
      SWEEP_PARAM_LAYERS: '[128, 64]',
      SWEEP_PARAM_BN: 'True',
      SWEEP_PARAM_NONE: 'None',
      SWEEP_PARAM_NAME: 'a b',
      SWEEP_PARAM_RATIO: '1.0',
    });
  });

  it.each([
    [['lr', 'LR']],
    [['batch-size', 'batch_size']],
    [['a.b', 'a_b', 'c']],
  ])('refuses names that share a variable: %j', (names) => {
    expect(() => paramEnvNames(names)).toThrow(UserError);
    expect(() => paramEnvNames(names)).toThrow(/^parameters "[^"]+" and "[^"]+" would both be the environment variable SWEEP_PARAM_\w+: rename one$/);
  });

  it('maps names that do not collide', () => {
    expect([...paramEnvNames(['lr', 'l_r'])]).toEqual([['lr', 'SWEEP_PARAM_LR'], ['l_r', 'SWEEP_PARAM_L_R']]);
  });

  it.each([
    ['a value', { x: 'a\0b' }],
    ['a name', { 'x\0': 1 }],
  ])('refuses a NUL byte in %s, on one line', (_, params) => {
    expect(() => paramEnv(params)).toThrow(UserError);
    expect(() => paramEnv(params)).toThrow(/^parameter "x(\\u0000)?" holds a NUL byte[^\n\0]*$/);
  });

  it('lets a NUL inside a list through: repr escapes it', () => {
    expect(paramEnv({ x: ['a\0'] })).toEqual({ SWEEP_PARAM_X: "['a\\x00']" });
  });
});
