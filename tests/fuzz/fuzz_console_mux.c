/* Fuzzes the board console shared by the VMs (src/core/console_mux.c) with
 * streams of operations: VM writes (refusable or not) of fuzzer bytes,
 * lodger's text, typed bytes (escapes included), VMs read from, ticks of
 * the clock and VMs ending, on 1 to 8 VMs. Checks: with one VM the board
 * console gets exactly what was written, in order; with several, each VM's
 * stream rebuilt from the prefixed lines is exactly what it wrote (nothing
 * lost, no line mixed: tests/host/console_mux_check.h), no refusable write
 * takes more than the VM's backlog allows, and input reaches only the focused VM. */
#include "fuzz.h"
#include "core/console_mux.h"
#include "../host/console_mux_check.h"

static struct mux_record rec;
static char *single;    /* one VM: what the board console must show */
static size_t single_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rec.out) {
        mux_record_init(&rec);
        single = malloc(MUX_CHECK_MAX);
    }
    for (int i = 0; i < CONSOLE_MUX_MAX_VMS; i++)
        rec.sent_len[i] = 0;
    rec.out_len = rec.lodger_bytes = single_len = 0;
    struct fuzz_input in = { data, size };
    static struct console_mux m;
    console_mux_init(&m, 1000);
    uint8_t first = fuzz_u8(&in);
    int vms = first % CONSOLE_MUX_MAX_VMS + 1;
    console_mux_set_vms(&m, vms, (first >> 4) % 9);
    FUZZ_CHECK(m.focus >= 0 && m.focus < vms);
    if (vms == 1)
        FUZZ_CHECK(rec.out_len == 0);
    uint64_t now = 0;
    while (in.size && rec.out_len < MUX_CHECK_MAX / 2) {
        uint8_t op = fuzz_u8(&in);
        int vm = (op >> 3) % vms;
        /* The board console takes output until there is room, as
         * core/console.c does (writes check the room themselves). */
        if ((op & 7) > 1)
            while (!console_mux_room(&m, 8))
                mux_record_drain(&m, &rec, 1 + (op >> 3));
        switch (op & 7) {
        case 0:
        case 1: {   /* a write of the next bytes */
            size_t len = fuzz_u16(&in) % 1024;
            if (len > in.size)
                len = in.size;
            bool may_refuse = op & 1;
            bool ready = console_mux_ready(&m, vm);
            bool room = console_mux_room(&m, len);
            size_t n = mux_record_write(&m, &rec, vm, (const char *)in.data, len, may_refuse, now);
            FUZZ_CHECK(room ? n == len || (may_refuse && vms > 1) : n == 0);
            FUZZ_CHECK(ready || !may_refuse || n == 0);
            len = n;
            if (vms == 1) {
                memcpy(single + single_len, in.data, len);
                single_len += len;
            }
            in.data += len;
            in.size -= len;
            break;
        }
        case 2: {   /* lodger */
            const char *text = op & 0x40 ? "LLL\n" : "L";
            size_t len = strlen(text);
            mux_record_lodger(&m, &rec, text, len);
            if (vms == 1) {
                memcpy(single + single_len, text, len);
                single_len += len;
            }
            break;
        }
        case 3: {   /* typed */
            uint8_t byte = fuzz_u8(&in);
            if (op & 0x80)
                byte = CONSOLE_MUX_ESCAPE;
            int focus = m.focus;
            unsigned counts[CONSOLE_MUX_MAX_VMS];
            for (int i = 0; i < vms; i++)
                counts[i] = m.vms[i].input_count;
            bool escaped = m.escaped;
            if (!console_mux_input_room(&m)) {
                FUZZ_CHECK(vms == 1);
                break;
            }
            size_t out_before = m.ring_len;
            console_mux_input(&m, byte);
            /* Only the focused VM's input grows, by at most two bytes
             * (the escape and the byte after it). */
            for (int i = 0; i < vms; i++)
                FUZZ_CHECK(m.vms[i].input_count <= CONSOLE_MUX_INPUT_MAX &&
                           (i == focus ? m.vms[i].input_count <= counts[i] + 2
                                       : m.vms[i].input_count == counts[i]));
            FUZZ_CHECK(m.focus >= 0 && m.focus < vms);
            /* The focus changes only on a command, saying so. */
            if (m.focus != focus)
                FUZZ_CHECK(escaped && m.ring_len > out_before);
            if (vms == 1)
                FUZZ_CHECK(m.ring_len == out_before && m.vms[0].input_count == counts[0] + 1);
            break;
        }
        case 4: {   /* a VM reads */
            unsigned before = m.vms[vm].input_count;
            int c = console_mux_getchar(&m, vm);
            FUZZ_CHECK(before ? c >= 0 && c < 256 : c == -1);
            break;
        }
        case 5:
            now += fuzz_u16(&in);
            console_mux_tick(&m, now);
            break;
        case 6:
            if (op & 0x80)
                console_mux_vm_ended(&m, vm);
            else
                mux_record_drain(&m, &rec, (size_t)fuzz_u16(&in));
            break;
        default:
            now += op >> 3;
            break;
        }
        if (vms == 1) {
            mux_record_drain(&m, &rec, SIZE_MAX);
            FUZZ_CHECK(rec.out_len == single_len && !memcmp(rec.out, single, single_len));
        }
    }
    if (vms > 1 && !mux_check_multiplexed(&m, &rec)) {
        fprintf(stderr, "%s\n", rec.why);
        FUZZ_CHECK(!"streams rebuilt");
    }
    return 0;
}
