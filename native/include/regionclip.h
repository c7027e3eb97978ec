/* RegionCLIP for .NET — native shim over libtorch. Pure C ABI.
 *
 * Contract:
 *  - Every function that can fail returns int32_t: RC_OK (0) or RC_ERROR (1). On error,
 *    rc_last_error() returns this thread's message (owned by the shim, valid until the next
 *    failing call on the same thread; nothing to free). No C++ exception crosses this boundary.
 *  - Handles returned through `out` parameters are owned by the caller (rc_tensor_free,
 *    rc_tensor_list_free, rc_ivalue_free, rc_generator_free). Handles passed in are borrowed.
 *  - Optional tensor arguments accept NULL.
 *  - Scalars are passed by value as rc_scalar.
 */
#ifndef REGIONCLIP_H
#define REGIONCLIP_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rc_tensor_s* rc_tensor;
typedef struct rc_tensor_list_s* rc_tensor_list;
typedef struct rc_ivalue_s* rc_ivalue;
typedef struct rc_generator_s* rc_generator;
typedef struct rc_guard_s* rc_guard;

enum { RC_OK = 0, RC_ERROR = 1 };

/* dtype codes (equal to c10::ScalarType values) */
enum {
  RC_UINT8 = 0, RC_INT8 = 1, RC_INT16 = 2, RC_INT32 = 3, RC_INT64 = 4, RC_FLOAT16 = 5,
  RC_FLOAT32 = 6, RC_FLOAT64 = 7, RC_BOOL = 11, RC_BFLOAT16 = 15
};
enum { RC_DEVICE_CPU = 0, RC_DEVICE_CUDA = 1 };
enum { RC_SCALAR_FLOAT = 0, RC_SCALAR_INT = 1, RC_SCALAR_BOOL = 2 };
enum { RC_REDUCTION_NONE = 0, RC_REDUCTION_MEAN = 1, RC_REDUCTION_SUM = 2, RC_REDUCTION_BATCHMEAN = 3 };

typedef struct rc_scalar {
  double f;
  int64_t i;
  int32_t kind;
} rc_scalar;

/* unary op codes for rc_unary / rc_unary_ */
enum {
  RC_U_NEG, RC_U_ABS, RC_U_EXP, RC_U_LOG, RC_U_LOG2, RC_U_LOG1P, RC_U_EXPM1, RC_U_SQRT, RC_U_RSQRT,
  RC_U_SIN, RC_U_COS, RC_U_TANH, RC_U_SIGMOID, RC_U_RELU, RC_U_GELU, RC_U_GELU_TANH, RC_U_SILU,
  RC_U_FLOOR, RC_U_CEIL, RC_U_ROUND, RC_U_TRUNC, RC_U_SIGN, RC_U_RECIPROCAL, RC_U_LOGICAL_NOT,
  RC_U_SQUARE, RC_U_ERF, RC_U_ISNAN, RC_U_ISINF, RC_U_ISFINITE, RC_U_SOFTPLUS, RC_U_ATAN,
  RC_U_LOG_SIGMOID
};

/* binary op codes for rc_binary*, rc_binary_scalar* (RSUB/RDIV/RPOW: scalar on the left;
   BMM_ACROSS_BATCH: bmm whose per-item products run in parallel over the batch, see math.cpp) */
enum {
  RC_B_ADD, RC_B_SUB, RC_B_MUL, RC_B_DIV, RC_B_FLOOR_DIV, RC_B_TRUNC_DIV, RC_B_POW, RC_B_REMAINDER,
  RC_B_FMOD, RC_B_MAXIMUM, RC_B_MINIMUM, RC_B_ATAN2, RC_B_EQ, RC_B_NE, RC_B_LT, RC_B_LE, RC_B_GT,
  RC_B_GE, RC_B_LOGICAL_AND, RC_B_LOGICAL_OR, RC_B_LOGICAL_XOR, RC_B_BITWISE_AND, RC_B_BITWISE_OR,
  RC_B_BITWISE_XOR, RC_B_MATMUL, RC_B_MM, RC_B_BMM, RC_B_OUTER, RC_B_RSUB, RC_B_RDIV, RC_B_RPOW,
  RC_B_BMM_ACROSS_BATCH
};

