/* Code that fp_conflict copies into the first portion's old place and runs
 * there. */
#include "../shared/pic_code.inc"
