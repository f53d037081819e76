/* truth: print the entropy rate and H(c) of a language, using the installed
 * library.  Build against an installed ctxlab:
 *   cc truth.c $(pkg-config --cflags --libs ctxlab) -o truth
 * or with CMake: find_package(ctxlab) and link ctxlab::ctxlab.
 * Usage: truth [SPEC [L]]   (default: santa-fe 16) */
#include <stdio.h>
#include <stdlib.h>

#include <ctxlab/theory.h>

int main(int argc, char **argv) {
  const char *spec = argc > 1 ? argv[1] : "santa-fe";
  ctxlab_theory_options opts;
  ctxlab_theory_options_init(&opts);
  if (argc > 2) opts.max_context = (size_t)strtoul(argv[2], NULL, 10);

  ctxlab_lang *lang;
  ctxlab_error err;
  if (ctxlab_lang_new(spec, &lang, &err)) {
    fprintf(stderr, "truth: %s\n", err.message);
    return 2;
  }
  ctxlab_truth truth;
  if (ctxlab_theory_compute(lang, &opts, &truth, &err)) {
    fprintf(stderr, "truth: %s\n", err.message);
    ctxlab_lang_free(lang);
    return ctxlab_status_is_input_error(err.status) ? 2 : 1;
  }
  printf("%s (%s, %u tokens): entropy rate %.6f bits (%s)\n", spec, ctxlab_lang_family(lang),
         ctxlab_lang_vocab_size(lang), truth.entropy_rate_bits,
         ctxlab_method_name(truth.entropy_rate_method));
  for (size_t c = 0; c < truth.conditional_entropy.n; ++c)
    printf("H(%zu) = %.6f\n", c, truth.conditional_entropy.bits[c]);
  ctxlab_truth_free(&truth);
  ctxlab_lang_free(lang);
  return 0;
}
