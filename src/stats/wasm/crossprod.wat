;; The triangle step of crossprodChunk (src/stats/linalg.ts) in WebAssembly SIMD, for a block of
;; `len` rows already standardised by the caller: X (len × q, row-major) and WX = w·X. For every
;; a ≤ b, out[idx(a, b)] += Σ_i WX[i][a] · X[i][b], summed over i in order from 0, one rounding
;; per multiply and per add (no fused multiply-add) — the same operations, in the same order, as
;; the JavaScript kernel, so the results are the same bits. Two lanes hold two entries of the
;; same row of the triangle (b and b + 1); they never mix, so vectorising changes nothing but
;; speed. idx(a, b) = a·q − a(a − 1)/2 + (b − a), entries of 8 bytes from `op`.
;; Build: node scripts/build-wasm.mjs (wabt) → src/stats/wasm/crossprodWasm.ts (base64).
(module
  (memory (export "memory") 1)
  ;; byte offset of out entry (a, b)
  (func $idx (param $q i32) (param $a i32) (param $b i32) (param $op i32) (result i32)
    (i32.add (local.get $op)
      (i32.shl
        (i32.add
          (i32.sub (i32.mul (local.get $a) (local.get $q))
                   (i32.shr_u (i32.mul (local.get $a) (i32.sub (local.get $a) (i32.const 1))) (i32.const 1)))
          (i32.sub (local.get $b) (local.get $a)))
        (i32.const 3))))
  (func $add (param $p i32) (param $v f64)
    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $v))))
