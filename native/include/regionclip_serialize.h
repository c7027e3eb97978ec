/* Checkpoint I/O in PyTorch's own formats, and a small value tree (rc_ivalue) to carry
 * nested dicts/lists/tuples of tensors, numbers and strings across the C boundary.
 * Included by regionclip.h; not meant to be included alone. */

/* rc_ivalue kinds */
enum {
  RC_IV_NONE = 0, RC_IV_TENSOR = 1, RC_IV_INT = 2, RC_IV_DOUBLE = 3, RC_IV_BOOL = 4, RC_IV_STRING = 5,
  RC_IV_LIST = 6, RC_IV_TUPLE = 7, RC_IV_DICT = 8, RC_IV_OTHER = 9
};
/* rc_checkpoint_kind results */
enum { RC_CKPT_PICKLE_ZIP = 1, RC_CKPT_TORCHSCRIPT = 2, RC_CKPT_LEGACY_PICKLE = 3 };

/* Reads a torch.save file (zip format, PyTorch >= 1.6) with a restricted unpickler that runs no
 * Python: only tensor rebuild functions, storage types, OrderedDict, torch.device and torch.Size
 * may be named; any other global (os.system, builtins.eval, ...) is refused when it is read.
 * OrderedDicts (state dicts) become dicts; tensors land on the CPU; views keep sharing storage;
 * record checksums are verified. Sizes are checked before memory is taken: data.pkl may unpack to
 * 256 MB at most, a compressed record to no more than deflate can produce from its bytes, and the
 * pickle may build a few million values nested 100 deep at most. Errors read
 * "cannot load '<path>': <reason>". */
int32_t rc_pickle_load(const char* path, rc_ivalue* out);
/* Writes `value` as a torch.save zip (no TorchScript type tags) that Python's torch.load reads.
 * Writes `path` directly and fsyncs it; callers wanting atomic replacement write a temporary
 * file and rename it (as the C# torch.save does). */
int32_t rc_pickle_save(rc_ivalue value, const char* path);
/* Reads the weights of a TorchScript archive (torch.jit.save) without compiling or running any of
 * its code: data.pkl is read by the same restricted unpickler, module objects as attribute dicts.
 * A dict of every tensor attribute (parameters, buffers) by dotted name, in the order of Python's
 * module.state_dict() (own tensors, then children), detached. */
int32_t rc_torchscript_load(const char* path, rc_ivalue* out);
/* Identifies a file without unpickling it: RC_CKPT_* in *kind; an error for anything else
 * (truncated, not a checkpoint, a plain pickle). */
int32_t rc_checkpoint_kind(const char* path, int32_t* kind);

void rc_ivalue_free(rc_ivalue v);
int32_t rc_ivalue_kind(rc_ivalue v, int32_t* kind);
int32_t rc_ivalue_type_name(rc_ivalue v, char* buf, int64_t capacity);
int32_t rc_ivalue_to_tensor(rc_ivalue v, rc_tensor* out);
int32_t rc_ivalue_to_int(rc_ivalue v, int64_t* out);
int32_t rc_ivalue_to_double(rc_ivalue v, double* out);
int32_t rc_ivalue_to_bool(rc_ivalue v, int32_t* out);
/* Pointer into the value's own string storage, valid while `v` lives. */
int32_t rc_ivalue_to_string(rc_ivalue v, const char** data, int64_t* len);
int32_t rc_ivalue_len(rc_ivalue v, int64_t* out);
int32_t rc_ivalue_item(rc_ivalue v, int64_t i, rc_ivalue* out);
int32_t rc_ivalue_dict_key(rc_ivalue v, int64_t i, rc_ivalue* out);
int32_t rc_ivalue_dict_value(rc_ivalue v, int64_t i, rc_ivalue* out);

int32_t rc_ivalue_none(rc_ivalue* out);
int32_t rc_ivalue_from_tensor(rc_tensor t, rc_ivalue* out);
int32_t rc_ivalue_from_int(int64_t v, rc_ivalue* out);
int32_t rc_ivalue_from_double(double v, rc_ivalue* out);
int32_t rc_ivalue_from_bool(int32_t v, rc_ivalue* out);
int32_t rc_ivalue_from_string(const char* data, int64_t len, rc_ivalue* out);
int32_t rc_ivalue_list_new(rc_ivalue* out);
int32_t rc_ivalue_list_append(rc_ivalue list, rc_ivalue item);
int32_t rc_ivalue_tuple_new(const rc_ivalue* items, int64_t n, rc_ivalue* out);
/* key_kind: RC_IV_STRING or RC_IV_INT */
int32_t rc_ivalue_dict_new(int32_t key_kind, rc_ivalue* out);
int32_t rc_ivalue_dict_insert(rc_ivalue dict, rc_ivalue key, rc_ivalue value);
