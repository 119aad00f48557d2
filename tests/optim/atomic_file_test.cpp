#include <xigrad/optim/atomic_file.hpp>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <xigrad/autodiff/error.hpp>
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using xi::optim::check_output_path;
using xi::optim::TempFileMethod;
using xi::optim::write_file_atomically;

namespace {

class AtomicFileTest : public xi::test::TempDirTest {
 protected:
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
TEST_F(AtomicFileTest, ConcurrentWriterThreadsProduceOneCompleteVersion) {
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

// ---------------------------------------------------------------- the output-path policy

/// The message of the xi::InputError that `f` throws ("" when it throws none).
template <class F>
std::string input_error_of(F f) {
  try {
    f();
  } catch (const xi::InputError& e) {
    return e.what();
  }
  return "";
}

TEST_F(AtomicFileTest, RefusesAFifoAndLeavesIt) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const TempFileMethod m : {TempFileMethod::automatic, TempFileMethod::named}) {
    const std::string msg = input_error_of([&] { write_file_atomically(fifo, "data", m); });
    EXPECT_EQ(msg, fifo.string() +
                       ": not a regular file (a FIFO): refusing to replace it with an output file");
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  }
  EXPECT_EQ(
      input_error_of([&] { check_output_path(fifo); }),
      fifo.string() + ": not a regular file (a FIFO): refusing to replace it with an output file");
  EXPECT_EQ(entries(), std::vector<std::string>{"pipe"});
}

// A symbolic link to a device (here: to our own FIFO, never a real device) is refused and names
// where it leads; the link stays a link.
TEST_F(AtomicFileTest, RefusesASymlinkToANonRegularFile) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path link = dir_ / "out.svg";
  fs::create_symlink("pipe", link);
  const std::string msg = input_error_of([&] { write_file_atomically(link, "data"); });
  EXPECT_EQ(msg, link.string() +
                     ": not a regular file (a FIFO): refusing to replace it with an "
                     "output file (the symbolic link leads to " +
                     (dir_ / "pipe").string() + ")");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST_F(AtomicFileTest, WritesThroughASymlinkChainToItsTarget) {
  fs::create_directory(dir_ / "real");
  const fs::path target = dir_ / "real" / "trace.csv";
  write_plain(target, "old");
  fs::create_symlink("real/trace.csv", dir_ / "b");  // relative to the link's directory
  fs::create_symlink(dir_ / "b", dir_ / "a");        // absolute
  for (const TempFileMethod m : {TempFileMethod::automatic, TempFileMethod::named}) {
    write_file_atomically(dir_ / "a", m == TempFileMethod::named ? "named" : "new", m);
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "a")));
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "b")));
    EXPECT_EQ(read(target), m == TempFileMethod::named ? "named" : "new");
  }
  EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b", "real"}));
  std::vector<std::string> in_real;
  for (const auto& e : fs::directory_iterator(dir_ / "real"))
    in_real.push_back(e.path().filename());
  EXPECT_EQ(in_real, std::vector<std::string>{"trace.csv"});
  EXPECT_EQ(xi::optim::resolve_output_path(dir_ / "a"), dir_ / "real" / "trace.csv");
}

TEST_F(AtomicFileTest, ADanglingSymlinkCreatesItsTarget) {
  fs::create_symlink("made.txt", dir_ / "link");
  write_file_atomically(dir_ / "link", "x");
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "link")));
  EXPECT_EQ(read(dir_ / "made.txt"), "x");
}

TEST_F(AtomicFileTest, ASymlinkLoopIsRefused) {
  fs::create_symlink("b", dir_ / "a");
  fs::create_symlink("a", dir_ / "b");
  const std::string msg = input_error_of([&] { write_file_atomically(dir_ / "a", "x"); });
  EXPECT_EQ(msg, (dir_ / "a").string() + ": more than 40 symbolic links (a loop?)");
}

TEST_F(AtomicFileTest, CheckOutputPathBeforeAnyWork) {
  EXPECT_EQ(input_error_of([] { check_output_path(""); }),
            "an empty path was given for an output file");
  const fs::path missing = dir_ / "no" / "x.ckpt";
  EXPECT_EQ(input_error_of([&] { check_output_path(missing); }),
            missing.string() + ": the directory " + (dir_ / "no").string() + " does not exist");
  write_plain(dir_ / "file", "f");
  EXPECT_EQ(
      input_error_of([&] { check_output_path(dir_ / "file" / "x"); }),
      (dir_ / "file" / "x").string() + ": " + (dir_ / "file").string() + " is not a directory");
  fs::create_directory(dir_ / "d");
  EXPECT_EQ(input_error_of([&] { check_output_path(dir_ / "d"); }),
            (dir_ / "d").string() + ": is a directory; give a file name");
  EXPECT_EQ(check_output_path(dir_ / "new.svg"), dir_ / "new.svg");
  EXPECT_EQ(check_output_path(dir_ / "file"), dir_ / "file");
  EXPECT_EQ(entries(), (std::vector<std::string>{"d", "file"})) << "the probe left a file";
}

// ---------------------------------------------------------------- a writer killed mid-write

/// Forks a child that writes 1 MB to `target` and is killed with SIGKILL in the middle of the
/// write: the file-size limit stops the write after 64 bytes with SIGXFSZ, whose handler sends
/// SIGKILL (so nothing of the writer runs after that, as with `kill -9`).
void kill_writer_mid_write(const fs::path& target, TempFileMethod method) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    rlimit small{64, 64};
    std::signal(SIGXFSZ, [](int) { ::kill(::getpid(), SIGKILL); });
    ::setrlimit(RLIMIT_FSIZE, &small);
    try {
      write_file_atomically(target, std::string(1 << 20, 'x'), method);
    } catch (...) {
    }
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer was not killed mid-write";
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(AtomicFileTest, AWriterKilledMidWriteLeavesNothingBehind) {
  const fs::path target = dir_ / "state.bin";
  write_plain(target, "old contents");
  kill_writer_mid_write(target, TempFileMethod::automatic);
  EXPECT_EQ(read(target), "old contents");
  EXPECT_EQ(entries(), std::vector<std::string>{"state.bin"}) << "temporary file left behind";
}

// Where there is no O_TMPFILE, a killed writer leaves its named temporary file; the next write
// removes it once its process is gone and it is old, and keeps the file of a live writer.
TEST_F(AtomicFileTest, NamedTempOfAKilledWriterIsRemovedByTheNextWrite) {
  const fs::path target = dir_ / "state.bin";
  write_plain(target, "old contents");
  kill_writer_mid_write(target, TempFileMethod::named);
  EXPECT_EQ(read(target), "old contents");
  std::vector<std::string> names = entries();
  ASSERT_EQ(names.size(), 2u);
  const fs::path stale = dir_ / names[0];
  EXPECT_EQ(names[0].rfind(".state.bin.tmp.", 0), 0u) << names[0];
  EXPECT_EQ(names[1], "state.bin");

  // Recent: a live writer on another host could own it, so it stays.
  write_file_atomically(target, "second");
  EXPECT_EQ(entries(), names);

  // Old, and one of a live process (ours is the parent of every test): only the dead one goes.
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(stale, old);
  const fs::path live =
      dir_ / (".state.bin.tmp." + std::to_string(::getppid()) + ".00000000000000ab");
  write_plain(live, "partial");
  fs::last_write_time(live, old);
  write_file_atomically(target, "third", TempFileMethod::named);
  EXPECT_EQ(read(target), "third");
  EXPECT_EQ(entries(), (std::vector<std::string>{live.filename().string(), "state.bin"}));
}

}  // namespace