;; The standardising step: from the raw block (column-major, raw[a·B + i], copied in by the
  ;; caller), X[i·q + a] = (raw − center[a]) / scale[a] (1 where flags[a] = 1: the intercept) and
  ;; WX[i·q + a] = w[i]·X[i·q + a] (= X when hasW = 0) — one subtraction, one division, one
  ;; multiplication, each rounded once, as crossprodChunk's JavaScript does.
  (func (export "stage") (param $raw i32) (param $wraw i32) (param $cp i32) (param $sp i32) (param $flags i32)
                         (param $xp i32) (param $wp i32) (param $q i32) (param $len i32) (param $B i32) (param $hasW i32)
    (local $a i32) (local $i i32) (local $ps i32) (local $po i32) (local $pw i32) (local $qb i32)
    (local $m f64) (local $sd f64) (local $x f64) (local $one i32)
    (local.set $qb (i32.shl (local.get $q) (i32.const 3)))
    (local.set $a (i32.const 0))
    (block $ad
      (loop $al
        (br_if $ad (i32.ge_s (local.get $a) (local.get $q)))
        (local.set $one (i32.load (i32.add (local.get $flags) (i32.shl (local.get $a) (i32.const 2)))))
        (local.set $m (f64.load (i32.add (local.get $cp) (i32.shl (local.get $a) (i32.const 3)))))
        (local.set $sd (f64.load (i32.add (local.get $sp) (i32.shl (local.get $a) (i32.const 3)))))
        (local.set $ps (i32.add (local.get $raw) (i32.shl (i32.mul (local.get $a) (local.get $B)) (i32.const 3))))
        (local.set $po (i32.shl (local.get $a) (i32.const 3)))
        (local.set $pw (local.get $wraw))
        (local.set $i (i32.const 0))
        (block $id
          (loop $il
            (br_if $id (i32.ge_s (local.get $i) (local.get $len)))
            (local.set $x
              (if (result f64) (local.get $one)
                (then (f64.const 1))
                (else (f64.div (f64.sub (f64.load (local.get $ps)) (local.get $m)) (local.get $sd)))))
            (f64.store (i32.add (local.get $xp) (local.get $po)) (local.get $x))
            (f64.store (i32.add (local.get $wp) (local.get $po))
              (if (result f64) (local.get $hasW)
                (then (f64.mul (f64.load (local.get $pw)) (local.get $x)))
                (else (local.get $x))))
            (local.set $ps (i32.add (local.get $ps) (i32.const 8)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 8)))
            (local.set $po (i32.add (local.get $po) (local.get $qb)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al))))
  (func (export "tri") (param $q i32) (param $len i32) (param $xp i32) (param $wp i32) (param $op i32)
    (local $a i32) (local $b i32) (local $i i32) (local $stride i32)
    (local $px i32) (local $pw i32) (local $end i32)
    (local $wa v128) (local $wb v128) (local $x0 v128) (local $x1 v128)
    (local $A0 v128) (local $A1 v128) (local $C0 v128) (local $C1 v128)
    (local $e f64) (local $f f64) (local $xs f64)
    (local.set $stride (i32.shl (local.get $q) (i32.const 3)))
    (local.set $end (i32.mul (local.get $len) (local.get $stride)))
    (local.set $a (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (i32.add (local.get $a) (i32.const 1)) (local.get $q)))
        ;; diagonal tile: (a, a), (a, a + 1) in lanes; (a + 1, a + 1) scalar
        (local.set $A0 (v128.const f64x2 0 0))
        (local.set $e (f64.const 0))
        (local.set $i (i32.const 0))
        (block $d_done
          (loop $d
            (br_if $d_done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $px (i32.add (i32.add (local.get $xp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
            (local.set $pw (i32.add (i32.add (local.get $wp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
            (local.set $A0 (f64x2.add (local.get $A0)
              (f64x2.mul (v128.load64_splat (local.get $pw)) (v128.load (local.get $px)))))
            (local.set $e (f64.add (local.get $e)
              (f64.mul (f64.load offset=8 (local.get $pw)) (f64.load offset=8 (local.get $px)))))
            (local.set $i (i32.add (local.get $i) (local.get $stride)))
            (br $d)))
        (call $add (call $idx (local.get $q) (local.get $a) (local.get $a) (local.get $op)) (f64x2.extract_lane 0 (local.get $A0)))
        (call $add (call $idx (local.get $q) (local.get $a) (i32.add (local.get $a) (i32.const 1)) (local.get $op)) (f64x2.extract_lane 1 (local.get $A0)))
        (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $a) (i32.const 1)) (local.get $op)) (local.get $e))
        ;; columns b, b+1, b+2, b+3 for rows a and a + 1
        (local.set $b (i32.add (local.get $a) (i32.const 2)))
        (block $quadsDone
          (loop $quads
            (br_if $quadsDone (i32.ge_s (i32.add (local.get $b) (i32.const 3)) (local.get $q)))
            (local.set $A0 (v128.const f64x2 0 0))
            (local.set $A1 (v128.const f64x2 0 0))
            (local.set $C0 (v128.const f64x2 0 0))
            (local.set $C1 (v128.const f64x2 0 0))
            (local.set $i (i32.const 0))
            (block $q_done
              (loop $qi
                (br_if $q_done (i32.ge_u (local.get $i) (local.get $end)))
                (local.set $px (i32.add (i32.add (local.get $xp) (local.get $i)) (i32.shl (local.get $b) (i32.const 3))))
                (local.set $pw (i32.add (i32.add (local.get $wp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
                (local.set $wa (v128.load64_splat (local.get $pw)))
                (local.set $wb (v128.load64_splat offset=8 (local.get $pw)))
                (local.set $x0 (v128.load (local.get $px)))
                (local.set $x1 (v128.load offset=16 (local.get $px)))
                (local.set $A0 (f64x2.add (local.get $A0) (f64x2.mul (local.get $wa) (local.get $x0))))
                (local.set $A1 (f64x2.add (local.get $A1) (f64x2.mul (local.get $wa) (local.get $x1))))
                (local.set $C0 (f64x2.add (local.get $C0) (f64x2.mul (local.get $wb) (local.get $x0))))
                (local.set $C1 (f64x2.add (local.get $C1) (f64x2.mul (local.get $wb) (local.get $x1))))
                (local.set $i (i32.add (local.get $i) (local.get $stride)))
                (br $qi)))
            (call $add (call $idx (local.get $q) (local.get $a) (local.get $b) (local.get $op)) (f64x2.extract_lane 0 (local.get $A0)))
            (call $add (call $idx (local.get $q) (local.get $a) (i32.add (local.get $b) (i32.const 1)) (local.get $op)) (f64x2.extract_lane 1 (local.get $A0)))
            (call $add (call $idx (local.get $q) (local.get $a) (i32.add (local.get $b) (i32.const 2)) (local.get $op)) (f64x2.extract_lane 0 (local.get $A1)))
            (call $add (call $idx (local.get $q) (local.get $a) (i32.add (local.get $b) (i32.const 3)) (local.get $op)) (f64x2.extract_lane 1 (local.get $A1)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (local.get $b) (local.get $op)) (f64x2.extract_lane 0 (local.get $C0)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 1)) (local.get $op)) (f64x2.extract_lane 1 (local.get $C0)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 2)) (local.get $op)) (f64x2.extract_lane 0 (local.get $C1)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 3)) (local.get $op)) (f64x2.extract_lane 1 (local.get $C1)))
            (local.set $b (i32.add (local.get $b) (i32.const 4)))
            (br $quads)))
        ;; a pair of columns left
        (if (i32.lt_s (i32.add (local.get $b) (i32.const 1)) (local.get $q))
          (then
            (local.set $A0 (v128.const f64x2 0 0))
            (local.set $C0 (v128.const f64x2 0 0))
            (local.set $i (i32.const 0))
            (block $p_done
              (loop $pi
                (br_if $p_done (i32.ge_u (local.get $i) (local.get $end)))
                (local.set $px (i32.add (i32.add (local.get $xp) (local.get $i)) (i32.shl (local.get $b) (i32.const 3))))
                (local.set $pw (i32.add (i32.add (local.get $wp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
                (local.set $x0 (v128.load (local.get $px)))
                (local.set $A0 (f64x2.add (local.get $A0) (f64x2.mul (v128.load64_splat (local.get $pw)) (local.get $x0))))
                (local.set $C0 (f64x2.add (local.get $C0) (f64x2.mul (v128.load64_splat offset=8 (local.get $pw)) (local.get $x0))))
                (local.set $i (i32.add (local.get $i) (local.get $stride)))
                (br $pi)))
            (call $add (call $idx (local.get $q) (local.get $a) (local.get $b) (local.get $op)) (f64x2.extract_lane 0 (local.get $A0)))
            (call $add (call $idx (local.get $q) (local.get $a) (i32.add (local.get $b) (i32.const 1)) (local.get $op)) (f64x2.extract_lane 1 (local.get $A0)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (local.get $b) (local.get $op)) (f64x2.extract_lane 0 (local.get $C0)))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 1)) (local.get $op)) (f64x2.extract_lane 1 (local.get $C0)))
            (local.set $b (i32.add (local.get $b) (i32.const 2)))))
        ;; a single column left
        (if (i32.lt_s (local.get $b) (local.get $q))
          (then
            (local.set $e (f64.const 0))
            (local.set $f (f64.const 0))
            (local.set $i (i32.const 0))
            (block $s_done
              (loop $si
                (br_if $s_done (i32.ge_u (local.get $i) (local.get $end)))
                (local.set $px (i32.add (i32.add (local.get $xp) (local.get $i)) (i32.shl (local.get $b) (i32.const 3))))
                (local.set $pw (i32.add (i32.add (local.get $wp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
                (local.set $xs (f64.load (local.get $px)))
                (local.set $e (f64.add (local.get $e) (f64.mul (f64.load (local.get $pw)) (local.get $xs))))
                (local.set $f (f64.add (local.get $f) (f64.mul (f64.load offset=8 (local.get $pw)) (local.get $xs))))
                (local.set $i (i32.add (local.get $i) (local.get $stride)))
                (br $si)))
            (call $add (call $idx (local.get $q) (local.get $a) (local.get $b) (local.get $op)) (local.get $e))
            (call $add (call $idx (local.get $q) (i32.add (local.get $a) (i32.const 1)) (local.get $b) (local.get $op)) (local.get $f))))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $rows)))
    ;; the last row when q is odd: (a, a)
    (if (i32.lt_s (local.get $a) (local.get $q))
      (then
        (local.set $e (f64.const 0))
        (local.set $i (i32.const 0))
        (block $l_done
          (loop $li
            (br_if $l_done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $px (i32.add (i32.add (local.get $xp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
            (local.set $pw (i32.add (i32.add (local.get $wp) (local.get $i)) (i32.shl (local.get $a) (i32.const 3))))
            (local.set $e (f64.add (local.get $e) (f64.mul (f64.load (local.get $pw)) (f64.load (local.get $px)))))
            (local.set $i (i32.add (local.get $i) (local.get $stride)))
            (br $li)))
        (call $add (call $idx (local.get $q) (local.get $a) (local.get $a) (local.get $op)) (local.get $e)))))
)
