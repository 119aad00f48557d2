#include <xigrad/optim/atomic_file.hpp>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <xigrad/autodiff/error.hpp>

namespace fs = std::filesystem;
using xi::optim::write_file_atomically;

namespace {

/// A fresh directory per test, removed afterwards.
class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("xigrad_atomic_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void write_plain(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  /// Names of the entries of the test directory.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesNewFile) {
  const fs::path target = dir_ / "out.txt";
  write_file_atomically(target, "hello\nworld\n");
  EXPECT_EQ(read(target), "hello\nworld\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, WritesEmptyAndBinaryContents) {
  const fs::path target = dir_ / "empty";
  write_file_atomically(target, "");
  EXPECT_TRUE(fs::exists(target));
  EXPECT_EQ(fs::file_size(target), 0u);

  const std::string binary("a\0b\xff", 4);
  write_file_atomically(target, binary);
  EXPECT_EQ(read(target), binary);
}

TEST_F(AtomicFileTest, ReplacesExistingFileAndKeepsItsPermissions) {
  const fs::path target = dir_ / "model.json";
  write_plain(target, "old contents that are longer than the new ones");
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  write_file_atomically(target, "new");
  EXPECT_EQ(read(target), "new");
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(entries(), std::vector<std::string>{"model.json"});
}

TEST_F(AtomicFileTest, RelativePathInCurrentDirectory) {
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir_);
  write_file_atomically("relative.txt", "x");
  fs::current_path(old_cwd);
  EXPECT_EQ(read(dir_ / "relative.txt"), "x");
}

TEST_F(AtomicFileTest, TargetIsADirectory) {
  const fs::path target = dir_ / "target";
  fs::create_directory(target);
  write_plain(target / "inside.txt", "keep");
  try {
    write_file_atomically(target, "data");
    FAIL() << "expected xi::Error";
  } catch (const xi::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(target.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
  }
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(read(target / "inside.txt"), "keep");
  EXPECT_EQ(entries(), std::vector<std::string>{"target"}) << "temporary file left behind";
}

TEST_F(AtomicFileTest, MissingParentDirectory) {
  const fs::path target = dir_ / "no" / "such" / "dir" / "file.csv";
  try {
    write_file_atomically(target, "data");
    FAIL() << "expected xi::Error";
  } catch (const xi::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(target.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, EmptyPathIsAnError) {
  EXPECT_THROW(write_file_atomically("", "data"), xi::Error);
}

// A write that fails half way (here: the file-size limit of the process, which even root
// cannot bypass) leaves the old file untouched and removes the temporary file.
TEST_F(AtomicFileTest, FailedWriteLeavesOldFileIntact) {
  const fs::path target = dir_ / "state.bin";
  write_plain(target, "old contents");

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 64;
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    write_file_atomically(target, std::string(100000, 'x'));
  } catch (const xi::Error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_NE(error.find(target.string()), std::string::npos)
      << "no error or wrong message: " << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  EXPECT_EQ(read(target), "old contents");
  EXPECT_EQ(entries(), std::vector<std::string>{"state.bin"}) << "temporary file left behind";
}

TEST_F(AtomicFileTest, UnwritableDirectoryLeavesOldFileIntact) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path target = dir_ / "trace.csv";
  write_plain(target, "old");
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_file_atomically(target, "new"), xi::Error);
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(read(target), "old");
  EXPECT_EQ(entries(), std::vector<std::string>{"trace.csv"});
}

// Concurrent writers never share a temporary file: the result is one complete version.
TEST_F(AtomicFileTest, ConcurrentWritersProduceOneCompleteVersion) {
  const fs::path target = dir_ / "shared.txt";
  std::vector<std::string> versions;
  for (char c = 'a'; c < 'i'; ++c) versions.emplace_back(20000, c);
  std::vector<std::thread> threads;
  for (const std::string& v : versions) {
    threads.emplace_back([&target, &v] {
      for (int i = 0; i < 5; ++i) write_file_atomically(target, v);
    });
  }
  for (auto& t : threads) t.join();
  const std::string result = read(target);
  EXPECT_NE(std::find(versions.begin(), versions.end(), result), versions.end());
  EXPECT_EQ(entries(), std::vector<std::string>{"shared.txt"});
}

}  // namespace
