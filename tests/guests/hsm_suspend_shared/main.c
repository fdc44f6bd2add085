/* SBI HSM hart_suspend with 3 vCPUs on 2 harts: the suspended vCPU shares
 * its hart with a spinning one (shared/hsm_suspend.inc). */
#define HSM_GUEST_NAME "hsm_suspend_shared"
#define HSM_HARTS 3
#include "../shared/hsm_suspend.inc"
