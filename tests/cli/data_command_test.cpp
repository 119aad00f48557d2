// --data, --matrix and --positive: the lecture's loss over the heart data in one command, its
// gradient at the maximum-likelihood point (from `train`), its Hessian against XᵀDX computed here,
// the dropped-row note, mangled headers, and every data error (exit 2 with the message).

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <xigrad/models/dataset.hpp>

#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;

const std::string kHeart = std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv";
const std::string kLoss = "sum(-y*log(1/(1+exp(-(X@W+b)))) - (1-y)*log(1-1/(1+exp(-(X@W+b)))))";

Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

// A CSV file in a fresh temporary folder, removed at the end of the test.
class TempCsv {
 public:
  explicit TempCsv(const std::string& text)
      : dir_(std::filesystem::path(::testing::TempDir()) /
             ("xigrad_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    std::filesystem::create_directories(dir_);
    std::ofstream(path()) << text;
  }
  ~TempCsv() { std::filesystem::remove_all(dir_); }
  TempCsv(const TempCsv&) = delete;
  TempCsv& operator=(const TempCsv&) = delete;
  std::string path() const { return (dir_ / "data.csv").string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

// The maximum-likelihood fit of the models module's logistic regression.
nlohmann::json trained() {
  const Result r = xigrad({"train", "--model", "logistic", "--data", kHeart, "--target", "AHD",
                           "--positive", "Yes", "--features", "Age,MaxHR,Chol", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::string at_of(const nlohmann::json& fit) {
  return fmt::format("W=[{:.17g},{:.17g},{:.17g}],b={:.17g}", fit["weights"]["Age"].get<double>(),
                     fit["weights"]["MaxHR"].get<double>(), fit["weights"]["Chol"].get<double>(),
                     fit["bias"].get<double>());
}

TEST(DataCommand, LectureLossOverTheHeartDataIsOneCommand) {
  const Result r = xigrad({"grad", kLoss, "--data", kHeart, "--positive", "y=AHD:Yes", "--matrix",
                           "X=Age,MaxHR,Chol", "--at", "W=[0,0,0],b=0", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no missing value in Age, MaxHR, Chol or AHD
  const auto j = nlohmann::json::parse(r.out);
  // At W = 0, b = 0 every p is 1/2: L = 303 log 2, ∂L/∂b = Σ(1/2 − y) = 151.5 − 139.
  EXPECT_NEAR(j["value"].get<double>(), 303 * std::log(2.0), 1e-9);
  EXPECT_NEAR(j["gradient"]["b"].get<double>(), 12.5, 1e-9);
  ASSERT_EQ(j["gradient"]["W"].size(), 3u);
}

TEST(DataCommand, GradientIsZeroAtTheMaximumLikelihoodPoint) {
  const nlohmann::json fit = trained();
  const Result r = xigrad({"grad", kLoss, "--data", kHeart, "--positive", "y=AHD:Yes", "--matrix",
                           "X=Age,MaxHR,Chol", "--at", at_of(fit), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // The loss is a sum over 303 rows; at 0 its gradient is in the thousands.
  for (const auto& g : j["gradient"]["W"]) EXPECT_LT(std::abs(g.get<double>()), 1e-2) << j;
  EXPECT_LT(std::abs(j["gradient"]["b"].get<double>()), 1e-3) << j;
  EXPECT_NEAR(j["value"].get<double>(), 303 * fit["loss"].get<double>(), 1e-6);

  // minimize finds the same point from 0.
  const Result m =
      xigrad({"minimize", kLoss, "--data", kHeart, "--positive", "y=AHD:Yes", "--matrix",
              "X=Age,MaxHR,Chol", "--from", "W=[0,0,0],b=0", "--optimizer", "lbfgs", "--json"});
  ASSERT_EQ(m.status, 0) << m.err;
  const auto mj = nlohmann::json::parse(m.out);
  EXPECT_NEAR(mj["argmin"]["W"][0].get<double>(), fit["weights"]["Age"].get<double>(), 1e-4);
  EXPECT_NEAR(mj["argmin"]["W"][1].get<double>(), fit["weights"]["MaxHR"].get<double>(), 1e-4);
  EXPECT_NEAR(mj["argmin"]["W"][2].get<double>(), fit["weights"]["Chol"].get<double>(), 1e-4);
  EXPECT_NEAR(mj["argmin"]["b"].get<double>(), fit["bias"].get<double>(), 1e-2);
}

TEST(DataCommand, HessianIsXtDX) {
  const nlohmann::json fit = trained();
  const Result r = xigrad({"hessian", kLoss, "--data", kHeart, "--positive", "AHD=Yes", "--matrix",
                           "X=Age,MaxHR,Chol", "--at", at_of(fit), "--json"});
  // (--positive AHD=Yes binds AHD itself; y is then unknown.)
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown variable 'y'"));
  EXPECT_THAT(r.err, HasSubstr("it is not a column of"));

  const Result h = xigrad({"hessian", kLoss, "--data", kHeart, "--positive", "y=AHD:Yes",
                           "--matrix", "X=Age,MaxHR,Chol", "--at", at_of(fit), "--json"});
  ASSERT_EQ(h.status, 0) << h.err;
  const auto j = nlohmann::json::parse(h.out);
  EXPECT_EQ(j["variables"], nlohmann::json::parse(R"(["W[0]", "W[1]", "W[2]", "b"])"));
  EXPECT_EQ(j["curvature"], "positive definite");

  // XᵀDX with an intercept column, D = diag(p(1 − p)), from the data read independently.
  models::DatasetOptions options;
  options.target = "AHD";
  options.positive = "Yes";
  options.features = {"Age", "MaxHR", "Chol"};
  const models::Dataset d = models::read_dataset(kHeart, options);
  Eigen::MatrixXd A(d.rows(), 4);
  A << d.X, Eigen::VectorXd::Ones(d.rows());
  const Eigen::Vector4d theta(fit["weights"]["Age"].get<double>(),
                              fit["weights"]["MaxHR"].get<double>(),
                              fit["weights"]["Chol"].get<double>(), fit["bias"].get<double>());
  const Eigen::ArrayXd p = 1.0 / (1.0 + (-(A * theta)).array().exp());
  const Eigen::MatrixXd H = A.transpose() * (p * (1 - p)).matrix().asDiagonal() * A;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(j["hessian"][r][c].get<double>(), H(r, c), 1e-8 * std::abs(H(r, c)) + 1e-9)
          << r << "," << c;
    }
  }
}

TEST(DataCommand, ColumnsAreVectorsAndRowsWithMissingValuesAreDroppedAndCounted) {
  // Ca has 4 NA cells: in use, they drop 4 rows, said on stderr.
  const Result r = xigrad({"grad", "mean(Ca)*w", "--data", kHeart, "--at", "w=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err,
            "xigrad: note: " + kHeart +
                ": dropped 4 of 303 rows with a missing value (NA or empty) in a column in use "
                "(\"Ca\"); 299 rows remain\n");
  EXPECT_NEAR(nlohmann::json::parse(r.out)["gradient"]["w"].get<double>(), 201.0 / 299, 1e-12);
  // AHD=Yes binds AHD itself as 0/1: 139 of the 303 patients.
  const Result p =
      xigrad({"grad", "sum(AHD)*w", "--data", kHeart, "--positive", "AHD=Yes", "--at", "w=1"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_THAT(p.out, HasSubstr("value  139\n"));
}

TEST(DataCommand, HeadersThatAreNotNamesAreMangled) {
  const TempCsv csv("\"Chest Pain\",2nd,x\n1,10,0.5\n2,NA,1.5\n3,30,2.5\n");
  const Result r =
      xigrad({"grad", "sum(Chest_Pain*_2nd)*w", "--data", csv.path(), "--at", "w=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["value"].get<double>(), 100.0);
  EXPECT_THAT(r.err, HasSubstr("dropped 1 of 3 rows"));
  // --matrix names columns by header.
  const Result m = xigrad({"grad", "sum(A@[1, 1])*w", "--data", csv.path(), "--matrix",
                           "A=Chest Pain,x", "--at", "w=1"});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr("value  10.5\n"));
}

TEST(DataCommand, ErrorsExit2WithTheirMessage) {
  const TempCsv ambiguous("a b,a-b,c\n1,2,3\n4,5,6\n");
  const TempCsv one_class("y,x\nYes,1\nYes,2\n");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"grad", "sum(Sex)*w", "--data", kHeart, "--at", "w=1,Sex=2"},
       "'Sex' is given with --at and is also a column of"},
      {{"grad", "sum(ChestPain)*w", "--data", kHeart, "--at", "w=1"},
       "column \"ChestPain\" is not numeric (its values are \"asymptomatic\", \"nonanginal\", "
       "\"nontypical\", \"typical\"); bind a two-valued column as 0/1 with --positive "
       "NAME=ChestPain:LABEL"},
      {{"grad", "sum(X@[1])*w", "--data", kHeart, "--matrix", "X=Agee", "--at", "w=1"},
       "--matrix X=Agee: no column \"Agee\" in"},
      {{"grad", "sum(X@[1,1])*w", "--data", kHeart, "--matrix", "X=Age,Age", "--at", "w=1"},
       "--matrix X=Age,Age: column \"Age\" is listed twice"},
      {{"grad", "sum(X@[1])*w", "--data", kHeart, "--matrix", "X=Thal", "--at", "w=1"},
       "--matrix X=Thal: column \"Thal\" is not numeric"},
      {{"grad", "sum(y)*w", "--data", kHeart, "--positive", "y=AHD:Maybe", "--at", "w=1"},
       "--positive y=AHD:Maybe: \"Maybe\" does not occur in column \"AHD\"; its values are \"No\", "
       "\"Yes\""},
      {{"grad", "sum(y)*w", "--data", one_class.path(), "--positive", "y=y:Yes", "--at", "w=1"},
       "--positive y=y:Yes: every row of column \"y\" is 'Yes': a 0/1 vector needs both classes"},
      {{"grad", "sum(w*q)", "--data", kHeart, "--at", "w=1"},
       "unknown variable 'q' (give its value with --at q=VALUE); it is not a column of"},
      {{"grad", "sum(a_b)*w", "--data", ambiguous.path(), "--at", "w=1"},
       "'a_b' is the mangled name of several columns"},
      {{"grad", "sum(Age + X@[1, 1])*w", "--data", kHeart, "--matrix", "X=Age,Chol", "--at", "w=1"},
       ""},
      {{"grad", "sum(Age + Chol@[1, 1])", "--data", kHeart, "--at", "w=1"},
       "shapes (303) and (2) do not fit in '@'"},
      {{"grad", "sum(X)*w", "--data", kHeart, "--matrix", "X=Age", "--matrix", "X=Chol", "--at",
        "w=1"},
       "'X' is bound twice"},
      {{"grad", "sum(X)*w", "--data", kHeart, "--matrix", "w=Age", "--at", "w=1"},
       "--matrix w=Age: 'w' is also given a value with --at"},
  };
  for (const Case& c : cases) {
    const Result r = xigrad(c.args);
    if (c.says.empty()) {
      EXPECT_EQ(r.status, 0) << r.err;
      continue;
    }
    EXPECT_EQ(r.status, 2) << c.args[1] << "\n" << r.out;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << c.args[1];
  }
}

}  // namespace
}  // namespace xi::cli
