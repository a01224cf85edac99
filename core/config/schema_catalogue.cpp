// The built-in schema: every GAI variable bulwark knows. This file is the one
// place to add a variable. Names, defaults and value sets follow the
// reference (mguard-appnotes.txt, chapters 3 and 4); where the reference is
// silent, the choice is ours and the help text says what the value does.
#include "config/schema.hpp"

#include <array>

namespace bulwark::config {
namespace {

using SV = std::string_view;

struct Meta {
  SV menu;
  SV module;
  SV help;
};

constexpr Variable text(SV name, SV def, Meta m, std::int64_t maxLen = 255, std::int64_t minLen = 0) {
  return {.name = name, .kind = Kind::String, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .min = minLen, .max = maxLen};
}
constexpr Variable integer(SV name, SV def, std::int64_t lo, std::int64_t hi, Meta m) {
  return {.name = name, .kind = Kind::Integer, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .min = lo, .max = hi};
}
constexpr Variable yesNo(SV name, SV def, Meta m, std::span<const SV> unsupported = {}) {
  return {.name = name, .kind = Kind::YesNo, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .unsupported = unsupported};
}
constexpr Variable oneOf(SV name, SV def, std::span<const SV> choices, Meta m,
                         std::span<const SV> unsupported = {}) {
  return {.name = name, .kind = Kind::Enum, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .choices = choices, .unsupported = unsupported};
}
constexpr Variable ipv4(SV name, SV def, Meta m, bool optional = false) {
  return {.name = name, .kind = Kind::Ipv4, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .optional = optional};
}
constexpr Variable cidr(SV name, SV def, Meta m) {
  return {.name = name, .kind = Kind::Cidr, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module};
}
constexpr Variable port(SV name, SV def, Meta m) {
  return {.name = name, .kind = Kind::Port, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module};
}
constexpr Variable duration(SV name, SV def, std::int64_t lo, std::int64_t hi, Meta m) {
  return {.name = name, .kind = Kind::Duration, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .min = lo, .max = hi};
}
constexpr Variable password(SV name, SV def, Meta m, bool mayBeEmpty = false) {
  return {.name = name, .kind = Kind::Password, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .min = mayBeEmpty ? 0 : 1};
}
constexpr Variable rowRef(SV name, SV def, SV table, std::span<const SV> specials, Meta m) {
  return {.name = name, .kind = Kind::RowRef, .defaultValue = def, .help = m.help, .menu = m.menu,
          .module = m.module, .choices = specials, .refTable = table};
}
constexpr Variable crl(SV name, Meta m) {
  // 64 KiB of DER (pki::kMaxCrlDer) in PEM: 4/3 of it, a line end (CRLF at worst) per 64 characters, the two
  // lines around.
  return {.name = name, .kind = Kind::Crl, .help = m.help, .menu = m.menu, .module = m.module, .max = 92000,
          .optional = true};
}
constexpr Variable certificate(SV name, Meta m) {
  return {.name = name, .kind = Kind::Certificate, .help = m.help, .menu = m.menu, .module = m.module,
          .max = 16384, .optional = true};
}
constexpr Variable table(SV name, std::span<const Variable> columns, Meta m, std::span<const DefaultRow> rows = {},
                         std::size_t maxRows = 0) {
  return {.name = name, .kind = Kind::Table, .help = m.help, .menu = m.menu, .module = m.module,
          .columns = columns, .defaultRows = rows, .maxRows = maxRows};
}

// Menus of the WBM (reference: "Menu: ..." lines).
constexpr SV kMenuWebGeneral = "Management >> Web Settings >> General";
constexpr SV kMenuWebAccess = "Management >> Web Settings >> Access";
constexpr SV kMenuShell = "Management >> System Settings >> Shell Access";
constexpr SV kMenuTime = "Management >> System Settings >> Time and Date";
constexpr SV kMenuHost = "Management >> System Settings >> Host";
constexpr SV kMenuEmail = "Management >> System Settings >> E-Mail";
constexpr SV kMenuAlarm = "Management >> Service I/O >> Alarm Output";
// Reference 12.1 ("Management >> Service Contacts" in firmware 8).
constexpr SV kMenuContacts = "Management >> Service I/O >> Service Contacts";
constexpr SV kMenuUpdate = "Management >> Update >> Update";
constexpr SV kMenuUsers = "Authentication >> Administrative Users >> Passwords";
constexpr SV kMenuInterfaces = "Network >> Interfaces >> General";
constexpr SV kMenuExternal = "Network >> Interfaces >> External";
constexpr SV kMenuInternal = "Network >> Interfaces >> Internal";
constexpr SV kMenuDmz = "Network >> Interfaces >> DMZ";
constexpr SV kMenuDhcp = "Network >> DHCP >> Internal DHCP";
constexpr SV kMenuDns = "Network >> DNS >> DNS server";
constexpr SV kMenuNat = "Network >> NAT >> Masquerading";
constexpr SV kMenuPortForwarding = "Network >> NAT >> IP and Port Forwarding";
constexpr SV kMenuSwitch = "Network >> Ethernet >> Switch";
constexpr SV kMenuMirror = "Network >> Ethernet >> Port Mirroring";
constexpr SV kMenuMulticast = "Network >> Ethernet >> Multicast";
constexpr SV kMenuQos = "Network >> QoS >> Ingress Filters";
constexpr SV kMenuFirewall = "Network Security >> Packet Filter >> Incoming Rules";
constexpr SV kMenuFirewallOut = "Network Security >> Packet Filter >> Outgoing Rules";
constexpr SV kMenuFirewallDmz = "Network Security >> Packet Filter >> DMZ";
constexpr SV kMenuFirewallAdvanced = "Network Security >> Packet Filter >> Advanced";
constexpr SV kMenuDos = "Network Security >> DoS Protection";
constexpr SV kMenuRuleRecords = "Network Security >> Packet Filter >> Rule Records";
constexpr SV kMenuFwUsers = "Authentication >> Firewall Users";
constexpr SV kMenuUserFw = "Network Security >> User Firewall >> User Firewall Templates";
constexpr SV kMenuModbus = "Network Security >> Deep Packet Inspection >> Modbus TCP";
constexpr SV kMenuOpc = "Network Security >> Deep Packet Inspection >> OPC Inspector";
constexpr SV kMenuIpsec = "IPsec VPN >> Connections";
constexpr SV kMenuIpsecGlobal = "IPsec VPN >> Global >> Options";
constexpr SV kMenuOpenvpn = "OpenVPN Client >> Connections";
constexpr SV kMenuLogging = "Logging >> Settings";
constexpr SV kMenuCerts = "Authentication >> Certificates >> Machine Certificates";
constexpr SV kMenuCaCerts = "Authentication >> Certificates >> CA Certificates";
constexpr SV kMenuRemoteCerts = "Authentication >> Certificates >> Remote Certificates";

constexpr SV kLanguages[] = {"de", "en"};
constexpr SV kTlsVersions[] = {"1.0", "1.2", "1.3"};
constexpr SV kPasswordCheck[] = {"supervise", "ignore"};
constexpr SV kContactModes[] = {"push-button", "switch"};
constexpr SV kEmailTls[] = {"none", "starttls", "tls"};
constexpr SV kNetworkModes[] = {"router", "stealth"};
constexpr SV kRouterModes[] = {"static", "dhcp", "pppoe", "pptp", "modem"};
constexpr SV kRouterModesUnsupported[] = {"pppoe", "pptp"};  // reference table 3-3
constexpr SV kYes[] = {"yes"};
constexpr SV kNatInterfaces[] = {"external", "internal", "dmz", "vpn"};
constexpr SV kDhcpModes[] = {"off", "server", "relay"};
constexpr SV kDnsModes[] = {"provider", "user"};
constexpr SV kProtocols[] = {"all", "tcp", "udp", "icmp", "esp", "gre"};
constexpr SV kTargets[] = {"accept", "reject", "drop"};
constexpr SV kForwardProtocols[] = {"tcp", "udp"};
constexpr SV kTimeoutTypes[] = {"static", "dynamic"};
constexpr SV kRecordStates[] = {"inactive", "active"};
constexpr SV kNoRef[] = {""};
constexpr SV kIgnoreRef[] = {"ignore"};
constexpr SV kAuthMethods[] = {"x509", "psk"};
// An IPsec connection's options (reference 7.3.1 / 8.3.1, tabs "General" and
// "IKE Options"). The algorithms are the ones charon's openssl plugin does;
// "all" is the reference's "All algorithms".
constexpr SV kVpnStartups[] = {"wait", "initiate", "initiate-on-traffic"};
constexpr SV kIkeVersions[] = {"ikev1", "ikev2"};
constexpr SV kVpnEncryptions[] = {"all", "3DES", "AES-128", "AES-192", "AES-256"};
constexpr SV kVpnHashes[] = {"all", "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"};
constexpr SV kVpnDhGroups[] = {"all",       "MODP-1024", "MODP-1536", "MODP-2048", "MODP-3072", "MODP-4096",
                               "MODP-6144", "MODP-8192", "ECP-256",   "ECP-384",   "ECP-521"};
constexpr SV kNatTraversal[] = {"yes", "force"};
constexpr SV kModeCfg[] = {"off", "server"};
constexpr SV kModeCfgLocal[] = {"fixed", "table"};
constexpr SV kOvpnCiphers[] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
                               "AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
constexpr SV kOvpnHmacs[] = {"SHA-1", "SHA-256", "SHA-512"};
constexpr SV kOvpnTransport[] = {"udp", "tcp"};
constexpr SV kMirrorPorts[] = {"none", "swp0", "swp1", "swp2", "swp3", "swp4"};
constexpr SV kMedia[] = {"auto", "10-half", "10-full", "100-half", "100-full", "1000-full"};

// Factory-default password hashes (SHA-512 crypt with fixed salts, so the
// factory profile is the same bytes on every device): admin "mGuard",
// root "root", the reference's documented defaults. PASSWORD_CHECK raises
// an alarm while they are unchanged.
constexpr SV kAdminDefaultHash =
    "$6$bulwarkadmin0001$UxeNewqLeyXSqsZ5iMOHWBpb7rzOqDnQpaPwqHVbBV5uhwF3bRChvWz7UePcOJDra5NyQ5Qr7PyByiMOv5yaN/";
constexpr SV kRootDefaultHash =
    "$6$bulwarkroot00001$uJGo0yWe6ydnxikw0LmU/11zpLfdT6x8hQ27XMJnRLiC1v7qmA11MoOmptxkeecPh/6/vwWf1asaJUZ208lmz.";

// --- table columns -------------------------------------------------------

constexpr Variable kNtpColumns[] = {
    text("NTP_SERVER", "pool.ntp.org", {kMenuTime, "net", "Host name or address of an NTP server."}, 253, 1),
    yesNo("PREFER_VPN", "no", {kMenuTime, "net", "Reach this server through a VPN tunnel when one matches."}),
};
constexpr DefaultCell kNtpDefaultCells[] = {{"NTP_SERVER", "pool.ntp.org"}};
constexpr DefaultRow kNtpDefaultRows[] = {{"MAIv100000001", kNtpDefaultCells}};

constexpr Variable kRemoteLogColumns[] = {
    ipv4("SERVER_IP", "192.168.1.254", {kMenuLogging, "log", "Address of a remote syslog server (UDP)."}),
    integer("SERVER_PORT", "514", 1, 65535, {kMenuLogging, "log", "UDP port of the remote syslog server."}),
};

constexpr Variable kAddressColumns[] = {
    cidr("ADDRESS", "192.168.1.1/24", {kMenuInternal, "net", "Address and prefix length of the interface."}),
};
constexpr DefaultCell kIntAddressCells[] = {{"ADDRESS", "192.168.1.1/24"}};
constexpr DefaultRow kIntAddressRows[] = {{"MAIv100000011", kIntAddressCells}};
// The DMZ of the reference's examples (4.4.10: a DMZ host 192.168.3.128).
constexpr DefaultCell kDmzAddressCells[] = {{"ADDRESS", "192.168.3.1/24"}};
constexpr DefaultRow kDmzAddressRows[] = {{"MAIv100000012", kDmzAddressCells}};

constexpr Variable kDnsColumns[] = {
    ipv4("SERVER", "", {kMenuDns, "net", "Address of a DNS server."}, true),
};

constexpr Variable kDhcpPoolColumns[] = {
    ipv4("START", "192.168.1.100", {kMenuDhcp, "net", "First address of the pool."}),
    ipv4("END", "192.168.1.199", {kMenuDhcp, "net", "Last address of the pool."}),
};
constexpr DefaultCell kDhcpPoolCells[] = {{"START", "192.168.1.100"}, {"END", "192.168.1.199"}};
constexpr DefaultRow kDhcpPoolRows[] = {{"MAIv100000021", kDhcpPoolCells}};

constexpr Variable kMasqColumns[] = {
    text("COMMENT", "", {kMenuNat, "firewall", "Free text."}),
    cidr("FROM_IP", "0.0.0.0/0", {kMenuNat, "firewall", "Source network whose packets are masqueraded."}),
    oneOf("INTERFACE", "external", kNatInterfaces, {kMenuNat, "firewall", "Outgoing interface."}),
};
constexpr DefaultCell kMasqCells[] = {{"INTERFACE", "external"}, {"FROM_IP", "0.0.0.0/0"}};
constexpr DefaultRow kMasqRows[] = {{"MAIv100000031", kMasqCells}};  // reference 3.6.3

constexpr Variable kPortForwardingColumns[] = {
    text("COMMENT", "", {kMenuPortForwarding, "firewall", "Free text."}),
    cidr("SRC_IP", "0.0.0.0/0", {kMenuPortForwarding, "firewall", "Sources the rule applies to."}),
    port("SRC_PORT", "any", {kMenuPortForwarding, "firewall", "Source port or range."}),
    oneOf("PROTO", "tcp", kForwardProtocols, {kMenuPortForwarding, "firewall", "Protocol."}),
    port("IN_PORT", "80", {kMenuPortForwarding, "firewall", "Port on the external address that is forwarded."}),
    ipv4("TO_IP", "192.168.1.100", {kMenuPortForwarding, "firewall", "Internal host the connections go to."}),
    port("TO_PORT", "80", {kMenuPortForwarding, "firewall", "Port on that host."}),
    yesNo("LOG", "no", {kMenuPortForwarding, "firewall", "Log the first packet of each forwarded connection."}),
};

constexpr Variable kFirewallRuleColumns[] = {
    text("COMMENT", "", {kMenuFirewall, "firewall", "Free text."}),
    cidr("DST_IP", "0.0.0.0/0", {kMenuFirewall, "firewall", "Destination network."}),
    port("DST_PORT", "any", {kMenuFirewall, "firewall", "Destination port or range (TCP/UDP)."}),
    yesNo("LOG", "no", {kMenuFirewall, "firewall", "Log packets that match the rule."}),
    oneOf("PROTO", "all", kProtocols, {kMenuFirewall, "firewall", "Protocol."}),
    cidr("SRC_IP", "0.0.0.0/0", {kMenuFirewall, "firewall", "Source network."}),
    port("SRC_PORT", "any", {kMenuFirewall, "firewall", "Source port or range (TCP/UDP)."}),
    oneOf("TARGET", "accept", kTargets, {kMenuFirewall, "firewall", "What happens to matching packets."}),
};
constexpr DefaultRow kOutgoingRows[] = {{"MAIv100000041", {}}};  // outgoing: accept all
constexpr DefaultRow kDmzOutgoingWanRows[] = {{"MAIv100000042", {}}};  // DMZ -> WAN: accept all
constexpr DefaultRow kDmzIncomingLanRows[] = {{"MAIv100000043", {}}};  // LAN -> DMZ: accept all

// The remote access rules of the web management and SSH (reference 4.4.8).
constexpr SV kAccessInterfaces[] = {"external", "internal", "vpn", "dmz"};
// The columns of a remote access table; `menu`: where the service is set up,
// `interfaceHelp`: which variable lets the external side in.
constexpr std::array<Variable, 5> accessColumns(SV menu, SV interfaceHelp) {
  return {text("COMMENT", "", {menu, "firewall", "Free text."}),
          cidr("FROM_IP", "0.0.0.0/0", {menu, "firewall", "Sources the rule applies to."}),
          oneOf("INTERFACE", "external", kAccessInterfaces, {menu, "firewall", interfaceHelp}),
          yesNo("LOG", "no", {menu, "firewall", "Log the first packet of each matching connection."}),
          oneOf("TARGET", "accept", kTargets, {menu, "firewall", "What happens to matching connections."})};
}
constexpr auto kHttpsAccessColumns =
    accessColumns(kMenuWebAccess, "Where the connection arrives (external: only with HTTPS_REMOTE_ACCESS).");
constexpr auto kSshAccessColumns =
    accessColumns(kMenuShell, "Where the connection arrives (external: only with SSH_REMOTE_ACCESS).");
constexpr DefaultRow kHttpsAccessRows[] = {{"MAIv100000051", {}}};  // from anywhere outside, once allowed
constexpr DefaultRow kSshAccessRows[] = {{"MAIv100000052", {}}};

constexpr Variable kRuleRecordColumns[] = {
    text("FRIENDLY_NAME", "", {kMenuRuleRecords, "firewall", "Name of the rule record (nph-action.cgi name=)."}, 64, 1),
    oneOf("INITIAL_STATE", "inactive", kRecordStates,
          {kMenuRuleRecords, "firewall", "State at start and when the record is added or changed."}),
    integer("TIMEOUT", "0", 0, 31536000,
            {kMenuRuleRecords, "firewall", "Seconds after activation until the record deactivates itself; 0: never."}),
    table("SET", kFirewallRuleColumns,
          {kMenuRuleRecords, "firewall", "Rules of the record, for forwarded packets in both directions while it is active."}),
};

constexpr Variable kTemplateRuleColumns[] = {
    text("COMMENT", "", {kMenuUserFw, "firewall", "Free text."}),
    cidr("DST_IP", "0.0.0.0/0", {kMenuUserFw, "firewall", "Destination network."}),
    port("DST_PORT", "any", {kMenuUserFw, "firewall", "Destination port or range."}),
    yesNo("LOG", "no", {kMenuUserFw, "firewall", "Log packets that match the rule."}),
    oneOf("PROTO", "all", kProtocols, {kMenuUserFw, "firewall", "Protocol."}),
    port("SRC_PORT", "any", {kMenuUserFw, "firewall", "Source port or range."}),
};
constexpr Variable kTemplateUserColumns[] = {
    text("USERNAME", "", {kMenuUserFw, "firewall", "Firewall user allowed to use the template."}, 64, 1),
};
constexpr Variable kFwUserColumns[] = {
    text("USERNAME", "", {kMenuFwUsers, "firewall", "Name the firewall user logs in with."}, 64, 1),
    password("PASSWORD", "", {kMenuFwUsers, "firewall", "Password of the firewall user; empty: cannot log in."}, true),
};
constexpr Variable kUserFwColumns[] = {
    text("TEMPLATE_COMMENT", "", {kMenuUserFw, "firewall", "Free text."}),
    yesNo("TEMPLATE_ENABLED", "yes", {kMenuUserFw, "firewall", "The template is in use."}),
    text("TEMPLATE_NAME", "", {kMenuUserFw, "firewall", "Name of the template."}, 64, 1),
    table("TEMPLATE_RULE", kTemplateRuleColumns, {kMenuUserFw, "firewall", "Rules a logged-in user opens."}),
    text("TEMPLATE_SRC_IP", "%authorized_ip",
         {kMenuUserFw, "firewall", "Source of the rules; %authorized_ip is the address the user logged in from."}),
    integer("TEMPLATE_TIMEOUT", "28800", 0, 31536000,
            {kMenuUserFw, "firewall", "Seconds after which the user is logged out."}),
    oneOf("TEMPLATE_TOUT_TYPE", "static", kTimeoutTypes,
          {kMenuUserFw, "firewall", "static: counted from login; dynamic: from the last packet."}),
    table("TEMPLATE_USERS", kTemplateUserColumns, {kMenuUserFw, "firewall", "Users of the template."}),
    rowRef("VPN_CONN_REF", "", "VPN_CONNECTION", kNoRef,
           {kMenuUserFw, "firewall", "IPsec connection the template applies to, or none."}),
};

// The reference names no variables for the IKE options; these are ours.
constexpr Variable kIsakmpProposalColumns[] = {
    oneOf("DH_GROUP", "all", kVpnDhGroups, {kMenuIpsec, "ipsec", "Diffie-Hellman group of the key exchange."}),
    oneOf("ENCRYPTION", "AES-256", kVpnEncryptions, {kMenuIpsec, "ipsec", "Encryption of the ISAKMP SA."}),
    oneOf("HASH", "all", kVpnHashes, {kMenuIpsec, "ipsec", "Hash (integrity and PRF) of the ISAKMP SA."}),
};
constexpr Variable kIpsecProposalColumns[] = {
    oneOf("ENCRYPTION", "AES-256", kVpnEncryptions, {kMenuIpsec, "ipsec", "Encryption of the IPsec SAs (ESP)."}),
    oneOf("HASH", "SHA-256", kVpnHashes, {kMenuIpsec, "ipsec", "Hash (HMAC) of the IPsec SAs (ESP)."}),
};

constexpr Variable kTunnelColumns[] = {
    cidr("LOCAL_NET", "192.168.1.0/24", {kMenuIpsec, "ipsec", "Local network of the tunnel."}),
    cidr("REMOTE_NET", "10.0.0.0/24", {kMenuIpsec, "ipsec", "Remote network of the tunnel."}),
};
constexpr Variable kModeCfgNetColumns[] = {
    cidr("NETWORK", "192.168.1.0/24", {kMenuIpsec, "ipsec", "A local network the peer reaches through the tunnel."}),
};
constexpr Variable kVpnColumns[] = {
    oneOf("AUTH_METHOD", "x509", kAuthMethods, {kMenuIpsec, "ipsec", "How the peers authenticate."}),
    // "Connection startup" (reference 7.3.1.1, 11.3.1); the reference names no variable: ours.
    oneOf("CONNECTION_STARTUP", "wait", kVpnStartups,
          {kMenuIpsec, "ipsec",
           "wait: the peer starts the connection (and nph-vpn.cgi cannot switch it); initiate: started at once and "
           "kept up; initiate-on-traffic: started by the first packet for the tunnel (needs kernel ESP; with "
           "ESP in user space it is started at once). initiate needs a REMOTE_GATEWAY other than %any."}),
    // Dead peer detection (reference 7.3.1.4 "IKE Options"); the reference names no variables: ours.
    yesNo("DPD", "yes", {kMenuIpsec, "ipsec", "Dead peer detection: a silent peer's connection is ended."}),
    duration("DPD_DELAY", "00:00:30", 1, 3600,
             {kMenuIpsec, "ipsec", "Time without traffic from the peer after which it is asked for a sign of life."}),
    duration("DPD_TIMEOUT", "00:02:30", 1, 3600,
             {kMenuIpsec, "ipsec",
              "IKEv1: time without an answer after which the peer counts as dead (IKEv2 gives up after its "
              "retransmissions, about 165 s)."}),
    yesNo("ENABLED", "yes", {kMenuIpsec, "ipsec", "The connection is started."}),
    // The connection's firewall (reference 4.4.14): empty tables let nothing through the tunnel.
    table("FW_INCOMING", kFirewallRuleColumns,
          {kMenuIpsec, "firewall", "Firewall rules for connections from the remote networks through the tunnel."}),
    yesNo("FW_INCOMING_LOG_DEFAULT", "no",
          {kMenuIpsec, "firewall", "Log incoming packets through the tunnel no rule matches."}),
    table("FW_OUTGOING", kFirewallRuleColumns,
          {kMenuIpsec, "firewall", "Firewall rules for connections into the tunnel to the remote networks."}),
    yesNo("FW_OUTGOING_LOG_DEFAULT", "no",
          {kMenuIpsec, "firewall", "Log outgoing packets into the tunnel no rule matches."}),
    duration("IKE_LIFETIME", "12:00:00", 60, 86400,
             {kMenuIpsec, "ipsec", "ISAKMP SA lifetime (hh:mm:ss, reference 7.3.1.4); renewed at 90 %."}),
    oneOf("IKE_VERSION", "ikev2", kIkeVersions, {kMenuIpsec, "ipsec", "IKE version of the connection."}),
    table("IPSEC_PROPOSALS", kIpsecProposalColumns,
          {kMenuIpsec, "ipsec",
           "IPsec SA (data exchange) proposals, in order of preference; empty: charon's defaults."}),
    table("ISAKMP_PROPOSALS", kIsakmpProposalColumns,
          {kMenuIpsec, "ipsec",
           "ISAKMP SA (key exchange) proposals, in order of preference; empty: charon's defaults."}),
    // X.509 (reference ch. 5.8): the reference names no variables for these; they are ours.
    rowRef("LOCAL_CERT_REF", "", "MACHINE_CERTIFICATES", kNoRef,
           {kMenuIpsec, "ipsec", "Machine certificate the device authenticates with when AUTH_METHOD is x509."}),
    text("LOCAL_ID", "",
         {kMenuIpsec, "ipsec",
          "Local VPN identifier (X.509): a DN such as \"C=DE, O=Plant, CN=gw\" or a name the certificate "
          "holds; empty: the subject DN of LOCAL_CERT_REF."}),
    // Mode configuration (reference 7.3.1 and 8.3.1, the section "Mode
    // Configuration"): the reference names no variables for it; these are ours.
    oneOf("MODECFG", "off", kModeCfg,
          {kMenuIpsec, "ipsec",
           "Mode configuration: off, or server: the peer is given an address of MODECFG_REMOTE_POOL and reaches the "
           "networks of MODECFG_LOCAL (the TUNNEL table is not used then)."}),
    oneOf("MODECFG_LOCAL", "fixed", kModeCfgLocal,
          {kMenuIpsec, "ipsec",
           "Local networks of mode configuration: fixed (MODECFG_LOCAL_NET) or table (from the table "
           "MODECFG_LOCAL_NETS)."}),
    cidr("MODECFG_LOCAL_NET", "0.0.0.0/0",
         {kMenuIpsec, "ipsec", "Local IP network of mode configuration when MODECFG_LOCAL is fixed; 0.0.0.0/0: all of "
                               "the peer's traffic goes through the tunnel."}),
    table("MODECFG_LOCAL_NETS", kModeCfgNetColumns,
          {kMenuIpsec, "ipsec", "Local networks of mode configuration when MODECFG_LOCAL is table."}),
    cidr("MODECFG_REMOTE_POOL", "172.16.101.0/24",
         {kMenuIpsec, "ipsec", "Remote IP network pool: the addresses mode configuration gives the peers."}),
    integer("MODECFG_REMOTE_TRANCHE", "32", 0, 32,
            {kMenuIpsec, "ipsec",
             "Tranches of size (network size between 0 and 32) given to each peer from MODECFG_REMOTE_POOL; charon "
             "gives one address, so only 32 is served."}),
    // "NAT-T" (ours): charon always detects NAT and then moves to UDP 4500; force
    // encapsulates ESP in UDP even without NAT. It cannot be switched off.
    oneOf("NAT_T", "yes", kNatTraversal,
          {kMenuIpsec, "ipsec", "NAT traversal: yes (ESP in UDP when a NAT is detected) or force (always)."}),
    yesNo("PFS", "no",
          {kMenuIpsec, "ipsec",
           "Perfect forward secrecy: the IPsec SAs get their own Diffie-Hellman exchange (the groups of "
           "ISAKMP_PROPOSALS). The peer must have the same setting."}),
    // The reference names no variable for the key; it is ours.
    {.name = "PSK", .kind = Kind::Secret, .help = "Pre-shared key of the connection when AUTH_METHOD is psk.",
     .menu = kMenuIpsec, .module = "ipsec", .max = 255},
    rowRef("REMOTE_CA_REF", "", "CA_CERTIFICATES", kNoRef,
           {kMenuIpsec, "ipsec",
            "CA certificate the peer's certificate must be issued by (X.509), unless REMOTE_CERT_REF or "
            "REMOTE_CERTIFICATE pins it."}),
    rowRef("REMOTE_CERT_REF", "", "REMOTE_CERTIFICATES", kNoRef,
           {kMenuIpsec, "ipsec",
            "The peer's certificate by name (X.509; a row of REMOTE_CERTIFICATES): only this certificate is "
            "accepted; instead of REMOTE_CERTIFICATE (bulwark's variable)."}),
    certificate("REMOTE_CERTIFICATE",
                {kMenuIpsec, "ipsec",
                 "The peer's certificate in PEM (X.509, reference 5.8: the connection certificate): only this "
                 "certificate is accepted; empty: any certificate issued by REMOTE_CA_REF."}),
    text("REMOTE_GATEWAY", "%any", {kMenuIpsec, "ipsec", "Address or host name of the peer; %any accepts any peer (and only waits for it)."}),
    text("REMOTE_ID", "",
         {kMenuIpsec, "ipsec",
          "Remote VPN identifier (X.509); empty: the subject DN of REMOTE_CERTIFICATE, or any identity a "
          "certificate of REMOTE_CA_REF holds."}),
    duration("SA_LIFETIME", "04:00:00", 60, 86400,
             {kMenuIpsec, "ipsec", "IPsec SA lifetime (hh:mm:ss, reference 7.3.1.4); renewed at 90 %."}),
    table("TUNNEL", kTunnelColumns, {kMenuIpsec, "ipsec", "Networks connected by the connection."}),
    text("VPN_NAME", "", {kMenuIpsec, "ipsec", "Name of the connection (used by nph-vpn.cgi)."}, 64, 1),
};

constexpr Variable kOpenvpnColumns[] = {
    yesNo("ENABLED", "yes", {kMenuOpenvpn, "openvpn", "The connection is started."}),
    // The connection's firewall and port forwarding (reference 4.4.15).
    table("FW_INCOMING", kFirewallRuleColumns,
          {kMenuOpenvpn, "firewall", "Firewall rules for connections from the OpenVPN tunnel."}),
    yesNo("FW_INCOMING_LOG_DEFAULT", "no",
          {kMenuOpenvpn, "firewall", "Log incoming packets through the tunnel no rule matches."}),
    table("FW_OUTGOING", kFirewallRuleColumns,
          {kMenuOpenvpn, "firewall", "Firewall rules for connections into the OpenVPN tunnel."}),
    yesNo("FW_OUTGOING_LOG_DEFAULT", "no",
          {kMenuOpenvpn, "firewall", "Log outgoing packets into the tunnel no rule matches."}),
    integer("PORT", "1194", 1, 65535, {kMenuOpenvpn, "openvpn", "Port of the OpenVPN server."}),
    table("PORT_FORWARDING", kPortForwardingColumns,
          {kMenuOpenvpn, "firewall", "Connections from the tunnel to a port of the appliance forwarded to an internal host."}),
    oneOf("PROTO", "udp", kOvpnTransport, {kMenuOpenvpn, "openvpn", "Transport protocol."}),
    text("REMOTE", "", {kMenuOpenvpn, "openvpn", "Address or host name of the OpenVPN server."}, 253),
    oneOf("VPN_AUTH_HMAC", "SHA-256", kOvpnHmacs,
          {kMenuOpenvpn, "openvpn", "Hash algorithm of the HMAC authentication (reference 3.6.3)."}),
    oneOf("VPN_ENCRYPTION", "AES-256-GCM", kOvpnCiphers,
          {kMenuOpenvpn, "openvpn", "Data encryption algorithm (reference 3.6.3)."}),
    text("VPN_NAME", "", {kMenuOpenvpn, "openvpn", "Name of the connection."}, 64, 1),
};

constexpr Variable kCertColumns[] = {
    text("SHORT_NAME", "", {kMenuCerts, "pki", "Name the certificate is referred to by."}, 64, 1),
};
constexpr Variable kCaCertColumns[] = {
    // The certificate itself, not a file by row id as for machine
    // certificates: it is public, small, and so it travels with profiles and
    // the configuration's transactions (a CA and the connection that trusts it
    // change together, or not at all).
    certificate("CERTIFICATE", {kMenuCaCerts, "pki", "The CA certificate in PEM; empty: none uploaded yet."}),
    text("SHORT_NAME", "", {kMenuCaCerts, "pki", "Name the CA certificate is referred to by."}, 64, 1),
};

// Certificate revocation lists (reference 6.8; Authentication >> Certificates,
// tab CRL). The reference names no variables: these are bulwark's. Like CA
// certificates, the CRL itself is the value (public data). Uploaded, not
// fetched: the appliance does not download CRLs from distribution points.
constexpr Variable kCrlColumns[] = {
    crl("CRL", {kMenuCaCerts, "pki", "The CRL in PEM, as the CA issued it; empty: none uploaded yet."}),
    text("SHORT_NAME", "", {kMenuCaCerts, "pki", "Name the CRL is referred to by."}, 64, 1),
};
// Remote certificates (Authentication >> Certificates, tab Remote
// Certificates): peers' own certificates, pinned by name from connections
// (REMOTE_CERT_REF). The reference names no variables: these are bulwark's.
constexpr Variable kRemoteCertColumns[] = {
    certificate("CERTIFICATE", {kMenuRemoteCerts, "pki", "The peer's certificate in PEM; empty: none uploaded yet."}),
    text("SHORT_NAME", "", {kMenuRemoteCerts, "pki", "Name the certificate is referred to by."}, 64, 1),
};
constexpr Variable kRepoColumns[] = {
    text("HOST", "", {kMenuUpdate, "update", "Host name or address of the update server."}, 253, 1),
    integer("PORT", "443", 1, 65535, {kMenuUpdate, "update", "HTTPS port of the update server."}),
    rowRef("REMOTE_CERT_REF", "ignore", "CA_CERTIFICATES", kIgnoreRef,
           {kMenuUpdate, "update", "CA certificate the server must present, or ignore (reference 3.6.2)."}),
};

constexpr Variable kModbusSetColumns[] = {
    text("ADDRESS_RANGE", "any", {kMenuModbus, "firewall", "Register addresses, \"any\" or \"from:to\"."}, 11, 1),
    text("COMMENT", "", {kMenuModbus, "firewall", "Free text."}),
    yesNo("LOG", "no", {kMenuModbus, "firewall", "Log matching requests."}),
    integer("MODBUS_FUNCTION_CODE", "3", 1, 127, {kMenuModbus, "firewall", "Modbus function code."}),
    oneOf("TARGET", "accept", kTargets, {kMenuModbus, "firewall", "What happens to matching requests."}),
};
constexpr Variable kModbusColumns[] = {
    text("FRIENDLY_NAME", "", {kMenuModbus, "firewall", "Name of the rule set."}, 64, 1),
    yesNo("LOG_DEFAULT", "no", {kMenuModbus, "firewall", "Log requests no rule matches."}),
    table("SET", kModbusSetColumns, {kMenuModbus, "firewall", "Rules of the rule set."}),
};

constexpr Variable kSwitchColumns[] = {
    yesNo("ENABLED", "yes", {kMenuSwitch, "platform", "The port is enabled."}),
    oneOf("MEDIA", "auto", kMedia, {kMenuSwitch, "platform", "Speed and duplex."}),
    oneOf("PORT", "swp0", std::span<const SV>(kMirrorPorts).subspan(1), {kMenuSwitch, "platform", "Switch port."}),
};
// Link supervision (table 12-3: "link supervision configurable on device";
// the reference names no variable: this table is bulwark's).
constexpr Variable kLinkSupervisionColumns[] = {
    text("PORT", "",
         {kMenuAlarm, "led",
          "A port of the board by its name on the housing, of either generation (XF1 or WAN, XF2 or LAN1, ...)."},
         8, 1),
};
constexpr Variable kMulticastColumns[] = {
    ipv4("GROUP", "239.0.0.1", {kMenuMulticast, "platform", "Multicast group address."}),
    text("PORTS", "", {kMenuMulticast, "platform", "Switch ports the group is forwarded to (swp0,swp1,...)."}),
};

// --- the service contacts --------------------------------------------------
// The reference names the menu but no variables: these names are bulwark's.
// Each binds a contact or an Info LED to a firewall rule record by its row id
// (a VPN connection is to come the same way once the IPsec room reports
// connection states).

constexpr Variable contactRecord(SV name, SV help) {
  return rowRef(name, "", "FW_RULESETS", kNoRef, {kMenuContacts, "led", help});
}
// The same for a VPN connection; a contact or LED binds one or the other.
constexpr Variable contactVpn(SV name, SV help) {
  return rowRef(name, "", "VPN_CONNECTION", kNoRef, {kMenuContacts, "led", help});
}

// --- the catalogue ---------------------------------------------------------

constexpr Variable kVariables[] = {
    contactRecord("ACK1_FW_RULESET_REF",
                  "Firewall rule record the output ACK1 (O1) shows: closed while it is active, open while inactive; "
                  "empty: none (bulwark's variable, the reference names none)."),
    contactVpn("ACK1_VPN_REF",
               "IPsec connection the output ACK1 (O1) shows: closed while established, blinking while being established, open otherwise; empty: none; instead of ACK1_FW_RULESET_REF (bulwark's variable)."),
    contactRecord("ACK2_FW_RULESET_REF",
                  "Firewall rule record the output ACK2 (O2) shows: closed while it is active, open while inactive; "
                  "empty: none (bulwark's variable, the reference names none)."),
    contactVpn("ACK2_VPN_REF",
               "IPsec connection the output ACK2 (O2) shows: closed while established, blinking while being established, open otherwise; empty: none; instead of ACK2_FW_RULESET_REF (bulwark's variable)."),
    password("AUDIT_PASSWORD", "", {kMenuUsers, "auth", "Password of the user audit; empty: the account is disabled."},
             true),
    table("CA_CERTIFICATES", kCaCertColumns, {kMenuCaCerts, "pki", "Trusted CA certificates."}),
    contactRecord("CMD1_FW_RULESET_REF",
                  "Firewall rule record the service contact CMD1 (I1) starts and stops, as nph-action.cgi "
                  "fwrules/active|inactive does; empty: none (bulwark's variable, the reference names none)."),
    oneOf("CMD1_MODE", "push-button", kContactModes,
          {kMenuContacts, "led",
           "What is wired to CMD1: push-button (a press starts its rule record when inactive, stops it when "
           "active) or switch (switching it on starts the record, switching it off stops it) (bulwark's variable)."}),
    contactVpn("CMD1_VPN_REF",
               "IPsec connection (ENABLED no) the service contact CMD1 (I1) starts and stops, as nph-vpn.cgi up|down does; empty: none; instead of CMD1_FW_RULESET_REF (bulwark's variable)."),
    contactRecord("CMD2_FW_RULESET_REF",
                  "Firewall rule record the service contact CMD2 (I2) starts and stops, as nph-action.cgi "
                  "fwrules/active|inactive does; empty: none (bulwark's variable, the reference names none)."),
    oneOf("CMD2_MODE", "push-button", kContactModes,
          {kMenuContacts, "led",
           "What is wired to CMD2: push-button (a press starts its rule record when inactive, stops it when "
           "active) or switch (switching it on starts the record, switching it off stops it) (bulwark's variable)."}),
    contactVpn("CMD2_VPN_REF",
               "IPsec connection (ENABLED no) the service contact CMD2 (I2) starts and stops, as nph-vpn.cgi up|down does; empty: none; instead of CMD2_FW_RULESET_REF (bulwark's variable)."),
    contactRecord("CMD3_FW_RULESET_REF",
                  "Firewall rule record the service contact CMD3 (I3) starts and stops, as nph-action.cgi "
                  "fwrules/active|inactive does; empty: none (bulwark's variable, the reference names none)."),
    oneOf("CMD3_MODE", "push-button", kContactModes,
          {kMenuContacts, "led",
           "What is wired to CMD3: push-button (a press starts its rule record when inactive, stops it when "
           "active) or switch (switching it on starts the record, switching it off stops it) (bulwark's variable)."}),
    contactVpn("CMD3_VPN_REF",
               "IPsec connection (ENABLED no) the service contact CMD3 (I3) starts and stops, as nph-vpn.cgi up|down does; empty: none; instead of CMD3_FW_RULESET_REF (bulwark's variable)."),
    table("CRLS", kCrlColumns,
          {kMenuCaCerts, "pki", "Certificate revocation lists: a peer certificate one of them revokes is refused."}),
    ipv4("DHCP_INT_DNS", "192.168.1.1", {kMenuDhcp, "net", "DNS server announced to clients."}, true),
    integer("DHCP_INT_LEASE_TIME", "14400", 60, 31536000, {kMenuDhcp, "net", "Lease time in seconds."}),
    oneOf("DHCP_INT_MODE", "server", kDhcpModes, {kMenuDhcp, "net", "DHCP on the internal interface."}),
    table("DHCP_INT_POOL", kDhcpPoolColumns, {kMenuDhcp, "net", "Address pools of the DHCP server."},
          kDhcpPoolRows),
    table("DMZ_ADDRESSES", kAddressColumns,
          {kMenuDmz, "net", "Addresses of the DMZ interface (boards with a DMZ port; others ignore them)."},
          kDmzAddressRows),
    oneOf("DNS_MODE", "provider", kDnsModes,
          {kMenuDns, "net", "Name servers the device asks: the provider's (from DHCP) or DNS_SERVERS."}),
    table("DNS_SERVERS", kDnsColumns, {kMenuDns, "net", "User-defined name servers (DNS_MODE user)."}),
    integer("DOS_ICMP_IN_MAX", "3", 1, 100000,
            {kMenuDos, "firewall", "ICMP echo requests per second from the external side (more: fw-ICMP-flood)."}),
    integer("DOS_ICMP_OUT_MAX", "5", 1, 100000,
            {kMenuDos, "firewall", "ICMP echo requests per second from the internal side (more: fw-ICMP-flood)."}),
    integer("DOS_SYN_IN_MAX", "25", 1, 100000,
            {kMenuDos, "firewall", "New TCP connections per second from the external side (more: fw-SYN-flood)."}),
    integer("DOS_SYN_OUT_MAX", "75", 1, 100000,
            {kMenuDos, "firewall", "New TCP connections per second from the internal side (more: fw-SYN-flood)."}),
    text("EMAIL_RELAY_SERVER", "", {kMenuEmail, "mail", "Host name or address of the e-mail server."}, 253),
    integer("EMAIL_RELAY_PORT", "465", 1, 65535, {kMenuEmail, "mail", "Port of the e-mail server."}),
    oneOf("EMAIL_RELAY_TLS", "tls", kEmailTls,
          {kMenuEmail, "mail", "Encryption towards the e-mail server (reference 3.6.3: TLS by default)."}),
    table("EXT_ADDRESSES", kAddressColumns, {kMenuExternal, "net", "Static addresses of the external interface."}),
    ipv4("EXT_GATEWAY", "", {kMenuExternal, "net", "Default gateway in static mode."}, true),
    yesNo("FW_CONSISTENCY_CHECKS", "no",
          {kMenuFirewallAdvanced, "firewall", "Drop TCP and UDP packets with impossible flags or port 0 (fw-unclean)."}),
    integer("FW_ICMP_MAXLEN", "1500", 64, 65535,
            {kMenuFirewallAdvanced, "firewall", "Largest ICMP echo request in bytes (larger: fw-ICMP-maxlen)."}),
    table("FW_DMZ_INCOMING_LAN", kFirewallRuleColumns, {kMenuFirewallDmz, "firewall", "DMZ rules, LAN to DMZ."},
          kDmzIncomingLanRows),
    table("FW_DMZ_INCOMING_WAN", kFirewallRuleColumns, {kMenuFirewallDmz, "firewall", "DMZ rules, WAN to DMZ."}),
    yesNo("FW_DMZ_LOG_DEFAULT", "no", {kMenuFirewallDmz, "firewall", "Log packets no DMZ rule matches."}),
    table("FW_DMZ_OUTGOING_LAN", kFirewallRuleColumns, {kMenuFirewallDmz, "firewall", "DMZ rules, DMZ to LAN."}),
    table("FW_DMZ_OUTGOING_WAN", kFirewallRuleColumns, {kMenuFirewallDmz, "firewall", "DMZ rules, DMZ to WAN."},
          kDmzOutgoingWanRows),
    table("FW_INCOMING", kFirewallRuleColumns, {kMenuFirewall, "firewall", "Incoming rules (WAN to LAN)."}),
    yesNo("FW_INCOMING_LOG_DEFAULT", "no", {kMenuFirewall, "firewall", "Log packets no incoming rule matches."}),
    table("FW_OUTGOING", kFirewallRuleColumns, {kMenuFirewallOut, "firewall", "Outgoing rules (LAN to WAN)."},
          kOutgoingRows),
    yesNo("FW_OUTGOING_LOG_DEFAULT", "no", {kMenuFirewallOut, "firewall", "Log packets no outgoing rule matches."}),
    table("FW_RULESETS", kRuleRecordColumns,
          {kMenuRuleRecords, "firewall", "Firewall rule records: named rule sets switched active or inactive at run time."}),
    text("HOSTNAME", "bulwark", {kMenuHost, "net", "Host name of the device."}, 63, 1),
    yesNo("HTTPS_REMOTE_ACCESS", "no",
          {kMenuWebAccess, "web", "Allow HTTPS access from the external interface (denied by default)."}),
    table("HTTPS_REMOTE_ACCESS_RULES", kHttpsAccessColumns,
          {kMenuWebAccess, "firewall",
           "Who may reach the web management, in order (fw-https-access); the internal side is let in after them."},
          kHttpsAccessRows),
    integer("HTTPS_PORT", "443", 1, 65535, {kMenuWebAccess, "web", "Port of the HTTPS web management."}),
    integer("HTTPS_UPLOAD_LIMIT", "16448", 64, 262144,
            {kMenuWebAccess, "web", "Largest upload to the web server in KiB (profiles, certificates)."}),
    rowRef("HTTPS_SERVER_CERT_REF", "", "MACHINE_CERTIFICATES", kNoRef,
           {kMenuWebAccess, "web", "Machine certificate of the web server; empty: the self-signed one."}),
    yesNo("IGMP_SNOOPING", "no", {kMenuMulticast, "platform", "IGMP snooping on the switch."}),
    contactRecord("INFO1_FW_RULESET_REF",
                  "Firewall rule record the LED Info1 shows (reference 12.1): on while it is active, off while "
                  "inactive; empty: none (bulwark's variable, the reference names none)."),
    contactVpn("INFO1_VPN_REF",
               "IPsec connection the LED Info1 shows (reference 12.1): on while established, blinking while being established, off otherwise; empty: none; instead of INFO1_FW_RULESET_REF (bulwark's variable)."),
    contactRecord("INFO2_FW_RULESET_REF",
                  "Firewall rule record the LED Info2 shows (reference 12.1): on while it is active, off while "
                  "inactive; empty: none (bulwark's variable, the reference names none)."),
    contactVpn("INFO2_VPN_REF",
               "IPsec connection the LED Info2 shows (reference 12.1): on while established, blinking while being established, off otherwise; empty: none; instead of INFO2_FW_RULESET_REF (bulwark's variable)."),
    table("INT_ADDRESSES", kAddressColumns, {kMenuInternal, "net", "Addresses of the internal interface."},
          kIntAddressRows),
    yesNo("IP_CONNTRACK_OPC", "no", {kMenuOpc, "firewall", "Track OPC Classic connections (reference 3.6.1)."}),
    yesNo("IP_CONNTRACK_OPC_SANITY", "yes", {kMenuOpc, "firewall", "Check OPC Classic packets for sanity."}),
    integer("IP_CONNTRACK_OPC_TIMEOUT", "120", 1, 3600,
            {kMenuOpc, "firewall", "Seconds an expected OPC Classic connection is kept open."}),
    table("LINK_SUPERVISION", kLinkSupervisionColumns,
          {kMenuAlarm, "led",
           "Ports whose lost link raises the FAULT alarm (FAULT LED and alarm output) and is logged; none by "
           "default."},
          {}, 16),
    yesNo("LOGGING_REMOTE_ENABLE", "no", {kMenuLogging, "log", "Send log lines to remote syslog servers (UTC)."}),
    table("LOGGING_REMOTE_SERVERS", kRemoteLogColumns, {kMenuLogging, "log", "Remote syslog servers."}, {}, 8),
    integer("LOGGING_MAX_DAYS", "0", 0, 3650,
            {kMenuLogging, "log", "Maximum retention period for log entries in days (0 = unlimited)."}),
    integer("LOGIN_FAILURE_LIMIT", "3", 1, 100,
            {kMenuUsers, "auth",
             "Failed logins within LOGIN_FAILURE_WINDOW after which the user name and the source address each "
             "wait LOGIN_LOCKOUT."}),
    duration("LOGIN_FAILURE_WINDOW", "00:15:00", 10, 86400,
             {kMenuUsers, "auth", "Period in which failed logins are counted (hh:mm:ss)."}),
    duration("LOGIN_LOCKOUT", "00:15:00", 10, 86400,
             {kMenuUsers, "auth", "How long a locked user name or source address waits (hh:mm:ss)."}),
    table("MACHINE_CERTIFICATES", kCertColumns, {kMenuCerts, "pki", "Machine certificates of the device."}),
    password("MOBILE_PASSWORD", "",
             {kMenuUsers, "auth", "Password of the user mobile (SMS and call actions, reference 11.6); empty: disabled."},
             true),
    oneOf("MIRROR_RECEIVER", "none", kMirrorPorts, {kMenuMirror, "platform", "Port that receives mirrored traffic."}),
    table("MODBUS_RULESETS", kModbusColumns, {kMenuModbus, "firewall", "Modbus TCP rule sets."}),
    table("MULTICAST_GROUP", kMulticastColumns, {kMenuMulticast, "platform", "Static multicast groups."}),
    table("NAT_MASQUERADING", kMasqColumns, {kMenuNat, "firewall", "IP masquerading rules."}, kMasqRows),
    table("NAT_PORT_FORWARDING", kPortForwardingColumns,
          {kMenuPortForwarding, "firewall", "IP and port forwarding from the external interface (DNAT)."}),
    password("NETADMIN_PASSWORD", "",
             {kMenuUsers, "auth", "Password of the user netadmin; empty: the account is disabled."}, true),
    oneOf("NETWORK_MODE", "router", kNetworkModes, {kMenuInterfaces, "net", "Network mode of the device."}),
    yesNo("NTP_ENABLE", "no", {kMenuTime, "net", "Synchronise the system time with NTP servers."}),
    table("NTP_SERVERS", kNtpColumns, {kMenuTime, "net", "NTP servers."}, kNtpDefaultRows),
    table("OPENVPN_CONNECTION", kOpenvpnColumns, {kMenuOpenvpn, "openvpn", "OpenVPN client connections."}),
    oneOf("PASSWORD_CHECK", "supervise", kPasswordCheck,
          {kMenuAlarm, "led", "Raise the alarm while default passwords are unchanged (reference 3.6.2)."}),
    table("PSM_REPOSITORIES", kRepoColumns, {kMenuUpdate, "update", "Update servers."}),
    yesNo("QOS_INGRESS_LOCAL_ENABLE", "no", {kMenuQos, "net", "Ingress QoS for local traffic (not on this hardware)."},
          kYes),
    table("REMOTE_CERTIFICATES", kRemoteCertColumns,
          {kMenuRemoteCerts, "pki", "Peers' certificates, pinned by name from IPsec connections."}),
    password("ROOT_PASSWORD", kRootDefaultHash, {kMenuUsers, "auth", "Password of the user root."}),
    oneOf("ROUTER_MODE", "dhcp", kRouterModes, {kMenuExternal, "net", "How the external interface gets its address."},
          kRouterModesUnsupported),
    yesNo("ROUTER_MODE_LINK", "no", {kMenuInterfaces, "web", "Show a link to the WBM of a CELLULINK device."}),
    integer("SSH_ADMIN_LOGIN_ALLOWED_MAX", "4", 1, 10, {kMenuShell, "auth", "Concurrent SSH sessions of role admin."}),
    integer("SSH_AUDIT_LOGIN_ALLOWED_MAX", "4", 1, 10, {kMenuShell, "auth", "Concurrent SSH sessions of role audit."}),
    integer("SSH_NETADMIN_LOGIN_ALLOWED_MAX", "4", 1, 10,
            {kMenuShell, "auth", "Concurrent SSH sessions of role netadmin."}),
    yesNo("SSH_REMOTE_ACCESS", "no", {kMenuShell, "auth", "Allow SSH access from the external interface."}),
    table("SSH_REMOTE_ACCESS_RULES", kSshAccessColumns,
          {kMenuShell, "firewall",
           "Who may reach SSH, in order (fw-ssh-access); the internal side is let in after them."},
          kSshAccessRows),
    table("SWITCHPORT", kSwitchColumns, {kMenuSwitch, "platform", "Settings of the switch ports."}),
    text("TIMEZONE", "UTC", {kMenuTime, "log", "POSIX time zone of the time stamps shown locally."}, 64, 1),
    oneOf("TLS_MIN_VERSION", "1.2", kTlsVersions,
          {kMenuWebAccess, "web", "Lowest TLS version accepted (1.0 also accepts 1.1; reference 3.6.2)."}),
    password("USER_PASSWORD", "",
             {kMenuUsers, "auth",
              "Password of the user user, who may only switch and query VPN connections through nph-vpn.cgi "
              "(reference 11.2.3); empty: disabled."},
             true),
    table("USERFW_TEMPLATE", kUserFwColumns, {kMenuUserFw, "firewall", "User firewall templates."}),
    table("USERFW_USERS", kFwUserColumns,
          {kMenuFwUsers, "firewall", "Firewall users: who may log in to open the rules of their templates."}),
    table("VPN_CONNECTION", kVpnColumns, {kMenuIpsec, "ipsec", "IPsec connections."}),
    yesNo("VPN_UNIQUE_IDS", "no", {kMenuIpsecGlobal, "ipsec", "Allow only one connection per peer identity."}),
    integer("VPN_XFRM4_GC_THRESH", "2", 0, 1048576,
            {kMenuIpsecGlobal, "ipsec", "Garbage collection threshold of the kernel's IPv4 XFRM cache."}),
    oneOf("WWW_LANGUAGE", "en", kLanguages, {kMenuWebGeneral, "web", "Language of the web interface."}),
    integer("WWW_LEVEL", "10", 0, 10, {kMenuWebGeneral, "web", "Detail level of the web interface (10 = all)."}),
    password("WWW_PASSWORD_RAW", kAdminDefaultHash,
             {kMenuUsers, "auth", "Password of the user admin (the name the reference logs in 4.3.2)."}),
    integer("WWW_TIMEOUT", "1800", 30, 86400,
            {kMenuWebGeneral, "web", "Seconds of inactivity after which a web session ends."}),
};

}  // namespace

const Schema& Schema::builtin() {
  static const Schema schema{kVariables};
  return schema;
}

}  // namespace bulwark::config
