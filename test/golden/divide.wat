;; div a0,a0,a1; remuw a2,a0,a1; ret — guarded division
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
  (local $38 i32)
  (local $39 i32)
  (local $40 i64)
  (local $41 i32)
  (local.set $14
   (i64.load
    (i32.const 4176)
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
       (local.get $14)
      )
      (local.set $37
       (local.get $15)
      )
      (local.set $14
       (if (result i64)
        (i64.eqz
         (local.get $37)
        )
        (then
         (i64.const -1)
        )
        (else
         (if (result i64)
          (i32.and
           (i64.eq
            (local.get $36)
            (i64.const -9223372036854775808)
           )
           (i64.eq
            (local.get $37)
            (i64.const -1)
           )
          )
          (then
           (i64.const -9223372036854775808)
          )
          (else
           (i64.div_s
            (local.get $36)
            (local.get $37)
           )
          )
         )
        )
       )
      )
      (local.set $38
       (i32.wrap_i64
        (local.get $14)
       )
      )
      (local.set $39
       (i32.wrap_i64
        (local.get $15)
       )
      )
      (local.set $16
       (i64.extend_i32_s
        (if (result i32)
         (i32.eqz
          (local.get $39)
         )
         (then
          (local.get $38)
         )
         (else
          (i32.rem_u
           (local.get $38)
           (local.get $39)
          )
         )
        )
       )
      )
      (local.set $4
       (i64.sub
        (local.get $4)
        (i64.const 3)
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
