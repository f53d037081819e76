/* sim/sim_data.h (internal): windows of T+1 tokens as model inputs and targets. */
#ifndef CTXLAB_SIM_DATA_H
#define CTXLAB_SIM_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* windows (B, T+1) -> inputs (B, T) = tokens 0..T-1, targets (B, T) = 1..T. */
static inline void ctxlab_split_windows(const uint32_t *windows, size_t B, size_t T,
                                        uint32_t *inputs, uint32_t *targets) {
  for (size_t b = 0; b < B; ++b) {
    memcpy(inputs + b * T, windows + b * (T + 1), T * sizeof(uint32_t));
    memcpy(targets + b * T, windows + b * (T + 1) + 1, T * sizeof(uint32_t));
  }
}

#endif
