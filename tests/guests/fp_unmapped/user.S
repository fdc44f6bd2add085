/* fp_unmapped's U-mode code. */
#include "../shared/user_access.inc"
