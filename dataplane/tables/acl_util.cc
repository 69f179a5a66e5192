#include "dataplane/tables/acl_util.h"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace dp {

namespace {
std::atomic<uint32_t> g_ctx_seq{0};  // rte_acl context names must be unique
}  // namespace

bool eal_ready() { return rte_lcore_count() > 0; }

AclCtxPtr make_acl_ctx(const char* prefix, const void* rules, uint32_t n, uint32_t rule_size,
                       const rte_acl_config& cfg, std::string& why) {
    char name[RTE_ACL_NAMESIZE];
    std::snprintf(name, sizeof name, "%s-%u", prefix, g_ctx_seq.fetch_add(1, std::memory_order_relaxed));
    rte_acl_param param{};
    param.name = name;
    param.socket_id = SOCKET_ID_ANY;
    param.rule_size = rule_size;
    param.max_rule_num = n;
    AclCtxPtr ctx(rte_acl_create(&param));
    if (!ctx) {
        why = std::string("rte_acl_create: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    int rc = rte_acl_add_rules(ctx.get(), static_cast<const rte_acl_rule*>(rules), n);
    if (rc != 0) {
        why = std::string("rte_acl_add_rules: ") + std::strerror(-rc);
        return nullptr;
    }
    rc = rte_acl_build(ctx.get(), &cfg);
    if (rc != 0) {
        why = std::string("rte_acl_build: ") + std::strerror(-rc);
        return nullptr;
    }
    return ctx;
}

}  // namespace dp
