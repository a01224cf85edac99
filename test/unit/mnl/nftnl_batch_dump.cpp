// Builds a fixed nftables batch with libnftnl and prints it as hex, then
// parses every message back with libnftnl and prints what it read. The build
// links this program once against Debian's libmnl and once against bulwark's
// (core/mnl); the test nftnl_batch_same_bytes requires identical output.

// <netinet/in.h> must precede the <linux/...> headers, which otherwise
// redefine its types.
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

// The messages are 20, 32, 84, 192 and 20 bytes long. The first four fill
// this limit exactly and the last one overflows it, so the boundary of
// batch_next and batch_reset's move of the pending message to the head are
// part of the output.
constexpr size_t batchLimit = 328;

struct Flush {
    std::vector<unsigned char> bytes;
};

void printHex(const std::vector<unsigned char>& bytes)
{
    for (size_t i = 0; i < bytes.size(); ++i)
        std::printf("%02x%c", bytes[i], (i % 16 == 15 || i + 1 == bytes.size()) ? '\n' : ' ');
}

nftnl_table* makeTable()
{
    nftnl_table* table = nftnl_table_alloc();
    nftnl_table_set_u32(table, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    nftnl_table_set_str(table, NFTNL_TABLE_NAME, "bulwark");
    return table;
}

nftnl_chain* makeChain()
{
    nftnl_chain* chain = nftnl_chain_alloc();
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
    nftnl_chain_set_str(chain, NFTNL_CHAIN_TABLE, "bulwark");
    nftnl_chain_set_str(chain, NFTNL_CHAIN_NAME, "input");
    nftnl_chain_set_str(chain, NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
    nftnl_chain_set_s32(chain, NFTNL_CHAIN_PRIO, 0);
    nftnl_chain_set_u32(chain, NFTNL_CHAIN_POLICY, NF_DROP);
    return chain;
}

nftnl_rule* makeRule()
{
    nftnl_rule* rule = nftnl_rule_alloc();
    nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, "bulwark");
    nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, "input");
    static const char comment[] = "allow tcp";
    nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, comment, sizeof(comment));

    nftnl_expr* meta = nftnl_expr_alloc("meta");
    nftnl_expr_set_u32(meta, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
    nftnl_expr_set_u32(meta, NFTNL_EXPR_META_DREG, NFT_REG_1);
    nftnl_rule_add_expr(rule, meta);

    nftnl_expr* cmp = nftnl_expr_alloc("cmp");
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
    nftnl_expr_set_u8(cmp, NFTNL_EXPR_CMP_DATA, IPPROTO_TCP);
    nftnl_rule_add_expr(rule, cmp);

    nftnl_expr* verdict = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(verdict, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(verdict, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
    nftnl_rule_add_expr(rule, verdict);
    return rule;
}

void flushBatch(mnl_nlmsg_batch* batch, std::vector<Flush>& flushes)
{
    const auto* head = static_cast<const unsigned char*>(mnl_nlmsg_batch_head(batch));
    flushes.push_back({{head, head + mnl_nlmsg_batch_size(batch)}});
    mnl_nlmsg_batch_reset(batch);
}

void addMessage(mnl_nlmsg_batch* batch, std::vector<Flush>& flushes)
{
    if (!mnl_nlmsg_batch_next(batch))
        flushBatch(batch, flushes);
}

void printParsed(const nlmsghdr* nlh)
{
    char text[1024] = {};
    switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
    case NFT_MSG_NEWTABLE: {
        nftnl_table* table = nftnl_table_alloc();
        const int ret = nftnl_table_nlmsg_parse(nlh, table);
        nftnl_table_snprintf(text, sizeof(text), table, NFTNL_OUTPUT_DEFAULT, 0);
        std::printf("table parse=%d: %s\n", ret, text);
        nftnl_table_free(table);
        break;
    }
    case NFT_MSG_NEWCHAIN: {
        nftnl_chain* chain = nftnl_chain_alloc();
        const int ret = nftnl_chain_nlmsg_parse(nlh, chain);
        nftnl_chain_snprintf(text, sizeof(text), chain, NFTNL_OUTPUT_DEFAULT, 0);
        std::printf("chain parse=%d: %s\n", ret, text);
        nftnl_chain_free(chain);
        break;
    }
    case NFT_MSG_NEWRULE: {
        nftnl_rule* rule = nftnl_rule_alloc();
        const int ret = nftnl_rule_nlmsg_parse(nlh, rule);
        nftnl_rule_snprintf(text, sizeof(text), rule, NFTNL_OUTPUT_DEFAULT, 0);
        std::printf("rule parse=%d: %s\n", ret, text);
        nftnl_rule_free(rule);
        break;
    }
    default:
        std::printf("message type 0x%04x len %u seq %u\n", nlh->nlmsg_type, nlh->nlmsg_len,
                    nlh->nlmsg_seq);
        break;
    }
}

} // namespace

int main()
{
    // Zeroed because libmnl leaves alignment padding as it finds it, and
    // both builds must see the same bytes there.
    static unsigned char buffer[2 * batchLimit] = {};
    mnl_nlmsg_batch* batch = mnl_nlmsg_batch_start(buffer, batchLimit);
    if (batch == nullptr)
        return 1;

    std::vector<Flush> flushes;
    uint32_t seq = 1;
    nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(batch)), seq++);
    addMessage(batch, flushes);

    nftnl_table* table = makeTable();
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch)),
                                          NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
    nftnl_table_nlmsg_build_payload(nlh, table);
    nftnl_table_free(table);
    addMessage(batch, flushes);

    nftnl_chain* chain = makeChain();
    nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch)), NFT_MSG_NEWCHAIN,
                                NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK, seq++);
    nftnl_chain_nlmsg_build_payload(nlh, chain);
    nftnl_chain_free(chain);
    addMessage(batch, flushes);

    nftnl_rule* rule = makeRule();
    nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch)), NFT_MSG_NEWRULE,
                                NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq++);
    nftnl_rule_nlmsg_build_payload(nlh, rule);
    nftnl_rule_free(rule);
    addMessage(batch, flushes);

    nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(batch)), seq++);
    addMessage(batch, flushes);
    if (!mnl_nlmsg_batch_is_empty(batch))
        flushBatch(batch, flushes);
    mnl_nlmsg_batch_stop(batch);

    for (size_t i = 0; i < flushes.size(); ++i) {
        std::printf("flush %zu: %zu bytes\n", i, flushes[i].bytes.size());
        printHex(flushes[i].bytes);
        int remaining = static_cast<int>(flushes[i].bytes.size());
        for (auto* msg = reinterpret_cast<const nlmsghdr*>(flushes[i].bytes.data());
             mnl_nlmsg_ok(msg, remaining); msg = mnl_nlmsg_next(msg, &remaining))
            printParsed(msg);
    }
    return flushes.size() >= 2 ? 0 : 1;
}
