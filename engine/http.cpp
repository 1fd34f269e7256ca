#include "engine/http.hpp"
