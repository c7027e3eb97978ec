// A restricted unpickler for torch.save's data.pkl. It interprets the pickle opcodes itself and
// builds c10::IValues directly: Python is never involved, and a global that is not on the
// allow-list below stops the load the moment it is read. libtorch's own unpickler is not used
// because it turns collections.OrderedDict (every nn.Module.state_dict()) into None. In
// TorchScript mode it also reads torch.jit.save's data.pkl, where `__torch__.*` classes become
// attribute dicts: torch::jit::load would compile the archive's code, and may run it.
#include "serialize_unpickler.h"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rc {
namespace {

// Storage classes torch.save names in a persistent id, and the element type each implies.
const std::map<std::string, at::ScalarType>& storage_types() {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},       {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},         {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},         {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},       {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},         {"torch.BoolStorage", at::kBool},
      {"torch.ComplexFloatStorage", at::kComplexFloat}, {"torch.ComplexDoubleStorage", at::kComplexDouble},
      {"torch.UntypedStorage", at::kByte}};
  return types;
}

// Callables a checkpoint may name; each is implemented below as a pure data constructor.
bool callable_allowed(const std::string& name) {
  static const std::set<std::string> allowed = {
      "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor", "collections.OrderedDict",
      "torch.device", "torch.Size", "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_intlist",
      "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensorlist",
      "torch.jit._pickle.build_list"};
  return allowed.count(name) > 0;
}

// One entry of the pickle machine's stack or memo. Most are ordinary values; globals, storages
// and tuples that hold them exist only while the tensor records are being assembled.
struct Item {
  enum Kind { kValue, kGlobal, kStorage, kTuple } kind = kValue;
  c10::IValue value;
  std::string global;                              // kGlobal: "module.name"
  at::Storage storage;                             // kStorage
  at::ScalarType dtype = at::kByte;                // kStorage
  std::shared_ptr<const std::vector<Item>> items;  // kTuple: a tuple holding non-values
  int nesting = 0;                                 // kTuple: how many kTuples deep

  static Item of(c10::IValue v) {
    Item i;
    i.value = std::move(v);
    return i;
  }
  const char* describe() const {
    switch (kind) {
      case kGlobal: return "a Python global";
      case kStorage: return "a storage";
      case kTuple: return "a tuple of storages or globals";
      default: return "a value";
    }
  }
};

// Limits that keep a hostile pickle from exhausting the native stack, memory or time. Real
// checkpoints nest a handful of levels and hold thousands of values (a detectron2 training
// checkpoint with its optimizer state: tens of thousands).
constexpr int kMaxNesting = 100;
constexpr int64_t kMaxValues = 5'000'000;  // once shared parts are expanded, as the C# side copies them
constexpr int kMaxArgNesting = 8;
constexpr size_t kMaxTensorDims = 64;
// Parsing spends a budget in units of about 30 bytes of native memory, by what each step keeps
// (measured): a hostile pickle is stopped near 300 MB and a second or two, long before the end
// of a 256 MB stream, while a real checkpoint spends a few hundred thousand.
constexpr int64_t kParseBudget = 10'000'000;
namespace cost {
constexpr int64_t kMark = 1, kListItem = 1, kDictItem = 2;
constexpr int64_t kStackItem = 5, kMemoEntry = 5;  // an Item, ~150 bytes
constexpr int64_t kListOrTuple = 2, kDict = 14;    // beyond the stack item that holds it
}  // namespace cost
// A tensor may view its storage with repeats (stride 0, overlapping windows), but its first copy
// allocates numel * element size. The tensors of a file, counted each time the value tree
// reaches one, may hold at most kViewRepeat times the bytes of its storages, plus kSmallViews of
// broadcasts: real checkpoints view a storage a few times (tied weights, q/k/v slices), and a
// stride-0 [2^20, 2^20] over 4 floats (4 TB dense) is refused instead of exhausting memory on
// first use.
constexpr int64_t kViewRepeat = 16;
constexpr int64_t kSmallViews = 64ll << 20;
// Dotted names of TorchScript tensors, all together.
constexpr size_t kMaxNameBytes = 64u << 20;

class Unpickler {
 public:
  Unpickler(const char* data, size_t size, const StorageLoader& loader, bool torchscript)
      : p_(data), end_(data + size), loader_(loader), torchscript_(torchscript) {}

