;; Linear memory, globals and calls: fill a buffer with a sequence, then checksum it.
;;   cargo run --release -- prove examples/checksum.wat --invoke run --args 64,7
(module
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (global $seed i64 (i64.const 0x9e3779b97f4a7c15))

  ;; count calls in a global
  (func $tick (global.set $calls (i32.add (global.get $calls) (i32.const 1))))

  ;; store n i64 words at addr (unaligned when addr is), word i = seed * (i + k) xor i
  (func $fill (param $addr i32) (param $n i32) (param $k i64)
    (local $i i32)
    (call $tick)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store
          (i32.add (local.get $addr) (i32.mul (local.get $i) (i32.const 8)))
          (i64.xor
            (i64.mul (global.get $seed) (i64.add (i64.extend_i32_u (local.get $i)) (local.get $k)))
            (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; sum of the words, mixing in 32-bit loads of the same bytes
  (func $sum (param $addr i32) (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (call $tick)
    (block $done
      (loop $l
        (br_if $done (i32.eq (local.get $i) (local.get $n)))
        (local.set $acc
          (i64.add (local.get $acc)
            (i64.load (i32.add (local.get $addr) (i32.mul (local.get $i) (i32.const 8))))))
        (local.set $acc
          (i64.xor (local.get $acc)
            (i64.extend_i32_u (i32.load offset=2 (i32.add (local.get $addr) (i32.mul (local.get $i) (i32.const 8)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))

  ;; run(n, k): fill n words at an unaligned address, return the checksum + number of calls
  (func (export "run") (param $n i32) (param $k i32) (result i64)
    (call $fill (i32.const 13) (local.get $n) (i64.extend_i32_u (local.get $k)))
    (i64.add
      (call $sum (i32.const 13) (local.get $n))
      (i64.extend_i32_u (global.get $calls)))))
