;; the load-store snippet translated with paging on (S-mode): TLB lookups, the interpreter op on a miss
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
  (local $39 i64)
  (local $40 i64)
  (local $41 i32)
  (local $42 i32)
  (local $43 i32)
  (local $44 i64)
  (local $45 i64)
  (local $46 i64)
  (local $47 i32)
  (local $48 i64)
  (local $49 i64)
  (local $50 i32)
  (local $51 i32)
  (local $52 i32)
  (local $53 i64)
  (local $54 i64)
  (local $55 i32)
  (local $56 i64)
  (local $57 i64)
  (local $58 i32)
  (local $59 i32)
  (local $60 i32)
  (local $61 i64)
  (local $62 i64)
  (local $63 i32)
  (local $64 i64)
  (local $65 i64)
  (local $66 i32)
  (local $67 i32)
  (local $68 i32)
  (local $69 i64)
  (local $70 i32)
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
  (block
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
   (local.set $44
    (i64.or
     (i64.or
      (i64.shl
       (i64.and
        (i64.shr_u
         (i64.load
          (i32.const 14336)
         )
         (i64.const 19)
        )
        (i64.const 1)
       )
       (i64.const 11)
      )
      (i64.shl
       (i64.and
        (i64.shr_u
         (i64.load
          (i32.const 14336)
         )
         (i64.const 18)
        )
        (i64.const 1)
       )
       (i64.const 10)
      )
     )
     (i64.or
      (i64.shl
       (i64.add
        (i64.load
         (i32.const 4368)
        )
        (i64.const 1)
       )
       (i64.const 7)
      )
      (i64.const 64)
     )
    )
   )
   (block
    (local.set $36
     (i64.const 64)
    )
    (local.set $37
     (i64.const 64)
    )
    (local.set $45
     (i64.const 64)
    )
    (local.set $46
     (i64.const 64)
    )
    (local.set $53
     (i64.const 64)
    )
    (local.set $54
     (i64.const 64)
    )
    (local.set $61
     (i64.const 64)
    )
    (local.set $62
     (i64.const 64)
    )
   )
  )
  (block $exit
   (block
    (block
     (block
      (local.set $39
       (i64.add
        (local.get $15)
        (i64.const 8)
       )
      )
      (local.set $40
       (i64.and
        (local.get $39)
        (i64.const -4089)
       )
      )
      (block $done3
       (block $slow2
        (block $done0
         (local.set $43
          (i32.add
           (i32.wrap_i64
            (local.get $39)
           )
           (i32.const -2130706432)
          )
         )
         (br_if $done0
          (i64.eq
           (local.get $40)
           (local.get $36)
          )
         )
         (drop
          (i32.const 732765665)
         )
         (block $hit1
          (br_if $hit1
           (i64.eq
            (local.get $40)
            (local.get $37)
           )
          )
          (drop
           (i32.const 732765665)
          )
          (local.set $41
           (i32.and
            (i32.wrap_i64
             (i64.shr_u
              (local.get $39)
              (i64.const 8)
             )
            )
            (i32.const 16368)
           )
          )
          (br_if $slow2
           (i64.ne
            (i64.load offset=14696448
             (local.get $41)
            )
            (i64.or
             (local.get $40)
             (local.get $44)
            )
           )
          )
          (drop
           (i32.const 732765664)
          )
          (local.set $42
           (i32.load offset=14696456
            (local.get $41)
           )
          )
          (if
           (i32.eq
            (local.get $42)
            (i32.const -2130706432)
           )
           (then
            (local.set $36
             (local.get $40)
            )
            (br $done0)
           )
          )
          (local.set $37
           (local.get $40)
          )
          (local.set $38
           (local.get $42)
          )
         )
         (local.set $43
          (i32.add
           (i32.wrap_i64
            (local.get $39)
           )
           (local.get $38)
          )
         )
        )
        (local.set $14
         (i64.load align=1
          (local.get $43)
         )
        )
        (br $done3)
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
      (local.set $48
       (i64.add
        (local.get $15)
        (i64.const 16)
       )
      )
      (local.set $49
       (i64.and
        (local.get $48)
        (i64.const -4089)
       )
      )
      (block $done7
       (block $slow6
        (block $done4
         (local.set $52
          (i32.add
           (i32.wrap_i64
            (local.get $48)
           )
           (i32.const -2130706432)
          )
         )
         (br_if $done4
          (i64.eq
           (local.get $49)
           (local.get $45)
          )
         )
         (drop
          (i32.const 732765665)
         )
         (block $hit5
          (br_if $hit5
           (i64.eq
            (local.get $49)
            (local.get $46)
           )
          )
          (drop
           (i32.const 732765665)
          )
          (local.set $50
           (i32.and
            (i32.wrap_i64
             (i64.shr_u
              (local.get $48)
              (i64.const 8)
             )
            )
            (i32.const 16368)
           )
          )
          (br_if $slow6
           (i64.ne
            (i64.load offset=14712832
             (local.get $50)
            )
            (i64.or
             (local.get $49)
             (local.get $44)
            )
           )
          )
          (drop
           (i32.const 732765664)
          )
          (local.set $51
           (i32.load offset=14712840
            (local.get $50)
           )
          )
          (if
           (i32.eq
            (local.get $51)
            (i32.const -2130706432)
           )
           (then
            (local.set $45
             (local.get $49)
            )
            (br $done4)
           )
          )
          (local.set $46
           (local.get $49)
          )
          (local.set $47
           (local.get $51)
          )
         )
         (local.set $52
          (i32.add
           (i32.wrap_i64
            (local.get $48)
           )
           (local.get $47)
          )
         )
        )
        (i64.store align=1
         (local.get $52)
         (local.get $14)
        )
        (br $done7)
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
      (local.set $56
       (i64.add
        (local.get $15)
        (i64.const 0)
       )
      )
      (local.set $57
       (i64.and
        (local.get $56)
        (i64.const -4093)
       )
      )
      (block $done11
       (block $slow10
        (block $done8
         (local.set $60
          (i32.add
           (i32.wrap_i64
            (local.get $56)
           )
           (i32.const -2130706432)
          )
         )
         (br_if $done8
          (i64.eq
           (local.get $57)
           (local.get $53)
          )
         )
         (drop
          (i32.const 732765665)
         )
         (block $hit9
          (br_if $hit9
           (i64.eq
            (local.get $57)
            (local.get $54)
           )
          )
          (drop
           (i32.const 732765665)
          )
          (local.set $58
           (i32.and
            (i32.wrap_i64
             (i64.shr_u
              (local.get $56)
              (i64.const 8)
             )
            )
            (i32.const 16368)
           )
          )
          (br_if $slow10
           (i64.ne
            (i64.load offset=14696448
             (local.get $58)
            )
            (i64.or
             (local.get $57)
             (local.get $44)
            )
           )
          )
          (drop
           (i32.const 732765664)
          )
          (local.set $59
           (i32.load offset=14696456
            (local.get $58)
           )
          )
          (if
           (i32.eq
            (local.get $59)
            (i32.const -2130706432)
           )
           (then
            (local.set $53
             (local.get $57)
            )
            (br $done8)
           )
          )
          (local.set $54
           (local.get $57)
          )
          (local.set $55
           (local.get $59)
          )
         )
         (local.set $60
          (i32.add
           (i32.wrap_i64
            (local.get $56)
           )
           (local.get $55)
          )
         )
        )
        (local.set $16
         (i64.load32_s align=1
          (local.get $60)
         )
        )
        (br $done11)
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
      (local.set $64
       (i64.add
        (local.get $15)
        (i64.const 1)
       )
      )
      (local.set $65
       (i64.and
        (local.get $64)
        (i64.const -4096)
       )
      )
      (block $done15
       (block $slow14
        (block $done12
         (local.set $68
          (i32.add
           (i32.wrap_i64
            (local.get $64)
           )
           (i32.const -2130706432)
          )
         )
         (br_if $done12
          (i64.eq
           (local.get $65)
           (local.get $61)
          )
         )
         (drop
          (i32.const 732765665)
         )
         (block $hit13
          (br_if $hit13
           (i64.eq
            (local.get $65)
            (local.get $62)
           )
          )
          (drop
           (i32.const 732765665)
          )
          (local.set $66
           (i32.and
            (i32.wrap_i64
             (i64.shr_u
              (local.get $64)
              (i64.const 8)
             )
            )
            (i32.const 16368)
           )
          )
          (br_if $slow14
           (i64.ne
            (i64.load offset=14712832
             (local.get $66)
            )
            (i64.or
             (local.get $65)
             (local.get $44)
            )
           )
          )
          (drop
           (i32.const 732765664)
          )
          (local.set $67
           (i32.load offset=14712840
            (local.get $66)
           )
          )
          (if
           (i32.eq
            (local.get $67)
            (i32.const -2130706432)
           )
           (then
            (local.set $61
             (local.get $65)
            )
            (br $done12)
           )
          )
          (local.set $62
           (local.get $65)
          )
          (local.set $63
           (local.get $67)
          )
         )
         (local.set $68
          (i32.add
           (i32.wrap_i64
            (local.get $64)
           )
           (local.get $63)
          )
         )
        )
        (i64.store8
         (local.get $68)
         (local.get $16)
        )
        (br $done15)
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
      (local.set $69
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
       (local.get $69)
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
    (local.set $70
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
       (local.get $70)
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
          (local.get $70)
         )
         (i32.load offset=8
          (local.get $70)
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
