#include "config/schema.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <vector>
#include <stdexcept>

#include <fmt/format.h>

#include "pki/certificate.hpp"

namespace bulwark::config {

std::string_view kindName(Kind kind) {
  switch (kind) {
    case Kind::String: return "string";
    case Kind::Integer: return "integer";
    case Kind::YesNo: return "yes/no";
    case Kind::Enum: return "enum";
    case Kind::Ipv4: return "IPv4 address";
    case Kind::Cidr: return "CIDR";
    case Kind::Port: return "port";
    case Kind::Duration: return "duration";
    case Kind::Password: return "password";
    case Kind::Secret: return "secret";
    case Kind::RowRef: return "row reference";
    case Kind::Certificate: return "certificate";
    case Kind::Crl: return "CRL";
    case Kind::Table: return "table";
  }
  return "?";
}

Schema::Schema(std::span<const Variable> variables) : variables_(variables) {
  for (const Variable& v : variables_) {
    if (!index_.emplace(v.name, &v).second) {
      throw std::logic_error(fmt::format("schema: {} is defined twice", v.name));
    }
  }
}

const Variable* Schema::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const Variable* Schema::findColumn(const Variable& table, std::string_view name) {
  for (const Variable& c : table.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

namespace {

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  // Canonical form only: no leading zeros, no "+", no "-0"; profiles round trip byte for byte.
  if (fmt::format("{}", value) != text) return std::nullopt;
  return value;
}

bool isIpv4(std::string_view text) {
  if (text.size() > 15) return false;
  std::string copy(text);
  in_addr addr{};
  return inet_pton(AF_INET, copy.c_str(), &addr) == 1;
}

bool isPrintable(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}


std::optional<std::int64_t> parsePortNumber(std::string_view text) {
  auto n = parseInteger(text);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return n;
}

std::string choiceList(std::span<const std::string_view> choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("\"{}\"", choices[i]);
  }
  return out;
}

} // namespace

std::optional<std::int64_t> parseDuration(std::string_view text) {
  // hh:mm:ss with hh of one or more digits
  auto first = text.find(':');
  auto second = text.rfind(':');
  if (first == std::string_view::npos || first == second) return std::nullopt;
  auto hh = text.substr(0, first);
  auto mm = text.substr(first + 1, second - first - 1);
  auto ss = text.substr(second + 1);
  if (mm.size() != 2 || ss.size() != 2 || hh.size() < 2 || hh.size() > 4) return std::nullopt;
  auto digits = [](std::string_view s, std::int64_t& out) {
    out = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  std::int64_t h = 0, m = 0, s = 0;
  if (!digits(hh, h) || !digits(mm, m) || !digits(ss, s) || m > 59 || s > 59) return std::nullopt;
  return h * 3600 + m * 60 + s;
}

bool isRowId(std::string_view text) {
  if (text.size() < 5 || text.size() > 24 || text.substr(0, 4) != "MAIv") return false;
  return std::all_of(text.begin() + 4, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

bool isCryptBase64(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
  });
}

std::vector<std::string_view> splitDollar(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    auto next = text.find('$', pos);
    parts.push_back(text.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) return parts;
    pos = next + 1;
  }
}

}  // namespace

bool isPasswordHash(std::string_view text) {
  // The crypt(3) formats of the methods we accept, checked field by field: a
  // string that merely looks like "$a$b$c" would lock the user out for good.
  if (text.empty() || text[0] != '$') return false;
  auto p = splitDollar(text.substr(1));  // method, fields...
  const std::string_view method = p[0];
  if (method == "y" || method == "gy") {  // yescrypt: $y$params$salt$hash
    return p.size() == 4 && !p[1].empty() && isCryptBase64(p[1]) && !p[2].empty() && isCryptBase64(p[2]) &&
           p[3].size() == 43 && isCryptBase64(p[3]);
  }
  if (method == "6" || method == "5") {  // SHA-crypt: $6$[rounds=N$]salt$hash
    std::size_t i = 1;
    if (p.size() == 4 && p[1].starts_with("rounds=")) {
      auto digits = p[1].substr(7);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
      }
      i = 2;
    }
    if (p.size() != i + 2) return false;
    std::size_t hashLength = method == "6" ? 86 : 43;
    return !p[i].empty() && p[i].size() <= 16 && isCryptBase64(p[i]) && p[i + 1].size() == hashLength &&
           isCryptBase64(p[i + 1]);
  }
  if (method == "2b" || method == "2y") {  // bcrypt: $2b$NN$ + 53 characters
    return p.size() == 3 && p[1].size() == 2 && p[1][0] >= '0' && p[1][0] <= '3' && p[1][1] >= '0' &&
           p[1][1] <= '9' && p[2].size() == 53 && isCryptBase64(p[2]);
  }
  return false;
}

