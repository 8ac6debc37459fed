// The agent's CPU priority relative to its ranks.
//
// Ranks that busy-wait (MPI progress loops, spin barriers) keep every core busy; at
// the ranks' own priority the agent gets a 1/(ranks+1) share of the cores and, at
// millions of points per second, falls behind: ZeroMQ queues fill and points are
// dropped. The agent needs little CPU (~0.1 µs per point), so it asks the kernel for
// precedence over the ranks once mpirun has been started (the ranks keep the priority
// they were started with). Raising a priority needs root or CAP_SYS_NICE; without
// them the agent runs at the ranks' priority and says so.
#pragma once

#include <string>

namespace orrery::agent {

// Sets every thread of this process (Linux priorities are per thread) to `nice`.
// Returns false with the reason when the kernel refuses any of them.
bool set_process_nice(int nice, std::string* why);

}  // namespace orrery::agent
