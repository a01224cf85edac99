// Status and Result: how fallible operations report failure without
// exceptions crossing module boundaries. An error is one human-readable line,
// written for the operator (it ends up in gaiconfig's output and in the log).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace bulwark {

struct Error {
  std::string message;
};

class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error.message)), failed_(true) {}
  static Status ok() { return {}; }

  bool isOk() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  const std::string& error() const { return std::get<1>(v_).message; }
  Status status() const { return isOk() ? Status{} : Status{Error{error()}}; }

 private:
  std::variant<T, Error> v_;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

} // namespace bulwark
