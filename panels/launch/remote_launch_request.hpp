// What a launch on a remote target (ssh, Slurm) needs, copied from the form when Launch is
// pressed: the pool threads that connect, deploy and submit use these copies only.
#pragma once

#include "launch/local_launcher.hpp"
#include "remote/target.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

namespace orrery::panels {

struct RemoteLaunchRequest {
  runfiles::Project project;
  launch::InstallPaths paths;
  spec::KindSchema kind;
  spec::Spec spec;
  remote::Target target;
};

}  // namespace orrery::panels
