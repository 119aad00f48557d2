// xigrad derive: the seed losses' derivatives as short formulas (text, LaTeX, JSON), data-free
// and over the heart data, pasted back into `grad`, and its errors.

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "derive_support.hpp"
#include "expr/parser.hpp"
#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;

Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const std::string kHeart = std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv";
const char* kLA = "-y*log(1/(1+exp(-dot(W,X))))";
const char* kLB = "-(1-y)*log(1-1/(1+exp(-dot(W,X))))";
const char* kHeartLoss = "sum(-y*log(1/(1+exp(-(X@W+b)))) - (1-y)*log(1-1/(1+exp(-(X@W+b)))))";

TEST(DeriveCommand, LectureScalarLossIsTheLecturesFormula) {
  const Result r = xigrad({"derive", "-y*log(1/(1+exp(-w*x)))", "--wrt", "w"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "∂/∂w = -y*x*exp(-w*x)/(1 + exp(-w*x))\n");
}

TEST(DeriveCommand, LectureVectorLossesAreShort) {
  const Result a = xigrad({"derive", kLA, "--wrt", "W", "--at", "W=[0,0,0],X=[1,2,3]"});
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, "∂/∂W = -y*X*exp(-dot(W, X))/(1 + exp(-dot(W, X)))\n");
  // The lecture's L^B row: (1 − y)·X/(1 + e^{−WᵀX}).
  const Result b = xigrad({"derive", kLB, "--wrt", "W", "--at", "W=[0,0,0],X=[1,2,3]"});
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out, "∂/∂W = (1 - y)*X/(1 + exp(-dot(W, X)))\n");
}

TEST(DeriveCommand, LatexOfTheLecturesLoss) {
  const Result r = xigrad({"derive", kLA, "--wrt", "W", "--at", "W=[0,0,0],X=[1,2,3]", "--latex"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "\\frac{\\partial f}{\\partial W} = -\\frac{y X e^{-W^T X}}{1 + e^{-W^T X}}\n");
  const Result b =
      xigrad({"derive", kLB, "--wrt", "W,y", "--at", "W=[0,0,0],X=[1,2,3]", "--latex"});
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(
      b.out,
      "\\frac{\\partial f}{\\partial W} = \\frac{\\left(1 - y\\right) X}{1 + e^{-W^T X}}\n"
      "\\frac{\\partial f}{\\partial y} = \\log\\left(1 - \\frac{1}{1 + e^{-W^T X}}\\right)\n");
}

TEST(DeriveCommand, JsonAndEveryVariableByDefault) {
  const Result r = xigrad({"derive", "x^2*y + 3*x", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.size(), 1u);
  EXPECT_EQ(j["derivatives"]["x"], "3 + 2*x*y");
  EXPECT_EQ(j["derivatives"]["y"], "x^2");
  EXPECT_EQ(j["derivatives"].size(), 2u);
}

TEST(DeriveCommand, HeartDataLossIsShortAndPastesBackIntoGrad) {
  const std::vector<std::string> data{"--data",    kHeart,     "--positive",
                                      "y=AHD:Yes", "--matrix", "X=Age,MaxHR,Chol"};
  std::vector<std::string> args{"derive", kHeartLoss, "--at", "W=[0,0,0],b=0", "--json"};
  args.insert(args.end(), data.begin(), data.end());
  const Result r = xigrad(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const std::string dW = j["derivatives"]["W"];
  const std::string db = j["derivatives"]["b"];
  EXPECT_EQ(dW, "(1 - y - y*exp(-(X@W + b)))/(1 + exp(-(X@W + b)))@X");
  EXPECT_EQ(db, "sum((1 - y - y*exp(-(X@W + b)))/(1 + exp(-(X@W + b))))");
  // `grad` gives the same numbers at a point (the formulas evaluated by check --grad).
  std::vector<std::string> check{"check",  kHeartLoss, "--at",   "W=[0.01,-0.02,0.001],b=0.5",
                                 "--grad", "W=" + dW,  "--grad", "b=" + db};
  check.insert(check.end(), data.begin(), data.end());
  const Result c = xigrad(check);
  EXPECT_EQ(c.status, 0) << c.out << c.err;
}

TEST(DeriveCommand, HeartDataFormulasAgreeWithTheEngine) {
  DataArgs args;
  args.file = kHeart;
  args.positive = {"y=AHD:Yes"};
  args.matrix = {"X=Age,MaxHR,Chol"};
  const Program program = parse(kHeartLoss);
  const Program* programs[] = {&program};
  const std::vector<std::string> bound{"W", "b"};
  std::ostringstream err;
  const auto data = load_data(args, programs, bound, err);
  Binding W;
  W.name = "W";
  W.shape = Shape::vector(3);
  W.values = {0.01, -0.02, 0.001};
  test::expect_formulas_agree(kHeartLoss, {W, {"b", 0.5}}, data);
}

TEST(DeriveCommand, VectorVariableWithAScalarDerivativeKeepsItsShape) {
  const Result r = xigrad({"derive", "sum(W*x)", "--at", "W=[1,2]", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["derivatives"]["W"], "x*W^0");
  EXPECT_EQ(j["derivatives"]["x"], "sum(W)");
  const Result z =
      xigrad({"derive", "x^2 + sum(V)", "--at", "W=[1,2]", "--at", "V=[1,2,3]", "--wrt", "x,V"});
  ASSERT_EQ(z.status, 0) << z.err;
  EXPECT_EQ(z.out, "∂/∂x = 2*x\n∂/∂V = V^0\n");
}

TEST(DeriveCommand, UnknownWrtNameExits2) {
  const Result r = xigrad({"derive", "w*x", "--wrt", "z"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("--wrt z: 'z' is not a variable of the expression (its variables "
                               "are: w, x)"));
}

TEST(DeriveCommand, WrtThatIsNotAVariableExits2) {
  const Result f = xigrad({"derive", "exp(x)", "--wrt", "exp"});
  EXPECT_EQ(f.status, 2);
  EXPECT_THAT(f.err, HasSubstr("--wrt exp: 'exp' is a function, not a variable"));
  const Result c = xigrad({"derive", "pi*x", "--wrt", "pi"});
  EXPECT_EQ(c.status, 2);
  EXPECT_THAT(c.err, HasSubstr("'pi' is a constant"));
  const Result d = xigrad({"derive", kHeartLoss, "--wrt", "X", "--at", "W=[0,0,0],b=0", "--data",
                           kHeart, "--positive", "y=AHD:Yes", "--matrix", "X=Age,MaxHR,Chol"});
  EXPECT_EQ(d.status, 2);
  EXPECT_THAT(d.err, HasSubstr("--wrt X: 'X' is data from"));
  const Result n = xigrad({"derive", "x", "--wrt", "2x"});
  EXPECT_EQ(n.status, 2);
  EXPECT_THAT(n.err, HasSubstr("'2x' is not a variable name"));
}

TEST(DeriveCommand, BadExpressionsExit2WithACaret) {
  const Result p = xigrad({"derive", "x + * 2"});
  EXPECT_EQ(p.status, 2);
  EXPECT_THAT(p.err, HasSubstr("^"));
  const Result s = xigrad({"derive", "dot(W, x)", "--at", "W=[1,2]"});
  EXPECT_EQ(s.status, 2);
  EXPECT_THAT(s.err, HasSubstr("dot takes two vectors"));
  const Result v = xigrad({"derive", "W*x", "--at", "W=[1,2]"});
  EXPECT_EQ(v.status, 2);
  EXPECT_THAT(v.err, HasSubstr("must be a scalar"));
}

}  // namespace
}  // namespace xi::cli
