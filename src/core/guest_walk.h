/* The guest page-table walker: the privileged spec's algorithm (4.3.2, with
 * 4.4/4.5/4.6 for Sv48/Sv57) applied to the guest's own tables in guest
 * memory. Pure C (guest memory through a callback); host-tested in
 * tests/host/test_guest_walk.c. */
#ifndef LODGER_CORE_GUEST_WALK_H
#define LODGER_CORE_GUEST_WALK_H

#include <stdint.h>
#include <stdbool.h>

enum access_type { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE };

struct walk_memory {
    /* Host pointer to guest-physical [gpa, gpa+len), or NULL if not RAM. */
    void *(*gpa_to_host)(const void *ctx, uint64_t gpa, uint64_t len);
    const void *ctx;
};

struct walk_request {
    uint64_t satp;          /* the guest's satp (MODE != Bare) */
    uint64_t va;
    enum access_type access;
    bool user;              /* access made in (virtual) U-mode */
    bool sum, mxr;
    bool update_ad;         /* set A (and D on stores) in the guest PTE, as Svadu */
};

struct walk_result {
    uint64_t gpa;           /* the translated guest-physical address */
    uint64_t pte;           /* the leaf PTE (after any A/D update) */
    int level;              /* 0: 4 KiB leaf, 1: 2 MiB, ... */
    uint64_t table_gpa;     /* guest-physical address of the table holding the leaf */
    uint64_t l1_gpa;        /* of the level-1 table the walk read (the guest's own table for
                             * va's 1 GiB), 0 if the leaf is above level 1 (shadow_global.c) */
    uint64_t ad_gpa;        /* guest-physical address of the leaf PTE if this walk set its
                             * A or D (update_ad), else 0: lodger wrote guest memory there */
};

enum walk_status {
    WALK_OK,
    WALK_PAGE_FAULT,        /* deliver the page fault of the access type */
    WALK_ACCESS_FAULT,      /* a PTE lies outside guest memory */
};

enum walk_status guest_walk(const struct walk_memory *mem, const struct walk_request *req,
                            struct walk_result *res);
/* Whether the guest's table maps va at all (a valid leaf, whatever its
 * permissions). A table the walker cannot read counts as mapping it. */
bool guest_walk_mapped(const struct walk_memory *mem, uint64_t satp, uint64_t va);
/* Whether a leaf PTE, read from a table at the given level of the walk of
 * req->va, allows req's access as the walk would (privileged spec 4.3.2
 * steps 3, 5 and 6) with no A/D update needed: A already set, and D for a
 * store. For fills that must never set A or D themselves (the neighbours
 * of a fill, the page a fence names): a page the guest never touched keeps
 * A=0 and faults when it is first used. */
bool guest_leaf_usable(uint64_t pte, int level, const struct walk_request *req);
uint64_t walk_page_fault_cause(enum access_type access);
uint64_t walk_access_fault_cause(enum access_type access);

#endif
