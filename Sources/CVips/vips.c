#include "apus_vips.h"

#include <dlfcn.h>
#include <vips/vips.h>

// Entry points resolved with dlsym, typed from libvips' own declarations.
#define APUS_VIPS_FUNCTIONS(X) \
    X(vips_init) X(vips_cache_set_max) X(vips_block_untrusted_set) X(vips_operation_block_set) \
    X(vips_image_new_from_file) X(vips_image_get_width) X(vips_image_get_height) X(vips_error_clear) \
    X(vips_thumbnail) X(vips_jpegsave_buffer) X(vips_pngsave_buffer) X(vips_xyz) X(vips_bandjoin_const1) \
    X(vips_cast_uchar) X(vips_image_write_to_buffer) X(g_object_unref) X(g_free)

#define APUS_DECLARE(name) static __typeof__(name) *p_##name;
APUS_VIPS_FUNCTIONS(APUS_DECLARE)

int apus_vips_start(void) {
    void *library = dlopen("libvips.so.42", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) library = dlopen("libvips.so", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return -1;
#define APUS_RESOLVE(name) if ((p_##name = (__typeof__(name) *)dlsym(library, #name)) == NULL) return -1;
    APUS_VIPS_FUNCTIONS(APUS_RESOLVE)
    if (p_vips_init("apus") != 0) return -1;
    p_vips_cache_set_max(0);
    p_vips_block_untrusted_set(TRUE);
    p_vips_operation_block_set("VipsForeignLoad", TRUE);
    p_vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    p_vips_operation_block_set("VipsForeignLoadPng", FALSE);
    p_vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
    p_vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    return 0;
}

int apus_vips_dimensions(const char *path, int *width, int *height) {
    VipsImage *image = p_vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (image == NULL) { p_vips_error_clear(); return -1; }
    *width = p_vips_image_get_width(image);
    *height = p_vips_image_get_height(image);
    p_g_object_unref(image);
    return 0;
}

int apus_vips_thumbnail(const char *path, int width, int height, int crop, int jpeg, void **buffer, size_t *length) {
    VipsImage *thumb = NULL;
    int failed = crop
        ? p_vips_thumbnail(path, &thumb, width, "height", height, "size", VIPS_SIZE_DOWN,
                           "crop", VIPS_INTERESTING_CENTRE, NULL)
        : p_vips_thumbnail(path, &thumb, width, "height", height, "size", VIPS_SIZE_DOWN, NULL);
    if (failed) { p_vips_error_clear(); return -1; }
    failed = jpeg
        ? p_vips_jpegsave_buffer(thumb, buffer, length, "Q", 80, "strip", TRUE, NULL)
        : p_vips_pngsave_buffer(thumb, buffer, length, "strip", TRUE, NULL);
    p_g_object_unref(thumb);
    if (failed) { p_vips_error_clear(); return -1; }
    return 0;
}

int apus_vips_test_image(int width, int height, const char *suffix, void **buffer, size_t *length) {
    VipsImage *xy = NULL, *rgb = NULL, *bytes = NULL;
    int failed = p_vips_xyz(&xy, width, height, NULL);
    if (!failed) failed = p_vips_bandjoin_const1(xy, &rgb, 128.0, NULL);
    if (!failed) failed = p_vips_cast_uchar(rgb, &bytes, NULL);
    if (!failed) failed = p_vips_image_write_to_buffer(bytes, suffix, buffer, length, NULL);
    if (xy) p_g_object_unref(xy);
    if (rgb) p_g_object_unref(rgb);
    if (bytes) p_g_object_unref(bytes);
    if (failed) { p_vips_error_clear(); return -1; }
    return 0;
}

void apus_vips_free(void *buffer) {
    p_g_free(buffer);
}
