;; sum_to(n) = n + (n - 1) + … + 1, 7 steps per iteration: the small run that the
;; aggregation tests and the aggregation measurement cut into two segments.
(module (func (export "sum_to") (param $n i32) (result i32) (local $acc i32)
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $n)))
    (local.set $acc (i32.add (local.get $acc) (local.get $n)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
    (br $next)))
  (local.get $acc)))
