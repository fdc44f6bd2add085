/* The hostile guest's assembly helpers (main.c builds that guest in as a
 * library). */
#include "../hostile/stub.S"
