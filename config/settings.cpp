#include "config/settings.h"

#include "config/option_table.h"

namespace tcpkeep {

const char* option_key(Option o) { return option_spec(o).key; }

}  // namespace tcpkeep
