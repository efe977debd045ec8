// A WASI command: every block it mallocs is larger than a page, so malloc grows the memory
// each time (2 → 6 pages for 4 blocks); it memmoves overlapping bytes in each, prints with
// printf and returns a checksum mod 7 as its exit code.
//   halowasm prove examples/c/grow.wasm -- 4
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  unsigned h = 7;
  char *blocks[16];
  for (int i = 0; i < n && i < 16; i++) {
    size_t sz = 70000 + 5000 * (size_t)i;   /* > 1 page each: malloc grows memory every time */
    blocks[i] = malloc(sz);
    if (!blocks[i]) return 2;
    memset(blocks[i], 'a' + i, 64);
    blocks[i][sz - 1] = (char)i;
    memmove(blocks[i] + 3, blocks[i], 40);   /* overlapping */
    h = h * 31 + (unsigned char)blocks[i][20] + (unsigned char)blocks[i][sz - 1];
  }
  printf("n=%d h=%u pages=%d\n", n, h, (int)__builtin_wasm_memory_size(0));
  return (int)(h % 7);
}
