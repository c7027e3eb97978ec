// Image codecs: JPEG through libjpeg-turbo, PNG through libpng, to and from RGB uint8 [H, W, 3].
//
// Both libraries report fatal errors by longjmp. Each codec therefore runs in a small function
// (run_*) that calls setjmp and touches only plain C data: everything that must survive the jump
// lives in a *Job struct owned by the caller, and no object with a destructor is alive between
// setjmp and longjmp. Only after run_* has returned is the result turned into a tensor.
#include "common.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef RC_HAVE_IMAGE_CODECS
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#endif

using namespace rc;

namespace {

// A failure whose message is complete for the user (names the file); not prefixed with the op.
struct ImageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class F>
int32_t image_guard(const char* op, F&& body) {
  std::string plain;
  int32_t status = guard(op, [&] {
    try {
      body();
    } catch (const ImageError& e) {
      plain = e.what();
    }
  });
  if (status == RC_OK && !plain.empty()) {
    set_error(plain);
    return RC_ERROR;
  }
  return status;
}

std::string quoted(const char* name) { return std::string("'") + (name != nullptr ? name : "<memory>") + "'"; }

// PIL's decompression-bomb limit (Image.MAX_IMAGE_PIXELS * 2, where it raises): a header may
// declare 65000x65000 pixels in a few hundred bytes. Checked on the header, before any pixel
// buffer exists; callers with huge images raise it (rc_image_set_max_pixels).
constexpr int64_t kDefaultMaxPixels = 178'956'970;
std::atomic<int64_t> max_pixels{kDefaultMaxPixels};

bool too_many_pixels(int64_t width, int64_t height) { return width * height > max_pixels.load(); }

std::string too_many_pixels_message(const char* name, int64_t width, int64_t height) {
  return quoted(name) + " is refused: its header declares " + std::to_string(width) + "x" + std::to_string(height) + " = " +
         std::to_string(width * height) + " pixels, more than the limit of " + std::to_string(max_pixels.load()) +
         " (a decompression bomb? for huge images raise REGIONCLIP_MAX_IMAGE_PIXELS, or ImageIO.MaxPixels from C#)";
}

int32_t sniff(const uint8_t* d, size_t n) {
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return RC_IMAGE_JPEG;
  if (n >= 8 && std::memcmp(d, png_magic, 8) == 0) return RC_IMAGE_PNG;
  return RC_IMAGE_UNKNOWN;
}

// "(starts with 47 49 46 38 39 61: a GIF image)" — what the first bytes look like, for the error.
std::string describe_unknown(const uint8_t* d, size_t n) {
  if (n == 0) return "(the file is empty)";
  std::string s = "(starts with";
  char hex[4];
  for (size_t i = 0; i < n && i < 8; ++i) {
    std::snprintf(hex, sizeof hex, " %02X", d[i]);
    s += hex;
  }
  auto starts = [&](const char* m) { size_t k = std::strlen(m); return n >= k && std::memcmp(d, m, k) == 0; };
  if (starts("GIF8")) s += ": a GIF image";
  else if (starts("BM")) s += ": a BMP image";
  else if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) s += ": a WebP image";
  else if (n >= 4 && (std::memcmp(d, "II*\0", 4) == 0 || std::memcmp(d, "MM\0*", 4) == 0)) s += ": a TIFF image";
  else if (n >= 2 && d[0] == 0xFF && d[1] == 0xD8) s += ": a JPEG start marker without a segment after it";
  else if (starts("\x89PNG")) s += ": a damaged PNG signature";
  else {
    bool text = true;
    for (size_t i = 0; i < n && i < 64; ++i)
      if (d[i] < 0x09 || (d[i] > 0x0D && d[i] < 0x20)) text = false;
    if (text) s += ": looks like text";
  }
  return s + ")";
}

std::vector<uint8_t> read_file(const char* path) {
  if (path == nullptr) throw std::invalid_argument("null path");
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) throw ImageError("cannot open " + quoted(path) + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) throw ImageError("cannot read " + quoted(path) + ": " + std::strerror(err));
  return bytes;
}