  c10::IValue run() {
    try {
      auto result = parse();
      check_tensor_bytes(check_shape(result).tensor_bytes);
      dismantle(&heights_);  // memo-only leftovers may be cyclic or deep; what the result holds is not
      return result;
    } catch (...) {
      dismantle(nullptr);
      throw;
    }
  }

  c10::impl::GenericDict run_torchscript() {
    try {
      auto root = parse();
      check_tensor_bytes(check_shape(root).tensor_bytes);
      if (!is_object(root)) throw CheckpointError("malformed TorchScript archive: data.pkl holds a " + root.tagKind() + ", not a module");
      c10::impl::GenericDict out(c10::StringType::get(), c10::AnyType::get());
      collect_tensors(root, "", out);
      dismantle(nullptr);  // only the tensors are kept
      return out;
    } catch (...) {
      dismantle(nullptr);
      throw;
    }
  }

 private:
  c10::IValue parse() {
    while (p_ < end_) {
      auto op = static_cast<uint8_t>(*p_++);
      if (op == '.') {  // STOP
        auto result = pop();
        return value_of(result, "the pickle's result");
      }
      step(op);
    }
    throw CheckpointError("the pickle stream ends without a STOP opcode (truncated or corrupt file)");
  }

  // What check_shape learns of a container: the height of its subtree, and its values and
  // tensor bytes counted once per path that reaches them (as the C# side copies them).
  struct Shape {
    int height;  // levels of containers, 1 with scalars only (0 when empty); -1 while being visited
    int64_t values;
    int64_t tensor_bytes;
  };

  const char* p_;
  const char* end_;
  const StorageLoader& loader_;
  const bool torchscript_;  // `__torch__.*` classes are attribute containers
  int64_t budget_ = kParseBudget;
  int64_t storage_bytes_ = 0;  // of every storage loaded
  size_t name_bytes_ = 0;
  std::unordered_set<const void*> objects_;  // dicts that are TorchScript module objects
  std::vector<Item> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Item> memo_;
  std::unordered_map<std::string, Item> storages_;
  // Every list, dict and tuple made, so that they can all be emptied: then no destructor recurses
  // through a deep or cyclic structure.
  std::vector<c10::IValue> containers_;
  std::unordered_map<const void*, Shape> heights_;  // container -> what check_shape found

  void spend(int64_t units) {
    budget_ -= units;
    if (budget_ < 0)
      throw CheckpointError("refused: the pickle builds more values than any real checkpoint holds (over " +
                            std::to_string(kParseBudget) + "; a decompression bomb?)");
  }

  c10::IValue track(c10::IValue v) {
    spend(v.isGenericDict() ? cost::kDict : cost::kListOrTuple);
    containers_.push_back(v);
    return v;
  }

  // Empties every container not in `keep`.
  void dismantle(const std::unordered_map<const void*, Shape>* keep) {
    stack_.clear();
    memo_.clear();
    for (auto& c : containers_) {
      if (keep != nullptr && keep->count(c.internalToPointer()) > 0) continue;
      if (c.isList()) c.toList().clear();
      else if (c.isGenericDict()) c.toGenericDict().clear();
      else if (c.isTuple()) {
        auto t = c.toTuple();
        for (size_t i = 0; i < t->elements().size(); ++i) t->unsafeSetElement(i, c10::IValue());
      }
    }
    containers_.clear();
  }

  [[noreturn]] static void too_deep() {
    throw CheckpointError("refused: values nest more than " + std::to_string(kMaxNesting) + " levels deep");
  }

  static int64_t saturating_add(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
  }

  // numel * element size: what the tensor's first copy allocates, whatever its strides.
  static int64_t dense_bytes(const at::Tensor& t) {
    int64_t bytes = static_cast<int64_t>(t.element_size());
    for (auto s : t.sizes())
      if (__builtin_mul_overflow(bytes, s, &bytes)) return std::numeric_limits<int64_t>::max();
    return bytes;
  }

