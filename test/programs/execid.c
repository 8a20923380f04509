// execid ARGS... WANT: prints whether its AT_EXECFN (the auxv entry naming the path the program was
// exec'd by) is WANT (its last argument), and its argv joined by '|'.
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

int main(int argc, char **argv) {
  const char *fn = (const char *)getauxval(AT_EXECFN);
  const char *want = argv[argc - 1];
  if (fn && strcmp(fn, want) == 0) printf("AT_EXECFN same\n");
  else printf("AT_EXECFN differs: %s, not %s\n", fn ? fn : "(none)", want);
  for (int i = 0; i < argc; i++) printf("%s%s", i ? "|" : "argv: ", argv[i]);
  printf("\n");
  return 0;
}
