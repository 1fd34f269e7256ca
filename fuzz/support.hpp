#pragma once
// What the targets share: the time of their inputs, the text form the webhook and callback targets
// read, and the check that an accepted input makes a record the processor can read back.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"

namespace corridor::fuzz {

// The time every fuzzed input carries: a step never reads a clock.
inline constexpr std::int64_t kAtMs = 1'700'000'000'000;

// A request as the corpus files write it:
//   <method> <target> [<remote address>]
//   <name>: <value>            (any number of header lines)
//                              (an empty line)
//   <body>                     (the rest, byte for byte)
// Lines end in \n or \r\n. Any bytes decode to some request, so the fuzzer may mutate freely.
HttpRequest request_from_text(std::string_view text);

// Placeholder in a header value that the target replaces with the signature the provider would send
// for the request, so mutations of the body get past the signature check and reach the parser.
// Without it the header is checked as written.
inline constexpr std::string_view kSignaturePlaceholder = "{signature}";

// The signature that replaces the placeholder, from the request and the header value it stands in.
using Signer = std::function<std::string(const HttpRequest& request, std::string_view header_value)>;

// Decodes `input`, signs it, calls the adapter's parse_webhook and, when it accepts, checks the
// input the ingress would publish from it (see check_input_record). True when it accepted.
bool run_webhook(const ProviderAdapter& adapter, std::string_view input, const Signer& sign);

// The adapter a target fuzzes, built through the registry as the runtime builds it.
std::unique_ptr<ProviderAdapter> make_adapter(std::string_view provider, const ProviderSettings& settings);

// The record `in` becomes on corridor.inputs must be read back by the processor as the same input:
// throws PropertyViolation otherwise.
void check_input_record(const Input& in);

}  // namespace corridor::fuzz