void write_file(const char* path, const uint8_t* data, size_t size) {
  if (path == nullptr) throw std::invalid_argument("null path");
  FILE* f = std::fopen(path, "wb");
  if (f == nullptr) throw ImageError("cannot create " + quoted(path) + ": " + std::strerror(errno));
  size_t written = std::fwrite(data, 1, size, f);
  int err = errno;
  bool closed = std::fclose(f) == 0;
  if (written != size || !closed) throw ImageError("cannot write " + quoted(path) + ": " + std::strerror(err));
}

#ifdef RC_HAVE_IMAGE_CODECS

// Pixels come out of the codecs as a malloc'd RGB buffer; the tensor takes it over.
at::Tensor adopt_rgb(uint8_t* pixels, int64_t height, int64_t width) {
  return at::from_blob(pixels, {height, width, 3}, [](void* p) { std::free(p); }, at::TensorOptions().dtype(at::kByte));
}

// PIL's ImageOps.exif_transpose for orientations 2..8, on an [H, W, 3] tensor.
at::Tensor apply_orientation(const at::Tensor& t, int orientation) {
  switch (orientation) {
    case 2: return t.flip({1});                          // mirror left-right
    case 3: return t.flip({0, 1});                       // rotate 180
    case 4: return t.flip({0});                          // mirror top-bottom
    case 5: return t.permute({1, 0, 2});                 // transpose
    case 6: return t.permute({1, 0, 2}).flip({1});       // rotate 90 clockwise
    case 7: return t.permute({1, 0, 2}).flip({0, 1});    // transverse
    case 8: return t.permute({1, 0, 2}).flip({0});       // rotate 90 counter-clockwise
    default: return t;
  }
}

// Buffer grown with realloc: safe to abandon on a longjmp (freed by the job's owner).
struct Bytes {
  uint8_t* data;
  size_t size;
  size_t capacity;
};

bool bytes_reserve(Bytes* b, size_t need) {
  if (need <= b->capacity) return true;
  size_t cap = b->capacity == 0 ? 1 << 16 : b->capacity;
  while (cap < need) cap *= 2;
  auto* grown = static_cast<uint8_t*>(std::realloc(b->data, cap));
  if (grown == nullptr) return false;
  b->data = grown;
  b->capacity = cap;
  return true;
}

// The encoder input: a contiguous uint8 [H, W, C] view with C = 3 (RGB) or 1 (gray).
struct EncoderInput {
  at::Tensor pixels;
  int64_t height, width, channels;
};

EncoderInput encoder_input(rc_tensor h, const char* what) {
  const at::Tensor& t = T(h);
  auto describe = [&] {
    std::string s = std::string(c10::toString(t.scalar_type())) + "[";
    for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
  };
  bool shape_ok = (t.dim() == 3 && (t.size(2) == 3 || t.size(2) == 1)) || t.dim() == 2;
  if (t.scalar_type() != at::kByte || !shape_ok)
    throw std::invalid_argument(std::string(what) + " expects a uint8 image [H, W, 3] (RGB) or [H, W] (gray); got " + describe());
  if (t.size(0) == 0 || t.size(1) == 0) throw std::invalid_argument(std::string(what) + " got an empty image " + describe());
  int64_t channels = t.dim() == 3 ? t.size(2) : 1;
  return {t.to(at::kCPU).contiguous(), t.size(0), t.size(1), channels};
}

at::Tensor bytes_tensor(const Bytes& b) {
  auto out = at::empty({static_cast<int64_t>(b.size)}, at::TensorOptions().dtype(at::kByte));
  if (b.size > 0) std::memcpy(out.data_ptr<uint8_t>(), b.data, b.size);
  return out;
}

// ------------------------------------------------------------------------------------------------
// JPEG decode

