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

  ;; C = A·B for row-major C [m×n] and B [k×n]; A's element (i, p) is at a + 4·(i·sai + p·sap),
  ;; so A may be stored transposed (sai = 1, sap = m). n must be a multiple of 4. Blocks of 4
  ;; rows × 8 columns keep 8 accumulators in registers; no packing, so a fresh B costs nothing.
  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $sai i32) (param $sap i32)
    (local $i i32) (local $j i32)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
            (call $block4x8 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        (if (i32.lt_u (local.get $j) (local.get $n))
          (then
            (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))
            (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 1)) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))
            (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 2)) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))
            (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 3)) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    ;; The last m mod 4 rows, 4 columns at a time.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $tcols_done
          (loop $tcols
            (br_if $tcols_done (i32.ge_u (local.get $j) (local.get $n)))
            (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tcols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; C[i..i+3, j..j+7] = A[i..i+3, :]·B[:, j..j+7]
  (func $block4x8
    (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $rowa i32) (local $stepa i32) (local $rowb i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $sai)) (i32.const 2))))
    (local.set $rowa (i32.shl (local.get $sai) (i32.const 2)))
    (local.set $stepa (i32.shl (local.get $sap) (i32.const 2)))
    (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $inner
        (br_if $done (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $b1 (v128.load offset=16 (local.get $pb)))
        (local.set $x (v128.load32_splat (local.get $pa)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $pa) (local.get $rowa))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $pa) (i32.shl (local.get $rowa) (i32.const 1)))))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $x (v128.load32_splat (i32.add (local.get $pa) (i32.mul (local.get $rowa) (i32.const 3)))))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $pa (i32.add (local.get $pa) (local.get $stepa)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $inner)))
    (local.set $pb (i32.add (local.get $c)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
    (v128.store (local.get $pb) (local.get $c00))
    (v128.store offset=16 (local.get $pb) (local.get $c01))
    (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
    (v128.store (local.get $pb) (local.get $c10))
    (v128.store offset=16 (local.get $pb) (local.get $c11))
    (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
    (v128.store (local.get $pb) (local.get $c20))
    (v128.store offset=16 (local.get $pb) (local.get $c21))
    (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
    (v128.store (local.get $pb) (local.get $c30))
    (v128.store offset=16 (local.get $pb) (local.get $c31)))

  ;; C[i, j..j+3] = A[i, :]·B[:, j..j+3]
  (func $block1x4
    (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $stepa i32) (local $rowb i32) (local $acc v128)
    (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $sai)) (i32.const 2))))
    (local.set $stepa (i32.shl (local.get $sap) (i32.const 2)))
    (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $inner
        (br_if $done (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load32_splat (local.get $pa)) (v128.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (local.get $stepa)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $inner)))
    (v128.store (i32.add (local.get $c)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))) (local.get $acc)))
)
