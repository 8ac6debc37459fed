// The GPU twins of the CPU kernels in gpt/layers.hpp: the same functions with the same
// shapes, semantics and constants (layernorm's 1e-5, GELU's tanh approximation, the causal
// mask, the 1/sqrt(hs) score scale), on device pointers. As on the CPU every backward *adds*
// into its parameter gradients and input gradient; the scratch outputs (attention's datt and
// dpreatt) are overwritten. Matrix products go through cuBLAS (plain FP32, or bf16 operands
// when the handle was made so), the rest are the kernels in layers.cu and attention.cu. Calls
// are asynchronous on the default stream; a download (DeviceBuffer::download) waits for them.
//
// Where the sums run in another order than the CPU's, results agree within float
// reduction-order tolerance, not bit for bit; embedding_backward's scatter into dwte uses
// atomic adds, so its order (and last bits) may differ from run to run.
#pragma once

#include "gpt/cuda/cublas_handle.hpp"

namespace orrery::gpt::cuda {

// out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]
void embedding_forward(float* out /*(B,T,C)*/, const int* tokens /*(B,T)*/, const float* wte /*(V,C)*/,
                       const float* wpe /*(T,C)*/, int B, int T, int C);
void embedding_backward(float* dwte /*(V,C)*/, float* dwpe /*(T,C)*/, const float* dout /*(B,T,C)*/,
                        const int* tokens /*(B,T)*/, int B, int T, int C);

// out = (x - mean) / sqrt(var + 1e-5) * w + b over the last axis; mean and rstd kept for backward.
void layernorm_forward(float* out /*(B,T,C)*/, float* mean /*(B,T)*/, float* rstd /*(B,T)*/,
                       const float* inp /*(B,T,C)*/, const float* w /*(C)*/, const float* b /*(C)*/, int BT, int C);
void layernorm_backward(float* dinp /*(B,T,C)*/, float* dw /*(C)*/, float* db /*(C)*/, const float* dout /*(B,T,C)*/,
                        const float* inp /*(B,T,C)*/, const float* w /*(C)*/, const float* mean /*(B,T)*/,
                        const float* rstd /*(B,T)*/, int BT, int C);

// out = inp @ w^T + b, w (OC, C) as PyTorch's Linear stores it. bias may be null.
void matmul_forward(const CublasHandle& h, float* out /*(B,T,OC)*/, const float* inp /*(B,T,C)*/,
                    const float* w /*(OC,C)*/, const float* bias /*(OC)*/, int BT, int C, int OC);
void matmul_backward(const CublasHandle& h, float* dinp /*(B,T,C)*/, float* dw /*(OC,C)*/, float* dbias /*(OC)*/,
                     const float* dout /*(B,T,OC)*/, const float* inp /*(B,T,C)*/, const float* w /*(OC,C)*/, int BT,
                     int C, int OC);

// Causal multi-head self-attention of the packed q,k,v; preatt and att keep the scores and
// their softmax for backward.
void attention_forward(const CublasHandle& h, float* out /*(B,T,C)*/, float* preatt /*(B,NH,T,T)*/,
                       float* att /*(B,NH,T,T)*/, const float* qkv /*(B,T,3C)*/, int B, int T, int C, int NH);
void attention_backward(const CublasHandle& h, float* dqkv /*(B,T,3C)*/, float* dpreatt /*(B,NH,T,T)*/,
                        float* datt /*(B,NH,T,T)*/, const float* dout /*(B,T,C)*/, const float* qkv /*(B,T,3C)*/,
                        const float* att /*(B,NH,T,T)*/, int B, int T, int C, int NH);

// GPT-2's GELU, the tanh approximation.
void gelu_forward(float* out /*(N)*/, const float* inp /*(N)*/, long N);
void gelu_backward(float* dinp /*(N)*/, const float* inp /*(N)*/, const float* dout /*(N)*/, long N);

// out = a + b
void residual_forward(float* out /*(N)*/, const float* a /*(N)*/, const float* b /*(N)*/, long N);

// probs = softmax(logits) per position; losses[b,t] = -log probs[b,t,targets[b,t]].
void softmax_crossentropy_forward(float* probs /*(B,T,V)*/, float* losses /*(B,T)*/, const float* logits /*(B,T,V)*/,
                                  const int* targets /*(B,T)*/, int BT, int V);
// dlogits = (probs - onehot(targets)) * scale (overwritten, as on the CPU).
void softmax_crossentropy_backward(float* dlogits /*(B,T,V)*/, const float* probs /*(B,T,V)*/,
                                   const int* targets /*(B,T)*/, int BT, int V, float scale);

}  // namespace orrery::gpt::cuda
