// libvips' declarations only: `CVips` loads the library itself, on first use.
#include <vips/vips.h>
