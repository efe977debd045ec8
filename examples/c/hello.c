// A WASI command: printf, argv, malloc, stderr and an exit code.
//   halowasm run examples/c/hello.wasm -- one two three
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("hello from C: %d argument%s\n", argc, argc == 1 ? "" : "s");
  size_t total = 0;
  for (int i = 0; i < argc; i++) {
    printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    total += strlen(argv[i]);
  }
  // A heap copy of the arguments joined by '+', reversed.
  char *joined = malloc(total + argc + 1);
  if (!joined) return 99;
  joined[0] = 0;
  for (int i = 1; i < argc; i++) {
    if (i > 1) strcat(joined, "+");
    strcat(joined, argv[i]);
  }
  size_t n = strlen(joined);
  for (size_t i = 0; i < n / 2; i++) {
    char t = joined[i];
    joined[i] = joined[n - 1 - i];
    joined[n - 1 - i] = t;
  }
  printf("reversed: %s (%zu bytes)\n", joined, n);
  free(joined);
  fprintf(stderr, "a line on stderr\n");
  // The exit code: the number of arguments after the program name (0 for none).
  return argc - 1;
}
