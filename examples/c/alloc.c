// An export-only library (no _start, no WASI imports): malloc grows the memory several times.
//   halowasm run examples/c/alloc.wasm --invoke churn --args 40
#include <stdlib.h>
#include <string.h>

// Allocate `blocks` blocks of 20 KiB to 80 KiB, fill each with a pattern, keep every other one,
// free the rest, then allocate one large block; returns a checksum and the final memory size.
__attribute__((export_name("churn"))) long long churn(int blocks) {
  unsigned char **keep = malloc(sizeof(unsigned char *) * (size_t)blocks);
  if (!keep) return -1;
  unsigned long long h = 1469598103934665603ull;
  for (int i = 0; i < blocks; i++) {
    size_t n = 20480 + (size_t)(i % 4) * 20480;
    unsigned char *p = malloc(n);
    if (!p) return -2;
    for (size_t j = 0; j < n; j += 61) p[j] = (unsigned char)(i + j);
    h = (h ^ p[n / 2 - (n / 2) % 61]) * 1099511628211ull;
    if (i % 2) {
      free(p);
      keep[i] = 0;
    } else {
      keep[i] = p;
    }
  }
  unsigned char *big = malloc(300000);
  if (!big) return -3;
  big[299999] = 1;
  for (int i = 0; i < blocks; i++) {
    if (keep[i]) h = (h ^ keep[i][0]) * 1099511628211ull;
    free(keep[i]);
  }
  free(big);
  free(keep);
  return (long long)((h & 0xffffffffull) | ((unsigned long long)__builtin_wasm_memory_size(0) << 32));
}

// The current memory size in 64 KiB pages.
__attribute__((export_name("pages"))) int pages(void) { return (int)__builtin_wasm_memory_size(0); }
