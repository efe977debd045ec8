// memmove with overlap in both directions, memset and memcpy, compiled with -mbulk-memory so that
// clang emits memory.copy and memory.fill. Prints a checksum of each step.
#include <stdio.h>
#include <string.h>

static unsigned char buf[4096];

static unsigned sum(const unsigned char *p, size_t n) {
  unsigned h = 2166136261u;  // FNV-1a
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

// Not inlined and with run-time lengths, so that the calls stay memory.copy / memory.fill.
__attribute__((noinline)) void move(size_t d, size_t s, size_t n) { memmove(buf + d, buf + s, n); }
__attribute__((noinline)) void set(size_t d, int v, size_t n) { memset(buf + d, v, n); }
__attribute__((noinline)) void copy(size_t d, size_t s, size_t n) { memcpy(buf + d, buf + s, n); }

int main(int argc, char **argv) {
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 7 + 3);
  printf("start    %08x\n", sum(buf, sizeof buf));
  move(1, 0, 1000);      // overlap, destination above the source: copies downwards
  printf("up 1     %08x\n", sum(buf, sizeof buf));
  move(100, 103, 2000);  // overlap, destination below: copies upwards
  printf("down 3   %08x\n", sum(buf, sizeof buf));
  move(7, 0, 3);         // short, no overlap
  move(2048, 2040, 777); // overlap by 8
  printf("mixed    %08x\n", sum(buf, sizeof buf));
  set(5, 0xab, 1234);
  set(4000, argc, 96);
  printf("set      %08x\n", sum(buf, sizeof buf));
  copy(3000, 10, 999);
  printf("copy     %08x\n", sum(buf, sizeof buf));
  printf("bytes    %02x %02x %02x %02x\n", buf[0], buf[6], buf[1240], buf[4095]);
  return 0;
}
