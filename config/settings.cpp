#include "config/settings.h"

namespace tcpkeep {

const char* option_key(Option o) {
    switch (o) {
        case Option::keepalive: return "keepalive";
        case Option::idle: return "idle";
        case Option::interval: return "interval";
        case Option::count: return "count";
        case Option::user_timeout: return "user_timeout";
    }
    return "?";
}

}  // namespace tcpkeep
