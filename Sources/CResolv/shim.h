#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <string.h>

/// Queries the SRV records of `name` (class IN, type 33) into `answer`; returns the answer's
/// length, or -1 when there is none or the lookup failed. A private resolver state keeps
/// concurrent lookups on different threads independent.
static inline int apus_query_srv(const char *name, unsigned char *answer, int answerLength) {
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return -1;
    int length = res_nquery(&state, name, 1, 33, answer, answerLength);
    res_nclose(&state);
    return length;
}
