#pragma once
// What interac.payment and interac.withdrawal share: reading Paysafe resources (payment handles,
// payments, standalone credits) as the adapter hands them over, and the consumer fields of a call.
//
// Every Paysafe input carries the resource itself as data: a response's body, or a webhook's
// `payload` (the adapter unwraps Paysafe's envelope and names the input after its eventType).
#include <string_view>

#include "statemachines/flow.hpp"

namespace corridor::interac {

// The resource's "status" (INITIATED, PAYABLE, FAILED, EXPIRED, COMPLETED, PROCESSING, ...).
std::string_view status(const StepContext& c);

// Keeps a payment handle's id and paymentHandleToken in provider_refs.
void record_handle(StepContext& c);
// Keeps a payment's or standalone credit's id in provider_refs[key].
void record_resource(StepContext& c, std::string_view key);

// The handle's timeToLiveSeconds (or the setting handle_ttl_seconds, 899 by default) from now.
std::int64_t handle_deadline(const StepContext& c);

// consumerId and its type: the customer's email, else their phone number.
json::object consumer(const Transaction& t);

}  // namespace corridor::interac
