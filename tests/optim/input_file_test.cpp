#include <xigrad/optim/input_file.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <xigrad/autodiff/error.hpp>
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using xi::optim::InputLimits;
using xi::optim::read_input_file;

namespace {

class InputFileTest : public xi::test::TempDirTest {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string message_of(const fs::path& p, const InputLimits& limits = {}) {
    try {
      read_input_file(p, "CSV file", limits);
    } catch (const xi::InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << p;
    return {};
  }
};

TEST_F(InputFileTest, ReadsARegularFileWhole) {
  EXPECT_EQ(read_input_file(write("a.csv", "x,y\r\n1,2\n"), "CSV file"), "x,y\r\n1,2\n");
  EXPECT_EQ(read_input_file(write("empty.csv", ""), "CSV file"), "");
}

TEST_F(InputFileTest, FollowsSymlinksToRegularFiles) {
  const fs::path target = write("target.csv", "a\n1\n");
  fs::create_symlink(target, dir_ / "link.csv");
  EXPECT_EQ(read_input_file(dir_ / "link.csv", "CSV file"), "a\n1\n");
}

TEST_F(InputFileTest, RefusesAFifoWithoutWaitingForAWriter) {
  const fs::path fifo = dir_ / "pipe.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string msg = message_of(fifo);
  EXPECT_THAT(msg, HasSubstr("pipe.csv: not a regular file (a FIFO)"));
  EXPECT_THAT(msg, HasSubstr("CSV file"));
}

TEST_F(InputFileTest, RefusesADirectoryAndASymlinkToOne) {
  fs::create_directories(dir_ / "sub");
  fs::create_directory_symlink(dir_ / "sub", dir_ / "link");
  EXPECT_THAT(message_of(dir_ / "sub"), HasSubstr("not a regular file (a directory)"));
  EXPECT_THAT(message_of(dir_ / "link"), HasSubstr("not a regular file (a directory)"));
}

TEST_F(InputFileTest, NamesAMissingFileAndADanglingSymlink) {
  EXPECT_THAT(message_of(dir_ / "none.csv"),
              HasSubstr("none.csv: cannot open the CSV file: No such file or directory"));
  fs::create_symlink(dir_ / "gone", dir_ / "dangling");
  EXPECT_THAT(message_of(dir_ / "dangling"), HasSubstr("No such file or directory"));
}

TEST_F(InputFileTest, RefusesAnEmptyPath) {
  EXPECT_THAT(message_of(""), HasSubstr("empty path"));
}

TEST_F(InputFileTest, BoundsTheSizeAndNamesBoth) {
  const fs::path p = write("big.csv", std::string(101, 'x'));
  InputLimits limits;
  limits.max_bytes = 100;
  EXPECT_THAT(message_of(p, limits), HasSubstr("has 101 bytes, more than the limit of 100"));
  limits.max_bytes = 101;
  EXPECT_EQ(read_input_file(p, "CSV file", limits).size(), 101u);
}

TEST_F(InputFileTest, BoundsTheLineLengthAndNamesTheLine) {
  InputLimits limits;
  limits.max_line_bytes = 4;
  // LF, CRLF and CR all end lines; the third line has five bytes.
  const fs::path p = write("wide.csv", "abcd\r\nabcd\rabcde\n");
  EXPECT_THAT(message_of(p, limits), HasSubstr("wide.csv:3: line longer than the limit of 4"));
  EXPECT_EQ(read_input_file(write("ok.csv", "abcd\r\nabcd\rabcd"), "CSV file", limits).size(), 15u);
}

}  // namespace
