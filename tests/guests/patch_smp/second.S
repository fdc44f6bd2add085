/* The plain second-hart entry (HSM hart_start): tests/guests/shared. */
#include "../shared/second_entry.inc"
