// What an attachment records about the policy it was compiled from: the file, the digest of its
// text, and its rule count (shown by `tcpkeep attached` and verify).
#pragma once
#include "tools/cgroup/attachment.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {

PolicySource describe_source(const ChosenPolicy& chosen);

}  // namespace tcpkeep::cli
