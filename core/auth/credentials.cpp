#include "auth/credentials.hpp"

#include <crypt.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace bulwark::auth {

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (hashes of one method have one length); the contents are.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool verifyPassword(std::string_view password, std::string_view hash) {
  if (hash.empty() || password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();
  std::string p(password), h(hash);
  const char* computed = crypt_r(p.c_str(), h.c_str(), data.get());
  if (!computed || computed[0] == '*') return false;
  return constantTimeEquals(computed, hash);
}

CredentialCache::CredentialCache(const runtime::Clock& clock, std::chrono::seconds ttl, std::size_t capacity)
    : clock_(clock), ttl_(ttl), capacity_(capacity), secret_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret_.data()), static_cast<int>(secret_.size())) != 1) {
    throw std::runtime_error("no randomness for the credential cache key");
  }
}

std::string CredentialCache::keyOf(std::string_view user, std::string_view password, std::string_view hash) const {
  // Lengths first, so that no two different triples give one message.
  std::string message;
  for (std::string_view part : {user, password, hash}) {
    auto n = static_cast<std::uint32_t>(part.size());
    message.append(reinterpret_cast<const char*>(&n), sizeof n);
    message.append(part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  OPENSSL_cleanse(message.data(), message.size());
  return std::string(reinterpret_cast<const char*>(mac), length);
}

bool CredentialCache::contains(std::string_view user, std::string_view password, std::string_view hash) {
  auto it = entries_.find(keyOf(user, password, hash));
  if (it == entries_.end()) return false;
  if (clock_.now() - it->second > ttl_) {
    entries_.erase(it);
    return false;
  }
  return true;
}

void CredentialCache::remember(std::string_view user, std::string_view password, std::string_view hash) {
  auto now = clock_.now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second > ttl_ ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() >= capacity_) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second < oldest->second) oldest = it;
    }
    entries_.erase(oldest);
  }
  entries_[keyOf(user, password, hash)] = now;
}

}  // namespace bulwark::auth
