// Every command shown in docs/tutorial.md, docs/cli.md and docs/reliability.md is run against the
// built binary and its output compared with the output shown under it, so the docs cannot drift.
//
// In a ```console block, a line "$ xigrad ARGS" is run as a shell would (stdout and stderr
// together), and the lines up to the next "$ " line or the end of the block are its expected
// output. "$ echo $?" checks the exit status of the command before it. Lines are compared word
// by word; two words that are both numbers may differ in the last digits (rounding differs
// between libm versions: a relative 1e-4, or 1e-9 absolute for values that are zero up to
// rounding).

#include <sys/wait.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

struct Example {
  int line = 0;         // in the doc, 1-based
  std::string command;  // after "$ xigrad"
  std::vector<std::string> output;
  bool check_status = false;
  int status = 0;
};

std::vector<Example> examples_in(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<Example> out;
  bool block = false;
  Example* current = nullptr;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      block = line.rfind("```console", 0) == 0;
      current = nullptr;
      continue;
    }
    if (!block) continue;
    if (line.rfind("$ xigrad", 0) == 0) {
      out.push_back({n, line.substr(8), {}, false, 0});
      current = &out.back();
    } else if (line.rfind("$ echo $?", 0) == 0) {
      EXPECT_NE(current, nullptr) << path << ":" << n << ": '$ echo $?' with no command before it";
      if (current == nullptr) continue;
      std::string status;
      if (!std::getline(in, status)) break;
      ++n;
      current->check_status = true;
      current->status = std::stoi(status);
    } else if (line.rfind("$ ", 0) == 0) {
      ADD_FAILURE() << path << ":" << n << ": the docs test runs only '$ xigrad' and '$ echo $?'";
    } else if (current != nullptr) {
      current->output.push_back(line);
    }
  }
  return out;
}

struct Outcome {
  int status = -1;
  std::vector<std::string> lines;
};

// Commands run from the top of the source tree, as a reader of the docs would from a clone (so
// `--data ../shared/data/Heart.csv` finds the lecture's data); the docs tested here write no file.
Outcome run(const std::string& args) {
  const std::string cmd =
      std::string("cd '") + XIGRAD_SOURCE_DIR + "' && '" + XIGRAD_CLI_BINARY + "'" + args + " 2>&1";
  Outcome r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::string text;
  std::array<char, 4096> buf{};
  std::size_t k = 0;
  while ((k = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), k);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::istringstream s(text);
  std::string line;
  while (std::getline(s, line)) r.lines.push_back(line);
  return r;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream s(line);
  std::vector<std::string> w;
  std::string x;
  while (s >> x) w.push_back(x);
  return w;
}

bool as_number(const std::string& s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool same_line(const std::string& want, const std::string& got) {
  const auto a = words(want), b = words(got);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    // A number in JSON is followed by a comma; compare the numbers.
    std::string u = a[i], v = b[i];
    if (!u.empty() && u.back() == ',' && !v.empty() && v.back() == ',') {
      u.pop_back();
      v.pop_back();
    }
    double x = 0, y = 0;
    if (!as_number(u, x) || !as_number(v, y)) return false;
    if (std::abs(x - y) > std::max(1e-9, 1e-4 * std::max(std::abs(x), std::abs(y)))) return false;
  }
  return true;
}

void check_doc(const std::string& name, std::size_t at_least) {
  const std::string path = std::string(XIGRAD_SOURCE_DIR) + "/docs/" + name;
  const auto examples = examples_in(path);
  EXPECT_GE(examples.size(), at_least) << path;
  for (const Example& ex : examples) {
    SCOPED_TRACE(path + ":" + std::to_string(ex.line) + ": $ xigrad" + ex.command);
    const Outcome r = run(ex.command);
    if (ex.check_status) {
      EXPECT_EQ(r.status, ex.status);
    }
    std::string got;
    for (const auto& l : r.lines) got += l + "\n";
    ASSERT_EQ(r.lines.size(), ex.output.size()) << "output:\n" << got;
    for (std::size_t i = 0; i < ex.output.size(); ++i) {
      EXPECT_TRUE(same_line(ex.output[i], r.lines[i]))
          << "line " << i + 1 << "\n  doc: " << ex.output[i] << "\n  got: " << r.lines[i];
    }
  }
}

TEST(Docs, TutorialCommandsProduceTheOutputShown) {
  check_doc("tutorial.md", 9);
}

TEST(Docs, CliReferenceCommandsProduceTheOutputShown) {
  check_doc("cli.md", 5);
}

TEST(Docs, ReliabilityCommandsProduceTheOutputShown) {
  check_doc("reliability.md", 5);
}

}  // namespace
