/* torch.distributed over c10d (see distributed.cpp): one default process group per process.
 * Included by regionclip.h inside its extern "C" block. */
#ifndef REGIONCLIP_DISTRIBUTED_H
#define REGIONCLIP_DISTRIBUTED_H

/* reduce ops for rc_dist_all_reduce (AVG: a sum divided by the world size, as Gloo has no AVG) */
enum { RC_DIST_SUM = 0, RC_DIST_AVG = 1, RC_DIST_PRODUCT = 2, RC_DIST_MIN = 3, RC_DIST_MAX = 4 };

/* 1 when the library was built with c10d's Gloo backend */
int32_t rc_dist_is_available(void);
/* backend: "gloo" or "nccl" */
int32_t rc_dist_is_backend_available(const char* backend);
/* Rendezvous at host:port (rank 0 hosts the TCP store), then the store-based barrier of torch 1.13. */
int32_t rc_dist_init(const char* backend, const char* host, int32_t port, int32_t rank, int32_t world_size, int64_t timeout_ms);
int32_t rc_dist_is_initialized(void);
int32_t rc_dist_rank(int32_t* out);
int32_t rc_dist_world_size(int32_t* out);
/* in place, contiguous tensors */
int32_t rc_dist_all_reduce(rc_tensor t, int32_t op);
int32_t rc_dist_broadcast(rc_tensor t, int32_t src);
/* every rank's tensor, in rank order */
int32_t rc_dist_all_gather(rc_tensor t, rc_tensor_list* out);
/* every rank's tensor concatenated along dim 0; backward sums the gradients and returns each rank its rows */
int32_t rc_dist_all_gather_autograd(rc_tensor t, rc_tensor* out);
int32_t rc_dist_barrier(void);
int32_t rc_dist_destroy(void);

#endif
