// The run.json every launcher (local, ssh) writes before the agent takes over.
#pragma once

#include "runfiles/run_record.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

#include <string>
#include <vector>

namespace orrery::launch {

// Status "starting", created now, the spec with its target set to `target`, and argv: what each rank runs.
runfiles::RunRecord starting_record(const std::string& run_id, const spec::KindSchema& kind, const spec::Spec& spec,
                                    const std::string& target, std::vector<std::string> argv);

}  // namespace orrery::launch
