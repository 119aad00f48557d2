// Steady state: a training loop (clear, record, backward, update) stops allocating after a few
// warm-up iterations. Heap allocations are counted by replacing the global operator new / delete
// (every variant) for this test binary; counting is opt-in (only inside a CountAllocations scope,
// only on the thread that opened it), and otherwise the replacements just forward to malloc /
// free. The tape's arena takes its blocks from std::aligned_alloc, not operator new, so the loop
// also checks that Tape::memory().reserved_bytes does not change.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

// ------------------------------------------------------------------ counting operator new

namespace {

std::atomic<long> g_news{0};
thread_local bool t_counting = false;  // constant-initialised: safe during thread start-up

void* allocate(std::size_t n) {
  if (t_counting) g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}

void* allocate_aligned(std::size_t n, std::align_val_t al) {
  if (t_counting) g_news.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t size = (std::max<std::size_t>(n, 1) + a - 1) / a * a;
  return std::aligned_alloc(a, size);
}

void* must(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// Not inlined into the operators delete: where they are inlined next to an operator new, GCC
// would otherwise see free() on a pointer from operator new and warn (-Wmismatched-new-delete),
// not knowing that these operators new call malloc.
[[gnu::noinline]] void release(void* p) noexcept {
  std::free(p);
}

}  // namespace

void* operator new(std::size_t n) {
  return must(allocate(n));
}
void* operator new[](std::size_t n) {
  return must(allocate(n));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return must(allocate_aligned(n, a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return must(allocate_aligned(n, a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, a);
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}

namespace {

using xi::Matrix;
using xi::Tensor;
using xi::Var;
using xi::Vector;

/// Counts operator new calls made by this thread while alive.
class CountAllocations {
 public:
  CountAllocations() : start_(g_news.load()) { t_counting = true; }
  ~CountAllocations() { t_counting = false; }
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  long count() const { return g_news.load() - start_; }

 private:
  long start_;
};

/// Makes a pointer observable so that the compiler cannot elide a new/delete pair.
template <class T>
T* keep(T* p) {
  static void* volatile sink = nullptr;
  sink = p;
  return static_cast<T*>(sink);
}

TEST(Allocation, TheCounterSeesEveryVariant) {
  struct alignas(64) Wide {
    double x[8];
  };
  long n = 0;
  {
    CountAllocations count;
    delete keep(new int(1));
    delete[] keep(new double[3]);
    ::operator delete(keep(::operator new(16, std::nothrow)), std::nothrow);
    Wide* w = keep(new Wide);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w) % 64, 0u);
    delete w;
    delete[] keep(new Wide[2]);
    delete keep(new (std::nothrow) Wide);
    n = count.count();
  }
  EXPECT_EQ(n, 6);
  {
    CountAllocations count;
    n = count.count();
  }
  delete keep(new int(2));  // outside a scope: not counted
  EXPECT_EQ(n, 0);
}

/// A data set and a model whose loss uses scalar Vars, element-wise tensor ops with broadcasting,
/// element access and reductions.
struct Problem {
  Matrix X;  // (n, d)
  Vector s;  // labels ±1
  xi::Parameter w{Vector::Zero(8), "w"};
  xi::Parameter bias{0.0, "b"};

  Problem() : X(128, 8), s(128) {
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      for (Eigen::Index j = 0; j < X.cols(); ++j) {
        X(i, j) = std::sin(0.7 * static_cast<double>(i) + 1.3 * static_cast<double>(j));
      }
      s[i] = (i % 3 == 0) ? -1.0 : 1.0;
    }
  }

  /// One iteration: clear, record the loss, backward, gradient step.
  double step(xi::Tape& tape) {
    tape.clear();
    const Tensor wv = w.var();
    const Var b = bias.var().item();
    const Tensor z = xi::sum(xi::borrow(X) * wv, 1) + b;  // (n): row-broadcast product
    const Tensor margin = -xi::borrow(s) * z;             // (n)
    Var loss = xi::mean(xi::softplus(margin));            // logistic loss
    loss += 0.01 * xi::sum(xi::square(wv));               // L2 on the weights
    loss += 1e-3 * xi::square(wv[0] - 2.0 * wv[1]) + 1e-3 * xi::abs(b);  // scalar ops on elements
    const Tensor h = xi::tanh(xi::borrow(X) * wv + xi::borrow(X));       // (n, d) matrix + matrix
    loss += 1e-3 * xi::mean(xi::sigmoid(h) * wv);
    const Tensor Xw = xi::matmul(xi::borrow(X), wv);  // (n), the same z through a matrix product
    loss += 1e-3 * xi::dot(Xw - z, Xw + z);
    const Tensor G = xi::matmul(xi::transpose(xi::borrow(X)), xi::tanh(xi::borrow(X)));  // (d, d)
    loss += 1e-3 * xi::sum(xi::matmul(G, wv) * wv);
    xi::backward(loss);
    w.value() -= 0.5 * w.grad();
    bias.value() -= 0.5 * bias.grad();
    w.zero_grad();
    bias.zero_grad();
    return loss.value();
  }
};

TEST(Allocation, TrainingLoopReachesAZeroAllocationSteadyState) {
  Problem p;
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  std::vector<double> losses;
  losses.reserve(32);
  for (int i = 0; i < 3; ++i) losses.push_back(p.step(tape));  // warm-up
  const auto reserved = tape.memory().reserved_bytes;
  long news = 0;
  {
    CountAllocations count;
    for (int i = 0; i < 20; ++i) losses.push_back(p.step(tape));
    news = count.count();
  }
  EXPECT_EQ(news, 0) << "operator new calls in 20 steady-state iterations";
  EXPECT_EQ(tape.memory().reserved_bytes, reserved) << "the tape's buffers grew";
  // And it is training: the loss goes down.
  EXPECT_LT(losses.back(), losses.front());
}

TEST(Allocation, ScalarCodeReachesAZeroAllocationSteadyState) {
  // The scalar-logistic workload: Σᵢ log(1 + exp(−sᵢ w·xᵢ)) as scalar code, gradient w.r.t. w.
  const int n = 200, d = 5;
  std::vector<double> x(static_cast<std::size_t>(n * d)), s(static_cast<std::size_t>(n));
  for (int i = 0; i < n * d; ++i) x[static_cast<std::size_t>(i)] = std::cos(0.3 * i);
  for (int i = 0; i < n; ++i) s[static_cast<std::size_t>(i)] = i % 2 == 0 ? 1.0 : -1.0;
  std::vector<double> w(static_cast<std::size_t>(d), 0.1), g(static_cast<std::size_t>(d));
  std::vector<Var> wv(static_cast<std::size_t>(d));
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  auto iteration = [&] {
    tape.clear();
    for (int j = 0; j < d; ++j)
      wv[static_cast<std::size_t>(j)] = xi::variable(w[static_cast<std::size_t>(j)]);
    Var L = 0.0;
    for (int i = 0; i < n; ++i) {
      Var z = 0.0;
      for (int j = 0; j < d; ++j) {
        z += wv[static_cast<std::size_t>(j)] * x[static_cast<std::size_t>(i * d + j)];
      }
      L += xi::log(1 + xi::exp(-s[static_cast<std::size_t>(i)] * z));
    }
    xi::backward(L);
    for (int j = 0; j < d; ++j) {
      g[static_cast<std::size_t>(j)] = wv[static_cast<std::size_t>(j)].adjoint();
      w[static_cast<std::size_t>(j)] -= 0.01 * g[static_cast<std::size_t>(j)];
    }
  };
  for (int i = 0; i < 3; ++i) iteration();
  const auto reserved = tape.memory().reserved_bytes;
  long news = 0;
  {
    CountAllocations count;
    for (int i = 0; i < 20; ++i) iteration();
    news = count.count();
  }
  EXPECT_EQ(news, 0);
  EXPECT_EQ(tape.memory().reserved_bytes, reserved);
}

}  // namespace
