// Hard NMS (torchvision.ops.nms / batched_nms) and gaussian soft-NMS (detectron2's batched_soft_nms)
// on CPU.
//
// Categories are handled exactly rather than with torchvision's coordinate-offset trick (adding
// idx * (max + 1) to every box): the offsets round float32 coordinates (to 1/8 px at 1203 LVIS
// classes) and make every box pay for comparisons with every other category. Here boxes are grouped
// by category, each group runs the classic greedy loop (in parallel across groups), and the kept
// boxes are merged back into global score order. That is torchvision's own path for large inputs
// (_batched_nms_vanilla) with a stable sort.
#include "vision_common.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace rc;
using namespace rc::vision;

namespace {

void check_arguments(const char* op, const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor* idxs) {
  require_cpu("boxes", boxes);
  require_cpu("scores", scores);
  if (boxes.dim() != 2 || boxes.size(1) != 4) fail(std::string(op) + ": boxes must be [K, 4] (x1, y1, x2, y2); got " + describe(boxes));
  require_float("boxes", boxes);
  if (scores.dim() != 1 || scores.size(0) != boxes.size(0))
    fail(std::string(op) + ": scores must be [K] with K = " + std::to_string(boxes.size(0)) + " (one per box); got " + describe(scores));
  if (scores.scalar_type() != boxes.scalar_type())
    fail(std::string(op) + ": scores must have the dtype of boxes (" + dtype_name(boxes.scalar_type()) + "); got " + describe(scores));
  if (idxs == nullptr) return;
  require_cpu("idxs", *idxs);
  if (idxs->dim() != 1 || idxs->size(0) != boxes.size(0))
    fail(std::string(op) + ": idxs must be [K] with K = " + std::to_string(boxes.size(0)) + " (one category per box); got " + describe(*idxs));
  if (!at::isIntegralType(idxs->scalar_type(), /*includeBool=*/false))
    fail(std::string(op) + ": idxs must hold integer category ids; got " + describe(*idxs));
}

// Box indices split by category; each group keeps the sequence of `members`.
std::vector<std::vector<int64_t>> group_by_category(const std::vector<int64_t>& members, const at::Tensor& idxs) {
  if (!idxs.defined()) return {members};
  const at::Tensor ids = idxs.to(at::kLong).contiguous();
  const int64_t* id = ids.data_ptr<int64_t>();
  std::unordered_map<int64_t, size_t> group_of;
  std::vector<std::vector<int64_t>> groups;
  for (const int64_t i : members) {
    auto [it, added] = group_of.emplace(id[i], groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

template <typename T>
std::vector<T> box_areas(const T* b, int64_t n) {
  std::vector<T> areas(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) areas[size_t(i)] = (b[i * 4 + 2] - b[i * 4]) * (b[i * 4 + 3] - b[i * 4 + 1]);
  return areas;
}

// torchvision's greedy loop over one category, `order` by decreasing score; marks kept boxes.
// The operand order of max/min is torchvision's, so NaN coordinates behave alike (never suppress).
template <typename T>
void greedy_nms(const T* b, const std::vector<T>& areas, const std::vector<int64_t>& order, double iou_threshold, std::vector<uint8_t>& kept) {
  std::vector<uint8_t> suppressed(order.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    if (suppressed[i]) continue;
    const int64_t bi = order[i];
    kept[size_t(bi)] = 1;
    const T ix1 = b[bi * 4], iy1 = b[bi * 4 + 1], ix2 = b[bi * 4 + 2], iy2 = b[bi * 4 + 3];
    const T iarea = areas[size_t(bi)];
    for (size_t j = i + 1; j < order.size(); ++j) {
      if (suppressed[j]) continue;
      const int64_t bj = order[j];
      const T xx1 = std::max(ix1, b[bj * 4]);
      const T yy1 = std::max(iy1, b[bj * 4 + 1]);
      const T xx2 = std::min(ix2, b[bj * 4 + 2]);
      const T yy2 = std::min(iy2, b[bj * 4 + 3]);
      const T w = std::max(static_cast<T>(0), xx2 - xx1);
      const T h = std::max(static_cast<T>(0), yy2 - yy1);
      const T inter = w * h;
      const T ovr = inter / (iarea + areas[size_t(bj)] - inter);
      if (ovr > iou_threshold) suppressed[j] = 1;
    }
  }
}

template <typename T>
at::Tensor nms_kernel(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs, double iou_threshold) {
  const at::Tensor bx = boxes.contiguous();
  const int64_t n = bx.size(0);
  // Stable descending sort, as torchvision: ties keep index order, NaN scores come first.
  const at::Tensor order_t = std::get<1>(at::sort(scores, /*stable=*/true, /*dim=*/0, /*descending=*/true)).contiguous();
  const int64_t* order_p = order_t.data_ptr<int64_t>();
  const std::vector<int64_t> order(order_p, order_p + n);
  const T* b = bx.data_ptr<T>();
  const auto areas = box_areas(b, n);
  const auto groups = group_by_category(order, idxs);
  std::vector<uint8_t> kept(static_cast<size_t>(n), 0);
  // Groups write disjoint entries of `kept`, so they can run in parallel.
  at::parallel_for(0, int64_t(groups.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) greedy_nms(b, areas, groups[size_t(g)], iou_threshold, kept);
  });
  std::vector<int64_t> keep;
  for (const int64_t i : order)
    if (kept[size_t(i)]) keep.push_back(i);
  return at::tensor(keep, at::kLong);
}

// detectron2's pairwise_iou for one pair: 0 unless the intersection is positive (so empty and NaN
// boxes never decay anything).
template <typename T>
T soft_iou(const T* b, const std::vector<T>& areas, int64_t i, int64_t j) {
  const T w = std::max(static_cast<T>(0), std::min(b[i * 4 + 2], b[j * 4 + 2]) - std::max(b[i * 4], b[j * 4]));
  const T h = std::max(static_cast<T>(0), std::min(b[i * 4 + 3], b[j * 4 + 3]) - std::max(b[i * 4 + 1], b[j * 4 + 1]));
  const T inter = w * h;
  return inter > 0 ? inter / (areas[size_t(i)] + areas[size_t(j)] - inter) : static_cast<T>(0);
}

// One category of detectron2's _soft_nms loop. `members` ascending, so "first maximum" is the lowest
// index, as torch.argmax. Appends (score when selected, index).
template <typename T>
void soft_nms_category(const T* b, const std::vector<T>& areas, const T* s, const std::vector<int64_t>& members, int64_t first_pick,
                       T sigma, T threshold, std::vector<std::pair<T, int64_t>>& selected) {
  std::vector<int64_t> alive;
  std::vector<T> score;
  // detectron2 prunes after its first pick (the global maximum); a box already at or below the
  // threshold then goes, whatever its category, unless it is that first pick.
  for (const int64_t i : members)
    if (i == first_pick || s[i] > threshold) {
      alive.push_back(i);
      score.push_back(s[i]);
    }
  while (!alive.empty()) {
    size_t top = 0;
    for (size_t j = 1; j < alive.size(); ++j)
      if (score[j] > score[top]) top = j;
    const int64_t picked = alive[top];
    selected.emplace_back(score[top], picked);
    size_t next = 0;
    for (size_t j = 0; j < alive.size(); ++j) {
      if (j == top) continue;
      const T iou = soft_iou(b, areas, picked, alive[j]);
      const T decayed = score[j] * std::exp(-(iou * iou) / sigma);
      if (decayed > threshold) {
        alive[next] = alive[j];
        score[next] = decayed;
        ++next;
      }
    }
    alive.resize(next);
    score.resize(next);
  }
}

template <typename T>
std::pair<at::Tensor, at::Tensor> soft_nms_kernel(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs, double sigma,
                                                  double threshold) {
  const at::Tensor bx = boxes.contiguous();
  const at::Tensor sc = scores.contiguous();
  const int64_t n = bx.size(0);
  const T* b = bx.data_ptr<T>();
  const T* s = sc.data_ptr<T>();
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(double(s[i]))) fail("soft_nms: scores[" + std::to_string(i) + "] is " + number(double(s[i])) + "; scores must be finite");
  int64_t first_pick = 0;
  for (int64_t i = 1; i < n; ++i)
    if (s[i] > s[first_pick]) first_pick = i;
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[size_t(i)] = i;
  const auto areas = box_areas(b, n);
  const auto groups = group_by_category(all, idxs);
  std::vector<std::vector<std::pair<T, int64_t>>> per_group(groups.size());
  at::parallel_for(0, int64_t(groups.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g)
      soft_nms_category(b, areas, s, groups[size_t(g)], first_pick, static_cast<T>(sigma), static_cast<T>(threshold), per_group[size_t(g)]);
  });
  // detectron2's single loop picks the global maximum each time (lowest index on ties) and other
  // categories only ever decay by exp(0) = 1, so its selection order is this sort of the union.
  std::vector<std::pair<T, int64_t>> selected;
  for (auto& g : per_group) selected.insert(selected.end(), g.begin(), g.end());
  std::sort(selected.begin(), selected.end(), [](const auto& l, const auto& r) { return l.first > r.first || (l.first == r.first && l.second < r.second); });
  at::Tensor keep = at::empty({int64_t(selected.size())}, at::kLong);
  at::Tensor kept_scores = at::empty({int64_t(selected.size())}, sc.options());
  int64_t* k = keep.data_ptr<int64_t>();
  T* ks = kept_scores.data_ptr<T>();
  for (size_t i = 0; i < selected.size(); ++i) {
    ks[i] = selected[i].first;
    k[i] = selected[i].second;
  }
  return {keep, kept_scores};
}

}  // namespace

