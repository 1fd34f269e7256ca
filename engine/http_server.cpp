#include "engine/http_server.hpp"