std::optional<std::string> checkScalar(const Variable& v, std::string_view value) {
  if (std::find(v.unsupported.begin(), v.unsupported.end(), value) != v.unsupported.end()) {
    return std::string("The value is not supported due to hardware restrictions.");
  }
  if (value.empty() && v.optional) return std::nullopt;
  switch (v.kind) {
    case Kind::String:
    case Kind::Secret:
      if (!isPrintable(value)) return std::string("The value must not contain control characters.");
      if (static_cast<std::int64_t>(value.size()) < v.min) {
        return v.min == 1 ? std::string("The value must not be empty.")
                          : fmt::format("The value must be at least {} characters long.", v.min);
      }
      if (v.max > 0 && static_cast<std::int64_t>(value.size()) > v.max) {
        return fmt::format("The value must be at most {} characters long.", v.max);
      }
      return std::nullopt;
    case Kind::Integer: {
      auto n = parseInteger(value);
      if (!n || *n < v.min || *n > v.max) {
        return fmt::format("The value must be an integer from {} to {}.", v.min, v.max);
      }
      return std::nullopt;
    }
    case Kind::YesNo:
      if (value != "yes" && value != "no") return std::string("The value must be \"yes\" or \"no\".");
      return std::nullopt;
    case Kind::Enum:
      if (std::find(v.choices.begin(), v.choices.end(), value) == v.choices.end()) {
        return fmt::format("The value must be one of {}.", choiceList(v.choices));
      }
      return std::nullopt;
    case Kind::Ipv4:
      if (!isIpv4(value)) return std::string("The value must be an IPv4 address (a.b.c.d).");
      return std::nullopt;
    case Kind::Cidr: {
      auto slash = value.find('/');
      bool ok = slash != std::string_view::npos && isIpv4(value.substr(0, slash));
      if (ok) {
        auto bits = parseInteger(value.substr(slash + 1));
        ok = bits && *bits >= 0 && *bits <= 32;
      }
      if (!ok) return std::string("The value must be an IPv4 network in CIDR notation (a.b.c.d/n).");
      return std::nullopt;
    }
    case Kind::Port: {
      if (value == "any") return std::nullopt;
      auto colon = value.find(':');
      bool ok;
      if (colon == std::string_view::npos) {
        ok = parsePortNumber(value).has_value();
      } else {
        auto lo = parsePortNumber(value.substr(0, colon));
        auto hi = parsePortNumber(value.substr(colon + 1));
        ok = lo && hi && *lo <= *hi;
      }
      if (!ok) return std::string("The value must be \"any\", a port (1-65535) or a range \"from:to\".");
      return std::nullopt;
    }
    case Kind::Duration: {
      auto seconds = parseDuration(value);
      if (!seconds || *seconds < v.min || *seconds > v.max) {
        auto fmtDuration = [](std::int64_t s) {
          return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
        };
        return fmt::format("The value must be a duration hh:mm:ss from {} to {}.", fmtDuration(v.min),
                           fmtDuration(v.max));
      }
      return std::nullopt;
    }
    case Kind::Password:
      // Clear text is hashed before it is stored (ConfigService); what reaches
      // the store and profiles is a crypt(3) hash, or empty where allowed.
      if (value.empty() && v.min == 0) return std::nullopt;
      if (!isPasswordHash(value)) return std::string("The value must be a password hash.");
      return std::nullopt;
    case Kind::RowRef:
      if (std::find(v.choices.begin(), v.choices.end(), value) != v.choices.end()) return std::nullopt;
      if (!isRowId(value)) {
        return fmt::format("The value must be the row id of a {} row{}.", v.refTable,
                           v.choices.empty() ? "" : " or one of " + choiceList(v.choices));
      }
      return std::nullopt;
    case Kind::Certificate: {
      if (v.max > 0 && static_cast<std::int64_t>(value.size()) > v.max) {
        return fmt::format("The value must be at most {} characters long.", v.max);
      }
      // Parsed, not only looked at: a certificate that reaches charon or a
      // profile is one OpenSSL reads.
      auto blocks = pki::parsePemCertificates(value);
      if (!blocks) return fmt::format("The value must be one X.509 certificate in PEM: {}", blocks.error());
      if (blocks->size() != 1) {
        return fmt::format("The value must be one X.509 certificate in PEM, not {}.", blocks->size());
      }
      return std::nullopt;
    }
    case Kind::Crl: {
      if (v.max > 0 && static_cast<std::int64_t>(value.size()) > v.max) {
        return fmt::format("The value must be at most {} characters long.", v.max);
      }
      if (value.find("-----BEGIN X509 CRL-----") == std::string_view::npos) {
        return std::string("The value must be one X.509 CRL in PEM (\"-----BEGIN X509 CRL-----\").");
      }
      auto crl = pki::usableCrl(value);
      if (!crl) return fmt::format("The value must be one X.509 CRL in PEM: {}", crl.error());
      return std::nullopt;
    }
    case Kind::Table:
      return std::string("The variable is a table.");
  }
  return std::string("unknown kind");
}

} // namespace bulwark::config
