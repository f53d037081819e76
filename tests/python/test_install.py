"""`cmake --install` gives a usable library: headers, static and shared
libraries, a pkg-config file and a CMake package, with which
examples/truth.c builds and runs."""
import os
import subprocess

from ctxlab_testlib import check, main, tempdir

BUILD = os.environ["CTXLAB_BUILD_DIR"]
SOURCE = os.environ["CTXLAB_SOURCE_DIR"]
SANITIZE = os.environ.get("CTXLAB_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")
SAN_FLAGS = ["-fsanitize=address,undefined"] if SANITIZE else []


def sh(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" % (" ".join(args), p.returncode, p.stdout[-3000:],
                                                      p.stderr[-3000:]))
    return p.stdout


def install(prefix):
    sh(["cmake", "--install", BUILD, "--prefix", prefix])
    lib = os.path.join(prefix, "lib")
    for name in ["libctxlab.a", "libctxlab.so", "pkgconfig/ctxlab.pc",
                 "cmake/ctxlab/ctxlabConfig.cmake", "cmake/ctxlab/ctxlabTargets.cmake"]:
        assert os.path.exists(os.path.join(lib, name)), name
    for header in ["error.h", "rng.h", "lang.h", "theory.h", "tokens.h", "dataset.h", "version.h"]:
        assert os.path.exists(os.path.join(prefix, "include", "ctxlab", header)), header
    assert os.path.exists(os.path.join(prefix, "bin", "ctxlab"))
    return lib


def check_truth_program(exe, lib):
    env = dict(os.environ, LD_LIBRARY_PATH=lib)
    out = sh([exe, "weather", "3"], env=env)
    assert out.startswith("weather (markov, 3 tokens): entropy rate"), out
    assert out.count("H(") == 4, out


@check
def pkg_config_consumer():
    with tempdir() as d:
        lib = install(d)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig"))
        flags = sh(["pkg-config", "--cflags", "--libs", "ctxlab"], env=env).split()
        exe = os.path.join(d, "truth")
        sh(["cc", os.path.join(SOURCE, "examples", "truth.c"), "-o", exe] + flags + SAN_FLAGS +
           ["-Wl,-rpath," + lib])
        check_truth_program(exe, lib)


@check
def cmake_package_consumer():
    with tempdir() as d:
        lib = install(os.path.join(d, "prefix"))
        project = os.path.join(d, "consumer")
        os.mkdir(project)
        with open(os.path.join(project, "CMakeLists.txt"), "w") as f:
            f.write("cmake_minimum_required(VERSION 3.18)\nproject(consumer C)\n"
                    "find_package(ctxlab 0.1 REQUIRED)\n"
                    "add_executable(truth %s)\n"
                    "target_link_libraries(truth PRIVATE ctxlab::ctxlab)\n" %
                    os.path.join(SOURCE, "examples", "truth.c"))
        out = os.path.join(d, "build")
        sh(["cmake", "-S", project, "-B", out, "-DCMAKE_PREFIX_PATH=" + os.path.join(d, "prefix")])
        sh(["cmake", "--build", out])
        check_truth_program(os.path.join(out, "truth"), lib)


if __name__ == "__main__":
    main()
