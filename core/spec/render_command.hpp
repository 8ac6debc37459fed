// Turns a validated spec into the argv of one rank (mpirun/srun place the
// ranks; this is what each of them executes). Never goes through a shell:
// values are passed as whole arguments, so no quoting or injection issues.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

namespace orrery::spec {

struct RenderContext {
  std::filesystem::path bin_dir, share_dir, project_dir, run_dir;
};

// Worker kinds: {bin_dir/worker, "--<param>=<value>"...} in the kind's
// parameter order; a string_list parameter becomes one flag per element.
// Command kinds: each template element with {param} replaced by the value and
// {bin}, {share}, {project}, {run_dir}, {ranks} by the context's paths and the
// spec's rank count; an element that is exactly "{list}" for a string_list
// parameter expands into one argument per element (none when empty).
// Values: integers in decimal, floats in shortest round-trip form, booleans as
// true/false, strings verbatim.
// Throws std::invalid_argument on an unknown placeholder or a missing
// parameter value (KindCatalog::load and validate_spec rule both out).
std::vector<std::string> render_command(const KindSchema& kind, const Spec& spec, const RenderContext& ctx);

}  // namespace orrery::spec
