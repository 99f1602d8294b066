#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::test {

namespace {
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    for (const auto& d : dirs) {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  }
};
TempDirs& temp_dirs() {
  static TempDirs t;
  return t;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string temp_dir() {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto p = base / ("fluxgen-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      temp_dirs().dirs.push_back(p.string());
      return p.string();
    }
  }
  fail("cannot create a temporary directory");
}

bool fluxgen_built() { return std::string(FLUXGEN_BINARY).size() > 0; }

CommandResult run_fluxgen(const std::vector<std::string>& args) {
  check(fluxgen_built(), "the fluxgen program was not built");
  return run_program(FLUXGEN_BINARY, args);
}

std::string random_models_binary() { return FLUXGEN_RANDOM_MODELS_BINARY; }

CommandResult run_program(const std::string& binary, const std::vector<std::string>& args) {
  const std::string dir = temp_dir();
  std::string cmd = shell_quote(binary);
  // Appends rather than `" " + ...` temporaries: GCC 12 reports a false -Wrestrict on those.
  for (const auto& a : args) cmd.append(" ").append(shell_quote(a));
  cmd.append(" >").append(shell_quote(dir + "/out")).append(" 2>").append(shell_quote(dir + "/err"));
  cmd.append(" </dev/null");
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

}  // namespace fluxgen::test
