/* Code that fp_chase copies into the places it maps and runs there. */
#include "../shared/pic_code.inc"
