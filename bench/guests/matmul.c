/* matmul: 32-bit integer matrix product C = A x B for 160 x 160 matrices (i-k-j order), once per
 * unit of scale, B updated from C between rounds; prints a checksum of C. Multiply-add inner
 * loop over contiguous rows. */
#ifdef NATIVE
#include "native.h"
#else
#include "virt.h"
#endif

volatile unsigned int bench_scale = 1;

#define N 160

static uint32_t A[N][N], B[N][N], C[N][N];

int main(void) {
  unsigned scale = bench_scale;
  uint32_t x = 12345;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      x = x * 1103515245u + 12345u;
      A[i][j] = (x >> 16) & 0xff;
      x = x * 1103515245u + 12345u;
      B[i][j] = (x >> 16) & 0xff;
    }
  uint64_t check = 0;
  for (unsigned r = 0; r < scale; r++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) C[i][j] = 0;
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        uint32_t aik = A[i][k];
        for (int j = 0; j < N; j++) C[i][j] += aik * B[k][j];
      }
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        check = check * 131 + C[i][j];
        B[i][j] = C[i][j] & 0xff;
      }
  }
  printf("matmul: C[0][0] = %u, C[%d][%d] = %u\n", C[0][0], N - 1, N - 1, C[N - 1][N - 1]);
  printf("matmul checksum: %016lx\n", (unsigned long)check);
  return 0;
}
