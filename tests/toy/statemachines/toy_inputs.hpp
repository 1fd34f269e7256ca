#pragma once
// What the toy provider says, as its adapter hands it to toy.transfer.
#include <string>

#include "statemachines/fields.hpp"

namespace corridor {

// Input transfer.done: the answer to the transfer call.
struct ToyTransfer {
  std::string id;  // the toy's id of the transfer
};
BOOST_DESCRIBE_STRUCT(ToyTransfer, (), (id))

}  // namespace corridor
