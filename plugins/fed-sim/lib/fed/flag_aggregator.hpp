// A Flag Aggregator-style subspace aggregator (after Almasi et al., "Flag Aggregator:
// Scalable Distributed Training under Failures and Augmented Losses using Convex
// Optimization", 2023), in our own formulation:
//
//   1. Subspace. With g_i the n updates and u_i = g_i / |g_i| their directions, find the
//      k-dimensional subspace (orthonormal basis Y, d x k) that is closest to the
//      directions in the robust, flag-median sense:
//          minimise  sum_i sqrt(1 - |Y^T u_i|^2 + eps)   subject to  Y^T Y = I_k,
//      i.e. the sum of the sines of each direction's angle to the subspace (not of their
//      squares, as principal components would: an update far from the others pulls the
//      subspace towards it far less). It is solved by iteratively reweighted least squares:
//      with weights w_i = 1 / sqrt(1 - |Y^T u_i|^2 + eps) fixed, the best Y is the top-k
//      eigenvectors of S = sum_i w_i u_i u_i^T, found by subspace (block power) iteration
//      from the first k independent directions; then the weights are recomputed.
//   2. Centre. FA returns the projection of the updates' sum onto the subspace. A scaled
//      sign flip lies in the same subspace as the honest updates (it is -c times one), so
//      that projection would be the attackers'; we take instead the coordinate-wise median
//      of the updates' coordinates Y^T g_i in the subspace and return Y times it.
//
// Fixed iteration counts and the rows' client order make the result a function of the
// updates alone (the same on any rank count). Cost: O(iterations x n x d x k).
#pragma once

#include <cstddef>
#include <vector>

#include "fed/updates.hpp"

namespace orrery::fed {

struct FlagResult {
  std::vector<float> update;      // (params)
  std::vector<double> weights;    // the last IRLS weight of each row (large: close to the subspace)
};

FlagResult flag_rule(const UpdateView& u, std::size_t dims);

}  // namespace orrery::fed
