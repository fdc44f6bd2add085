/* fp_noperm's U-mode code. */
#include "../shared/user_access.inc"
