// torch.distributed over c10d: one default process group per process, as PyTorch has it.
// Rendezvous follows torch 1.13's init_process_group exactly (a multi-tenant TCPStore hosted by rank 0,
// prefixed "default_pg", the group's own prefix "0", then the store-based barrier on
// "store_based_barrier_key:1", then the sequence number), so a C# process and a Python one can share a group.
// Built without c10d's Gloo headers, every call reports that distributed support is missing.
#include "common.h"
#include <chrono>

#ifndef RC_HAVE_GLOO
#define RC_HAVE_GLOO 0
#endif
#ifndef RC_HAVE_NCCL
#define RC_HAVE_NCCL 0
#endif

#if RC_HAVE_GLOO
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if RC_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <mutex>
#include <thread>
#endif

using namespace rc;

#if RC_HAVE_GLOO
namespace {

struct DefaultGroup {
  c10::intrusive_ptr<c10d::Store> store;  // "default_pg"-prefixed, as Python keeps it
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::string backend;
  std::chrono::milliseconds timeout{0};
};

std::mutex group_mutex;
DefaultGroup* default_group = nullptr;

DefaultGroup& current() {
  if (default_group == nullptr)
    throw std::runtime_error("the default process group is not initialized: call init_process_group first");
  return *default_group;
}

void wait(const c10::intrusive_ptr<c10d::Work>& work) {
  // Work::wait throws the peer's failure (a closed connection, a timeout) as a c10::Error.
  work->wait();
}

// torch 1.13's _store_based_barrier: every rank adds 1, then polls until the count reaches the world size.
void store_based_barrier(c10d::Store& store, int world_size, std::chrono::milliseconds timeout) {
  const std::string key = "store_based_barrier_key:1";
  store.add(key, 1);
  auto start = std::chrono::steady_clock::now();
  while (store.add(key, 0) != world_size) {
    if (std::chrono::steady_clock::now() - start > timeout)
      throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for all " + std::to_string(world_size) +
                               " ranks to join the process group");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

c10d::ReduceOp reduce_op(int32_t op) {
  switch (op) {
    case RC_DIST_SUM:
    case RC_DIST_AVG: return c10d::ReduceOp::SUM;  // Gloo has no AVG: sum, then divide
    case RC_DIST_PRODUCT: return c10d::ReduceOp::PRODUCT;
    case RC_DIST_MIN: return c10d::ReduceOp::MIN;
    case RC_DIST_MAX: return c10d::ReduceOp::MAX;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  }
}

// Gloo divides by the element count, so an empty tensor would kill the process (SIGFPE). Every rank holds the same
// shape, so every rank skips alike; an empty collective has nothing to move.
void all_reduce(at::Tensor& t, int32_t op) {
  auto& g = current();
  if (t.numel() == 0) return;
  std::vector<at::Tensor> ts{t};
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(op);
  wait(g.group->allreduce(ts, o));
  if (op == RC_DIST_AVG) t.div_(g.group->getSize());
}

std::vector<at::Tensor> all_gather(const at::Tensor& t) {
  auto& g = current();
  auto input = t.contiguous();
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int i = 0; i < g.group->getSize(); ++i) outs[0].push_back(at::empty_like(input));
  if (input.numel() == 0) return outs[0];
  std::vector<at::Tensor> ins{input};
  wait(g.group->allgather(outs, ins));
  return outs[0];
}

// all_gather with a gradient: forward concatenates every rank's tensor along dim 0 (equal sizes); backward
// sums each rank's gradient of the whole result and hands every rank its own rows (what diffdist does).
struct AllGatherFunction : public torch::autograd::Function<AllGatherFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    ctx->saved_data["rows"] = input.size(0);
    at::AutoDispatchBelowADInplaceOrView below;
    return at::cat(all_gather(input.detach()), 0);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto rows = ctx->saved_data["rows"].toInt();
    auto summed = grads[0].contiguous().clone();
    all_reduce(summed, RC_DIST_SUM);
    return {summed.narrow(0, current().group->getRank() * rows, rows)};
  }
};

void init(const std::string& backend, const std::string& host, int32_t port, int32_t rank, int32_t world_size, std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(group_mutex);
  if (default_group != nullptr) throw std::runtime_error("the default process group is already initialized");
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside a world of size " + std::to_string(world_size));
  if (port < 0 || port > 65535) throw std::invalid_argument("port " + std::to_string(port) + " is outside 0..65535");
  if (backend != "gloo" && backend != "nccl") throw std::invalid_argument("unknown backend '" + backend + "' (gloo or nccl)");
#if !RC_HAVE_NCCL
  if (backend == "nccl") throw std::runtime_error("backend 'nccl' needs the native library built against a CUDA libtorch with NCCL; use 'gloo'");
#endif
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = static_cast<std::size_t>(world_size);
  so.waitWorkers = true;
  so.timeout = timeout;
  so.multiTenant = true;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(host, so);
  c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::PrefixStore>("default_pg", tcp);
  auto group_store = c10::make_intrusive<c10d::PrefixStore>("0", store);
  auto g = std::make_unique<DefaultGroup>();
  if (backend == "gloo") {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;
    g->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group_store, rank, world_size, options);
  }