/* reduction op codes for rc_reduce (n_dims == 0 reduces everything) */
enum {
  RC_R_SUM, RC_R_MEAN, RC_R_PROD, RC_R_AMAX, RC_R_AMIN, RC_R_LOGSUMEXP, RC_R_STD, RC_R_VAR,
  RC_R_ALL, RC_R_ANY, RC_R_COUNT_NONZERO
};

/* runtime */
const char* rc_last_error(void);
int64_t rc_live_tensors(void);
const char* rc_torch_version(void);
int32_t rc_set_num_threads(int32_t n);
int32_t rc_get_num_threads(void);
int32_t rc_cuda_device_count(void);
int32_t rc_manual_seed(uint64_t seed);

/* tensor lists */
int32_t rc_tensor_list_len(rc_tensor_list l, int64_t* out);
int32_t rc_tensor_list_get(rc_tensor_list l, int64_t i, rc_tensor* out);
void rc_tensor_list_free(rc_tensor_list l);

/* lifetime, metadata, data */
void rc_tensor_free(rc_tensor h);
int32_t rc_tensor_alias(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_ndim(rc_tensor a, int64_t* out);
int32_t rc_tensor_shape(rc_tensor a, int64_t* out, int64_t capacity);
int32_t rc_tensor_strides(rc_tensor a, int64_t* out, int64_t capacity);
int32_t rc_tensor_dtype(rc_tensor a, int32_t* out);
int32_t rc_tensor_device(rc_tensor a, int32_t* type, int32_t* index);
int32_t rc_tensor_numel(rc_tensor a, int64_t* out);
int32_t rc_tensor_is_contiguous(rc_tensor a, int32_t* out);
int32_t rc_tensor_defined(rc_tensor a, int32_t* out);
int32_t rc_tensor_from_data(const void* data, int32_t dtype, const int64_t* shape, int64_t ndim, rc_tensor* out);
int32_t rc_tensor_copy_to_buffer(rc_tensor a, void* dst, int64_t nbytes);
int32_t rc_tensor_copy_from_buffer(rc_tensor a, const void* src, int64_t nbytes);
int32_t rc_tensor_data_ptr(rc_tensor a, void** out);
int32_t rc_tensor_item(rc_tensor a, double* f, int64_t* i);
int32_t rc_tensor_to_string(rc_tensor a, char* buf, int64_t capacity, int64_t* needed);

/* creation and random (generator may be NULL for the default one) */
int32_t rc_tensor_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_full(const int64_t* shape, int64_t ndim, rc_scalar value, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_arange(rc_scalar start, rc_scalar end, rc_scalar step, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_eye(int64_t n, int64_t m, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_like(rc_tensor a, int32_t kind, rc_scalar value, rc_tensor* out);
int32_t rc_generator_new(uint64_t seed, rc_generator* out);
void rc_generator_free(rc_generator g);
int32_t rc_generator_get_state(rc_generator g, rc_tensor* out);
int32_t rc_generator_set_state(rc_generator g, rc_tensor state);
int32_t rc_tensor_rand(const int64_t* shape, int64_t ndim, int32_t normal, rc_generator g, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, rc_generator g, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_randperm(int64_t n, rc_generator g, int32_t dtype, int32_t dev_type, int32_t dev_index, rc_tensor* out);
int32_t rc_tensor_uniform_(rc_tensor a, double from, double to, rc_generator g);
int32_t rc_tensor_normal_(rc_tensor a, double mean, double std, rc_generator g);
int32_t rc_tensor_bernoulli(rc_tensor a, rc_generator g, rc_tensor* out);
int32_t rc_tensor_multinomial(rc_tensor a, int64_t n, int32_t replacement, rc_generator g, rc_tensor* out);
int32_t rc_tensor_dropout(rc_tensor a, double p, int32_t train, rc_tensor* out);

/* conversion and in-place basics */
int32_t rc_tensor_to(rc_tensor a, int32_t dtype, int32_t dev_type, int32_t dev_index, int32_t copy, rc_tensor* out);
int32_t rc_tensor_contiguous(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_clone(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_detach(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_copy_(rc_tensor dst, rc_tensor src);
int32_t rc_tensor_fill_(rc_tensor a, rc_scalar v);
int32_t rc_tensor_zero_(rc_tensor a);
int32_t rc_tensor_set_data(rc_tensor a, rc_tensor src);

/* views and indexing */
int32_t rc_tensor_view(rc_tensor a, const int64_t* shape, int64_t n, rc_tensor* out);
int32_t rc_tensor_reshape(rc_tensor a, const int64_t* shape, int64_t n, rc_tensor* out);
int32_t rc_tensor_permute(rc_tensor a, const int64_t* dims, int64_t n, rc_tensor* out);
int32_t rc_tensor_expand(rc_tensor a, const int64_t* shape, int64_t n, rc_tensor* out);
int32_t rc_tensor_repeat(rc_tensor a, const int64_t* repeats, int64_t n, rc_tensor* out);
int32_t rc_tensor_flip(rc_tensor a, const int64_t* dims, int64_t n, rc_tensor* out);
int32_t rc_tensor_transpose(rc_tensor a, int64_t d0, int64_t d1, rc_tensor* out);
int32_t rc_tensor_movedim(rc_tensor a, int64_t src, int64_t dst, rc_tensor* out);
int32_t rc_tensor_unsqueeze(rc_tensor a, int64_t d, rc_tensor* out);
int32_t rc_tensor_squeeze(rc_tensor a, int64_t d, int32_t all, rc_tensor* out);
int32_t rc_tensor_flatten(rc_tensor a, int64_t start, int64_t end, rc_tensor* out);
int32_t rc_tensor_unflatten(rc_tensor a, int64_t d, const int64_t* sizes, int64_t n, rc_tensor* out);
int32_t rc_tensor_narrow(rc_tensor a, int64_t d, int64_t start, int64_t len, rc_tensor* out);
int32_t rc_tensor_select(rc_tensor a, int64_t d, int64_t index, rc_tensor* out);
int32_t rc_tensor_slice(rc_tensor a, int64_t d, int64_t start, int64_t end, int64_t step, rc_tensor* out);
int32_t rc_tensor_roll(rc_tensor a, int64_t shift, int64_t d, rc_tensor* out);
int32_t rc_tensor_triu(rc_tensor a, int64_t k, int32_t lower, rc_tensor* out);
int32_t rc_tensor_cat(const rc_tensor* ts, int64_t n, int64_t d, rc_tensor* out);
int32_t rc_tensor_stack(const rc_tensor* ts, int64_t n, int64_t d, rc_tensor* out);
int32_t rc_tensor_split_sizes(rc_tensor a, const int64_t* sizes, int64_t n, int64_t d, rc_tensor_list* out);
int32_t rc_tensor_split(rc_tensor a, int64_t size, int64_t d, rc_tensor_list* out);
int32_t rc_tensor_chunk(rc_tensor a, int64_t chunks, int64_t d, rc_tensor_list* out);
int32_t rc_tensor_unbind(rc_tensor a, int64_t d, rc_tensor_list* out);
int32_t rc_tensor_meshgrid(const rc_tensor* ts, int64_t n, int32_t xy, rc_tensor_list* out);
int32_t rc_tensor_index(rc_tensor a, const rc_tensor* indices, int64_t n, rc_tensor* out);
int32_t rc_tensor_index_put_(rc_tensor a, const rc_tensor* indices, int64_t n, rc_tensor values, int32_t accumulate);
int32_t rc_tensor_index_select(rc_tensor a, int64_t d, rc_tensor index, rc_tensor* out);
int32_t rc_tensor_gather(rc_tensor a, int64_t d, rc_tensor index, rc_tensor* out);
int32_t rc_tensor_scatter(rc_tensor a, int64_t d, rc_tensor index, rc_tensor src, int32_t add, rc_tensor* out);
int32_t rc_tensor_scatter_value(rc_tensor a, int64_t d, rc_tensor index, rc_scalar v, rc_tensor* out);
int32_t rc_tensor_masked_fill(rc_tensor a, rc_tensor mask, rc_scalar v, int32_t inplace, rc_tensor* out);
int32_t rc_tensor_masked_select(rc_tensor a, rc_tensor mask, rc_tensor* out);
int32_t rc_tensor_where(rc_tensor cond, rc_tensor a, rc_tensor b, rc_tensor* out);
int32_t rc_tensor_nonzero(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_one_hot(rc_tensor a, int64_t classes, rc_tensor* out);

/* math */
int32_t rc_unary(int32_t op, rc_tensor a, rc_tensor* out);
int32_t rc_unary_(int32_t op, rc_tensor a);
int32_t rc_binary(int32_t op, rc_tensor a, rc_tensor b, rc_tensor* out);
int32_t rc_binary_(int32_t op, rc_tensor a, rc_tensor b);
int32_t rc_binary_scalar(int32_t op, rc_tensor a, rc_scalar s, rc_tensor* out);
int32_t rc_binary_scalar_(int32_t op, rc_tensor a, rc_scalar s);
int32_t rc_tensor_add_scaled(rc_tensor a, rc_tensor b, rc_scalar alpha, int32_t inplace, rc_tensor* out);
int32_t rc_tensor_addcmul_(rc_tensor a, rc_tensor t1, rc_tensor t2, rc_scalar value);
int32_t rc_tensor_addcdiv_(rc_tensor a, rc_tensor t1, rc_tensor t2, rc_scalar value);
int32_t rc_tensor_lerp_(rc_tensor a, rc_tensor end, rc_scalar weight);
int32_t rc_tensor_baddbmm(rc_tensor self, rc_tensor b1, rc_tensor b2, rc_scalar beta, rc_scalar alpha, rc_tensor* out);
int32_t rc_tensor_einsum(const char* equation, const rc_tensor* ts, int64_t n, rc_tensor* out);
int32_t rc_tensor_clamp(rc_tensor a, rc_scalar lo, int32_t has_lo, rc_scalar hi, int32_t has_hi, int32_t inplace, rc_tensor* out);
int32_t rc_tensor_allclose(rc_tensor a, rc_tensor b, double rtol, double atol, int32_t* out);
int32_t rc_tensor_equal(rc_tensor a, rc_tensor b, int32_t* out);
int32_t rc_reduce(int32_t op, rc_tensor a, const int64_t* dims, int64_t n_dims, int32_t keepdim, int64_t correction, rc_tensor* out);
int32_t rc_tensor_norm(rc_tensor a, double p, const int64_t* dims, int64_t n_dims, int32_t keepdim, rc_tensor* out);
int32_t rc_tensor_max_dim(rc_tensor a, int64_t d, int32_t keepdim, int32_t is_min, rc_tensor* values, rc_tensor* indices);
int32_t rc_tensor_max_all(rc_tensor a, int32_t is_min, rc_tensor* out);
int32_t rc_tensor_argmax(rc_tensor a, int64_t d, int32_t has_dim, int32_t keepdim, int32_t is_min, rc_tensor* out);
int32_t rc_tensor_sort(rc_tensor a, int64_t d, int32_t descending, int32_t stable, rc_tensor* values, rc_tensor* indices);
int32_t rc_tensor_topk(rc_tensor a, int64_t k, int64_t d, int32_t largest, int32_t sorted, rc_tensor* values, rc_tensor* indices);
int32_t rc_tensor_cumsum(rc_tensor a, int64_t d, int32_t prod, rc_tensor* out);

/* nn functionals (2-element int64 arrays for 2-d kernel/stride/padding/dilation) */
int32_t rc_nn_conv2d(rc_tensor x, rc_tensor w, rc_tensor b, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups, rc_tensor* out);
int32_t rc_nn_conv1d(rc_tensor x, rc_tensor w, rc_tensor b, int64_t stride, int64_t padding, int64_t dilation, int64_t groups, rc_tensor* out);
int32_t rc_nn_conv_transpose2d(rc_tensor x, rc_tensor w, rc_tensor b, const int64_t* stride, const int64_t* padding, const int64_t* output_padding, int64_t groups, const int64_t* dilation, rc_tensor* out);
int32_t rc_nn_linear(rc_tensor x, rc_tensor w, rc_tensor b, rc_tensor* out);
int32_t rc_nn_batch_norm(rc_tensor x, rc_tensor w, rc_tensor b, rc_tensor mean, rc_tensor var, int32_t training, double momentum, double eps, rc_tensor* out);
int32_t rc_nn_layer_norm(rc_tensor x, const int64_t* shape, int64_t n, rc_tensor w, rc_tensor b, double eps, rc_tensor* out);
int32_t rc_nn_group_norm(rc_tensor x, int64_t groups, rc_tensor w, rc_tensor b, double eps, rc_tensor* out);
int32_t rc_nn_max_pool2d(rc_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int32_t ceil_mode, rc_tensor* out);
int32_t rc_nn_avg_pool2d(rc_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int32_t ceil_mode, int32_t count_include_pad, rc_tensor* out);
int32_t rc_nn_adaptive_pool2d(rc_tensor x, const int64_t* size, int32_t is_max, rc_tensor* out);
int32_t rc_nn_softmax(rc_tensor x, int64_t d, int32_t log, rc_tensor* out);
int32_t rc_nn_embedding(rc_tensor weight, rc_tensor indices, rc_tensor* out);
int32_t rc_nn_leaky_relu(rc_tensor x, double slope, rc_tensor* out);
int32_t rc_nn_normalize(rc_tensor x, double p, int64_t d, double eps, rc_tensor* out);
int32_t rc_nn_interpolate(rc_tensor x, int64_t out_h, int64_t out_w, int32_t mode, int32_t align_corners, int32_t antialias, rc_tensor* out);
int32_t rc_nn_grid_sample(rc_tensor x, rc_tensor grid, int32_t mode, int32_t padding, int32_t align_corners, rc_tensor* out);
int32_t rc_nn_pad(rc_tensor x, const int64_t* pads, int64_t n, int32_t mode, double value, rc_tensor* out);
int32_t rc_nn_cross_entropy(rc_tensor x, rc_tensor target, rc_tensor weight, int32_t reduction, int64_t ignore_index, double label_smoothing, rc_tensor* out);
int32_t rc_nn_nll_loss(rc_tensor x, rc_tensor target, rc_tensor weight, int32_t reduction, int64_t ignore_index, rc_tensor* out);
int32_t rc_nn_kl_div(rc_tensor x, rc_tensor target, int32_t reduction, int32_t log_target, rc_tensor* out);
int32_t rc_nn_bce_with_logits(rc_tensor x, rc_tensor target, rc_tensor weight, rc_tensor pos_weight, int32_t reduction, rc_tensor* out);
int32_t rc_nn_smooth_l1(rc_tensor x, rc_tensor target, int32_t reduction, double beta, rc_tensor* out);
int32_t rc_nn_l1_loss(rc_tensor x, rc_tensor target, int32_t reduction, rc_tensor* out);
int32_t rc_nn_mse_loss(rc_tensor x, rc_tensor target, int32_t reduction, rc_tensor* out);

/* autograd */
int32_t rc_tensor_requires_grad(rc_tensor a, int32_t* out);
int32_t rc_tensor_set_requires_grad(rc_tensor a, int32_t value);
int32_t rc_tensor_is_leaf(rc_tensor a, int32_t* out);
int32_t rc_tensor_retain_grad(rc_tensor a);
int32_t rc_tensor_grad(rc_tensor a, rc_tensor* out);
int32_t rc_tensor_set_grad(rc_tensor a, rc_tensor grad);
int32_t rc_tensor_backward(rc_tensor a, rc_tensor grad, int32_t retain_graph, int32_t create_graph);
int32_t rc_grad_enabled(void);
void rc_set_grad_enabled(int32_t enabled);
int32_t rc_inference_mode_enter(int32_t enabled, rc_guard* out);
void rc_inference_mode_exit(rc_guard g);
int32_t rc_is_inference_mode(void);
int32_t rc_tensor_is_inference(rc_tensor a, int32_t* out);

/* serialization (see serialize.cpp) */
#include "regionclip_serialize.h"
/* image codecs (see image.cpp) */
#include "regionclip_image.h"
/* RoIAlign and NMS kernels (see roi_align.cpp, nms.cpp) */
#include "regionclip_vision.h"
/* data-parallel collectives (see distributed.cpp) */
#include "regionclip_distributed.h"

#ifdef __cplusplus
}
#endif
#endif
