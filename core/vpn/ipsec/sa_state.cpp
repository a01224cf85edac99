#include "vpn/ipsec/sa_state.hpp"

#include <algorithm>
#include <charconv>

namespace bulwark::ipsec {

namespace {

template <typename T>
std::optional<T> number(const vici::Message& m, std::string_view key) {
  const std::string* text = m.value(key);
  if (!text) return std::nullopt;
  T n{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return n;
}

std::string text(const vici::Message& m, std::string_view key) { return std::string(m.valueOr(key, "")); }

std::vector<std::string> items(const vici::Message& m, std::string_view key) {
  const std::vector<std::string>* list = m.list(key);
  return list ? *list : std::vector<std::string>{};
}

// "AES_CBC" with "128" -> "AES_CBC_128", then the other algorithms that are
// named, joined by "-" (the reference's "3DES_CBC_192-MD5-MODP1536").
std::string algorithms(const vici::Message& m, std::initializer_list<std::string_view> others) {
  std::string out = text(m, "encr-alg");
  if (auto size = number<unsigned>(m, "encr-keysize"); size && !out.empty()) out += "_" + std::to_string(*size);
  for (std::string_view key : others) {
    std::string alg = text(m, key);
    if (alg.empty()) continue;
    out += (out.empty() ? "" : "-") + alg;
  }
  return out;
}

std::optional<std::chrono::seconds> deadline(const vici::Message& m, std::initializer_list<std::string_view> keys,
                                             std::chrono::seconds now) {
  for (std::string_view key : keys) {
    if (auto s = number<std::int64_t>(m, key)) return now + std::chrono::seconds(*s);
  }
  return std::nullopt;
}

void upsertChild(IkeSa& ike, ChildSa child) {
  auto it = std::find_if(ike.children.begin(), ike.children.end(),
                         [&](const ChildSa& c) { return c.uniqueId == child.uniqueId; });
  if (it == ike.children.end()) return ike.children.push_back(std::move(child));
  *it = std::move(child);
}

void eraseChild(IkeSa& ike, std::uint32_t uniqueId) {
  std::erase_if(ike.children, [uniqueId](const ChildSa& c) { return c.uniqueId == uniqueId; });
}

// The sections of a message: IKE SAs of an event, CHILD_SAs of child-sas.
template <typename F>
void forSections(const vici::Message& m, F&& f) {
  for (const vici::Message::Entry& e : m.entries()) {
    if (e.kind == vici::Message::Kind::Section) f(e.name, e.section);
  }
}

}  // namespace

bool ChildSa::established() const { return state == "INSTALLED" || state == "REKEYING" || state == "UPDATING"; }

bool IkeSa::established() const { return state == "ESTABLISHED" || state == "REKEYING"; }

ChildSa childSaOf(const std::string& key, const vici::Message& s, std::chrono::seconds now) {
  ChildSa c;
  c.uniqueId = number<std::uint32_t>(s, "uniqueid").value_or(0);
  c.name = s.value("name") ? *s.value("name") : key;
  c.state = text(s, "state");
  c.algorithms = algorithms(s, {"integ-alg", "dh-group"});
  c.rekeyAt = deadline(s, {"rekey-time"}, now);
  c.localTs = items(s, "local-ts");
  c.remoteTs = items(s, "remote-ts");
  return c;
}

IkeSa ikeSaOf(const std::string& name, const vici::Message& s, std::chrono::seconds now) {
  IkeSa sa;
  sa.uniqueId = number<std::uint32_t>(s, "uniqueid").value_or(0);
  sa.name = name;
  sa.state = text(s, "state");
  sa.localHost = text(s, "local-host");
  sa.localPort = text(s, "local-port");
  sa.localId = text(s, "local-id");
  sa.remoteHost = text(s, "remote-host");
  sa.remotePort = text(s, "remote-port");
  sa.remoteId = text(s, "remote-id");
  sa.natLocal = s.valueOr("nat-local", "no") == "yes";
  sa.natRemote = s.valueOr("nat-remote", "no") == "yes";
  sa.algorithms = algorithms(s, {"integ-alg", "prf-alg", "dh-group"});
  sa.rekeyAt = deadline(s, {"rekey-time", "reauth-time"}, now);
  if (const vici::Message* children = s.section("child-sas")) {
    forSections(*children, [&](const std::string& key, const vici::Message& child) {
      sa.children.push_back(childSaOf(key, child, now));
    });
  }
  return sa;
}

void SaTable::replace(const std::vector<IkeSa>& sas) {
  sas_.clear();
  for (const IkeSa& sa : sas) sas_[sa.uniqueId] = sa;
}

void SaTable::apply(std::string_view event, const vici::Message& message, std::chrono::seconds now) {
  bool up = message.valueOr("up", "no") == "yes";
  forSections(message, [&](const std::string& name, const vici::Message& section) {
    // An event applied again over a list that has its result already
    // (IpsecModule::refresh) keeps the CHILD_SAs the list has.
    auto keepChildren = [this](IkeSa& sa) {
      if (!sa.children.empty()) return;
      if (auto it = sas_.find(sa.uniqueId); it != sas_.end()) sa.children = std::move(it->second.children);
    };
    if (event == "ike-updown") {
      IkeSa sa = ikeSaOf(name, section, now);
      if (!up) return void(sas_.erase(sa.uniqueId));
      keepChildren(sa);
      sas_[sa.uniqueId] = std::move(sa);
    } else if (event == "ike-rekey") {
      const vici::Message* oldSa = section.section("old");
      const vici::Message* newSa = section.section("new");
      std::vector<ChildSa> children;
      if (oldSa) {
        auto it = sas_.find(ikeSaOf(name, *oldSa, now).uniqueId);
        if (it != sas_.end()) children = std::move(it->second.children);
        if (it != sas_.end()) sas_.erase(it);
      }
      if (!newSa) return;
      IkeSa sa = ikeSaOf(name, *newSa, now);
      if (sa.children.empty()) sa.children = std::move(children);  // charon moved them over
      keepChildren(sa);
      sas_[sa.uniqueId] = std::move(sa);
    } else if (event == "child-updown" || event == "child-rekey") {
      // The IKE SA's own fields are current; its CHILD_SAs are the others'.
      IkeSa current = ikeSaOf(name, section, now);
      // A CHILD_SA going down with an IKE SA already gone leaves nothing.
      if (event == "child-updown" && !up && !sas_.contains(current.uniqueId)) return;
      IkeSa& sa = sas_[current.uniqueId];
      std::vector<ChildSa> children = std::move(sa.children);
      sa = std::move(current);
      sa.children = std::move(children);
      const vici::Message* childSas = section.section("child-sas");
      if (!childSas) return;
      forSections(*childSas, [&](const std::string& key, const vici::Message& child) {
        if (event == "child-updown") {
          ChildSa c = childSaOf(key, child, now);
          if (up) return upsertChild(sa, std::move(c));
          return eraseChild(sa, c.uniqueId);
        }
        if (const vici::Message* o = child.section("old")) eraseChild(sa, childSaOf(key, *o, now).uniqueId);
        if (const vici::Message* n = child.section("new")) upsertChild(sa, childSaOf(key, *n, now));
      });
    }
  });
}

std::vector<const IkeSa*> SaTable::of(std::string_view id) const {
  std::vector<const IkeSa*> out;
  for (const auto& [uid, sa] : sas_) {
    if (sa.name == id) out.push_back(&sa);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const IkeSa* a, const IkeSa* b) { return a->established() && !b->established(); });
  return out;
}

}  // namespace bulwark::ipsec
