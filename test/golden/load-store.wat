;; ld a0,8(a1); sd a0,16(a1); lw a2,0(a1); sb a2,1(a1); ret — fast paths and slow-path calls
(module
 (type $0 (func (param i32) (result i32)))
 (type $1 (func (result i32)))
 (import "env" "memory" (memory $mem 0))
 (import "env" "table" (table $t 0 funcref))
 (import "env" "execOp" (func $execOp (result i32)))
 (export "region" (func $region))
 (func $region (param $0 i32) (result i32)
  (local $1 i32)
  (local $2 i32)
  (local $3 i64)
  (local $4 i64)
  (local $5 i64)
  (local $6 i64)
  (local $7 i64)
  (local $8 i64)
  (local $9 i64)
  (local $10 i64)
  (local $11 i64)
  (local $12 i64)
  (local $13 i64)
  (local $14 i64)
  (local $15 i64)
  (local $16 i64)
  (local $17 i64)
  (local $18 i64)
  (local $19 i64)
  (local $20 i64)
  (local $21 i64)
  (local $22 i64)
  (local $23 i64)
  (local $24 i64)
  (local $25 i64)
  (local $26 i64)
  (local $27 i64)
  (local $28 i64)
  (local $29 i64)
  (local $30 i64)
  (local $31 i64)
  (local $32 i64)
  (local $33 i64)
  (local $34 i64)
  (local $35 i64)
  (local $36 i64)
  (local $37 i64)
  (local $38 i64)
  (local $39 i64)
  (local $40 i64)
  (local $41 i32)
  (local.set $14
   (i64.load
    (i32.const 4176)
   )
  )
  (local.set $16
   (i64.load
    (i32.const 4192)
   )
  )
  (local.set $15
   (i64.load
    (i32.const 4184)
   )
  )
  (local.set $5
   (i64.load
    (i32.const 4104)
   )
  )
  (local.set $4
   (i64.sub
    (i64.load
     (i32.const 4440)
    )
    (i64.load
     (i32.const 30736)
    )
   )
  )
  (block $exit
   (block
    (block
     (block
      (local.set $36
       (i64.add
        (local.get $15)
        (i64.const -2147483640)
       )
      )
      (block $done1
       (block $slow0
        (br_if $slow0
         (i64.gt_u
          (local.get $36)
          (i64.const 1048568)
         )
        )
        (drop
         (i32.const 732765664)
        )
        (local.set $14
         (i64.load offset=16777216 align=1
          (i32.wrap_i64
           (local.get $36)
          )
         )
        )
        (br $done1)
       )
       (block
        (local.set $3
         (i64.const 2147483648)
        )
        (local.set $2
         (i32.const -2)
        )
        (br $exit)
       )
      )
      (local.set $37
       (i64.add
        (local.get $15)
        (i64.const -2147483632)
       )
      )
      (block $done3
       (block $slow2
        (br_if $slow2
         (i64.gt_u
          (local.get $37)
          (i64.const 1048568)
         )
        )
        (drop
         (i32.const 732765664)
        )
        (br_if $slow2
         (i32.load8_u offset=5242880
          (i32.wrap_i64
           (i64.shr_u
            (local.get $37)
            (i64.const 12)
           )
          )
         )
        )
        (drop
         (i32.const 732765664)
        )
        (i64.store offset=16777216 align=1
         (i32.wrap_i64
          (local.get $37)
         )
         (local.get $14)
        )
        (br $done3)
       )
       (block
        (local.set $4
         (i64.sub
          (local.get $4)
          (i64.const 1)
         )
        )
        (local.set $3
         (i64.const 2147483652)
        )
        (local.set $2
         (i32.const -2)
        )
        (br $exit)
       )
      )
      (local.set $38
       (i64.add
        (local.get $15)
        (i64.const -2147483648)
       )
      )
      (block $done5
       (block $slow4
        (br_if $slow4
         (i64.gt_u
          (local.get $38)
          (i64.const 1048568)
         )
        )
        (drop
         (i32.const 732765664)
        )
        (local.set $16
         (i64.load32_s offset=16777216 align=1
          (i32.wrap_i64
           (local.get $38)
          )
         )
        )
        (br $done5)
       )
       (block
        (local.set $4
         (i64.sub
          (local.get $4)
          (i64.const 2)
         )
        )
        (local.set $3
         (i64.const 2147483656)
        )
        (local.set $2
         (i32.const -2)
        )
        (br $exit)
       )
      )
      (local.set $39
       (i64.add
        (local.get $15)
        (i64.const -2147483647)
       )
      )
      (block $done7
       (block $slow6
        (br_if $slow6
         (i64.gt_u
          (local.get $39)
          (i64.const 1048568)
         )
        )
        (drop
         (i32.const 732765664)
        )
        (br_if $slow6
         (i32.load8_u offset=5242880
          (i32.wrap_i64
           (i64.shr_u
            (local.get $39)
            (i64.const 12)
           )
          )
         )
        )
        (drop
         (i32.const 732765664)
        )
        (i64.store8 offset=16777216
         (i32.wrap_i64
          (local.get $39)
         )
         (local.get $16)
        )
        (br $done7)
       )
       (block
        (local.set $4
         (i64.sub
          (local.get $4)
          (i64.const 3)
         )
        )
        (local.set $3
         (i64.const 2147483660)
        )
        (local.set $2
         (i32.const -2)
        )
        (br $exit)
       )
      )
      (local.set $4
       (i64.sub
        (local.get $4)
        (i64.const 5)
       )
      )
      (local.set $40
       (i64.and
        (i64.add
         (local.get $5)
         (i64.const 0)
        )
        (i64.const -2)
       )
      )
     )
     (block
      (local.set $3
       (local.get $40)
      )
      (local.set $2
       (i32.const -1)
      )
      (br $exit)
     )
    )
   )
  )
  (i64.store
   (i32.const 4176)
   (local.get $14)
  )
  (i64.store
   (i32.const 4192)
   (local.get $16)
  )
  (i64.store
   (i32.const 4360)
   (local.get $3)
  )
  (i64.store
   (i32.const 30736)
   (i64.sub
    (i64.load
     (i32.const 4440)
    )
    (local.get $4)
   )
  )
  (if
   (i32.eq
    (local.get $2)
    (i32.const -1)
   )
   (then
    (local.set $41
     (i32.add
      (i32.shl
       (i32.and
        (i32.wrap_i64
         (i64.shr_u
          (local.get $3)
          (i64.const 1)
         )
        )
        (i32.const 65535)
       )
       (i32.const 4)
      )
      (i32.const 6291456)
     )
    )
    (if
     (i64.eq
      (i64.load
       (local.get $41)
      )
      (i64.xor
       (local.get $3)
       (i64.load
        (i32.const 4480)
       )
      )
     )
     (then
      (if
       (i64.gt_s
        (local.get $4)
        (i64.const 0)
       )
       (then
        (i64.store
         (i32.const 4464)
         (i64.add
          (i64.load
           (i32.const 4464)
          )
          (i64.const 1)
         )
        )
        (return_call_indirect (type $0)
         (i32.load offset=12
          (local.get $41)
         )
         (i32.load offset=8
          (local.get $41)
         )
        )
       )
      )
     )
    )
   )
  )
  (i64.store
   (i32.const 4472)
   (i64.add
    (i64.load
     (i32.const 4472)
    )
    (i64.const 1)
   )
  )
  (return
   (local.get $2)
  )
 )
)
