/* SBI HSM hart_suspend with 2 vCPUs on 2 harts (shared/hsm_suspend.inc). */
#define HSM_GUEST_NAME "hsm_suspend"
#define HSM_HARTS 2
#include "../shared/hsm_suspend.inc"
