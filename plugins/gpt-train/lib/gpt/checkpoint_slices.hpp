// The step of a ZeRO-1 checkpoint save shared by its serial and parallel (MPI-IO) writers:
// the moments of one rank's slice into an open checkpoint file whose moment datasets exist.
#pragma once

#include <hdf5.h>

namespace orrery::gpt {

class Gpt;
class AdamW;

// Each moment tensor's part in opt.range(), as hyperslabs of /adam_m and /adam_v.
void write_moment_slices(hid_t file, const Gpt& model, const AdamW& opt);

}  // namespace orrery::gpt