RC_API int32_t rc_vision_nms(rc_tensor boxes, rc_tensor scores, rc_tensor idxs, double iou_threshold, rc_tensor* keep) {
  return guard("nms", [&] {
    const at::Tensor& b = T(boxes);
    const at::Tensor& s = T(scores);
    const at::Tensor id = idxs == nullptr ? at::Tensor() : T(idxs);
    check_arguments(idxs == nullptr ? "nms" : "batched_nms", b, s, idxs == nullptr ? nullptr : &id);
    if (std::isnan(iou_threshold)) fail("iou_threshold is NaN");
    *keep = wrap(b.scalar_type() == at::kDouble ? nms_kernel<double>(b, s, id, iou_threshold) : nms_kernel<float>(b, s, id, iou_threshold));
  });
}

RC_API int32_t rc_vision_soft_nms(rc_tensor boxes, rc_tensor scores, rc_tensor idxs, double sigma, double score_threshold,
                                  rc_tensor* keep, rc_tensor* kept_scores) {
  return guard("soft_nms", [&] {
    const at::Tensor& b = T(boxes);
    const at::Tensor& s = T(scores);
    const at::Tensor id = idxs == nullptr ? at::Tensor() : T(idxs);
    check_arguments("soft_nms", b, s, idxs == nullptr ? nullptr : &id);
    if (!std::isfinite(sigma) || sigma <= 0) fail("sigma must be a positive finite number; got " + number(sigma));
    if (std::isnan(score_threshold)) fail("score_threshold is NaN");
    auto result = b.scalar_type() == at::kDouble ? soft_nms_kernel<double>(b, s, id, sigma, score_threshold)
                                                 : soft_nms_kernel<float>(b, s, id, sigma, score_threshold);
    *keep = wrap(std::move(result.first));
    *kept_scores = wrap(std::move(result.second));
  });
}
