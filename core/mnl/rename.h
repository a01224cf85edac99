// Renames every libmnl symbol to bwmnl_* when BULWARK_MNL_RENAME is defined.
// Include it before <libmnl/libmnl.h>: the declarations and, in mnl.cpp, the
// definitions then use the bwmnl_ prefix, so a test can link Debian's libmnl
// and bulwark's implementation into one program and compare them.
// All functions declared by libmnl.h are renamed, including the three that
// mnl.cpp does not implement, so that a renamed translation unit calling one
// of them fails to link instead of silently reaching Debian's library.
#ifndef BULWARK_CORE_MNL_RENAME_H
#define BULWARK_CORE_MNL_RENAME_H

#ifdef BULWARK_MNL_RENAME

#define mnl_socket_open bwmnl_socket_open
#define mnl_socket_open2 bwmnl_socket_open2
#define mnl_socket_fdopen bwmnl_socket_fdopen
#define mnl_socket_bind bwmnl_socket_bind
#define mnl_socket_close bwmnl_socket_close
#define mnl_socket_get_fd bwmnl_socket_get_fd
#define mnl_socket_get_portid bwmnl_socket_get_portid
#define mnl_socket_sendto bwmnl_socket_sendto
#define mnl_socket_recvfrom bwmnl_socket_recvfrom
#define mnl_socket_setsockopt bwmnl_socket_setsockopt
#define mnl_socket_getsockopt bwmnl_socket_getsockopt

#define mnl_nlmsg_size bwmnl_nlmsg_size
#define mnl_nlmsg_get_payload_len bwmnl_nlmsg_get_payload_len
#define mnl_nlmsg_put_header bwmnl_nlmsg_put_header
#define mnl_nlmsg_put_extra_header bwmnl_nlmsg_put_extra_header
#define mnl_nlmsg_ok bwmnl_nlmsg_ok
#define mnl_nlmsg_next bwmnl_nlmsg_next
#define mnl_nlmsg_seq_ok bwmnl_nlmsg_seq_ok
#define mnl_nlmsg_portid_ok bwmnl_nlmsg_portid_ok
#define mnl_nlmsg_get_payload bwmnl_nlmsg_get_payload
#define mnl_nlmsg_get_payload_offset bwmnl_nlmsg_get_payload_offset
#define mnl_nlmsg_get_payload_tail bwmnl_nlmsg_get_payload_tail
#define mnl_nlmsg_fprintf bwmnl_nlmsg_fprintf

#define mnl_nlmsg_batch_start bwmnl_nlmsg_batch_start
#define mnl_nlmsg_batch_next bwmnl_nlmsg_batch_next
#define mnl_nlmsg_batch_stop bwmnl_nlmsg_batch_stop
#define mnl_nlmsg_batch_size bwmnl_nlmsg_batch_size
#define mnl_nlmsg_batch_reset bwmnl_nlmsg_batch_reset
#define mnl_nlmsg_batch_head bwmnl_nlmsg_batch_head
#define mnl_nlmsg_batch_current bwmnl_nlmsg_batch_current
#define mnl_nlmsg_batch_is_empty bwmnl_nlmsg_batch_is_empty

#define mnl_attr_get_type bwmnl_attr_get_type
#define mnl_attr_get_len bwmnl_attr_get_len
#define mnl_attr_get_payload_len bwmnl_attr_get_payload_len
#define mnl_attr_get_payload bwmnl_attr_get_payload
#define mnl_attr_get_u8 bwmnl_attr_get_u8
#define mnl_attr_get_u16 bwmnl_attr_get_u16
#define mnl_attr_get_u32 bwmnl_attr_get_u32
#define mnl_attr_get_u64 bwmnl_attr_get_u64
#define mnl_attr_get_str bwmnl_attr_get_str

#define mnl_attr_put bwmnl_attr_put
#define mnl_attr_put_u8 bwmnl_attr_put_u8
#define mnl_attr_put_u16 bwmnl_attr_put_u16
#define mnl_attr_put_u32 bwmnl_attr_put_u32
#define mnl_attr_put_u64 bwmnl_attr_put_u64
#define mnl_attr_put_str bwmnl_attr_put_str
#define mnl_attr_put_strz bwmnl_attr_put_strz
#define mnl_attr_put_check bwmnl_attr_put_check
#define mnl_attr_put_u8_check bwmnl_attr_put_u8_check
#define mnl_attr_put_u16_check bwmnl_attr_put_u16_check
#define mnl_attr_put_u32_check bwmnl_attr_put_u32_check
#define mnl_attr_put_u64_check bwmnl_attr_put_u64_check
#define mnl_attr_put_str_check bwmnl_attr_put_str_check
#define mnl_attr_put_strz_check bwmnl_attr_put_strz_check

#define mnl_attr_nest_start bwmnl_attr_nest_start
#define mnl_attr_nest_start_check bwmnl_attr_nest_start_check
#define mnl_attr_nest_end bwmnl_attr_nest_end
#define mnl_attr_nest_cancel bwmnl_attr_nest_cancel

#define mnl_attr_type_valid bwmnl_attr_type_valid
#define mnl_attr_validate bwmnl_attr_validate
#define mnl_attr_validate2 bwmnl_attr_validate2
#define mnl_attr_ok bwmnl_attr_ok
#define mnl_attr_next bwmnl_attr_next
#define mnl_attr_parse bwmnl_attr_parse
#define mnl_attr_parse_nested bwmnl_attr_parse_nested
#define mnl_attr_parse_payload bwmnl_attr_parse_payload

#define mnl_cb_run bwmnl_cb_run
#define mnl_cb_run2 bwmnl_cb_run2

#endif // BULWARK_MNL_RENAME

#endif // BULWARK_CORE_MNL_RENAME_H