  // Refuses cycles, nesting deeper than kMaxNesting, more than kMaxValues values and more tensor
  // bytes than the storages justify (kViewRepeat). A subtree met again through the memo counts
  // in full wherever it sits: no container ends up deeper than kMaxNesting, so freeing the
  // result and converting it never recurse further, and a tensor reached a million times counts
  // a million times, as a float copy of each would.
  Shape check_shape(const c10::IValue& v, int depth = 0) {
    if (v.isTensor()) return {0, 1, dense_bytes(v.toTensor())};
    if (!(v.isList() || v.isGenericDict() || v.isTuple())) return {0, 1, 0};
    if (depth > kMaxNesting) too_deep();
    auto key = v.internalToPointer();
    auto it = heights_.find(key);
    if (it != heights_.end()) {
      if (it->second.height < 0) throw CheckpointError("refused: a container holds itself (a cycle)");
      if (depth + it->second.height - 1 > kMaxNesting) too_deep();  // its deepest container's depth
      return it->second;
    }
    heights_[key] = {-1, 0, 0};
    Shape shape{0, 1, 0};
    auto visit = [&](const c10::IValue& child) {
      auto r = check_shape(child, depth + 1);
      shape.height = std::max(shape.height, r.height + 1);
      shape.values += r.values;
      shape.tensor_bytes = saturating_add(shape.tensor_bytes, r.tensor_bytes);
      if (shape.values > kMaxValues) throw CheckpointError("refused: more than " + std::to_string(kMaxValues) + " values");
      check_tensor_bytes(shape.tensor_bytes);
    };
    if (v.isList()) {
      for (const auto& x : v.toListRef()) visit(x);
    } else if (v.isTuple()) {
      for (const auto& x : v.toTupleRef().elements()) visit(x);
    } else {
      for (const auto& e : v.toGenericDict()) {
        visit(e.key());
        visit(e.value());
      }
    }
    return heights_[key] = shape;
  }

  void check_tensor_bytes(int64_t bytes) const {
    int64_t allowed = saturating_add(storage_bytes_ > std::numeric_limits<int64_t>::max() / kViewRepeat
                                         ? std::numeric_limits<int64_t>::max()
                                         : storage_bytes_ * kViewRepeat,
                                     kSmallViews);
    if (bytes > allowed)
      throw CheckpointError("refused: its tensors add up to " + std::to_string(bytes) + " bytes (views repeating their storage, "
                            "or one tensor reached many times), far more than its storages hold (" + std::to_string(storage_bytes_) + " bytes)");
  }

  // ---- TorchScript module objects ----
  // An object is a dict of its attributes, remembered in objects_ so that a plain dict attribute
  // is not taken for a submodule.
  c10::impl::GenericDict new_object() {
    auto d = new_dict();
    objects_.insert(c10::IValue(d).internalToPointer());
    return d;
  }
  bool is_object(const c10::IValue& v) const { return v.isGenericDict() && objects_.count(v.internalToPointer()) > 0; }

  // BUILD: a TorchScript object takes its attribute dict; anything else (an OrderedDict's
  // _metadata, a custom class's __getstate__ tuple) is dropped.
  void build(const Item& state, Item& target) {
    if (!torchscript_ || target.kind != Item::kValue || !is_object(target.value)) return;
    if (state.kind != Item::kValue || !state.value.isGenericDict()) return;
    for (const auto& e : state.value.toGenericDict()) set_item(target.value, e.key(), e.value());
  }

  // state_dict order: a module's own tensors, then its submodules', depth first. check_shape has
  // bounded the depth and the expanded size of the tree.
  void collect_tensors(const c10::IValue& object, const std::string& prefix, c10::impl::GenericDict& out) {
    auto attributes = object.toGenericDict();
    auto name_of = [&](const c10::IValue& key) {
      if (!key.isString()) throw CheckpointError("malformed TorchScript archive: a module attribute named by a " + key.tagKind());
      name_bytes_ += prefix.size() + key.toStringRef().size();
      if (name_bytes_ > kMaxNameBytes) throw CheckpointError("refused: the module's attribute names take more than " + std::to_string(kMaxNameBytes >> 20) + " MB");
      return prefix + key.toStringRef();
    };
    for (const auto& e : attributes)
      if (e.value().isTensor()) out.insert_or_assign(name_of(e.key()), e.value().toTensor().detach());
    for (const auto& e : attributes)
      if (is_object(e.value())) collect_tensors(e.value(), name_of(e.key()) + ".", out);
  }

