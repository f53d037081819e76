/* Named languages: `ctxlab list` shows them; any SPEC argument may name one. */
#include <string.h>

#include "ctxlab/lang.h"

static const ctxlab_preset presets[] = {
    {"santa-fe",
     "latent, 1024 slow chains, Zipf weights w_j ~ (j+1)^(-4/3): bipartite MI grows as a power "
     "law, exponent 0.7505 fitted over lengths 256..4096 (Hilberg's law, beta ~ 1/s; L2M "
     "measured 0.76 on PG19)",
     "{\"family\": \"latent\", \"chains\": 1024, \"timescales\": {\"min\": 1e6, \"max\": 1e6},"
     " \"weights\": {\"zipf\": 1.3333333333333333}, \"noise\": 0}"},
    {"santa-fe-small",
     "latent, 8 chains with timescales 8..512 and Zipf weights w_j ~ (j+1)^(-4/3): a Santa Fe-style "
     "language small enough that the best n-gram order grows from 1 to 4 as the data grows from "
     "10^3 to 10^7 tokens (the demo's language)",
     "{\"family\": \"latent\", \"chains\": 8, \"timescales\": {\"min\": 8, \"max\": 512},"
     " \"weights\": {\"zipf\": 1.3333333333333333}, \"noise\": 0}"},
    {"two-facts",
     "latent, 2 chains (4 tokens), one fast (tau = 4) and one slow (tau = 64): a teaching example "
     "whose H(c), I(d) and S(c) can be worked by hand",
     "{\"family\": \"latent\", \"chains\": 2, \"timescales\": [4, 64], \"weights\": \"uniform\","
     " \"noise\": 0}"},
    {"noisy-facts",
     "latent, 8 chains observed through 10% noise: H(c) by Monte Carlo with exact per-chain "
     "filters, entropy rate bounded",
     "{\"family\": \"latent\", \"chains\": 8, \"timescales\": {\"min\": 4, \"max\": 512},"
     " \"weights\": {\"zipf\": 1}, \"noise\": 0.1}"},
    {"weather",
     "markov, order 1 over 3 tokens (sunny, cloudy, rainy): a chain small enough to check by hand",
     "{\"family\": \"markov\", \"vocab\": 3, \"order\": 1, \"transitions\": "
     "[[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]]}"},
    {"random-bigram",
     "markov, order 1 over 256 tokens, Dirichlet(1) rows (language seed 1): the generation "
     "benchmark's language",
     "{\"family\": \"markov\", \"vocab\": 256, \"order\": 1, \"concentration\": 1, \"seed\": 1}"},
    {"tuned-trigram",
     "markov, order 2 over 16 tokens, Dirichlet(0.5) rows tempered to an entropy rate of exactly "
     "2 bits",
     "{\"family\": \"markov\", \"vocab\": 16, \"order\": 2, \"concentration\": 0.5, \"seed\": 7,"
     " \"target_entropy_bits\": 2}"},
    {NULL, NULL, NULL}};

const ctxlab_preset *ctxlab_preset_list(void) { return presets; }

const ctxlab_preset *ctxlab_preset_find(const char *name) {
  for (const ctxlab_preset *p = presets; p->name; ++p)
    if (strcmp(p->name, name) == 0) return p;
  return NULL;
}
