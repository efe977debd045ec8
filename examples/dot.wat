;; Host IO: the dot product of a public vector and a private vector.
;;
;; `dot(n)` reads n public inputs (a), then n private inputs (b), both with env.wasm_input,
;; checks with env.require that no b is negative, writes a·b with env.wasm_output and returns
;; it. A proof of a run shows the public a, the output and the result, and hides b.
;;
;;   halowasm prove examples/dot.wat --invoke dot --args 3 --public 1,2,3 --private 4,5,6
(module
  (import "env" "wasm_input" (func $input (param i32) (result i64)))
  (import "env" "wasm_output" (func $output (param i64)))
  (import "env" "require" (func $require (param i32)))
  (func (export "dot") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $b i64)
    (local $a_base i32)
    ;; The public vector goes to memory first (it is read before any private input).
    (block $read_done
      (loop $read
        (br_if $read_done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store (i32.shl (local.get $i) (i32.const 3)) (call $input (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $read)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $b (call $input (i32.const 0)))
        (call $require (i64.ge_s (local.get $b) (i64.const 0)))
        (local.set $acc
          (i64.add (local.get $acc)
            (i64.mul (local.get $b) (i64.load (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $output (local.get $acc))
    (local.get $acc))
  (memory 1))