#if RC_HAVE_NCCL
  if (backend == "nccl") {
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    g->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(group_store, rank, world_size, options);
  }
#endif
  store_based_barrier(*store, world_size, timeout);
  // Python then agrees on the collectives' sequence number through the store (rank 0 sets it, the others wait).
  g->group->setSequenceNumberForGroup();
  g->store = store;
  g->backend = backend;
  g->timeout = timeout;
  default_group = g.release();
}

void destroy() {
  std::lock_guard<std::mutex> lock(group_mutex);
  delete default_group;
  default_group = nullptr;
}

bool initialized() {
  std::lock_guard<std::mutex> lock(group_mutex);
  return default_group != nullptr;
}

void broadcast(at::Tensor& x, int32_t src) {
  auto& g = current();
  if (src < 0 || src >= g.group->getSize()) throw std::invalid_argument("src rank " + std::to_string(src) + " is outside the group");
  if (x.numel() == 0) return;
  std::vector<at::Tensor> ts{x};
  c10d::BroadcastOptions o;
  o.rootRank = src;
  wait(g.group->broadcast(ts, o));
}

at::Tensor all_gather_autograd(const at::Tensor& x) {
  if (x.dim() < 1) throw std::invalid_argument("all_gather with a gradient needs a tensor of at least one dimension");
  return AllGatherFunction::apply(x);
}

void barrier() { wait(current().group->barrier()); }
int32_t rank() { return current().group->getRank(); }
int32_t world_size() { return current().group->getSize(); }

}  // namespace
#else
namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error("this build of the native library has no distributed support: it was built without c10d's Gloo backend (RC_DISTRIBUTED=OFF, or the Gloo headers were missing: on Debian install libgloo-dev and rebuild; elsewhere use a libtorch with distributed support)");
}
void init(const std::string&, const std::string&, int32_t, int32_t, int32_t, std::chrono::milliseconds) { unavailable(); }
void destroy() { unavailable(); }
bool initialized() { return false; }
void all_reduce(at::Tensor&, int32_t) { unavailable(); }
void broadcast(at::Tensor&, int32_t) { unavailable(); }
std::vector<at::Tensor> all_gather(const at::Tensor&) { unavailable(); }
at::Tensor all_gather_autograd(const at::Tensor&) { unavailable(); }
void barrier() { unavailable(); }
int32_t rank() { unavailable(); }
int32_t world_size() { unavailable(); }
}  // namespace
#endif

RC_API int32_t rc_dist_is_available(void) { return RC_HAVE_GLOO ? 1 : 0; }

RC_API int32_t rc_dist_is_backend_available(const char* backend) {
  std::string b = backend == nullptr ? "" : backend;
  return (b == "gloo" && RC_HAVE_GLOO) || (b == "nccl" && RC_HAVE_NCCL) ? 1 : 0;
}

RC_API int32_t rc_dist_init(const char* backend, const char* host, int32_t port, int32_t rank, int32_t world_size, int64_t timeout_ms) {
  return guard("init_process_group", [&] { init(backend, host, port, rank, world_size, std::chrono::milliseconds(timeout_ms)); });
}

RC_API int32_t rc_dist_is_initialized(void) { return initialized() ? 1 : 0; }
RC_API int32_t rc_dist_rank(int32_t* out) { return guard("get_rank", [&] { *out = rank(); }); }
RC_API int32_t rc_dist_world_size(int32_t* out) { return guard("get_world_size", [&] { *out = world_size(); }); }

RC_API int32_t rc_dist_all_reduce(rc_tensor t, int32_t op) {
  return guard("all_reduce", [&] {
    if (!T(t).is_contiguous()) throw std::invalid_argument("all_reduce needs a contiguous tensor");
    all_reduce(T(t), op);
  });
}

RC_API int32_t rc_dist_broadcast(rc_tensor t, int32_t src) {
  return guard("broadcast", [&] {
    if (!T(t).is_contiguous()) throw std::invalid_argument("broadcast needs a contiguous tensor");
    broadcast(T(t), src);
  });
}

RC_API int32_t rc_dist_all_gather(rc_tensor t, rc_tensor_list* out) { return guard("all_gather", [&] { *out = wrap_list(all_gather(T(t))); }); }
RC_API int32_t rc_dist_all_gather_autograd(rc_tensor t, rc_tensor* out) { return guard("all_gather (autograd)", [&] { *out = wrap(all_gather_autograd(T(t))); }); }
RC_API int32_t rc_dist_barrier(void) { return guard("barrier", [&] { barrier(); }); }
RC_API int32_t rc_dist_destroy(void) { return guard("destroy_process_group", [&] { destroy(); }); }
