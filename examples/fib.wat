;; Iterative Fibonacci over i64: fib(0) = 0, fib(1) = 1, fib(n) = fib(n-1) + fib(n-2) mod 2^64.
;;   cargo run --release -- prove examples/fib.wat --invoke fib --args 20
(module
  (func $fib (export "fib") (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $t (i64.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $a)))
