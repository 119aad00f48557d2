// read_csv under the input-file policy: FIFOs and links to them are refused before a byte is
// read, and the size and line-length bounds surface with the file (and line) named.

#include <xigrad/models/csv.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace xi::models {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("xigrad-csv-input-test-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
             std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path file(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_error(const fs::path& p, const optim::InputLimits& limits = {}) {
  try {
    read_csv(p, limits);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no xi::InputError for " << p;
  return {};
}

TEST(CsvInputTest, FifoAndLinkToFifoAreRefused) {
  TempDir dir;
  const fs::path fifo = dir.path() / "data.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(read_error(fifo),
            fifo.string() + ": not a regular file (a FIFO): refusing to read it as a CSV file");
  const fs::path link = dir.path() / "link.csv";
  fs::create_symlink(fifo, link);
  EXPECT_EQ(read_error(link),
            link.string() + ": not a regular file (a FIFO): refusing to read it as a CSV file");
  EXPECT_EQ(read_error(dir.path()), dir.path().string() +
                                        ": not a regular file (a directory): refusing to read it "
                                        "as a CSV file");
}

TEST(CsvInputTest, SizeBoundNamesTheFile) {
  TempDir dir;
  const fs::path p = dir.file("big.csv", "x,y\n1,2\n3,4\n");
  optim::InputLimits limits;
  limits.max_bytes = 8;
  EXPECT_EQ(read_error(p, limits),
            p.string() + ": the CSV file has 12 bytes, more than the limit of 8 bytes");
  limits.max_bytes = 12;
  EXPECT_EQ(read_csv(p, limits).rows.size(), 2U);
}

TEST(CsvInputTest, LineBoundNamesFileAndLine) {
  TempDir dir;
  const fs::path p = dir.file("long.csv", "x,y\r\n1,2\r\n" + std::string(40, '7') + ",3\r\n");
  optim::InputLimits limits;
  limits.max_line_bytes = 32;
  EXPECT_EQ(read_error(p, limits),
            p.string() + ":3: line longer than the limit of 32 bytes in the CSV file");
  // The default bound is 1 MiB per line: a 2 MiB cell is refused before it is parsed.
  const fs::path huge = dir.file("huge.csv", "x,y\n" + std::string(2u << 20, '1') + ",1\n");
  EXPECT_THAT(read_error(huge), HasSubstr(huge.string() + ":2: line longer than the limit of "
                                                          "1048576 bytes in the CSV file"));
}

}  // namespace
}  // namespace xi::models
