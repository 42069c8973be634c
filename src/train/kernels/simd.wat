;; sweep's hand-written kernels for the wasm backend: WebAssembly SIMD (128-bit) over the tfjs
;; backend's own memory, so they read and write tensors in place with no copies.
;; Pointers are byte offsets into that memory; lengths count float32 elements.
;; Every operation is IEEE float32 as in tfjs's kernels, in the same order, so results match
;; the stock kernels bit for bit; batch normalisation, which has no stock fused kernel to match,
;; is the exception: it sums in its own fixed order (see there). `npm run build:wasm` assembles this file into simd-module.ts.
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

  ;; Adam in PyTorch's form, where products fuse (relaxed SIMD): the moments as above, then
  ;;   w1 = (m1*s1) / (sqrt(v1)*s2 + eps) + w0,  s1 = nlr/oma1, s2 = 1/sqrt(oma2)
  ;; the same update in exact arithmetic, with one division and one square root where tfjs's
  ;; order has three divisions (1.5x this kernel's speed); its floats differ by rounding. And a
  ;; moment that falls below float32's normal range (2^-126) is stored as 0: a weight whose
  ;; gradient stays 0 (a border pixel, a dead unit) has its first moment decay by 0.9 a step into
  ;; subnormals within ~800 steps, and arithmetic on subnormals is slow here (15% of the notebook's
  ;; first-layer moments after 12,000 steps; the kernel 2.5x slower with 5% of them subnormal).
  (func (export "adam_fast")
    (param $w0 i32) (param $m0 i32) (param $v0 i32) (param $g i32)
    (param $w1 i32) (param $m1 i32) (param $v1 i32) (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $s1 f32) (param $s2 f32) (param $eps f32)
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
        ;; moments below float32's normal range become 0 (NaN stays NaN)
        (local.set $mv (v128.andnot (local.get $mv) (f32x4.lt (f32x4.abs (local.get $mv)) (f32x4.splat (f32.const 0x1p-126)))))
        (local.set $vv (v128.andnot (local.get $vv) (f32x4.lt (f32x4.abs (local.get $vv)) (f32x4.splat (f32.const 0x1p-126)))))
        (v128.store (i32.add (local.get $m1) (local.get $i)) (local.get $mv))
        (v128.store (i32.add (local.get $v1) (local.get $i)) (local.get $vv))
        (v128.store (i32.add (local.get $w1) (local.get $i))
          (f32x4.add
            (f32x4.div
              (f32x4.mul (local.get $mv) (f32x4.splat (local.get $s1)))
              (f32x4.add
                (f32x4.mul (f32x4.sqrt (local.get $vv)) (f32x4.splat (local.get $s2)))
                (f32x4.splat (local.get $eps))))
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
        (local.set $ms (select (f32.const 0) (local.get $ms) (f32.lt (f32.abs (local.get $ms)) (f32.const 0x1p-126))))
        (local.set $vs (select (f32.const 0) (local.get $vs) (f32.lt (f32.abs (local.get $vs)) (f32.const 0x1p-126))))
        (f32.store (i32.add (local.get $m1) (local.get $i)) (local.get $ms))
        (f32.store (i32.add (local.get $v1) (local.get $i)) (local.get $vs))
        (f32.store (i32.add (local.get $w1) (local.get $i))
          (f32.add
            (f32.div
              (f32.mul (local.get $ms) (local.get $s1))
              (f32.add (f32.mul (f32.sqrt (local.get $vs)) (local.get $s2)) (local.get $eps)))
            (f32.load (i32.add (local.get $w0) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $sloop))))

  ;; C = A·B for row-major C [m×n] and B [k×n]; A's element (i, p) is at a + 4·(i·sai + p·sap),
  ;; so A may be stored transposed (sai = 1, sap = m). Blocks of 4 rows × 8 columns keep 8
  ;; accumulators in registers; no packing, so a fresh B costs nothing. The last n mod 8 columns
  ;; go 4 at a time, then the last n mod 4 together. Every C[i, j] is Σ A[i, p]·B[p, j] in order
  ;; of p, each product rounded, then added (fused, in the relaxed build), whichever block computes it.
  ;; acc = 1: C += A·B (each block's accumulators start from C), for products blocked over k.
  (func $gemm (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $sai i32) (param $sap i32) (param $acc i32)
    (local $i i32) (local $j i32)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
            (call $block4x8 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        (call $row_tail (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (call $row_tail (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 1)) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (call $row_tail (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 2)) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (call $row_tail (local.get $a) (local.get $b) (local.get $c) (i32.add (local.get $i) (i32.const 3)) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    ;; The last m mod 4 rows.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $m)))
        (call $row_tail (local.get $a) (local.get $b) (local.get $c) (local.get $i) (i32.const 0)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; C[i, j..n−1]: 4 columns at a time, then the last n mod 4 together.
  (func $row_tail
    (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32) (param $acc i32)
    (block $quads_done
      (loop $quads
        (br_if $quads_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (call $block1x4 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads)))
    (if (i32.lt_u (local.get $j) (local.get $n))
      (then
        (call $block1xt (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
          (local.get $k) (local.get $n) (local.get $sai) (local.get $sap) (local.get $acc) (i32.sub (local.get $n) (local.get $j))))))

  ;; a·b + c for a = b = 1 + 2⁻¹², c = −(1 + 2⁻¹¹), in the GEMM's multiply-add: 2⁻²⁴ where it is
  ;; fused (rounded once), 0 where the product rounds first. The fused build asks whether the
  ;; machine really fuses: relaxed SIMD lets an engine without FMA hardware multiply, then add.
  (func $fma_probe (export "fma_probe") (result f32)
    (local $a v128) (local $acc v128)
    (local.set $a (f32x4.splat (f32.const 0x1.001p+0)))
    (local.set $acc (f32x4.splat (f32.const -0x1.002p+0)))
    (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $a) (local.get $a))))
    (f32x4.extract_lane 0 (local.get $acc)))

  ;; C[i..i+3, j..j+7] = A[i..i+3, :]·B[:, j..j+7]
  (func $block4x8
    (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32) (param $acc i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $rowa i32) (local $stepa i32) (local $rowb i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (local.get $acc)
      (then
        (local.set $pb (i32.add (local.get $c)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
        (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
        (local.set $c00 (v128.load (local.get $pb)))
        (local.set $c01 (v128.load offset=16 (local.get $pb)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $c10 (v128.load (local.get $pb)))
        (local.set $c11 (v128.load offset=16 (local.get $pb)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $c20 (v128.load (local.get $pb)))
        (local.set $c21 (v128.load offset=16 (local.get $pb)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $c30 (v128.load (local.get $pb)))
        (local.set $c31 (v128.load offset=16 (local.get $pb)))))
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
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32) (param $accumulate i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $stepa i32) (local $rowb i32) (local $acc v128)
    (if (local.get $accumulate)
      (then (local.set $acc (v128.load (i32.add (local.get $c)
        (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))))))
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

  ;; C[i, j..j+t−1] = A[i, :]·B[:, j..j+t−1] for the last t < 4 columns: $block1x4 on vectors
  ;; whose lanes past t are 0, loaded and stored a lane at a time (nothing past column n−1 is touched).
  (func $block1xt
    (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k i32) (param $n i32) (param $sai i32) (param $sap i32) (param $accumulate i32) (param $t i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $stepa i32) (local $rowb i32)
    (local $acc v128) (local $bv v128)
    (local.set $pc (i32.add (local.get $c)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
    (if (local.get $accumulate) (then (local.set $acc (call $load_lanes (local.get $pc) (local.get $t)))))
    (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $sai)) (i32.const 2))))
    (local.set $stepa (i32.shl (local.get $sap) (i32.const 2)))
    (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $inner
        (br_if $done (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $bv (call $load_lanes (local.get $pb) (local.get $t)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load32_splat (local.get $pa)) (local.get $bv))))
        (local.set $pa (i32.add (local.get $pa) (local.get $stepa)))
        (local.set $pb (i32.add (local.get $pb) (local.get $rowb)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $inner)))
    (v128.store32_lane 0 (local.get $pc) (local.get $acc))
    (if (i32.gt_u (local.get $t) (i32.const 1)) (then (v128.store32_lane offset=4 1 (local.get $pc) (local.get $acc))))
    (if (i32.gt_u (local.get $t) (i32.const 2)) (then (v128.store32_lane offset=8 2 (local.get $pc) (local.get $acc)))))

  ;; The t ≤ 3 floats at p in lanes 0 … t−1; the other lanes 0.
  (func $load_lanes (param $p i32) (param $t i32) (result v128)
    (local $v v128)
    (local.set $v (v128.load32_zero (local.get $p)))
    (if (i32.gt_u (local.get $t) (i32.const 1)) (then (local.set $v (v128.load32_lane offset=4 1 (local.get $p) (local.get $v)))))
    (if (i32.gt_u (local.get $t) (i32.const 2)) (then (local.set $v (v128.load32_lane offset=8 2 (local.get $p) (local.get $v)))))
    (local.get $v))

  ;; Batch normalisation over the last axis, in training mode. Tensors are row-major [m, c]: c
  ;; channels (the last axis) by m rows (every other axis). Rows are read in order, 4 channels
  ;; to a lane group, so each pass streams through memory once.
  ;; Per-channel sums are blocked: up to 256 rows are summed into a partial (in the caller's
  ;; scratch), which is then added to the total. Float32 error then grows with 256 + m/256 terms
  ;; rather than m, and the order is fixed, so results depend on the inputs alone. A channel gets
  ;; the same float32 operations whether it sits in a SIMD lane or in the scalar tail.

  ;; mean = Σx/m; variance = Σ(x − mean)²/m (biased, two passes, as tf.moments);
  ;; y = (x − mean)·(gamma·invstd) + beta with invstd = 1/sqrt(variance + eps).
  ;; tmp: c floats of scratch (block partials, then gamma·invstd).
  (func (export "bn_forward")
    (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
    (param $mean i32) (param $variance i32) (param $tmp i32)
    (param $m i32) (param $c i32) (param $eps f32)
    (local $j i32) (local $end i32) (local $row i32) (local $rowbytes i32) (local $fm f32)
    (local.set $fm (f32.convert_i32_u (local.get $m)))
    (local.set $rowbytes (i32.shl (local.get $c) (i32.const 2)))
    (call $reduce (i32.const 0) (local.get $x) (local.get $x) (local.get $mean)
      (local.get $mean) (local.get $mean) (local.get $tmp) (local.get $tmp) (local.get $m) (local.get $c))
    (call $div_by (local.get $mean) (local.get $c) (local.get $fm))
    (call $reduce (i32.const 1) (local.get $x) (local.get $x) (local.get $mean)
      (local.get $variance) (local.get $variance) (local.get $tmp) (local.get $tmp) (local.get $m) (local.get $c))
    (call $div_by (local.get $variance) (local.get $c) (local.get $fm))
    ;; tmp = gamma·invstd, once per channel.
    (block $sdone
      (loop $scale
        (br_if $sdone (i32.ge_u (local.get $j) (local.get $rowbytes)))
        (f32.store (i32.add (local.get $tmp) (local.get $j))
          (f32.mul (f32.load (i32.add (local.get $gamma) (local.get $j)))
            (f32.div (f32.const 1)
              (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $j))) (local.get $eps))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $scale)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $row) (local.get $m)))
        (call $row_norm (local.get $y) (local.get $x) (local.get $mean) (local.get $tmp) (local.get $beta) (local.get $c))
        (local.set $x (i32.add (local.get $x) (local.get $rowbytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowbytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; With xhat = (x − mean)·invstd: dbeta = Σdy; dgamma = Σdy·xhat (as invstd·Σdy·(x − mean));
  ;; dx = (gamma·invstd/m)·(m·dy − dbeta − xhat·dgamma).
  ;; tmp: 2c floats of scratch (two block partials, then invstd and gamma·invstd/m).
  (func (export "bn_backward")
    (param $dy i32) (param $x i32) (param $gamma i32) (param $mean i32) (param $variance i32)
    (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $tmp i32)
    (param $m i32) (param $c i32) (param $eps f32)
    (local $j i32) (local $row i32) (local $rowbytes i32) (local $k i32) (local $fm f32) (local $invstd f32)
    (local.set $fm (f32.convert_i32_u (local.get $m)))
    (local.set $rowbytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $k (i32.add (local.get $tmp) (local.get $rowbytes)))
    (call $reduce (i32.const 2) (local.get $dy) (local.get $x) (local.get $mean)
      (local.get $dbeta) (local.get $dgamma) (local.get $tmp) (local.get $k) (local.get $m) (local.get $c))
    ;; Per channel: tmp = invstd, dgamma ·= invstd, k = gamma·invstd/m.
    (block $cdone
      (loop $chan
        (br_if $cdone (i32.ge_u (local.get $j) (local.get $rowbytes)))
        (local.set $invstd (f32.div (f32.const 1)
          (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $j))) (local.get $eps)))))
        (f32.store (i32.add (local.get $tmp) (local.get $j)) (local.get $invstd))
        (f32.store (i32.add (local.get $dgamma) (local.get $j))
          (f32.mul (f32.load (i32.add (local.get $dgamma) (local.get $j))) (local.get $invstd)))
        (f32.store (i32.add (local.get $k) (local.get $j))
          (f32.div (f32.mul (f32.load (i32.add (local.get $gamma) (local.get $j))) (local.get $invstd)) (local.get $fm)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $chan)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $row) (local.get $m)))
        (call $row_dx (local.get $dx) (local.get $dy) (local.get $x) (local.get $mean) (local.get $tmp)
          (local.get $dbeta) (local.get $dgamma) (local.get $k) (local.get $fm) (local.get $c))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowbytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowbytes)))
        (local.set $x (i32.add (local.get $x) (local.get $rowbytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Blocked per-channel sums over m rows of a (and b), into totals t1 (and t2), via partials
  ;; p1 (and p2). kind 0: t1 = Σa. kind 1: t1 = Σ(a − mean)². kind 2: t1 = Σa, t2 = Σa·(b − mean).
  (func $reduce
    (param $kind i32) (param $a i32) (param $b i32) (param $mean i32)
    (param $t1 i32) (param $t2 i32) (param $p1 i32) (param $p2 i32) (param $m i32) (param $c i32)
    (local $row i32) (local $stop i32) (local $rowbytes i32)
    (local.set $rowbytes (i32.shl (local.get $c) (i32.const 2)))
    (call $fill0 (local.get $t1) (local.get $c))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then (call $fill0 (local.get $t2) (local.get $c))))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $row) (local.get $m)))
        (local.set $stop (i32.add (local.get $row) (i32.const 256)))
        (if (i32.gt_u (local.get $stop) (local.get $m)) (then (local.set $stop (local.get $m))))
        (call $fill0 (local.get $p1) (local.get $c))
        (if (i32.eq (local.get $kind) (i32.const 2)) (then (call $fill0 (local.get $p2) (local.get $c))))
        (block $bdone
          (loop $rows
            (br_if $bdone (i32.ge_u (local.get $row) (local.get $stop)))
            (if (i32.eqz (local.get $kind))
              (then (call $add_into (local.get $p1) (local.get $a) (local.get $c)))
              (else
                (if (i32.eq (local.get $kind) (i32.const 1))
                  (then (call $row_sqdev (local.get $p1) (local.get $a) (local.get $mean) (local.get $c)))
                  (else (call $row_grad_sums (local.get $p1) (local.get $p2) (local.get $a) (local.get $b)
                    (local.get $mean) (local.get $c))))))
            (local.set $a (i32.add (local.get $a) (local.get $rowbytes)))
            (local.set $b (i32.add (local.get $b) (local.get $rowbytes)))
            (local.set $row (i32.add (local.get $row) (i32.const 1)))
            (br $rows)))
        (call $add_into (local.get $t1) (local.get $p1) (local.get $c))
        (if (i32.eq (local.get $kind) (i32.const 2)) (then (call $add_into (local.get $t2) (local.get $p2) (local.get $c))))
        (br $blocks))))

  ;; acc[j] += (p[j] − mean[j])² for one row.
  (func $row_sqdev (param $acc i32) (param $p i32) (param $mean i32) (param $c i32)
    (local $i i32) (local $end i32) (local $dv v128) (local $ds f32)
    (local.set $end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $dv (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $i)))))
        (v128.store (i32.add (local.get $acc) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i))) (f32x4.mul (local.get $dv) (local.get $dv))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $ds (f32.sub (f32.load (i32.add (local.get $p) (local.get $i))) (f32.load (i32.add (local.get $mean) (local.get $i)))))
        (f32.store (i32.add (local.get $acc) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $acc) (local.get $i))) (f32.mul (local.get $ds) (local.get $ds))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $s))))

  ;; sdy[j] += dy[j]; sdyx[j] += dy[j]·(x[j] − mean[j]) for one row.
  (func $row_grad_sums (param $sdy i32) (param $sdyx i32) (param $dy i32) (param $x i32) (param $mean i32) (param $c i32)
    (local $i i32) (local $end i32) (local $gv v128) (local $gs f32)
    (local.set $end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $dy) (local.get $i))))
        (v128.store (i32.add (local.get $sdy) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $sdy) (local.get $i))) (local.get $gv)))
        (v128.store (i32.add (local.get $sdyx) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $sdyx) (local.get $i)))
            (f32x4.mul (local.get $gv)
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $dy) (local.get $i))))
        (f32.store (i32.add (local.get $sdy) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $sdy) (local.get $i))) (local.get $gs)))
        (f32.store (i32.add (local.get $sdyx) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $sdyx) (local.get $i)))
            (f32.mul (local.get $gs)
              (f32.sub (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $mean) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $s))))

  ;; y[j] = (x[j] − mean[j])·s[j] + beta[j] for one row.
  (func $row_norm (param $y i32) (param $x i32) (param $mean i32) (param $s i32) (param $beta i32) (param $c i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $y) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $i))))
              (v128.load (i32.add (local.get $s) (local.get $i))))
            (v128.load (i32.add (local.get $beta) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $y) (local.get $i))
          (f32.add
            (f32.mul
              (f32.sub (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $mean) (local.get $i))))
              (f32.load (i32.add (local.get $s) (local.get $i))))
            (f32.load (i32.add (local.get $beta) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $s))))

  ;; dx[j] = k[j]·((fm·dy[j] − dbeta[j]) − ((x[j] − mean[j])·invstd[j])·dgamma[j]) for one row.
  (func $row_dx
    (param $dx i32) (param $dy i32) (param $x i32) (param $mean i32) (param $invstd i32)
    (param $dbeta i32) (param $dgamma i32) (param $k i32) (param $fm f32) (param $c i32)
    (local $i i32) (local $end i32) (local $fmv v128)
    (local.set $fmv (f32x4.splat (local.get $fm)))
    (local.set $end (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $dx) (local.get $i))
          (f32x4.mul (v128.load (i32.add (local.get $k) (local.get $i)))
            (f32x4.sub
              (f32x4.sub (f32x4.mul (local.get $fmv) (v128.load (i32.add (local.get $dy) (local.get $i))))
                (v128.load (i32.add (local.get $dbeta) (local.get $i))))
              (f32x4.mul
                (f32x4.mul
                  (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $mean) (local.get $i))))
                  (v128.load (i32.add (local.get $invstd) (local.get $i))))
                (v128.load (i32.add (local.get $dgamma) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $sdone
      (loop $s
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $dx) (local.get $i))
          (f32.mul (f32.load (i32.add (local.get $k) (local.get $i)))
            (f32.sub
              (f32.sub (f32.mul (local.get $fm) (f32.load (i32.add (local.get $dy) (local.get $i))))
                (f32.load (i32.add (local.get $dbeta) (local.get $i))))
              (f32.mul
                (f32.mul
                  (f32.sub (f32.load (i32.add (local.get $x) (local.get $i))) (f32.load (i32.add (local.get $mean) (local.get $i))))
                  (f32.load (i32.add (local.get $invstd) (local.get $i))))
                (f32.load (i32.add (local.get $dgamma) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $s))))

  ;; p[0..n) = 0
  (func $fill0 (param $p i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $p) (local.get $i)) (f32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; dst[0..n) += src[0..n), 4 at a time, then one at a time (the same float32 adds either way)
  (func $add_into (param $dst i32) (param $src i32) (param $n i32)
    (local $i i32) (local $end i32) (local $vend i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vend)))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $i))) (v128.load (i32.add (local.get $src) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $dst) (local.get $i))
          (f32.add (f32.load (i32.add (local.get $dst) (local.get $i))) (f32.load (i32.add (local.get $src) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; dst[0..n) = src[0..n)
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $i i32) (local $end i32) (local $vend i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $vend)))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (v128.load (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store (i32.add (local.get $dst) (local.get $i)) (i32.load (i32.add (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; p[0..n) /= d
  (func $div_by (param $p i32) (param $n i32) (param $d f32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (i32.add (local.get $p) (local.get $i))
          (f32.div (f32.load (i32.add (local.get $p) (local.get $i))) (local.get $d)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; Convolutions (NHWC input, HWIO filter, dilation 1) as im2col and the GEMM above, `rows`
  ;; output positions at a time: each chunk's patch matrix (rows × K, K = KH·KW·CI, in HWIO
  ;; order) is built in `col` (the caller's scratch, rows·K floats) while it still fits in cache,
  ;; then multiplied. Sums run in a fixed order, so results depend on the inputs alone.

  ;; col[r × K] = the patches of output positions p0 … p0+r−1 (p = (b·OH + oh)·OW + ow); padding is 0.
  (func $im2col_rows
    (param $x i32) (param $col i32) (param $p0 i32) (param $r i32)
    (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $p i32) (local $end i32) (local $rem i32) (local $img i32) (local $ih0 i32) (local $iw0 i32)
    (local $ih i32) (local $iw i32) (local $i i32) (local $j i32) (local $bytes i32) (local $rowbytes i32)
    (local $dst i32) (local $interior i32) (local $plane i32)
    (local.set $bytes (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $rowbytes (i32.mul (local.get $kw) (local.get $bytes)))
    (local.set $plane (i32.mul (local.get $oh) (local.get $ow)))
    (local.set $dst (local.get $col))
    (local.set $p (local.get $p0))
    (local.set $end (i32.add (local.get $p0) (local.get $r)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $rem (i32.rem_u (local.get $p) (local.get $plane)))
        (local.set $img (i32.add (local.get $x) (i32.mul (i32.div_u (local.get $p) (local.get $plane))
          (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $bytes)))))
        (local.set $ih0 (i32.sub (i32.mul (i32.div_u (local.get $rem) (local.get $ow)) (local.get $sh)) (local.get $pt)))
        (local.set $iw0 (i32.sub (i32.mul (i32.rem_u (local.get $rem) (local.get $ow)) (local.get $sw)) (local.get $pl)))
        (local.set $interior (i32.and (i32.ge_s (local.get $iw0) (i32.const 0))
          (i32.le_s (i32.add (local.get $iw0) (local.get $kw)) (local.get $w))))
        (local.set $i (i32.const 0))
        (block $kh_done
          (loop $krows
            (br_if $kh_done (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $ih (i32.add (local.get $ih0) (local.get $i)))
            (if (i32.ge_u (local.get $ih) (local.get $h))
              (then (memory.fill (local.get $dst) (i32.const 0) (local.get $rowbytes)))
              (else
                (if (local.get $interior)
                  (then
                    (memory.copy (local.get $dst)
                      (i32.add (local.get $img) (i32.mul (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw0)) (local.get $bytes)))
                      (local.get $rowbytes)))
                  (else
                    (local.set $j (i32.const 0))
                    (block $kw_done
                      (loop $kcols
                        (br_if $kw_done (i32.ge_u (local.get $j) (local.get $kw)))
                        (local.set $iw (i32.add (local.get $iw0) (local.get $j)))
                        (if (i32.ge_u (local.get $iw) (local.get $w))
                          (then (memory.fill (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $bytes))) (i32.const 0) (local.get $bytes)))
                          (else (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $bytes)))
                            (i32.add (local.get $img) (i32.mul (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)) (local.get $bytes)))
                            (local.get $bytes))))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $kcols)))))))
            (local.set $dst (i32.add (local.get $dst) (local.get $rowbytes)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $krows)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows))))

  ;; The filter gradient dw [K × co] = im2col(x)ᵀ·dy, summed over the output positions in order,
  ;; `rows` at a time (C += A·B per chunk). co must be a multiple of 4.
  (func (export "conv_filter_grad")
    (param $x i32) (param $dy i32) (param $dw i32) (param $col i32) (param $rows i32)
    (param $n i32) (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32) (param $co i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $k i32) (local $p0 i32) (local $r i32) (local $total i32)
    (local.set $k (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $ci)))
    (local.set $total (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))))
    (memory.fill (local.get $dw) (i32.const 0) (i32.shl (i32.mul (local.get $k) (local.get $co)) (i32.const 2)))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $p0) (local.get $total)))
        (local.set $r (select (local.get $rows) (i32.sub (local.get $total) (local.get $p0))
          (i32.lt_u (local.get $rows) (i32.sub (local.get $total) (local.get $p0)))))
        (call $im2col_rows (local.get $x) (local.get $col) (local.get $p0) (local.get $r)
          (local.get $h) (local.get $w) (local.get $ci) (local.get $oh) (local.get $ow)
          (local.get $kh) (local.get $kw) (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl))
        (call $gemm (local.get $col)
          (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $p0) (local.get $co)) (i32.const 2)))
          (local.get $dw) (local.get $k) (local.get $r) (local.get $co) (i32.const 1) (local.get $k) (i32.const 1))
        (local.set $p0 (i32.add (local.get $p0) (local.get $r)))
        (br $chunks))))

  ;; The convolution y [P × co] = im2col(x)·w, `rows` output positions at a time. co % 4 = 0.
  (func (export "conv_forward")
    (param $x i32) (param $wt i32) (param $y i32) (param $col i32) (param $rows i32)
    (param $n i32) (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32) (param $co i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (local $k i32) (local $p0 i32) (local $r i32) (local $total i32)
    (local.set $k (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $ci)))
    (local.set $total (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $p0) (local.get $total)))
        (local.set $r (select (local.get $rows) (i32.sub (local.get $total) (local.get $p0))
          (i32.lt_u (local.get $rows) (i32.sub (local.get $total) (local.get $p0)))))
        (call $im2col_rows (local.get $x) (local.get $col) (local.get $p0) (local.get $r)
          (local.get $h) (local.get $w) (local.get $ci) (local.get $oh) (local.get $ow)
          (local.get $kh) (local.get $kw) (local.get $sh) (local.get $sw) (local.get $pt) (local.get $pl))
        (call $gemm (local.get $col) (local.get $wt)
          (i32.add (local.get $y) (i32.shl (i32.mul (local.get $p0) (local.get $co)) (i32.const 2)))
          (local.get $r) (local.get $k) (local.get $co) (local.get $k) (i32.const 1) (i32.const 0))
        (local.set $p0 (i32.add (local.get $p0) (local.get $r)))
        (br $chunks))))

  ;; max_pool_grad for 2×2 windows at stride 2 without padding (the CNN's pooling), where each
  ;; input is in at most one window: each window's four inputs are compared in row-major order
  ;; (the first maximum wins, as above) and all four of its dx written at once, 0 + dy at the
  ;; winner (so −0 becomes 0, as the scatter's sum makes it) and +0 elsewhere; no scatter, and no
  ;; fill unless a last row or column is outside every window.
  (func $max_pool_grad_2x2
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (local $cbytes i32) (local $row i32) (local $b i32) (local $y i32) (local $xo i32) (local $cc i32)
    (local $off i32) (local $o i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $best v128)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $d v128)
    (local.set $cbytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $row (i32.mul (local.get $w) (local.get $cbytes)))
    (if (i32.and (i32.or (local.get $h) (local.get $w)) (i32.const 1))
      (then (memory.fill (local.get $dx) (i32.const 0)
        (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $row)))))
    (local.set $o (local.get $dy))
    (block $b_done (loop $batch
      (br_if $b_done (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $y (i32.const 0))
      (block $y_done (loop $outrows
        (br_if $y_done (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $xo (i32.const 0))
        (block $x_done (loop $outcols
          (br_if $x_done (i32.ge_u (local.get $xo) (local.get $ow)))
          ;; the window's top-left input, channel 0
          (local.set $off (i32.add
            (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $y) (i32.const 1))) (local.get $row))
            (i32.mul (i32.shl (local.get $xo) (i32.const 1)) (local.get $cbytes))))
          (local.set $cc (i32.const 0))
          (block $c_done (loop $chans
            (br_if $c_done (i32.ge_u (local.get $cc) (local.get $cbytes)))
            (local.set $p0 (v128.load (i32.add (local.get $x) (local.get $off))))
            (local.set $p1 (v128.load (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $cbytes))))
            (local.set $p2 (v128.load (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $row))))
            (local.set $p3 (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $row)) (local.get $cbytes))))
            (local.set $g0 (f32x4.gt (local.get $p0) (f32x4.splat (f32.const -inf))))
            (local.set $best (v128.bitselect (local.get $p0) (f32x4.splat (f32.const -inf)) (local.get $g0)))
            (local.set $g1 (f32x4.gt (local.get $p1) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $p1) (local.get $best) (local.get $g1)))
            (local.set $g2 (f32x4.gt (local.get $p2) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $p2) (local.get $best) (local.get $g2)))
            (local.set $g3 (f32x4.gt (local.get $p3) (local.get $best)))
            ;; the last that beat the best so far is the first maximum: clear the earlier ones
            (local.set $g2 (v128.andnot (local.get $g2) (local.get $g3)))
            (local.set $g1 (v128.andnot (v128.andnot (local.get $g1) (local.get $g3)) (local.get $g2)))
            (local.set $g0 (v128.andnot (v128.andnot (v128.andnot (local.get $g0) (local.get $g3)) (local.get $g2)) (local.get $g1)))
            (local.set $d (f32x4.add (f32x4.splat (f32.const 0)) (v128.load (local.get $o))))
            (v128.store (i32.add (local.get $dx) (local.get $off)) (v128.and (local.get $d) (local.get $g0)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $off)) (local.get $cbytes)) (v128.and (local.get $d) (local.get $g1)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $off)) (local.get $row)) (v128.and (local.get $d) (local.get $g2)))
            (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $off)) (local.get $row)) (local.get $cbytes))
              (v128.and (local.get $d) (local.get $g3)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
            (br $chans)))
          (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
          (br $outcols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $outrows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batch))))

  ;; dx for max pooling, NHWC, c a multiple of 4 (4 channels to a lane group): each window's
  ;; gradient goes to its first maximum in row-major order (strict >, so NaN never wins and ties
  ;; keep the first), added into dx in output order: the same float32 sums as the JavaScript loop.
  (func (export "max_pool_grad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32)
    (param $sh i32) (param $sw i32) (param $kh i32) (param $kw i32) (param $pt i32) (param $pl i32)
    (local $b i32) (local $y i32) (local $xo i32) (local $cc i32) (local $ih i32) (local $iw i32)
    (local $h0 i32) (local $h1 i32) (local $w0 i32) (local $w1 i32) (local $off i32) (local $o i32)
    (local $cbytes i32) (local $best v128) (local $where v128) (local $v v128) (local $gt v128) (local $e i32)
    (if (i32.and (i32.and (i32.and (i32.eq (local.get $kh) (i32.const 2)) (i32.eq (local.get $kw) (i32.const 2)))
          (i32.and (i32.eq (local.get $sh) (i32.const 2)) (i32.eq (local.get $sw) (i32.const 2))))
        (i32.and (i32.and (i32.eqz (local.get $pt)) (i32.eqz (local.get $pl)))
          (i32.and (i32.eq (local.get $oh) (i32.shr_u (local.get $h) (i32.const 1)))
            (i32.eq (local.get $ow) (i32.shr_u (local.get $w) (i32.const 1))))))
      (then
        (call $max_pool_grad_2x2 (local.get $x) (local.get $dy) (local.get $dx)
          (local.get $n) (local.get $h) (local.get $w) (local.get $c) (local.get $oh) (local.get $ow))
        (return)))
    (local.set $cbytes (i32.shl (local.get $c) (i32.const 2)))
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $w)) (local.get $cbytes)))
    (local.set $o (local.get $dy))
    (block $b_done (loop $batch
      (br_if $b_done (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $y (i32.const 0))
      (block $y_done (loop $outrows
        (br_if $y_done (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $h0 (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $pt)))
        (local.set $h1 (i32.add (local.get $h0) (local.get $kh)))
        (if (i32.lt_s (local.get $h0) (i32.const 0)) (then (local.set $h0 (i32.const 0))))
        (if (i32.gt_s (local.get $h1) (local.get $h)) (then (local.set $h1 (local.get $h))))
        (local.set $xo (i32.const 0))
        (block $x_done (loop $outcols
          (br_if $x_done (i32.ge_u (local.get $xo) (local.get $ow)))
          (local.set $w0 (i32.sub (i32.mul (local.get $xo) (local.get $sw)) (local.get $pl)))
          (local.set $w1 (i32.add (local.get $w0) (local.get $kw)))
          (if (i32.lt_s (local.get $w0) (i32.const 0)) (then (local.set $w0 (i32.const 0))))
          (if (i32.gt_s (local.get $w1) (local.get $w)) (then (local.set $w1 (local.get $w))))
          (local.set $cc (i32.const 0))
          (block $c_done (loop $chans
            (br_if $c_done (i32.ge_u (local.get $cc) (local.get $cbytes)))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $where (i32x4.splat (i32.const -1)))
            (local.set $ih (local.get $h0))
            (block $ih_done (loop $wrows
              (br_if $ih_done (i32.ge_s (local.get $ih) (local.get $h1)))
              (local.set $iw (local.get $w0))
              (block $iw_done (loop $wcols
                (br_if $iw_done (i32.ge_s (local.get $iw) (local.get $w1)))
                (local.set $off (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h))
                  (local.get $ih)) (local.get $w)) (local.get $iw)) (local.get $cbytes)) (local.get $cc)))
                (local.set $v (v128.load (i32.add (local.get $x) (local.get $off))))
                (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
                (local.set $where (v128.bitselect
                  (i32x4.add (i32x4.splat (local.get $off)) (v128.const i32x4 0 4 8 12))
                  (local.get $where) (local.get $gt)))
                (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
                (br $wcols)))
              (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
              (br $wrows)))
            (local.set $e (i32x4.extract_lane 0 (local.get $where)))
            (if (i32.ge_s (local.get $e) (i32.const 0)) (then
              (f32.store (i32.add (local.get $dx) (local.get $e))
                (f32.add (f32.load (i32.add (local.get $dx) (local.get $e))) (f32.load (local.get $o))))))
            (local.set $e (i32x4.extract_lane 1 (local.get $where)))
            (if (i32.ge_s (local.get $e) (i32.const 0)) (then
              (f32.store (i32.add (local.get $dx) (local.get $e))
                (f32.add (f32.load (i32.add (local.get $dx) (local.get $e))) (f32.load offset=4 (local.get $o))))))
            (local.set $e (i32x4.extract_lane 2 (local.get $where)))
            (if (i32.ge_s (local.get $e) (i32.const 0)) (then
              (f32.store (i32.add (local.get $dx) (local.get $e))
                (f32.add (f32.load (i32.add (local.get $dx) (local.get $e))) (f32.load offset=8 (local.get $o))))))
            (local.set $e (i32x4.extract_lane 3 (local.get $where)))
            (if (i32.ge_s (local.get $e) (i32.const 0)) (then
              (f32.store (i32.add (local.get $dx) (local.get $e))
                (f32.add (f32.load (i32.add (local.get $dx) (local.get $e))) (f32.load offset=12 (local.get $o))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
            (br $chans)))
          (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
          (br $outcols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $outrows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batch))))

  ;; A dense layer's pieces around the GEMM. Rows are [m×n] row-major; n need not be a multiple of 4.

  ;; y[i, :] = b for each of m rows: the accumulators of a fused layer start from its bias, as
  ;; XNNPACK's fully connected operator (tfjs's _FusedMatMul on wasm) starts them.
  (func (export "fill_rows") (param $y i32) (param $b i32) (param $m i32) (param $n i32)
    (local $i i32) (local $row i32)
    (local.set $row (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (call $copy (local.get $y) (local.get $b) (local.get $n))
        (local.set $y (i32.add (local.get $y) (local.get $row)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; y[i, j] = y[i, j] + b[j] where b ≠ 0 (tfjs's Add), then, where relu = 1, x < 0 ? 0 : x
  ;; (tfjs's Relu on wasm: −0 and NaN pass); relu = 2: see below.
  (func (export "dense_epilogue") (param $y i32) (param $b i32) (param $m i32) (param $n i32) (param $relu i32)
    (local $i i32) (local $end i32) (local $x v128)
    (if (local.get $b)
      (then
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
            (call $add_into (i32.add (local.get $y) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2)))
              (local.get $b) (local.get $n))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))))
    (if (i32.eq (local.get $relu) (i32.const 1))
      (then
        (local.set $end (i32.add (local.get $y) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2))))
        (block $vdone
          (loop $v
            (br_if $vdone (i32.gt_u (i32.add (local.get $y) (i32.const 16)) (local.get $end)))
            (local.set $x (v128.load (local.get $y)))
            (v128.store (local.get $y)
              (v128.bitselect (f32x4.splat (f32.const 0)) (local.get $x) (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0)))))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (br $v)))
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
            (if (f32.lt (f32.load (local.get $y)) (f32.const 0)) (then (f32.store (local.get $y) (f32.const 0))))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (br $l)))))
    ;; relu = 2: XNNPACK's clamp to [0, ∞) (model.predict's fused ReLU on wasm): x > 0 ? x : 0.
    (if (i32.eq (local.get $relu) (i32.const 2))
      (then
        (local.set $end (i32.add (local.get $y) (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2))))
        (block $vdone2
          (loop $v2
            (br_if $vdone2 (i32.gt_u (i32.add (local.get $y) (i32.const 16)) (local.get $end)))
            (local.set $x (v128.load (local.get $y)))
            (v128.store (local.get $y)
              (v128.bitselect (local.get $x) (f32x4.splat (f32.const 0)) (f32x4.gt (local.get $x) (f32x4.splat (f32.const 0)))))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (br $v2)))
        (block $done2
          (loop $l2
            (br_if $done2 (i32.ge_u (local.get $y) (local.get $end)))
            (if (i32.eqz (f32.gt (f32.load (local.get $y)) (f32.const 0))) (then (f32.store (local.get $y) (f32.const 0))))
            (local.set $y (i32.add (local.get $y) (i32.const 4)))
            (br $l2))))))

  ;; db[j] = Σ dz[i, j] over the m rows in order, from 0: tfjs's Sum over the batch axis.
  (func (export "col_sums") (param $dz i32) (param $db i32) (param $m i32) (param $n i32)
    (local $i i32)
    (call $fill0 (local.get $db) (local.get $n))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (call $add_into (local.get $db) (i32.add (local.get $dz) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2)))
          (local.get $n))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; relu_grad and col_sums in one pass, for a layer whose bias and ReLU are fused into it (a
  ;; convolution, conv-relu.ts): dz [m×n] = relu_grad(dy, y) (y, the layer's output, is > 0 and
  ;; NaN exactly where its input is), and db [n] = Σ dz[i, j] over the rows in order, from 0: the
  ;; same float32 operations, in the same order, as relu_grad then col_sums. n % 4 = 0.
  (func (export "relu_grad_sums") (param $dy i32) (param $y i32) (param $dz i32) (param $db i32) (param $m i32) (param $n i32)
    (local $i i32) (local $j i32) (local $row i32) (local $off i32) (local $o i32) (local $v v128) (local $d v128)
    (call $fill0 (local.get $db) (local.get $n))
    (local.set $row (i32.shl (local.get $n) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $row)))
            (local.set $o (i32.add (local.get $off) (local.get $j)))
            (local.set $v (v128.load (i32.add (local.get $y) (local.get $o))))
            (local.set $d
              (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $o)))
                (v128.bitselect (local.get $v)
                  (v128.bitselect (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 0))
                    (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
                  (f32x4.ne (local.get $v) (local.get $v)))))
            (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $d))
            (v128.store (i32.add (local.get $db) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $db) (local.get $j))) (local.get $d)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $cols)))
        (local.set $off (i32.add (local.get $off) (local.get $row)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; ReLU's gradient as tfjs computes it on wasm, dy·cast(step(x)): dx = dy·s with s = 1 where
  ;; x > 0, x where x is NaN (step passes NaN on), else 0.
  (func (export "relu_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32) (local $vend i32) (local $v v128) (local $s f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vend (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $vend)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
        (v128.store (i32.add (local.get $dx) (local.get $i))
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $i)))
            (v128.bitselect (local.get $v)
              (v128.bitselect (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const 0))
                (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))))
              (f32x4.ne (local.get $v) (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $s (f32.load (i32.add (local.get $x) (local.get $i))))
        (f32.store (i32.add (local.get $dx) (local.get $i))
          (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i)))
            (select (local.get $s)
              (select (f32.const 1) (f32.const 0) (f32.gt (local.get $s) (f32.const 0)))
              (f32.ne (local.get $s) (local.get $s)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $t))))
)
