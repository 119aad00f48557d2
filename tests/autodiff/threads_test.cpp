// Threads: each thread records on its own tape; values of another thread's tape are a
// TapeError; a Parameter shared by threads records and accumulates without a race. Every test
// here is in the suite `Threads`, which CI also runs under ThreadSanitizer
// (--gtest_filter='Threads.*', see docs/index.md).

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

namespace {

using xi::Matrix;
using xi::Tape;
using xi::TapeError;
using xi::Tensor;
using xi::Var;
using xi::Vector;

TEST(Threads, VarFromAnotherThreadsTapeIsATapeError) {
  Var foreign;
  Tensor foreign_tensor;
  std::atomic<bool> recorded{false}, done{false};
  std::thread t([&] {
    foreign = xi::exp(xi::variable(1.5));  // on that thread's own tape
    foreign_tensor = xi::variable(Vector{{1.0, 2.0, 3.0}});
    recorded = true;
    while (!done) std::this_thread::yield();  // keep the thread (and its tape) alive
  });
  while (!recorded) std::this_thread::yield();
  EXPECT_FALSE(foreign.is_constant());
  EXPECT_THROW((void)Var(xi::log(foreign)), TapeError);
  EXPECT_THROW((void)Var(foreign + xi::variable(1.0)), TapeError);
  EXPECT_THROW(xi::backward(foreign), TapeError);
  EXPECT_THROW((void)xi::sum(foreign_tensor), TapeError);
  EXPECT_THROW((void)(foreign_tensor * 2.0), TapeError);
  done = true;
  t.join();
  // After the thread (and its tape) are gone: still an error, not a read of freed memory.
  EXPECT_THROW((void)Var(xi::log(foreign)), TapeError);
  EXPECT_THROW((void)foreign_tensor[1], TapeError);
}

TEST(Threads, EachThreadRecordsOnItsOwnTape) {
  // f(w) = Σᵢ log(1 + exp(−yᵢ w xᵢ)) on each thread with its own data; gradients checked
  // against the hand-derived −Σᵢ yᵢ xᵢ σ(−yᵢ w xᵢ).
  constexpr int kThreads = 4, kIterations = 200;
  std::array<int, kThreads> failures{};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([k, &failures] {
      Tape& tape = Tape::current();
      for (int it = 0; it < kIterations; ++it) {
        tape.clear();
        const double w0 = 0.1 * k - 0.05 * it / kIterations;
        const Var w = xi::variable(w0);
        Var L = 0.0;
        double expected = 0.0;
        for (int i = 0; i < 50; ++i) {
          const double x = std::sin(0.37 * i + k), y = (i + k) % 3 == 0 ? -1.0 : 1.0;
          L += xi::log(1 + xi::exp(-y * w * x));
          expected += -y * x / (1 + std::exp(y * w0 * x));
        }
        const double g = xi::grad(L, w);
        if (!(std::abs(g - expected) <= 1e-12 * (1 + std::abs(expected)))) ++failures[k];
        if (&Tape::current() != &tape) ++failures[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kThreads; ++k) EXPECT_EQ(failures[k], 0) << "thread " << k;
}

// Loss of iteration `it` over a shared parameter w (3): Σ softplus(−s ⊙ X w) with data that
// depend on the iteration. `pad` leaves are recorded first so that w's slots differ per tape.
Var shared_loss(const xi::Parameter& w, int it, int pad) {
  for (int i = 0; i < pad; ++i) (void)xi::variable(1.0 * i);
  Matrix X(4, 3);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 3; ++c) X(r, c) = std::sin(0.1 * it + r - 0.7 * c);
  }
  const Vector s{{1.0, -1.0, 1.0, -1.0}};
  return xi::mean(xi::softplus(-xi::constant(s) * xi::matmul(xi::constant(X), w.var())));
}

TEST(Threads, SharedParameterGivesTheSingleThreadGradients) {
  constexpr int kIterations = 3000;
  const xi::Parameter w(Vector{{0.3, -0.2, 0.5}}, "w");
  std::vector<Matrix> expected;
  {
    Tape tape;
    Tape::Scope scope(tape);
    for (int it = 0; it < kIterations; ++it) {
      tape.clear();
      const Var L = shared_loss(w, it, 0);
      expected.push_back(xi::grad(L, w.var()));
    }
  }
  std::array<int, 2> wrong{};
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      Tape tape;
      Tape::Scope scope(tape);
      for (int it = 0; it < kIterations; ++it) {
        tape.clear();
        const Var L = shared_loss(w, it, 1 + k * (it % 5));
        if (xi::grad(L, w.var()) != expected[static_cast<std::size_t>(it)]) ++wrong[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong[0], 0);
  EXPECT_EQ(wrong[1], 0);
}

TEST(Threads, ConcurrentBackwardAddsEveryContribution) {
  // L = Σ cᵢ wᵢ with dyadic c: every partial sum of the gradient is exact, so the total after
  // 2 × N backward passes is exactly 2N·c whatever the order of the additions.
  constexpr int kIterations = 3000;
  xi::Parameter w(Vector{{1.0, 2.0, 3.0}}, "w");
  const Vector c{{0.5, -0.25, 2.0}};
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      Tape& tape = Tape::current();  // this thread's own tape
      for (int it = 0; it < kIterations; ++it) {
        tape.clear();
        for (int i = 0; i < k + it % 3; ++i) (void)xi::variable(0.0);
        xi::backward(xi::dot(w.var(), xi::borrow(c)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(w.grad()(0, 0), 2 * kIterations * 0.5);
  EXPECT_EQ(w.grad()(0, 1), 2 * kIterations * -0.25);
  EXPECT_EQ(w.grad()(0, 2), 2 * kIterations * 2.0);
}

}  // namespace
