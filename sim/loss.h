/* sim/loss.h (internal): softmax cross-entropy, the loss every model trains on. */
#ifndef CTXLAB_SIM_LOSS_H
#define CTXLAB_SIM_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* For n rows of logits (n, V) and their targets: returns the sum over rows of
 * -ln softmax(logits)[target] in nats (accumulated in double, in a fixed
 * order: the same bits for any number of threads).  When dlogits is not NULL
 * it gets scale * (softmax - onehot(target)), the gradient of scale * that
 * sum.  A NaN or +inf logit makes the result non-finite. */
double ctxlab_xent(const float *logits, const uint32_t *targets, size_t n, uint32_t V, float scale,
                   float *dlogits, int threads);

/* log softmax of one row, in double: out[x] = logits[x] - logsumexp(logits). */
void ctxlab_log_softmax(const float *logits, uint32_t V, double *out);

#endif
