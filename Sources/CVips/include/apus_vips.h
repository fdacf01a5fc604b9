#ifndef APUS_VIPS_H
#define APUS_VIPS_H

#include <stddef.h>

// libvips' API is variadic (NULL-terminated option lists), which Swift cannot call: these
// fixed-argument wrappers are the whole surface Apus uses. libvips is loaded on the first call
// of `apus_vips_start`, not at process start: it drags in about a hundred shared libraries
// (tens of MiB of resident pages) that a server without thumbnail requests never needs.

/// Loads and starts libvips once: no operation cache (every thumbnail is made once, then
/// stored), and every loader blocked except JPEG, PNG, GIF and WebP, so a crafted upload can
/// never reach the SVG, PDF, ImageMagick or other large decoders. -1 when libvips is missing.
int apus_vips_start(void);

/// Reads only the header: the dimensions of the first frame, without decoding pixels.
int apus_vips_dimensions(const char *path, int *width, int *height);

/// A thumbnail that fits `width`×`height` (`crop`: fills it, centre-cropped), never upscaled,
/// EXIF-rotated, metadata stripped; JPEG (quality 80) or PNG. Free `*buffer` with `apus_vips_free`.
int apus_vips_thumbnail(const char *path, int width, int height, int crop, int jpeg, void **buffer, size_t *length);

/// A synthetic RGB gradient encoded by suffix (".png", ".jpg", ".gif", ".webp"), for tests and
/// benchmarks. Free `*buffer` with `apus_vips_free`.
int apus_vips_test_image(int width, int height, const char *suffix, void **buffer, size_t *length);

/// Frees a buffer libvips returned.
void apus_vips_free(void *buffer);

#endif
