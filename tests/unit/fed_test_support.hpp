// Helpers shared by the fed-sim unit tests (test_fed_*.cpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "fed/dataset.hpp"
#include "fed/rng.hpp"

namespace orrery::fed::test_support {

// Gaussian blobs: `classes` well-separated centres in `features` dimensions,
// `per_class` rows each. Small and learnable without any file.
inline Dataset blobs(int classes, std::size_t features, std::size_t per_class, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<double>> centre(static_cast<std::size_t>(classes), std::vector<double>(features));
  for (auto& c : centre)
    for (auto& v : c) v = rng.normal(0.0, 3.0);
  Dataset d;
  d.features = features;
  d.classes = classes;
  for (std::size_t i = 0; i < per_class; ++i)
    for (int c = 0; c < classes; ++c) {
      for (std::size_t j = 0; j < features; ++j)
        d.x.push_back(static_cast<float>(centre[static_cast<std::size_t>(c)][j] + rng.normal()));
      d.y.push_back(c);
    }
  return d;
}

}  // namespace orrery::fed::test_support
