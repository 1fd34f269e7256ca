#pragma once
// A transaction's flow-specific facts (ids of calls, deadlines, fees, what the provider said): each
// flow declares them as one described struct and reads members, never string keys:
//
//   struct CynodData { std::string authorization_call_id; std::int64_t confirmation_deadline_ms = 0; ... };
//   BOOST_DESCRIBE_STRUCT(CynodData, (), (authorization_call_id, confirmation_deadline_ms, ...))
//   CynodData& d = c.txn.data.as<CynodData>();
//
// A transaction read from the store holds its document until the flow first asks for its struct;
// keys the struct does not have are kept beside it and written back, so nothing stored is lost.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "statemachines/fields.hpp"

namespace corridor {

class FlowData {
 public:
  FlowData() = default;
  FlowData(const FlowData& other) : typed_(other.typed_ ? other.typed_->clone() : nullptr), rest_(other.rest_) {}
  FlowData& operator=(const FlowData& other) {
    if (this != &other) {
      typed_ = other.typed_ ? other.typed_->clone() : nullptr;
      rest_ = other.rest_;
    }
    return *this;
  }
  FlowData(FlowData&&) noexcept = default;
  FlowData& operator=(FlowData&&) noexcept = default;

  // The flow's struct; on first use, read from the document the transaction was loaded with.
  // Asking for another type than the one bound is a programming error (a flow reads its own struct).
  template <class T>
    requires fields::described<T>
  T& as() {
    if (!typed_) {
      auto model = std::make_unique<Model<T>>();
      fields::read_members(rest_, model->value, /*take=*/true);
      typed_ = std::move(model);
    } else if (typed_->tag() != tag<T>()) {
      throw std::logic_error("flow data read as another flow's struct");
    }
    return static_cast<Model<T>*>(typed_.get())->value;
  }

  // The same, for a reader that holds the transaction const: binding on first use reads the stored
  // document into the struct without changing what the transaction holds.
  template <class T>
    requires fields::described<T>
  const T& as() const {
    return const_cast<FlowData*>(this)->as<T>();
  }

  // The struct when bound to T, else null.
  template <class T>
  const T* find() const {
    return typed_ && typed_->tag() == tag<T>() ? &static_cast<const Model<T>*>(typed_.get())->value : nullptr;
  }

  // A stored document, read into the flow's struct on first use.
  void assign(json::object document) {
    typed_.reset();
    rest_ = std::move(document);
  }

  // Appends the members after `first` (see fields::write_members): the struct's, then the keys it
  // does not know.
  void write_members(std::string& out, bool& first) const {
    if (typed_) typed_->write_members(out, first);
    for (const auto& kv : rest_) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, {kv.key().data(), kv.key().size()});
      out += ':';
      append_json(out, kv.value());
    }
  }

  // Keys of the stored document that the flow's struct does not have (all of them before binding).
  const json::object& unknown() const { return rest_; }

 private:
  using Tag = const void*;
  template <class T>
  static Tag tag() {
    static const char id = 0;
    return &id;
  }

  struct Concept {
    virtual ~Concept() = default;
    virtual std::unique_ptr<Concept> clone() const = 0;
    virtual void write_members(std::string& out, bool& first) const = 0;
    virtual Tag tag() const = 0;
  };
  template <class T>
  struct Model final : Concept {
    T value{};
    std::unique_ptr<Concept> clone() const override { return std::make_unique<Model>(*this); }
    void write_members(std::string& out, bool& first) const override { fields::write_members(out, value, first); }
    Tag tag() const override { return FlowData::tag<T>(); }
  };

  std::unique_ptr<Concept> typed_;
  json::object rest_;
};

}  // namespace corridor
