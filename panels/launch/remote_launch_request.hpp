// What a launch on a remote target (ssh, Slurm) needs, copied from the form when Launch is
// pressed: the pool threads that connect, deploy and submit use these copies only. specs: one
// run, or a sweep's runs (on Slurm one job array, on ssh started one after another).
#pragma once

#include "launch/local_launcher.hpp"
#include "remote/target.hpp"
#include "runfiles/project.hpp"
#include "spec/kind_schema.hpp"
#include "spec/spec.hpp"

#include <vector>

namespace orrery::panels {

struct RemoteLaunchRequest {
  runfiles::Project project;
  launch::InstallPaths paths;
  spec::KindSchema kind;
  std::vector<spec::Spec> specs;
  remote::Target target;
};

}  // namespace orrery::panels