struct JpegError {
  jpeg_error_mgr pub;  // first member: libjpeg hands back a pointer to it
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool scan_stopped;    // the first scan's data ended before half the image...
  int64_t stopped_row;  // ...at this pixel row
  bool too_many_scans;
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are tolerated (as PIL does), except running out of data: libjpeg would pad the image
// with grey and call it success, where PIL reports a truncated file. The same goes for a first
// scan whose data stops (at a marker) before half the image: a header with a few bytes after it
// would otherwise decode, slowly, as a big grey picture. A scan cut near its end, or a later
// refinement scan of a progressive file cut anywhere, still gives a usable image and is kept.
void jpeg_note(j_common_ptr cinfo, int level) {
  if (level >= 0 || !cinfo->is_decompressor) return;
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(cinfo);
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (cinfo->err->msg_code == JWRN_HIT_MARKER && d->input_scan_number <= 1 && d->input_iMCU_row < d->total_iMCU_rows / 2) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    err->scan_stopped = true;
    err->stopped_row = int64_t(d->input_iMCU_row) * d->max_v_samp_factor * DCTSIZE;
    jpeg_fail(cinfo);
  }
}

// Each scan of a progressive JPEG passes over the whole image: a small file of thousands of tiny
// scans would take minutes. Real files have about ten; libjpeg-turbo suggests refusing over 500,
// and for big images fewer: at most kMaxScanPixels pixels decoded over all scans (a few seconds).
constexpr int kMaxJpegScans = 500;
constexpr int64_t kMaxScanPixels = 4'000'000'000;

void jpeg_count_scans(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  int64_t pixels = std::max<int64_t>(1, int64_t(d->image_width) * d->image_height);
  int64_t allowed = std::max<int64_t>(10, std::min<int64_t>(kMaxJpegScans, kMaxScanPixels / pixels));
  if (d->input_scan_number > allowed) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    err->too_many_scans = true;
    std::snprintf(err->message, JMSG_LENGTH_MAX, "more than %lld scans, the most for its size", static_cast<long long>(allowed));
    std::longjmp(err->jump, 1);
  }
}

void jpeg_quiet(j_common_ptr, int) {}

struct JpegDecodeJob {
  const uint8_t* data;
  size_t size;
  jpeg_decompress_struct cinfo;
  JpegError err;
  jpeg_progress_mgr progress;
  bool too_large;   // refused on its header
  uint8_t* pixels;  // RGB, height * width * 3, malloc'd
  uint8_t* row;     // one CMYK scanline, malloc'd
  int64_t width, height;
  int orientation;
};

uint16_t get16(const uint8_t* p, bool le) { return le ? uint16_t(p[0] | (p[1] << 8)) : uint16_t((p[0] << 8) | p[1]); }
uint32_t get32(const uint8_t* p, bool le) {
  return le ? uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24)
            : (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

// Orientation (tag 0x0112 of IFD0) from EXIF's TIFF structure; 1 when absent or malformed.
int tiff_orientation(const uint8_t* tiff, size_t len) {
  if (tiff == nullptr || len < 8) return 1;
  bool le;
  if (tiff[0] == 'I' && tiff[1] == 'I') le = true;
  else if (tiff[0] == 'M' && tiff[1] == 'M') le = false;
  else return 1;
  if (get16(tiff + 2, le) != 42) return 1;
  size_t ifd = get32(tiff + 4, le);
  if (ifd > len || len - ifd < 2) return 1;
  size_t count = get16(tiff + ifd, le);
  for (size_t i = 0; i < count; ++i) {
    size_t e = ifd + 2 + 12 * i;
    if (e > len || len - e < 12) return 1;
    if (get16(tiff + e, le) != 0x0112) continue;
    uint16_t type = get16(tiff + e + 2, le);
    uint32_t value = type == 3 ? get16(tiff + e + 8, le) : type == 4 ? get32(tiff + e + 8, le) : 0;
    return value >= 1 && value <= 8 ? int(value) : 1;
  }
  return 1;
}

// The same from a JPEG APP1 payload, which prefixes the TIFF structure with "Exif\0\0".
int exif_orientation(const uint8_t* d, size_t n) {
  if (n < 6 || std::memcmp(d, "Exif\0\0", 6) != 0) return 1;
  return tiff_orientation(d + 6, n - 6);
}

int jpeg_orientation(j_decompress_ptr cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0)
      return exif_orientation(m->data, m->data_length);
  return 1;
}

