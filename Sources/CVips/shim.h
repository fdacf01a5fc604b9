#include <vips/vips.h>

// libvips' API is variadic (NULL-terminated option lists), which Swift cannot call: these
// fixed-argument wrappers are the whole surface Apus uses.

/// Starts libvips once: no operation cache (every thumbnail is made once, then stored), and
/// every loader blocked except JPEG, PNG, GIF and WebP, so a crafted upload can never reach
/// the SVG, PDF, ImageMagick or other large decoders.
static inline int apus_vips_start(void) {
    if (VIPS_INIT("apus") != 0) return -1;
    vips_cache_set_max(0);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    return 0;
}

/// Reads only the header: the dimensions of the first frame, without decoding pixels.
static inline int apus_vips_dimensions(const char *path, int *width, int *height) {
    VipsImage *image = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (image == NULL) { vips_error_clear(); return -1; }
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    g_object_unref(image);
    return 0;
}

/// A thumbnail that fits `width`×`height` (`crop`: fills it, centre-cropped), never upscaled,
/// EXIF-rotated, metadata stripped; JPEG (quality 80) or PNG. Free `*buffer` with g_free.
static inline int apus_vips_thumbnail(const char *path, int width, int height, int crop, int jpeg,
                                      void **buffer, size_t *length) {
    VipsImage *thumb = NULL;
    int failed = crop
        ? vips_thumbnail(path, &thumb, width, "height", height, "size", VIPS_SIZE_DOWN,
                         "crop", VIPS_INTERESTING_CENTRE, NULL)
        : vips_thumbnail(path, &thumb, width, "height", height, "size", VIPS_SIZE_DOWN, NULL);
    if (failed) { vips_error_clear(); return -1; }
    failed = jpeg
        ? vips_jpegsave_buffer(thumb, buffer, length, "Q", 80, "strip", TRUE, NULL)
        : vips_pngsave_buffer(thumb, buffer, length, "strip", TRUE, NULL);
    g_object_unref(thumb);
    if (failed) { vips_error_clear(); return -1; }
    return 0;
}

/// A synthetic RGB gradient encoded by suffix (".png", ".jpg", ".gif", ".webp"), for tests and
/// benchmarks. Free `*buffer` with g_free.
static inline int apus_vips_test_image(int width, int height, const char *suffix, void **buffer, size_t *length) {
    VipsImage *xy = NULL, *rgb = NULL, *bytes = NULL;
    int failed = vips_xyz(&xy, width, height, NULL);
    if (!failed) failed = vips_bandjoin_const1(xy, &rgb, 128.0, NULL);
    if (!failed) failed = vips_cast_uchar(rgb, &bytes, NULL);
    if (!failed) failed = vips_image_write_to_buffer(bytes, suffix, buffer, length, NULL);
    if (xy) g_object_unref(xy);
    if (rgb) g_object_unref(rgb);
    if (bytes) g_object_unref(bytes);
    if (failed) { vips_error_clear(); return -1; }
    return 0;
}
