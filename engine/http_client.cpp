#include "engine/http_client.hpp"
