// What an attachment records about the policy it was compiled from: the file, the digest of its
// text, its rule count (shown by `tcpkeep attached` and verify) and the text itself (what verify
// judges by). An error when the file cannot be read again as it was loaded.
#pragma once
#include "tools/cgroup/attachment.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {

Result<PolicySource> describe_source(const ChosenPolicy& chosen);

}  // namespace tcpkeep::cli