// PIL's CMYK -> RGB (Convert.c cmyk2rgb): channel = (255 - k) - (ink * (255 - k)) / 255, rounded
// with its MULDIV255 trick. JPEG CMYK (Adobe) is stored inverted, as PIL's "CMYK;I" assumes.
inline uint8_t cmyk_channel(uint8_t stored_ink, uint8_t stored_k) {
  int ink = 255 - stored_ink, nk = stored_k;
  int tmp = ink * nk + 128;
  int v = nk - (((tmp >> 8) + tmp) >> 8);
  return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

bool run_jpeg_decode(JpegDecodeJob* j) {
  j->cinfo.err = jpeg_std_error(&j->err.pub);
  j->err.pub.error_exit = jpeg_fail;
  j->err.pub.emit_message = jpeg_note;
  if (setjmp(j->err.jump)) {
    jpeg_destroy_decompress(&j->cinfo);
    std::free(j->row);
    std::free(j->pixels);
    j->row = j->pixels = nullptr;
    return false;
  }
  jpeg_create_decompress(&j->cinfo);
  j->progress.progress_monitor = jpeg_count_scans;
  j->cinfo.progress = &j->progress;
  jpeg_mem_src(&j->cinfo, j->data, static_cast<unsigned long>(j->size));
  jpeg_save_markers(&j->cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&j->cinfo, TRUE);
  j->width = j->cinfo.image_width;
  j->height = j->cinfo.image_height;
  if (too_many_pixels(j->width, j->height)) {  // before jpeg_start_decompress allocates anything
    j->too_large = true;
    jpeg_destroy_decompress(&j->cinfo);
    return false;
  }
  j->orientation = jpeg_orientation(&j->cinfo);
  bool cmyk = j->cinfo.jpeg_color_space == JCS_CMYK || j->cinfo.jpeg_color_space == JCS_YCCK;
  j->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;  // libjpeg-turbo expands gray to RGB itself
  jpeg_start_decompress(&j->cinfo);
  j->width = j->cinfo.output_width;
  j->height = j->cinfo.output_height;
  j->pixels = static_cast<uint8_t*>(std::malloc(size_t(j->width) * size_t(j->height) * 3));
  if (cmyk) j->row = static_cast<uint8_t*>(std::malloc(size_t(j->width) * 4));
  if (j->pixels == nullptr || (cmyk && j->row == nullptr)) ERREXIT1(&j->cinfo, JERR_OUT_OF_MEMORY, 0);
  while (j->cinfo.output_scanline < j->cinfo.output_height) {
    uint8_t* dst = j->pixels + size_t(j->cinfo.output_scanline) * size_t(j->width) * 3;
    JSAMPROW row = cmyk ? j->row : dst;
    if (jpeg_read_scanlines(&j->cinfo, &row, 1) != 1) ERREXIT(&j->cinfo, JERR_INPUT_EOF);
    if (cmyk)
      for (int64_t x = 0; x < j->width; ++x) {
        const uint8_t* s = j->row + 4 * x;
        dst[3 * x + 0] = cmyk_channel(s[0], s[3]);
        dst[3 * x + 1] = cmyk_channel(s[1], s[3]);
        dst[3 * x + 2] = cmyk_channel(s[2], s[3]);
      }
  }
  jpeg_finish_decompress(&j->cinfo);
  jpeg_destroy_decompress(&j->cinfo);
  std::free(j->row);
  j->row = nullptr;
  return true;
}

at::Tensor decode_jpeg(const uint8_t* data, size_t size, const char* name, int32_t flags) {
  JpegDecodeJob job;
  std::memset(&job, 0, sizeof job);
  job.data = data;
  job.size = size;
  job.orientation = 1;
  if (!run_jpeg_decode(&job)) {
    if (job.too_large) throw ImageError(too_many_pixels_message(name, job.width, job.height));
    if (job.err.scan_stopped)
      throw ImageError(quoted(name) + " is a truncated JPEG image: its image data stops at row " + std::to_string(job.err.stopped_row) +
                       " of " + std::to_string(job.cinfo.image_height) + " (" + job.err.message + ")");
    if (job.err.too_many_scans) throw ImageError(quoted(name) + " is refused: a progressive JPEG image with " + job.err.message + " (a crafted file?)");
    throw ImageError(quoted(name) + " is a corrupt or truncated JPEG image: " + job.err.message);
  }
  auto image = adopt_rgb(job.pixels, job.height, job.width);
  if (flags & RC_IMAGE_KEEP_ORIENTATION) return image;
  return apply_orientation(image, job.orientation).contiguous();
}

// ------------------------------------------------------------------------------------------------
// PNG decode

struct PngDecodeJob {
  const uint8_t* data;
  size_t size, pos;
  png_structp png;
  png_infop info;
  uint8_t* pixels;  // RGB, height * width * 3, malloc'd
  png_bytep* rows;  // malloc'd
  int64_t width, height;
  int orientation;
  bool too_large;  // refused on its header
  char message[256];
};

void png_fail(png_structp png, png_const_charp msg) {
  auto* j = static_cast<PngDecodeJob*>(png_get_error_ptr(png));
  std::snprintf(j->message, sizeof j->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_note(png_structp, png_const_charp) {}  // warnings (e.g. odd sRGB profiles) are tolerated, as PIL does

void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* j = static_cast<PngDecodeJob*>(png_get_io_ptr(png));
  if (j->size - j->pos < n) png_error(png, "unexpected end of file");
  std::memcpy(out, j->data + j->pos, n);
  j->pos += n;
}

bool run_png_decode(PngDecodeJob* j) {
  j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, png_fail, png_note);
  if (j->png == nullptr) {
    std::snprintf(j->message, sizeof j->message, "out of memory");
    return false;
  }
  j->info = png_create_info_struct(j->png);
  if (j->info == nullptr) {
    png_destroy_read_struct(&j->png, nullptr, nullptr);
    std::snprintf(j->message, sizeof j->message, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(j->png))) {
    png_destroy_read_struct(&j->png, &j->info, nullptr);
    std::free(j->rows);
    std::free(j->pixels);
    j->rows = nullptr;
    j->pixels = nullptr;
    return false;
  }
  png_set_read_fn(j->png, j, png_read_memory);
  png_read_info(j->png, j->info);
  j->width = png_get_image_width(j->png, j->info);
  j->height = png_get_image_height(j->png, j->info);
  if (too_many_pixels(j->width, j->height)) {  // before the pixel buffer is allocated
    j->too_large = true;
    png_error(j->png, "too many pixels");
  }
#ifdef PNG_eXIf_SUPPORTED
  // An eXIf chunk before the image data carries the TIFF structure itself (no "Exif\0\0").
  png_uint_32 exif_len = 0;
  png_bytep exif = nullptr;
  if (png_get_eXIf_1(j->png, j->info, &exif_len, &exif) != 0) j->orientation = tiff_orientation(exif, exif_len);
#endif
  int color = png_get_color_type(j->png, j->info);
  png_set_expand(j->png);       // palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha
  png_set_strip_16(j->png);     // 16 -> 8 bits by the high byte, as PIL unpacks 16-bit RGB
  png_set_strip_alpha(j->png);  // dropped, not composited: PIL's convert("RGB")
  if (!(color & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(j->png);
  png_set_interlace_handling(j->png);
  png_read_update_info(j->png, j->info);
  j->width = png_get_image_width(j->png, j->info);
  j->height = png_get_image_height(j->png, j->info);
  if (png_get_channels(j->png, j->info) != 3 || png_get_bit_depth(j->png, j->info) != 8 ||
      png_get_rowbytes(j->png, j->info) != size_t(j->width) * 3)
    png_error(j->png, "unexpected pixel layout after conversion to 8-bit RGB");
  j->pixels = static_cast<uint8_t*>(std::malloc(size_t(j->width) * size_t(j->height) * 3));
  j->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * size_t(j->height)));
  if (j->pixels == nullptr || j->rows == nullptr) png_error(j->png, "out of memory");
  for (int64_t y = 0; y < j->height; ++y) j->rows[y] = j->pixels + size_t(y) * size_t(j->width) * 3;
  png_read_image(j->png, j->rows);
  // The chunks after the image data (IEND, text) are not read: a complete image is accepted as PIL does.
  png_destroy_read_struct(&j->png, &j->info, nullptr);
  std::free(j->rows);
  j->rows = nullptr;
  return true;
}

at::Tensor decode_png(const uint8_t* data, size_t size, const char* name, int32_t flags) {
  PngDecodeJob job;
  std::memset(&job, 0, sizeof job);
  job.data = data;
  job.size = size;
  job.orientation = 1;
  if (!run_png_decode(&job)) {
    if (job.too_large) throw ImageError(too_many_pixels_message(name, job.width, job.height));
    throw ImageError(quoted(name) + " is a corrupt or truncated PNG image: " + job.message);
  }
  auto image = adopt_rgb(job.pixels, job.height, job.width);
  if (flags & RC_IMAGE_KEEP_ORIENTATION) return image;
  return apply_orientation(image, job.orientation).contiguous();
}

// ------------------------------------------------------------------------------------------------
// PNG encode

struct PngEncodeJob {
  const uint8_t* pixels;
  int64_t width, height, channels;
  png_structp png;
  png_infop info;
  png_bytep* rows;  // malloc'd
  Bytes out;        // malloc'd
  char message[256];
};

void png_write_fail(png_structp png, png_const_charp msg) {
  auto* j = static_cast<PngEncodeJob*>(png_get_error_ptr(png));
  std::snprintf(j->message, sizeof j->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_write_memory(png_structp png, png_bytep data, png_size_t n) {
  auto* j = static_cast<PngEncodeJob*>(png_get_io_ptr(png));
  if (!bytes_reserve(&j->out, j->out.size + n)) png_error(png, "out of memory");
  std::memcpy(j->out.data + j->out.size, data, n);
  j->out.size += n;
}

void png_flush_memory(png_structp) {}

bool run_png_encode(PngEncodeJob* j) {
  j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_write_fail, png_note);
  if (j->png == nullptr) return false;
  j->info = png_create_info_struct(j->png);
  if (j->info == nullptr) {
    png_destroy_write_struct(&j->png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(j->png))) {
    png_destroy_write_struct(&j->png, &j->info);
    std::free(j->rows);
    j->rows = nullptr;
    return false;
  }
  png_set_write_fn(j->png, j, png_write_memory, png_flush_memory);
  // zlib's fastest level: 4-5x faster than the default (6) on a 640x480 scene, for ~15% more bytes;
  // PNGs here are visualizations and test outputs, written far more often than they are stored.
  png_set_compression_level(j->png, 1);
  png_set_IHDR(j->png, j->info, png_uint_32(j->width), png_uint_32(j->height), 8,
               j->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(j->png, j->info);
  j->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * size_t(j->height)));
  if (j->rows == nullptr) png_error(j->png, "out of memory");
  for (int64_t y = 0; y < j->height; ++y)
    j->rows[y] = const_cast<png_bytep>(j->pixels + size_t(y) * size_t(j->width) * size_t(j->channels));
  png_write_image(j->png, j->rows);
  png_write_end(j->png, nullptr);
  png_destroy_write_struct(&j->png, &j->info);
  std::free(j->rows);
  j->rows = nullptr;
  return true;
}

at::Tensor encode_png(rc_tensor image) {
  auto in = encoder_input(image, "PNG encoding");
  if (in.width > 0x7FFFFFFF || in.height > 0x7FFFFFFF) throw std::invalid_argument("image too large for PNG");
  PngEncodeJob job;
  std::memset(&job, 0, sizeof job);
  job.pixels = in.pixels.data_ptr<uint8_t>();
  job.width = in.width;
  job.height = in.height;
  job.channels = in.channels;
  std::snprintf(job.message, sizeof job.message, "out of memory");
  bool ok = run_png_encode(&job);
  at::Tensor out;
  if (ok) out = bytes_tensor(job.out);  // may throw (allocation); the buffer is freed below either way
  std::free(job.out.data);
  if (!ok) throw std::runtime_error(std::string("PNG encoding failed: ") + job.message);
  return out;
}

// ------------------------------------------------------------------------------------------------
// JPEG encode

struct JpegDestination {
  jpeg_destination_mgr pub;  // first member: libjpeg hands back a pointer to it
  Bytes* out;
};

void jpeg_dest_init(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<JpegDestination*>(cinfo->dest);
  if (!bytes_reserve(d->out, 1 << 16)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  d->pub.next_output_byte = d->out->data;
  d->pub.free_in_buffer = d->out->capacity;
}

boolean jpeg_dest_grow(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<JpegDestination*>(cinfo->dest);
  size_t used = d->out->capacity;  // libjpeg calls this only when the whole buffer is full
  if (!bytes_reserve(d->out, used * 2)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  d->pub.next_output_byte = d->out->data + used;
  d->pub.free_in_buffer = d->out->capacity - used;
  return TRUE;
}

void jpeg_dest_term(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<JpegDestination*>(cinfo->dest);
  d->out->size = d->out->capacity - d->pub.free_in_buffer;
}

struct JpegEncodeJob {
  const uint8_t* pixels;
  int64_t width, height, channels;
  int quality;
  jpeg_compress_struct cinfo;
  JpegError err;
  JpegDestination dest;
  Bytes out;  // malloc'd
};

bool run_jpeg_encode(JpegEncodeJob* j) {
  j->cinfo.err = jpeg_std_error(&j->err.pub);
  j->err.pub.error_exit = jpeg_fail;
  j->err.pub.emit_message = jpeg_quiet;
  if (setjmp(j->err.jump)) {
    jpeg_destroy_compress(&j->cinfo);
    return false;
  }
  jpeg_create_compress(&j->cinfo);
  j->dest.pub.init_destination = jpeg_dest_init;
  j->dest.pub.empty_output_buffer = jpeg_dest_grow;
  j->dest.pub.term_destination = jpeg_dest_term;
  j->dest.out = &j->out;
  j->cinfo.dest = &j->dest.pub;
  j->cinfo.image_width = JDIMENSION(j->width);
  j->cinfo.image_height = JDIMENSION(j->height);
  j->cinfo.input_components = int(j->channels);
  j->cinfo.in_color_space = j->channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&j->cinfo);
  jpeg_set_quality(&j->cinfo, j->quality, TRUE);
  jpeg_start_compress(&j->cinfo, TRUE);
  while (j->cinfo.next_scanline < j->cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(j->pixels + size_t(j->cinfo.next_scanline) * size_t(j->width) * size_t(j->channels));
    jpeg_write_scanlines(&j->cinfo, &row, 1);
  }
  jpeg_finish_compress(&j->cinfo);
  jpeg_destroy_compress(&j->cinfo);
  return true;
}

at::Tensor encode_jpeg(rc_tensor image, int32_t quality) {
  if (quality < 1 || quality > 100) throw std::invalid_argument("JPEG quality must be in 1..100, got " + std::to_string(quality));
  auto in = encoder_input(image, "JPEG encoding");
  if (in.width > JPEG_MAX_DIMENSION || in.height > JPEG_MAX_DIMENSION)
    throw std::invalid_argument("JPEG images are limited to " + std::to_string(JPEG_MAX_DIMENSION) + " pixels a side");
  JpegEncodeJob job;
  std::memset(&job, 0, sizeof job);
  job.pixels = in.pixels.data_ptr<uint8_t>();
  job.width = in.width;
  job.height = in.height;
  job.channels = in.channels;
  job.quality = quality;
  bool ok = run_jpeg_encode(&job);
  at::Tensor out;
  if (ok) out = bytes_tensor(job.out);
  std::free(job.out.data);
  if (!ok) throw std::runtime_error(std::string("JPEG encoding failed: ") + job.err.message);
  return out;
}

#endif  // RC_HAVE_IMAGE_CODECS

void require_codecs() {
#ifndef RC_HAVE_IMAGE_CODECS
  throw std::runtime_error("the native library was built without libjpeg/libpng (install libjpeg62-turbo-dev and libpng-dev, rebuild)");
#endif
}

at::Tensor decode_any(const uint8_t* data, size_t size, const char* name, int32_t flags) {
  require_codecs();
#ifdef RC_HAVE_IMAGE_CODECS
  switch (sniff(data, size)) {
    case RC_IMAGE_JPEG: return decode_jpeg(data, size, name, flags);
    case RC_IMAGE_PNG: return decode_png(data, size, name, flags);
    default: break;
  }
#endif
  throw ImageError(quoted(name) + " is not a JPEG or PNG image " + describe_unknown(data, size));
}

at::Tensor encode(rc_tensor image, bool png, int32_t quality) {
  require_codecs();
#ifdef RC_HAVE_IMAGE_CODECS
  return png ? encode_png(image) : encode_jpeg(image, quality);
#else
  return {};
#endif
}

}  // namespace

RC_API int32_t rc_image_codecs_available(void) {
#ifdef RC_HAVE_IMAGE_CODECS
  return 1;
#else
  return 0;
#endif
}

RC_API int32_t rc_image_set_max_pixels(int64_t limit) {
  return guard("image_set_max_pixels", [&] {
    if (limit < 1) throw std::invalid_argument("the pixel limit must be at least 1, got " + std::to_string(limit));
    max_pixels.store(limit);
  });
}

RC_API int64_t rc_image_max_pixels(void) { return max_pixels.load(); }

RC_API int32_t rc_image_sniff(const uint8_t* data, int64_t size, int32_t* format) {
  return guard("image_sniff", [&] {
    if (data == nullptr && size > 0) throw std::invalid_argument("null data");
    *format = sniff(data, size < 0 ? 0 : size_t(size));
  });
}

RC_API int32_t rc_image_read(const char* path, int32_t flags, rc_tensor* out) {
  return image_guard("image_read", [&] {
    auto bytes = read_file(path);
    *out = wrap(decode_any(bytes.data(), bytes.size(), path, flags));
  });
}

RC_API int32_t rc_image_decode(const uint8_t* data, int64_t size, const char* name, int32_t flags, rc_tensor* out) {
  return image_guard("image_decode", [&] {
    if (size < 0 || (data == nullptr && size > 0)) throw std::invalid_argument("invalid buffer");
    *out = wrap(decode_any(data, size_t(size), name, flags));
  });
}

RC_API int32_t rc_image_encode_png(rc_tensor image, rc_tensor* out) {
  return image_guard("image_encode_png", [&] { *out = wrap(encode(image, true, 0)); });
}

RC_API int32_t rc_image_encode_jpeg(rc_tensor image, int32_t quality, rc_tensor* out) {
  return image_guard("image_encode_jpeg", [&] { *out = wrap(encode(image, false, quality)); });
}

RC_API int32_t rc_image_write_png(rc_tensor image, const char* path) {
  return image_guard("image_write_png", [&] {
    auto bytes = encode(image, true, 0);
    write_file(path, bytes.data_ptr<uint8_t>(), size_t(bytes.numel()));
  });
}

RC_API int32_t rc_image_write_jpeg(rc_tensor image, const char* path, int32_t quality) {
  return image_guard("image_write_jpeg", [&] {
    auto bytes = encode(image, false, quality);
    write_file(path, bytes.data_ptr<uint8_t>(), size_t(bytes.numel()));
  });
}
