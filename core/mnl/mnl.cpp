// bulwark's stand-in for libmnl in the fully static build. Debian ships
// libnftnl as a static archive but libmnl only as a shared library, so this
// unit implements the libmnl API that libnftnl and bulwark call (sockets,
// message and batch builders, attribute putters, getters, validators and
// parsers, the callback runner) with the same extern "C" symbols. It is
// written from the documented API (libmnl.h, netlink(7), <linux/netlink.h>)
// and builds the same messages as Debian's libmnl, with three deliberate
// differences: attribute padding is zeroed rather than left as found, a
// pending batch message overlapping the head survives batch_reset, and
// impossible lengths (nlmsg_len above INT_MAX, nla_len below the attribute
// header) never pass as valid.
// test/unit/mnl/mnl_compat_test.cpp compares both libraries; compiled with
// BULWARK_MNL_RENAME, every symbol is prefixed bwmnl_ instead (see rename.h).

#include "rename.h"

#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct mnl_socket {
    int fd;
    sockaddr_nl addr;
};

struct mnl_nlmsg_batch {
    char* head;
    size_t limit;
    size_t used;
    char* current;
    bool overflowed;
};

namespace {

constexpr size_t align(size_t len)
{
    return MNL_ALIGN(len);
}

int fail(int error)
{
    errno = error;
    return -1;
}

char* bytesOf(const void* pointer)
{
    return static_cast<char*>(const_cast<void*>(pointer));
}

char* payloadOf(const nlmsghdr* nlh)
{
    return bytesOf(nlh) + MNL_NLMSG_HDRLEN;
}

char* tailOf(const nlmsghdr* nlh)
{
    return bytesOf(nlh) + align(nlh->nlmsg_len);
}

nlattr* tailAttrOf(const nlmsghdr* nlh)
{
    return reinterpret_cast<nlattr*>(tailOf(nlh));
}

char* payloadOf(const nlattr* attr)
{
    return bytesOf(attr) + MNL_ATTR_HDRLEN;
}

// The payload length is a uint16_t on purpose: libmnl computes it that way,
// and validation results must match for every nla_len.
uint16_t payloadLenOf(const nlattr* attr)
{
    return static_cast<uint16_t>(attr->nla_len - MNL_ATTR_HDRLEN);
}

bool attrOk(const nlattr* attr, long len)
{
    return len >= static_cast<long>(sizeof(nlattr)) && attr->nla_len >= sizeof(nlattr) &&
           attr->nla_len <= len;
}

const nlattr* nextAttr(const nlattr* attr)
{
    return reinterpret_cast<const nlattr*>(bytesOf(attr) + align(attr->nla_len));
}

int parseRange(const char* begin, const char* end, mnl_attr_cb_t cb, void* data)
{
    int ret = MNL_CB_OK;
    for (auto attr = reinterpret_cast<const nlattr*>(begin);
         attrOk(attr, end - reinterpret_cast<const char*>(attr)); attr = nextAttr(attr)) {
        ret = cb(attr, data);
        if (ret <= MNL_CB_STOP)
            return ret;
    }
    return ret;
}

size_t fixedPayloadLen(mnl_attr_data_type type)
{
    switch (type) {
    case MNL_TYPE_U8:
        return sizeof(uint8_t);
    case MNL_TYPE_U16:
        return sizeof(uint16_t);
    case MNL_TYPE_U32:
        return sizeof(uint32_t);
    case MNL_TYPE_U64:
    case MNL_TYPE_MSECS:
        return sizeof(uint64_t);
    default:
        return 0;
    }
}

int validatePayload(const nlattr* attr, mnl_attr_data_type type, size_t expectedLen)
{
    if (static_cast<unsigned>(type) >= MNL_TYPE_MAX)
        return fail(EINVAL);
    // libmnl lets nla_len < header wrap into a huge payload length and then
    // may read far past the attribute; no such attribute is valid.
    if (attr->nla_len < MNL_ATTR_HDRLEN)
        return fail(ERANGE);

    const uint16_t payloadLen = payloadLenOf(attr);
    const char* payload = payloadOf(attr);
    if (payloadLen < expectedLen)
        return fail(ERANGE);

    switch (type) {
    case MNL_TYPE_FLAG:
        if (payloadLen > 0)
            return fail(ERANGE);
        break;
    case MNL_TYPE_STRING:
        if (payloadLen == 0)
            return fail(ERANGE);
        break;
    case MNL_TYPE_NUL_STRING:
        if (payloadLen == 0)
            return fail(ERANGE);
        if (payload[payloadLen - 1] != '\0')
            return fail(EINVAL);
        break;
    case MNL_TYPE_NESTED:
        // An empty nest is fine; otherwise it holds at least one attribute header.
        if (payloadLen > 0 && payloadLen < MNL_ATTR_HDRLEN)
            return fail(ERANGE);
        break;
    default:
        break;
    }

    if (expectedLen > 0 && payloadLen > expectedLen)
        return fail(ERANGE);
    return 0;
}

bool seqOk(const nlmsghdr* nlh, unsigned int seq)
{
    return nlh->nlmsg_seq == 0 || seq == 0 || nlh->nlmsg_seq == seq;
}

bool portidOk(const nlmsghdr* nlh, unsigned int portid)
{
    return nlh->nlmsg_pid == 0 || portid == 0 || nlh->nlmsg_pid == portid;
}

// Compared unsigned: libmnl casts nlmsg_len to int, so it takes lengths above
// INT_MAX for valid ones.
bool nlmsgOk(const nlmsghdr* nlh, int len)
{
    return len >= static_cast<int>(sizeof(nlmsghdr)) && nlh->nlmsg_len >= sizeof(nlmsghdr) &&
           nlh->nlmsg_len <= static_cast<unsigned>(len);
}

int runErrorMessage(const nlmsghdr* nlh)
{
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr))
        return fail(EBADMSG);
    const auto* err = reinterpret_cast<const nlmsgerr*>(payloadOf(nlh));
    // Subsystems disagree on the sign of the error code.
    errno = err->error < 0 ? -err->error : err->error;
    return err->error == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
}

} // namespace

