// Vector and matrix variables in every subcommand: per-component text, arrays in JSON, Hessian
// component names, minimize from a vector, check with a vector hand gradient, explain on tensor
// nodes, and the --at errors of the new syntax (exit 2 with the message).

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_app.hpp"
#include "run_xigrad.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;

Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

TEST(VectorCommand, GradPrintsEachComponentAndJsonArrays) {
  const Result t = xigrad({"grad", "sum(W*X) + b^2", "--at", "W=[0.5,-1.2],X=[2,1],b=3"});
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out,
            "value  8.8\n"
            "\n"
            "variable  value  ∂/∂variable\n"
            "W[0]      0.5    2\n"
            "W[1]      -1.2   1\n"
            "X[0]      2      0.5\n"
            "X[1]      1      -1.2\n"
            "b         3      6\n");
  const Result j = xigrad({"grad", "sum(W*X) + b^2", "--at", "W=[0.5,-1.2],X=[2,1],b=3", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto json = nlohmann::json::parse(j.out);
  EXPECT_DOUBLE_EQ(json["value"].get<double>(), 8.8);
  EXPECT_EQ(json["gradient"]["W"], nlohmann::json::parse("[2.0, 1.0]"));
  EXPECT_EQ(json["gradient"]["X"], nlohmann::json::parse("[0.5, -1.2]"));
  EXPECT_EQ(json["gradient"]["b"].get<double>(), 6.0);
}

TEST(VectorCommand, MatrixVariableGradientIsRows) {
  const Result j = xigrad({"grad", "sum(A@v)", "--at", "A=[[1,2],[3,4]],v=[1,-1]", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto json = nlohmann::json::parse(j.out);
  EXPECT_EQ(json["gradient"]["A"], nlohmann::json::parse("[[1.0, -1.0], [1.0, -1.0]]"));
  EXPECT_EQ(json["gradient"]["v"], nlohmann::json::parse("[4.0, 6.0]"));
}

TEST(VectorCommand, HessianListsComponents) {
  const Result j = xigrad({"hessian", "sum(W^2)*b", "--at", "W=[1,2],b=3", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto json = nlohmann::json::parse(j.out);
  EXPECT_EQ(json["variables"], nlohmann::json::parse(R"(["W[0]", "W[1]", "b"])"));
  EXPECT_EQ(json["hessian"],
            nlohmann::json::parse("[[6.0, 0.0, 2.0], [0.0, 6.0, 4.0], [2.0, 4.0, 0.0]]"));
  EXPECT_EQ(json["gradient"]["W"], nlohmann::json::parse("[6.0, 12.0]"));
  const Result t = xigrad({"hessian", "sum(W^2)*b", "--at", "W=[1,2],b=3"});
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("at W = [1, 2], b = 3\n"));
  EXPECT_THAT(t.out, HasSubstr("hessian  W[0]  W[1]  b\n"
                               "W[0]     6     0     2\n"
                               "W[1]     0     6     4\n"
                               "b        2     4     0\n"));
}

TEST(VectorCommand, MinimizeFromAVector) {
  const Result j = xigrad({"minimize", "sum((W - [1, -2])^2) + (b - 3)^2", "--from", "W=[0,0],b=0",
                           "--optimizer", "lbfgs", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto json = nlohmann::json::parse(j.out);
  EXPECT_TRUE(json["converged"].get<bool>());
  ASSERT_EQ(json["argmin"]["W"].size(), 2u);
  EXPECT_NEAR(json["argmin"]["W"][0].get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(json["argmin"]["W"][1].get<double>(), -2.0, 1e-6);
  EXPECT_NEAR(json["argmin"]["b"].get<double>(), 3.0, 1e-6);
  const Result t =
      xigrad({"minimize", "sum((W - [1, -2])^2)", "--from", "W=[0,0]", "--optimizer", "lbfgs"});
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("from W[0] = 0, W[1] = 0\n"));
  EXPECT_THAT(t.out, HasSubstr("argmin W[0]    1\n"));
  EXPECT_THAT(t.out, HasSubstr("argmin W[1]    -2\n"));
}

TEST(VectorCommand, MinimizeContourPlotOfAVectorOfTwo) {
  const std::string dir = ::testing::TempDir() + "xigrad_vector_plot_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string plot = dir + "/path.svg";
  const Result r =
      xigrad({"minimize", "sum((W - [1, -2])^2)", "--from", "W=[0,0]", "--plot", plot});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::filesystem::file_size(plot) > 0);
  std::filesystem::remove_all(dir);
}

TEST(VectorCommand, CheckTakesAVectorHandGradient) {
  const Result ok = xigrad({"check", "sum(W*X)^2", "--at", "W=[0.5,-1],X=[2,3]", "--grad",
                            "W=2*sum(W*X)*X", "--grad", "X=2*sum(W*X)*W"});
  ASSERT_EQ(ok.status, 0) << ok.err << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("W[0]"));
  EXPECT_THAT(ok.out, HasSubstr("X[1]"));
  EXPECT_THAT(ok.out, HasSubstr("all 4 components agree"));
  // A sign slip in one component is found and named.
  const Result bad = xigrad({"check", "sum(W*X)^2", "--at", "W=[0.5,-1],X=[2,3]", "--grad",
                             "W=2*sum(W*X)*[X[0], -X[1]]", "--json"});
  ASSERT_EQ(bad.status, 1) << bad.err;
  const auto json = nlohmann::json::parse(bad.out);
  EXPECT_EQ(json["components"][0]["variable"], "W[0]");
  EXPECT_TRUE(json["components"][0]["ok"].get<bool>());
  EXPECT_EQ(json["components"][1]["variable"], "W[1]");
  EXPECT_FALSE(json["components"][1]["ok"].get<bool>());
  // The hand gradient must have the variable's shape.
  const Result shape =
      xigrad({"check", "sum(W*X)", "--at", "W=[0.5,-1],X=[2,3]", "--grad", "W=sum(X)"});
  EXPECT_EQ(shape.status, 2);
  EXPECT_THAT(shape.err, HasSubstr("--grad W=...: at column 1: the expression is a scalar, but it "
                                   "must be a vector of shape (2)"));
}

TEST(VectorCommand, ExplainShowsTensorNodesWithoutCrashing) {
  const Result t = xigrad({"explain", "-log(sigmoid(dot(W,X)))", "--at", "W=[0.5,-1],X=[2,1]"});
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("ξ1    ξ1 = W·X"));
  EXPECT_THAT(t.out, HasSubstr("∂ξ1/∂W = X = [2, 1]"));
  EXPECT_THAT(t.out, HasSubstr("L = ξ4 = 0.693147"));
  EXPECT_THAT(t.out, ::testing::Not(HasSubstr("nan")));
  const Result s = xigrad({"explain", "sum(W*X)", "--at", "W=[0.5,-1],X=[2,1]", "--steps"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("[1, 1] ⊙ [2, 1] = [2, 1]"));
  const Result d = xigrad({"explain", "sum(W*X)", "--at", "W=[0.5,-1],X=[2,1]", "--dot"});
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_THAT(d.out, HasSubstr("digraph"));
  const Result j = xigrad({"explain", "sum(W*X)", "--at", "W=[0.5,-1],X=[2,1]", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out)["nodes"][0]["op"], "mul");
}

TEST(VectorCommand, ErrorsExit2WithTheirMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"grad", "sum(W)", "--at", "W=[1,,2]"},
       "--at W=[1,,2]: '[1,,2]' is not a vector or matrix of numbers: at column 4: expected a "
       "number"},
      {{"grad", "sum(W)", "--at", "W=[1,2"}, "--at W=[1,2: '[1,2' is not a vector or matrix"},
      {{"grad", "sum(W)", "--at", "W=[1,x]"}, "'[1,x]' is not a vector or matrix of numbers"},
      {{"grad", "sum(W)", "--at", "W=[1,1e308*10]"},
       "--at W=[1,1e308*10]: element 1 of '[1,1e308*10]' is inf, not a finite number"},
      {{"grad", "W", "--at", "W=[1,2]"},
       "the expression is a vector of shape (2), but it must be "
       "a scalar"},
      {{"grad", "sum(W+V)", "--at", "W=[1,2],V=[1,2,3]"},
       "at column 5: shapes (2) and (3) do not match in '+'"},
      {{"hessian", "W[2]", "--at", "W=[1,2]"}, "at column 1: index 2 is out of range"},
      {{"minimize", "sum(W@W)", "--from", "W=[[1,2]]"},
       "shapes (1, 2) and (1, 2) do not fit in '@'"},
      {{"explain", "dot(W, 1)", "--at", "W=[1,2]"}, "dot takes two vectors"},
      {{"grad", "sum(W)", "--at", "W=[1]", "--matrix", "X=a,b"}, "--matrix needs --data FILE.csv"},
  };
  for (const Case& c : cases) {
    const Result r = xigrad(c.args);
    EXPECT_EQ(r.status, 2) << c.args[1] << "\n" << r.out;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << c.args[1];
  }
}

TEST(VectorCommand, ThroughTheBinaryShapeErrorExits2WithACaret) {
  const auto r = xi::test::run_xigrad("grad 'sum(W + [1, 2, 3])' --at 'W=[0.5,-1.2]'");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(
      r.err,
      "xigrad: error: at column 5: shapes (2) and (3) do not match in '+': `W` is a vector of "
      "shape (2) and `[1, 2, 3]` is a vector of shape (3) (element-wise operations take equal "
      "shapes, a scalar with any shape, or a vector (n) with each row of a matrix (m, n))\n"
      "  sum(W + [1, 2, 3])\n"
      "      ^~~~~~~~~~~~~\n");
}

}  // namespace
}  // namespace xi::cli
