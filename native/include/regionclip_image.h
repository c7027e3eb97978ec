/* Image codecs: JPEG (libjpeg-turbo) and PNG (libpng) to and from RGB uint8 tensors [H, W, 3].
 * Included by regionclip.h; not meant to be included alone.
 *
 * Decoding follows what PIL's Image.open(f) + ImageOps.exif_transpose + .convert("RGB") yields:
 * grayscale is replicated, CMYK/YCCK JPEGs are converted with PIL's formula (Adobe inverted CMYK),
 * alpha is dropped (not composited), 16-bit samples keep their high byte, palettes are expanded,
 * and the EXIF orientation (IFD0 tag 0x0112 of a JPEG's APP1 segment or a PNG's eXIf chunk before
 * the image data) is applied unless RC_IMAGE_KEEP_ORIENTATION.
 * Corrupt or truncated data is an RC_ERROR whose message names the file; so is a JPEG whose first
 * scan stops before half the image (a header with almost no data), a progressive one with more
 * than 500 scans (fewer for big images: 4e9 pixels decoded over all scans at most), and any image
 * over the pixel limit below. */

/* rc_image_read / rc_image_decode flags */
enum { RC_IMAGE_KEEP_ORIENTATION = 1 };
/* rc_image_resize filters (PIL's codes) */
enum { RC_RESAMPLE_BILINEAR = 2, RC_RESAMPLE_BICUBIC = 3 };
/* rc_image_sniff results */
enum { RC_IMAGE_UNKNOWN = 0, RC_IMAGE_JPEG = 1, RC_IMAGE_PNG = 2 };

/* 1 when the shim was built with libjpeg and libpng, else 0 (every other call then fails). */
int32_t rc_image_codecs_available(void);
/* Decoding refuses an image whose header declares more than this many pixels (width * height),
 * before allocating anything: PIL's decompression-bomb limit, 178956970, by default. Process-wide;
 * the setter fails for a limit below 1. */
int32_t rc_image_set_max_pixels(int64_t limit);
int64_t rc_image_max_pixels(void);
/* The format the first bytes announce (RC_IMAGE_*), from the magic numbers only. */
int32_t rc_image_sniff(const uint8_t* data, int64_t size, int32_t* format);
/* Decodes a JPEG or PNG file into a new uint8 tensor [H, W, 3] (RGB). */
int32_t rc_image_read(const char* path, int32_t flags, rc_tensor* out);
/* Same from memory; `name` (UTF-8, may be NULL) labels error messages. */
int32_t rc_image_decode(const uint8_t* data, int64_t size, const char* name, int32_t flags, rc_tensor* out);
/* PIL's Image.resize of a uint8 image [H, W, C] to [out_h, out_w, C], bit for bit: separable,
 * antialiased when shrinking (the kernel widens with the scale), horizontal pass first, 22-bit
 * fixed-point weights, rounding to uint8 after each pass. Needs no codec library. */
int32_t rc_image_resize(rc_tensor image, int64_t out_h, int64_t out_w, int32_t filter, rc_tensor* out);
/* Encodes a uint8 [H, W, 3] (RGB) or [H, W] / [H, W, 1] (gray) tensor; the file bytes come back
 * as a new 1-D uint8 tensor. quality: 1..100 (libjpeg's scale; 4:2:0 chroma, as PIL's default). */
int32_t rc_image_encode_png(rc_tensor image, rc_tensor* out);
int32_t rc_image_encode_jpeg(rc_tensor image, int32_t quality, rc_tensor* out);
/* Encodes and writes to `path` (created or replaced). */
int32_t rc_image_write_png(rc_tensor image, const char* path);
int32_t rc_image_write_jpeg(rc_tensor image, const char* path, int32_t quality);