  // ---- reading the byte stream ----
  void need(size_t n) const {
    if (static_cast<size_t>(end_ - p_) < n) throw CheckpointError("the pickle stream is cut short (truncated or corrupt file)");
  }
  uint64_t uint_le(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    need(static_cast<size_t>(n));
    std::string s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  std::string line() {
    auto nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    if (nl == nullptr) throw CheckpointError("the pickle stream is cut short (truncated or corrupt file)");
    std::string s(p_, nl);
    p_ = nl + 1;
    return s;
  }
  static int64_t parse_int(std::string s) {
    if (!s.empty() && s.back() == 'L') s.pop_back();
    errno = 0;
    char* endp = nullptr;
    long long v = std::strtoll(s.c_str(), &endp, 10);
    if (s.empty() || *endp != '\0') throw CheckpointError("malformed integer '" + s + "' in the pickle");
    if (errno == ERANGE) throw CheckpointError("integer " + s + " does not fit in 64 bits");
    return static_cast<int64_t>(v);
  }
  int64_t long_bytes(uint64_t n) {  // LONG1/LONG4: little-endian two's complement
    if (n > 8) throw CheckpointError("an integer in the pickle does not fit in 64 bits");
    if (n == 0) return 0;
    need(static_cast<size_t>(n));
    bool negative = (static_cast<uint8_t>(p_[n - 1]) & 0x80) != 0;
    uint64_t v = uint_le(static_cast<size_t>(n));
    if (negative && n < 8) v |= ~uint64_t{0} << (8 * n);
    return static_cast<int64_t>(v);
  }
  double binfloat() {  // big-endian IEEE double
    need(8);
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(p_[i]);
    p_ += 8;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }

  // ---- the stack ----
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Item pop() {
    if (stack_.size() <= floor()) throw CheckpointError("malformed pickle (stack underflow)");
    Item i = std::move(stack_.back());
    stack_.pop_back();
    return i;
  }
  Item& top() {
    if (stack_.size() <= floor()) throw CheckpointError("malformed pickle (stack underflow)");
    return stack_.back();
  }
  std::vector<Item> pop_mark() {
    if (marks_.empty()) throw CheckpointError("malformed pickle (no MARK)");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Item> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(m)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return items;
  }
  void push(Item i) {
    spend(cost::kStackItem);
    stack_.push_back(std::move(i));
  }
  void push(c10::IValue v) { push(Item::of(std::move(v))); }

  static c10::IValue value_of(const Item& i, const char* where) {
    if (i.kind != Item::kValue) throw CheckpointError(std::string("malformed checkpoint: ") + i.describe() + " appears as " + where);
    return i.value;
  }
  Item tuple_of(std::vector<Item> items) {
    bool plain = true;
    int nesting = 0;
    for (auto& i : items) {
      plain = plain && i.kind == Item::kValue;
      nesting = std::max(nesting, i.nesting);
    }
    if (!plain) {
      Item t;
      t.kind = Item::kTuple;
      t.nesting = nesting + 1;
      if (t.nesting > kMaxArgNesting) throw CheckpointError("malformed checkpoint: tuples of storages nest too deeply");
      t.items = std::make_shared<const std::vector<Item>>(std::move(items));
      return t;
    }
    std::vector<c10::IValue> values;
    values.reserve(items.size());
    for (auto& i : items) values.push_back(std::move(i.value));
    return Item::of(track(c10::ivalue::Tuple::create(std::move(values))));
  }
  // The items of an argument tuple or persistent id: a few at most, so that a big tuple reused
  // through the memo cannot be copied again and again.
  static std::vector<Item> tuple_items(const Item& t, const std::string& what) {
    constexpr size_t kMaxArgs = 8;
    size_t n = t.kind == Item::kTuple ? t.items->size() : t.kind == Item::kValue && t.value.isTuple() ? t.value.toTupleRef().elements().size() : 0;
    if (t.kind != Item::kTuple && !(t.kind == Item::kValue && t.value.isTuple())) throw CheckpointError("malformed checkpoint: " + what + " is not a tuple");
    if (n > kMaxArgs) throw CheckpointError("malformed checkpoint: " + what + " has " + std::to_string(n) + " items");
    if (t.kind == Item::kTuple) return *t.items;
    std::vector<Item> items;
    for (auto& e : t.value.toTupleRef().elements()) items.push_back(Item::of(e));
    return items;
  }
  c10::impl::GenericDict new_dict() {
    c10::impl::GenericDict d(c10::AnyType::get(), c10::AnyType::get());
    track(d);
    return d;
  }
  c10::impl::GenericList new_list() {
    c10::impl::GenericList l(c10::AnyType::get());
    track(l);
    return l;
  }

  void set_item(c10::IValue& target, c10::IValue key, c10::IValue value) {
    spend(cost::kDictItem);
    if (!target.isGenericDict()) throw CheckpointError("malformed pickle: SETITEM on a " + target.tagKind() + ", not a dict");
    if (!(key.isString() || key.isInt() || key.isDouble() || key.isBool() || key.isNone()))
      throw CheckpointError("unsupported dict key of type " + key.tagKind() + " (only strings and numbers are read)");
    if (key.isNone()) throw CheckpointError("unsupported dict key None");
    target.toGenericDict().insert_or_assign(std::move(key), std::move(value));
  }
  void append(c10::IValue& target, c10::IValue value) {
    spend(cost::kListItem);
    if (!target.isList()) throw CheckpointError("malformed pickle: APPEND on a " + target.tagKind() + ", not a list");
    target.toList().push_back(std::move(value));
  }

  // ---- globals, calls and persistent ids ----
  static bool is_script_class(const std::string& name) { return name.rfind("__torch__.", 0) == 0; }

  Item global(const std::string& module, const std::string& name) {
    std::string full = module + "." + name;
    bool script_class = torchscript_ && is_script_class(full);
    if (!script_class && !callable_allowed(full) && storage_types().count(full) == 0)
      throw CheckpointError("refused: the pickle asks for the Python global '" + full +
                            "', which is not a tensor, storage or container constructor. Only tensors, numbers, "
                            "strings, lists, tuples and dicts are accepted; nothing in the file was executed.");
    Item g;
    g.kind = Item::kGlobal;
    g.global = std::move(full);
    return g;
  }

  Item call(const Item& fn, const Item& args_item) {
    if (fn.kind != Item::kGlobal) throw CheckpointError("malformed pickle: REDUCE on " + std::string(fn.describe()));
    const std::string& f = fn.global;
    if (torchscript_ && is_script_class(f)) return Item::of(new_object());  // its constructor is never run
    auto args = tuple_items(args_item, "the arguments of " + f);
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") return rebuild_tensor(args, f);
    if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
      if (args.size() < 2) throw CheckpointError("malformed checkpoint: too few arguments to " + f);
      auto data = value_of(args[0], "a parameter's data");
      if (!data.isTensor()) throw CheckpointError("malformed checkpoint: a parameter's data is not a tensor");
      auto t = data.toTensor();
      if (value_of(args[1], "requires_grad").toBool() && t.is_floating_point()) t.requires_grad_(true);
      return Item::of(t);
    }
    if (f == "collections.OrderedDict") {
      auto dict = new_dict();
      if (!args.empty()) {  // OrderedDict([(key, value), ...])
        auto pairs = value_of(args[0], "OrderedDict's argument");
        if (!pairs.isList()) throw CheckpointError("malformed checkpoint: OrderedDict built from a " + pairs.tagKind());
        c10::IValue d(dict);
        for (const auto& pair : pairs.toListRef()) {
          if (!pair.isTuple() || pair.toTupleRef().elements().size() != 2)
            throw CheckpointError("malformed checkpoint: OrderedDict built from items that are not pairs");
          set_item(d, pair.toTupleRef().elements()[0], pair.toTupleRef().elements()[1]);
        }
      }
      return Item::of(dict);
    }
    if (f == "torch.device") {
      if (args.empty()) throw CheckpointError("malformed checkpoint: torch.device without arguments");
      auto s = value_of(args[0], "a device");
      if (!s.isString()) throw CheckpointError("malformed checkpoint: torch.device of a " + s.tagKind());
      std::string d = s.toStringRef();
      if (args.size() > 1) d += ":" + std::to_string(value_of(args[1], "a device index").toInt());
      return Item::of(d);
    }
    if (f == "torch._utils._rebuild_qtensor")
      throw CheckpointError("the checkpoint holds a quantized tensor, which is not supported; dequantize it in Python first");
    if (f.rfind("torch.jit._pickle.", 0) == 0 || f == "torch.Size") {  // identity wrappers around a list/tuple
      if (args.empty()) throw CheckpointError("malformed checkpoint: " + f + " without arguments");
      return Item::of(value_of(args[0], "a list"));
    }
    throw CheckpointError("malformed checkpoint: " + f + " is not callable");
  }

