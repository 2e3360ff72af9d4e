/* Trap frames of the guests' assembly (crt0.S, smode/sentry.S): frame[i] = x[i], 8 bytes each,
 * at sp. LOAD_GPRS restores x1 and x3..x31 from it (x2, sp itself, is each handler's business). */
.macro LOAD_GPRS
	ld	x1, 8(sp)
	.irp	n, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, \n*8(sp)
	.endr
.endm
