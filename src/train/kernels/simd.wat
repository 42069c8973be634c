;; sweep's hand-written kernels for the wasm backend: WebAssembly SIMD (128-bit) over the tfjs
;; backend's own memory, so they read and write tensors in place with no copies.
;; Pointers are byte offsets into that memory; lengths count float32 elements.
;; Every operation is IEEE float32 as in tfjs's kernels, in the same order, so results match
;; the stock kernels bit for bit. `npm run build:wasm` assembles this file into simd-module.ts.
(module
  (import "env" "memory" (memory 1))

  ;; One Adam step, as tfjs's AdamOptimizer computes it:
  ;;   m1 = m0*b1 + g*c1;  v1 = v0*b2 + (g*g)*c2
  ;;   w1 = ((m1/oma1) / (sqrt(v1/oma2) + eps)) * nlr + w0
  ;; with c = 1 − b, oma = 1 − b^t and nlr = −learning rate.
  (func (export "adam")
    (param $w0 i32) (param $m0 i32) (param $v0 i32) (param $g i32)
    (param $w1 i32) (param $m1 i32) (param $v1 i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $oma1 f32) (param $oma2 f32) (param $eps f32) (param $nlr f32)
    (local $i i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m0) (local.get $i))) (f32x4.splat (local.get $b1)))
            (f32x4.mul (local.get $gv) (f32x4.splat (local.get $c1)))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v0) (local.get $i))) (f32x4.splat (local.get $b2)))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $c2)))))
        (v128.store (i32.add (local.get $m1) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $v1) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $w1) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $mv) (f32x4.splat (local.get $oma1)))
                (f32x4.add
                  (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $oma2))))
                  (f32x4.splat (local.get $eps))))
              (f32x4.splat (local.get $nlr)))
            (v128.load (i32.add (local.get $w0) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vloop)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m0) (local.get $i))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $c1))))
        (local.set $vs
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v0) (local.get $i))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $c2))))
        (f32.store (i32.add (local.get $m1) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $v1) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $w1) (local.get $i))
          (f32.add
            (f32.mul
              (f32.div
                (f32.div (local.get $ms) (local.get $oma1))
                (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $oma2))) (local.get $eps)))
              (local.get $nlr))
            (f32.load (i32.add (local.get $w0) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sloop))))
)