extern "C" {

// Netlink socket API

mnl_socket* mnl_socket_open(int bus)
{
    return mnl_socket_open2(bus, 0);
}

// As mnl_socket_open, with socket(2) type flags (SOCK_CLOEXEC, SOCK_NONBLOCK).
mnl_socket* mnl_socket_open2(int bus, int flags)
{
    auto* nl = static_cast<mnl_socket*>(std::calloc(1, sizeof(mnl_socket)));
    if (nl == nullptr)
        return nullptr;
    nl->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
    if (nl->fd < 0) {
        const int savedErrno = errno;
        std::free(nl);
        errno = savedErrno;
        return nullptr;
    }
    return nl;
}

int mnl_socket_bind(mnl_socket* nl, unsigned int groups, pid_t pid)
{
    nl->addr = {};
    nl->addr.nl_family = AF_NETLINK;
    nl->addr.nl_groups = groups;
    nl->addr.nl_pid = static_cast<__u32>(pid);
    int ret = bind(nl->fd, reinterpret_cast<sockaddr*>(&nl->addr), sizeof(nl->addr));
    if (ret < 0)
        return ret;

    // With MNL_SOCKET_AUTOPID the kernel picks the port id; ask which.
    socklen_t addrLen = sizeof(nl->addr);
    ret = getsockname(nl->fd, reinterpret_cast<sockaddr*>(&nl->addr), &addrLen);
    if (ret < 0)
        return ret;
    if (addrLen != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK)
        return fail(EINVAL);
    return 0;
}

int mnl_socket_close(mnl_socket* nl)
{
    const int ret = close(nl->fd);
    std::free(nl);
    return ret;
}

int mnl_socket_get_fd(const mnl_socket* nl)
{
    return nl->fd;
}

unsigned int mnl_socket_get_portid(const mnl_socket* nl)
{
    return nl->addr.nl_pid;
}

ssize_t mnl_socket_sendto(const mnl_socket* nl, const void* req, size_t len)
{
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    return sendto(nl->fd, req, len, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
}

ssize_t mnl_socket_recvfrom(const mnl_socket* nl, void* buf, size_t len)
{
    sockaddr_nl sender{};
    iovec iov{.iov_base = buf, .iov_len = len};
    msghdr msg{};
    msg.msg_name = &sender;
    msg.msg_namelen = sizeof(sender);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;

    const ssize_t ret = recvmsg(nl->fd, &msg, 0);
    if (ret < 0)
        return ret;
    if (msg.msg_flags & MSG_TRUNC)
        return fail(ENOSPC);
    if (msg.msg_namelen != sizeof(sender))
        return fail(EINVAL);
    return ret;
}

int mnl_socket_setsockopt(const mnl_socket* nl, int type, void* buf, socklen_t len)
{
    return setsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}

int mnl_socket_getsockopt(const mnl_socket* nl, int type, void* buf, socklen_t* len)
{
    return getsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}

// Netlink message API

size_t mnl_nlmsg_size(size_t len)
{
    return len + MNL_NLMSG_HDRLEN;
}

size_t mnl_nlmsg_get_payload_len(const nlmsghdr* nlh)
{
    return nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

nlmsghdr* mnl_nlmsg_put_header(void* buf)
{
    std::memset(buf, 0, MNL_NLMSG_HDRLEN);
    auto* nlh = static_cast<nlmsghdr*>(buf);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
    return nlh;
}

void* mnl_nlmsg_put_extra_header(nlmsghdr* nlh, size_t size)
{
    char* extra = bytesOf(nlh) + nlh->nlmsg_len;
    const size_t alignedSize = align(size);
    nlh->nlmsg_len += alignedSize;
    std::memset(extra, 0, alignedSize);
    return extra;
}

bool mnl_nlmsg_ok(const nlmsghdr* nlh, int len)
{
    return nlmsgOk(nlh, len);
}

nlmsghdr* mnl_nlmsg_next(const nlmsghdr* nlh, int* len)
{
    *len -= static_cast<int>(align(nlh->nlmsg_len));
    return reinterpret_cast<nlmsghdr*>(tailOf(nlh));
}

bool mnl_nlmsg_seq_ok(const nlmsghdr* nlh, unsigned int seq)
{
    return seqOk(nlh, seq);
}

bool mnl_nlmsg_portid_ok(const nlmsghdr* nlh, unsigned int portid)
{
    return portidOk(nlh, portid);
}

void* mnl_nlmsg_get_payload(const nlmsghdr* nlh)
{
    return payloadOf(nlh);
}

void* mnl_nlmsg_get_payload_offset(const nlmsghdr* nlh, size_t offset)
{
    return payloadOf(nlh) + align(offset);
}

void* mnl_nlmsg_get_payload_tail(const nlmsghdr* nlh)
{
    return tailOf(nlh);
}

// Message batch helpers

// As documented for libmnl, buf must be twice the limit: the message that
// overflows the batch is still written past the limit before batch_next
// refuses it, and batch_reset moves it to the head.
mnl_nlmsg_batch* mnl_nlmsg_batch_start(void* buf, size_t limit)
{
    auto* batch = static_cast<mnl_nlmsg_batch*>(std::malloc(sizeof(mnl_nlmsg_batch)));
    if (batch == nullptr)
        return nullptr;
    *batch = {static_cast<char*>(buf), limit, 0, static_cast<char*>(buf), false};
    return batch;
}

bool mnl_nlmsg_batch_next(mnl_nlmsg_batch* b)
{
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(b->current);
    if (b->used + nlh->nlmsg_len > b->limit) {
        b->overflowed = true;
        return false;
    }
    b->used += nlh->nlmsg_len;
    b->current = b->head + b->used;
    return true;
}

void mnl_nlmsg_batch_stop(mnl_nlmsg_batch* b)
{
    std::free(b);
}

size_t mnl_nlmsg_batch_size(mnl_nlmsg_batch* b)
{
    return b->used;
}

void mnl_nlmsg_batch_reset(mnl_nlmsg_batch* b)
{
    if (!b->overflowed) {
        b->used = 0;
        b->current = b->head;
        return;
    }
    const auto* pending = reinterpret_cast<const nlmsghdr*>(b->current);
    const size_t pendingLen = pending->nlmsg_len;
    std::memmove(b->head, b->current, pendingLen);
    b->used = pendingLen;
    b->current = b->head + pendingLen;
    b->overflowed = false;
}

void* mnl_nlmsg_batch_head(mnl_nlmsg_batch* b)
{
    return b->head;
}

void* mnl_nlmsg_batch_current(mnl_nlmsg_batch* b)
{
    return b->current;
}

bool mnl_nlmsg_batch_is_empty(mnl_nlmsg_batch* b)
{
    return b->used == 0;
}

// Attribute getters

uint16_t mnl_attr_get_type(const nlattr* attr)
{
    return attr->nla_type & NLA_TYPE_MASK;
}

uint16_t mnl_attr_get_len(const nlattr* attr)
{
    return attr->nla_len;
}

uint16_t mnl_attr_get_payload_len(const nlattr* attr)
{
    return payloadLenOf(attr);
}

void* mnl_attr_get_payload(const nlattr* attr)
{
    return payloadOf(attr);
}

uint8_t mnl_attr_get_u8(const nlattr* attr)
{
    return *reinterpret_cast<const uint8_t*>(payloadOf(attr));
}

uint16_t mnl_attr_get_u16(const nlattr* attr)
{
    uint16_t value;
    std::memcpy(&value, payloadOf(attr), sizeof(value));
    return value;
}

uint32_t mnl_attr_get_u32(const nlattr* attr)
{
    uint32_t value;
    std::memcpy(&value, payloadOf(attr), sizeof(value));
    return value;
}

// Attributes are only 4-byte aligned, so a u64 payload may be misaligned.
uint64_t mnl_attr_get_u64(const nlattr* attr)
{
    uint64_t value;
    std::memcpy(&value, payloadOf(attr), sizeof(value));
    return value;
}

const char* mnl_attr_get_str(const nlattr* attr)
{
    return payloadOf(attr);
}

// Attribute putters

void mnl_attr_put(nlmsghdr* nlh, uint16_t type, size_t len, const void* data)
{
    nlattr* attr = tailAttrOf(nlh);
    attr->nla_type = type;
    attr->nla_len = static_cast<uint16_t>(MNL_ATTR_HDRLEN + len);
    char* payload = payloadOf(attr);
    if (len > 0)
        std::memcpy(payload, data, len);
    std::memset(payload + len, 0, align(len) - len);
    nlh->nlmsg_len += align(attr->nla_len);
}

void mnl_attr_put_u8(nlmsghdr* nlh, uint16_t type, uint8_t data)
{
    mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u16(nlmsghdr* nlh, uint16_t type, uint16_t data)
{
    mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u32(nlmsghdr* nlh, uint16_t type, uint32_t data)
{
    mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_u64(nlmsghdr* nlh, uint16_t type, uint64_t data)
{
    mnl_attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_str(nlmsghdr* nlh, uint16_t type, const char* data)
{
    mnl_attr_put(nlh, type, std::strlen(data), data);
}

void mnl_attr_put_strz(nlmsghdr* nlh, uint16_t type, const char* data)
{
    mnl_attr_put(nlh, type, std::strlen(data) + 1, data);
}

bool mnl_attr_put_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, size_t len, const void* data)
{
    if (nlh->nlmsg_len + MNL_ATTR_HDRLEN + align(len) > bufLen)
        return false;
    mnl_attr_put(nlh, type, len, data);
    return true;
}

bool mnl_attr_put_u8_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, uint8_t data)
{
    return mnl_attr_put_check(nlh, bufLen, type, sizeof(data), &data);
}

bool mnl_attr_put_u16_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, uint16_t data)
{
    return mnl_attr_put_check(nlh, bufLen, type, sizeof(data), &data);
}

bool mnl_attr_put_u32_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, uint32_t data)
{
    return mnl_attr_put_check(nlh, bufLen, type, sizeof(data), &data);
}

bool mnl_attr_put_u64_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, uint64_t data)
{
    return mnl_attr_put_check(nlh, bufLen, type, sizeof(data), &data);
}

bool mnl_attr_put_str_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, const char* data)
{
    return mnl_attr_put_check(nlh, bufLen, type, std::strlen(data), data);
}

bool mnl_attr_put_strz_check(nlmsghdr* nlh, size_t bufLen, uint16_t type, const char* data)
{
    return mnl_attr_put_check(nlh, bufLen, type, std::strlen(data) + 1, data);
}

// Attribute nesting

// nla_len stays unset until mnl_attr_nest_end knows the nest's size.
nlattr* mnl_attr_nest_start(nlmsghdr* nlh, uint16_t type)
{
    nlattr* start = tailAttrOf(nlh);
    start->nla_type = NLA_F_NESTED | type;
    nlh->nlmsg_len += MNL_ATTR_HDRLEN;
    return start;
}

nlattr* mnl_attr_nest_start_check(nlmsghdr* nlh, size_t bufLen, uint16_t type)
{
    if (nlh->nlmsg_len + MNL_ATTR_HDRLEN > bufLen)
        return nullptr;
    return mnl_attr_nest_start(nlh, type);
}

void mnl_attr_nest_end(nlmsghdr* nlh, nlattr* start)
{
    start->nla_len = static_cast<uint16_t>(tailOf(nlh) - bytesOf(start));
}

void mnl_attr_nest_cancel(nlmsghdr* nlh, nlattr* start)
{
    nlh->nlmsg_len -= static_cast<uint32_t>(tailOf(nlh) - bytesOf(start));
}

// Attribute validation

int mnl_attr_type_valid(const nlattr* attr, uint16_t maxtype)
{
    if (mnl_attr_get_type(attr) > maxtype)
        return fail(EOPNOTSUPP);
    return 1;
}

int mnl_attr_validate(const nlattr* attr, mnl_attr_data_type type)
{
    return validatePayload(attr, type, fixedPayloadLen(type));
}

int mnl_attr_validate2(const nlattr* attr, mnl_attr_data_type type, size_t len)
{
    return validatePayload(attr, type, len);
}

// Attribute iteration and parsing

bool mnl_attr_ok(const nlattr* attr, int len)
{
    return attrOk(attr, len);
}

nlattr* mnl_attr_next(const nlattr* attr)
{
    return const_cast<nlattr*>(nextAttr(attr));
}

int mnl_attr_parse(const nlmsghdr* nlh, unsigned int offset, mnl_attr_cb_t cb, void* data)
{
    return parseRange(payloadOf(nlh) + align(offset), tailOf(nlh), cb, data);
}

int mnl_attr_parse_nested(const nlattr* nested, mnl_attr_cb_t cb, void* data)
{
    const char* begin = payloadOf(nested);
    // An nla_len below the header would wrap to a huge payload; treat it as empty.
    const size_t payloadLen = nested->nla_len < MNL_ATTR_HDRLEN ? 0 : payloadLenOf(nested);
    return parseRange(begin, begin + payloadLen, cb, data);
}

int mnl_attr_parse_payload(const void* payload, size_t payloadLen, mnl_attr_cb_t cb, void* data)
{
    const char* begin = static_cast<const char*>(payload);
    return parseRange(begin, begin + payloadLen, cb, data);
}

// Callback API

int mnl_cb_run2(const void* buf, size_t numbytes, unsigned int seq, unsigned int portid,
                mnl_cb_t cbData, void* data, mnl_cb_t* cbCtlArray, unsigned int cbCtlArrayLen)
{
    int ret = MNL_CB_OK;
    int remaining = static_cast<int>(numbytes);
    for (auto nlh = static_cast<const nlmsghdr*>(buf); nlmsgOk(nlh, remaining);
         nlh = mnl_nlmsg_next(nlh, &remaining)) {
        if (!portidOk(nlh, portid))
            return fail(ESRCH);
        if (!seqOk(nlh, seq))
            return fail(EPROTO);
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
            return fail(EINTR);

        const uint16_t type = nlh->nlmsg_type;
        if (type >= NLMSG_MIN_TYPE) {
            if (cbData != nullptr)
                ret = cbData(nlh, data);
        } else if (type < cbCtlArrayLen) {
            // For the types it covers, the caller's table replaces the defaults, empty slots included.
            if (cbCtlArray != nullptr && cbCtlArray[type] != nullptr)
                ret = cbCtlArray[type](nlh, data);
        } else if (type == NLMSG_NOOP || type == NLMSG_OVERRUN) {
            ret = MNL_CB_OK;
        } else if (type == NLMSG_ERROR) {
            ret = runErrorMessage(nlh);
        } else if (type == NLMSG_DONE) {
            ret = MNL_CB_STOP;
        }

        if (ret <= MNL_CB_STOP)
            return ret;
    }
    return ret;
}

int mnl_cb_run(const void* buf, size_t numbytes, unsigned int seq, unsigned int portid,
               mnl_cb_t cbData, void* data)
{
    return mnl_cb_run2(buf, numbytes, seq, portid, cbData, data, nullptr, 0);
}

} // extern "C"