  static std::vector<int64_t> int_tuple(const Item& i, const char* what) {
    auto v = value_of(i, what);
    size_t n = v.isTuple() ? v.toTupleRef().elements().size() : v.isList() ? v.toListRef().size() : 0;
    if (n > kMaxTensorDims) throw CheckpointError("malformed checkpoint: a tensor with " + std::to_string(n) + " dimensions");
    std::vector<int64_t> out;
    if (v.isTuple()) {
      for (auto& e : v.toTupleRef().elements()) {
        if (!e.isInt()) throw CheckpointError(std::string("malformed checkpoint: a tensor's ") + what + " holds a " + e.tagKind());
        out.push_back(e.toInt());
      }
    } else if (v.isList()) {
      for (auto& e : v.toListRef()) {
        if (!e.isInt()) throw CheckpointError(std::string("malformed checkpoint: a tensor's ") + what + " holds a " + e.tagKind());
        out.push_back(e.toInt());
      }
    } else {
      throw CheckpointError(std::string("malformed checkpoint: a tensor's ") + what + " is a " + v.tagKind());
    }
    return out;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  Item rebuild_tensor(const std::vector<Item>& a, const std::string& f) {
    if (a.size() < 4 || a[0].kind != Item::kStorage) throw CheckpointError("malformed checkpoint: bad arguments to " + f);
    auto offset_v = value_of(a[1], "a storage offset");
    if (!offset_v.isInt()) throw CheckpointError("malformed checkpoint: a storage offset is a " + offset_v.tagKind());
    int64_t offset = offset_v.toInt();
    auto sizes = int_tuple(a[2], "size");
    auto strides = int_tuple(a[3], "stride");
    const auto& storage = a[0].storage;
    auto elem = static_cast<int64_t>(c10::elementSize(a[0].dtype));
    int64_t capacity = static_cast<int64_t>(storage.nbytes()) / elem;
    if (sizes.size() != strides.size() || offset < 0)
      throw CheckpointError("malformed checkpoint: a tensor's size and stride disagree");
    bool empty = false;
    int64_t last = offset;  // index of the last element the view touches
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] < 0 || strides[d] < 0) throw CheckpointError("malformed checkpoint: negative tensor size or stride");
      if (sizes[d] == 0) empty = true;
      int64_t span;
      if (sizes[d] > 0 && (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span) || __builtin_add_overflow(last, span, &last)))
        throw CheckpointError("malformed checkpoint: a tensor's extent overflows");
    }
    if (!empty && last >= capacity)
      throw CheckpointError("malformed checkpoint: a tensor reaches element " + std::to_string(last) + " of a storage of " +
                            std::to_string(capacity) + " elements");
    auto t = at::empty({0}, at::TensorOptions().dtype(a[0].dtype)).set_(storage, offset, sizes, strides);
    if (a.size() > 4 && !torchscript_) {  // TorchScript's weights are read detached, as before
      auto rg = value_of(a[4], "requires_grad");
      if (rg.isBool() && rg.toBool() && t.is_floating_point()) t.requires_grad_(true);
    }
    return Item::of(t);
  }

  // ('storage', <storage type>, key, location, numel) -> the storage, loaded once per key.
  Item persistent_load(const Item& pid) {
    auto p = tuple_items(pid, "a persistent id");
    if (p.size() < 5 || p[0].kind != Item::kValue || !p[0].value.isString() || p[0].value.toStringRef() != "storage")
      throw CheckpointError("unsupported persistent id in the pickle (only tensor storages are read)");
    if (p[1].kind != Item::kGlobal || storage_types().count(p[1].global) == 0)
      throw CheckpointError("malformed checkpoint: a storage's type is not a storage class");
    auto key = value_of(p[2], "a storage key");
    auto numel = value_of(p[4], "a storage size");
    if (!key.isString() || !numel.isInt() || numel.toInt() < 0) throw CheckpointError("malformed checkpoint: bad storage key or size");
    if (p.size() > 5 && !(p[5].kind == Item::kValue && p[5].value.isNone()))
      throw CheckpointError("storage views of the legacy format are not supported");
    auto dtype = storage_types().at(p[1].global);
    auto it = storages_.find(key.toStringRef());
    if (it != storages_.end()) {
      if (it->second.dtype != dtype) throw CheckpointError("malformed checkpoint: storage '" + key.toStringRef() + "' is read with two element types");
      return it->second;
    }
    Item s;
    s.kind = Item::kStorage;
    s.dtype = dtype;
    s.storage = loader_(key.toStringRef(), dtype, numel.toInt());
    storage_bytes_ += static_cast<int64_t>(s.storage.nbytes());
    storages_.emplace(key.toStringRef(), s);
    return s;
  }

  void memo_put(uint64_t index) {
    spend(cost::kMemoEntry);
    memo_[index] = top();
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) throw CheckpointError("malformed pickle (memo entry " + std::to_string(index) + " is missing)");
    push(it->second);
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        auto v = uint_le(1);
        if (v > 5) throw CheckpointError("pickle protocol " + std::to_string(v) + " is newer than any this reader knows");
        break;
      }
      case 0x95: uint_le(8); break;  // FRAME: a hint only
      case '(':
        spend(cost::kMark);
        marks_.push_back(stack_.size());
        break;
      case '0': pop(); break;
      case '1': pop_mark(); break;
      case '2': push(top()); break;
      case 'N': push(c10::IValue()); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 'I': {
        auto s = line();
        if (s == "01") push(true);
        else if (s == "00") push(false);
        else push(parse_int(s));
        break;
      }
      case 'L': push(parse_int(line())); break;
      case 'J': push(static_cast<int64_t>(static_cast<int32_t>(uint_le(4)))); break;
      case 'K': push(static_cast<int64_t>(uint_le(1))); break;
      case 'M': push(static_cast<int64_t>(uint_le(2))); break;
      case 0x8a: push(long_bytes(uint_le(1))); break;
      case 0x8b: push(long_bytes(uint_le(4))); break;
      case 'F': {
        auto s = line();
        char* endp = nullptr;
        double d = std::strtod(s.c_str(), &endp);
        if (s.empty() || *endp != '\0') throw CheckpointError("malformed float '" + s + "' in the pickle");
        push(d);
        break;
      }
      case 'G': push(binfloat()); break;
      case 'S': {  // STRING: a quoted Python 2 repr
        auto s = line();
        if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
        push(s);
        break;
      }
      case 'V': push(line()); break;
      case 'T': case 'X': case 'B': push(bytes(uint_le(4))); break;
      case 'U': case 0x8c: case 'C': push(bytes(uint_le(1))); break;
      case 0x8d: case 0x8e: case 0x96: push(bytes(uint_le(8))); break;
      case ')': push(track(c10::ivalue::Tuple::create(std::vector<c10::IValue>{}))); break;
      case 't': push(tuple_of(pop_mark())); break;
      case 0x85: case 0x86: case 0x87: {
        size_t n = op - 0x84u;
        if (stack_.size() < floor() + n) throw CheckpointError("malformed pickle (stack underflow)");
        std::vector<Item> items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(n)), std::make_move_iterator(stack_.end()));
        stack_.resize(stack_.size() - n);
        push(tuple_of(std::move(items)));
        break;
      }
      case ']': case 0x8f: push(new_list()); break;  // sets are read as lists
      case 'l': case 0x91: {
        auto items = pop_mark();
        auto list = new_list();
        for (auto& i : items) list.push_back(value_of(i, "a list item"));
        push(list);
        break;
      }
      case 'a': {
        auto v = pop();
        append(top().value, value_of(v, "a list item"));
        break;
      }
      case 'e': case 0x90: {
        auto items = pop_mark();
        auto& target = top();
        if (target.kind != Item::kValue) throw CheckpointError("malformed pickle: APPENDS on " + std::string(target.describe()));
        for (auto& i : items) append(target.value, value_of(i, "a list item"));
        break;
      }
      case '}': push(new_dict()); break;
      case 'd': {
        auto items = pop_mark();
        if (items.size() % 2 != 0) throw CheckpointError("malformed pickle (odd number of dict items)");
        c10::IValue d(new_dict());
        for (size_t i = 0; i < items.size(); i += 2) set_item(d, value_of(items[i], "a dict key"), value_of(items[i + 1], "a dict value"));
        push(d);
        break;
      }
      case 's': {
        auto v = pop();
        auto k = pop();
        auto& target = top();
        if (target.kind != Item::kValue) throw CheckpointError("malformed pickle: SETITEM on " + std::string(target.describe()));
        set_item(target.value, value_of(k, "a dict key"), value_of(v, "a dict value"));
        break;
      }
      case 'u': {
        auto items = pop_mark();
        if (items.size() % 2 != 0) throw CheckpointError("malformed pickle (odd number of dict items)");
        auto& target = top();
        if (target.kind != Item::kValue) throw CheckpointError("malformed pickle: SETITEMS on " + std::string(target.describe()));
        for (size_t i = 0; i < items.size(); i += 2)
          set_item(target.value, value_of(items[i], "a dict key"), value_of(items[i + 1], "a dict value"));
        break;
      }
      case 'g': memo_get(static_cast<uint64_t>(parse_int(line()))); break;
      case 'h': memo_get(uint_le(1)); break;
      case 'j': memo_get(uint_le(4)); break;
      case 'p': memo_put(static_cast<uint64_t>(parse_int(line()))); break;
      case 'q': memo_put(uint_le(1)); break;
      case 'r': memo_put(uint_le(4)); break;
      case 0x94: memo_put(memo_.size()); break;
      case 'c': {
        auto module = line();
        auto name = line();
        push(global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        if (module.kind != Item::kValue || name.kind != Item::kValue || !module.value.isString() || !name.value.isString())
          throw CheckpointError("malformed pickle: STACK_GLOBAL without a module and a name");
        push(global(module.value.toStringRef(), name.value.toStringRef()));
        break;
      }
      case 'i': {  // INST module\nname\n: instantiates an arbitrary class
        auto module = line();
        auto name = line();
        global(module, name);
        throw CheckpointError("refused: the pickle instantiates '" + module + "." + name + "' with INST");
      }
      case 'R': case 0x81: {  // REDUCE f(*args); NEWOBJ cls.__new__(cls, *args) - the same for our constructors
        auto args = pop();
        auto fn = pop();
        push(call(fn, args));
        break;
      }
      case 0x92: {  // NEWOBJ_EX cls, args, kwargs
        auto kwargs = pop();
        auto args = pop();
        auto fn = pop();
        if (!(kwargs.kind == Item::kValue && kwargs.value.isGenericDict() && kwargs.value.toGenericDict().size() == 0))
          throw CheckpointError("refused: keyword arguments to " + fn.global);
        push(call(fn, args));
        break;
      }
      case 'b': {  // BUILD
        auto state = pop();
        build(state, top());
        break;
      }
      case 'Q': {
        auto pid = pop();
        push(persistent_load(pid));
        break;
      }
      case 'P': throw CheckpointError("unsupported persistent id in the pickle (only tensor storages are read)");
      case 'o': {
        auto items = pop_mark();
        throw CheckpointError(std::string("refused: the pickle builds an object with OBJ") +
                              (!items.empty() && items[0].kind == Item::kGlobal ? " of class '" + items[0].global + "'" : ""));
      }
      case 0x82: case 0x83: case 0x84:
        throw CheckpointError("refused: the pickle uses the extension registry (EXT opcodes)");
      case 0x97: case 0x98:
        throw CheckpointError("refused: the pickle uses out-of-band buffers");
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        throw CheckpointError(std::string("not a valid pickle stream (unknown opcode ") + hex + ")");
      }
    }
  }
};

}  // namespace

c10::IValue unpickle_checkpoint(const char* data, size_t size, const StorageLoader& load_storage) {
  return Unpickler(data, size, load_storage, /*torchscript=*/false).run();
}

c10::impl::GenericDict unpickle_torchscript_tensors(const char* data, size_t size, const StorageLoader& load_storage) {
  return Unpickler(data, size, load_storage, /*torchscript=*/true).run_torchscript();
}

}  // namespace rc
