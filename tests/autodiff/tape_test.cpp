// The tape: misuse reported as TapeError (cleared tapes, other threads' tapes, constants), one
// tape per thread, scopes, NoGrad and detach, parameters' gradients across recordings, and the
// memory it reports.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <string>
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

TEST(Tape, VarFromAClearedTapeIsATapeError) {
  Tape tape;
  Tape::Scope scope(tape);
  const Var x = xi::variable(2.0);
  const Var y = xi::exp(x);
  const auto gen = tape.generation();
  tape.clear();
  EXPECT_NE(tape.generation(), gen);
  EXPECT_THROW((void)Var(xi::exp(x)), TapeError);
  EXPECT_THROW((void)Var(x + 1.0), TapeError);
  EXPECT_THROW((void)Var(x * xi::variable(1.0)), TapeError);
  EXPECT_THROW(xi::backward(y), TapeError);
  EXPECT_THROW((void)xi::grad(y, x), TapeError);
  EXPECT_THROW((void)y.adjoint(), TapeError);
  // Constants carry no tape and stay usable.
  EXPECT_EQ(xi::exp(Var(0.0)).value(), 1.0);
  // A tensor from the old recording too.
  const Tensor t_old = [] { return xi::variable(Vector{{1.0, 2.0}}); }();
  tape.clear();
  EXPECT_THROW((void)xi::exp(t_old), TapeError);
  EXPECT_THROW((void)t_old[0], TapeError);
}

// Every accessor that reads a tensor's values (they live in the tape's arena) checks the
// recording first, as Var does; the check compares generations and reads nothing through the
// handle, so it is safe after the tape is destroyed.
void expect_every_reader_throws(const Tensor& t) {
  EXPECT_THROW((void)t.values(), TapeError);
  EXPECT_THROW((void)t.matrix(), TapeError);
  EXPECT_THROW((void)t.data(), TapeError);
  EXPECT_THROW((void)t[0], TapeError);
  if (t.size() == 1) {
    EXPECT_THROW((void)t.item(), TapeError);
  }
  EXPECT_THROW((void)t.adjoint(), TapeError);
  EXPECT_THROW((void)xi::detach(t), TapeError);
}

TEST(Tape, TensorValuesAfterClearAreATapeError) {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor x = xi::variable(Vector{{7.0}});
  const Tensor c = xi::constant(Vector{{8.0}});
  const Tensor y = xi::exp(x);
  EXPECT_EQ(x.values()(0, 0), 7.0);
  EXPECT_EQ(c.values()(0, 0), 8.0);
  EXPECT_EQ(y.values()(0, 0), std::exp(7.0));
  tape.clear();
  // The next recording reuses the arena: reading the old handles would return its data.
  const Tensor next = xi::variable(Vector{{-1.0}});
  EXPECT_EQ(next.values()(0, 0), -1.0);
  expect_every_reader_throws(x);
  expect_every_reader_throws(c);
  expect_every_reader_throws(y);
  try {
    (void)y.values();
    FAIL() << "no TapeError";
  } catch (const TapeError& e) {
    EXPECT_NE(std::string(e.what()).find("the tape was cleared since it was computed"),
              std::string::npos)
        << e.what();
  }
  // Borrowed data belongs to the caller and stays readable.
  const Vector data{{1.0, 2.0}};
  const Tensor b = xi::borrow(data);
  tape.clear();
  EXPECT_EQ(b.values()(0, 1), 2.0);
  EXPECT_EQ(b[1].value(), 2.0);
}

TEST(Tape, TensorValuesAfterTheTapeIsDestroyedAreATapeError) {
  Tensor x, y, p_var;
  xi::Parameter p(Vector{{3.0, 4.0}}, "p");
  {
    Tape tape;
    Tape::Scope scope(tape);
    x = xi::variable(Vector{{1.0, 2.0}});
    y = xi::exp(x) + p.var();
    p_var = p.var();
    xi::backward(xi::sum(y));
    EXPECT_EQ(y.adjoint()(0, 1), 1.0);
  }  // the tape, its arena and its adjoints are freed here
  expect_every_reader_throws(x);
  expect_every_reader_throws(y);
  expect_every_reader_throws(p_var);
  // The parameter itself outlives every tape.
  EXPECT_EQ(p.value()(0, 1), 4.0);
  EXPECT_EQ(p.grad()(0, 1), 1.0);
}

TEST(Tape, ScopesNestAndRestore) {
  Tape& outer_default = Tape::current();
  Tape a, b;
  {
    Tape::Scope sa(a);
    EXPECT_EQ(&Tape::current(), &a);
    const Var x = xi::variable(3.0);
    const Var y = x * x;
    {
      Tape::Scope sb(b);
      EXPECT_EQ(&Tape::current(), &b);
      EXPECT_THROW((void)Var(x + 1.0), TapeError);  // x belongs to a
      const Var z = xi::variable(1.0);
      EXPECT_EQ(xi::grad(xi::sin(z), z), std::cos(1.0));
      EXPECT_EQ(b.memory().scalar_nodes, 2u);
    }
    EXPECT_EQ(&Tape::current(), &a);
    EXPECT_EQ(xi::grad(y, x), 6.0);
  }
  EXPECT_EQ(&Tape::current(), &outer_default);
}

TEST(Tape, NoGradMakesConstants) {
  Tape tape;
  Tape::Scope scope(tape);
  const Var x = xi::variable(2.0);
  const Tensor t = xi::variable(Vector{{1.0, -1.0}});
  const std::size_t slots = tape.slot_count();
  {
    xi::NoGrad no_grad;
    const Var y = xi::exp(x) * x + 3.0;
    EXPECT_TRUE(y.is_constant());
    EXPECT_DOUBLE_EQ(y.value(), std::exp(2.0) * 2.0 + 3.0);
    const Tensor u = xi::exp(t) * 2.0;
    EXPECT_TRUE(u.is_constant());
    EXPECT_DOUBLE_EQ(u.data()[1], 2 * std::exp(-1.0));
    EXPECT_TRUE(xi::sum(t).is_constant());
    {
      xi::NoGrad nested;
      EXPECT_TRUE(Var(xi::sin(x)).is_constant());
    }
    EXPECT_TRUE(Var(xi::sin(x)).is_constant());  // still inside the outer NoGrad
    EXPECT_THROW(xi::backward(y), TapeError);
  }
  EXPECT_EQ(tape.slot_count(), slots);  // nothing was recorded
  const Var z = xi::sin(x);
  EXPECT_FALSE(z.is_constant());  // recording resumes
  EXPECT_EQ(xi::grad(z, x), std::cos(2.0));
}

TEST(Tape, DetachStopsTheGradient) {
  Tape tape;
  Tape::Scope scope(tape);
  const Var x = xi::variable(3.0);
  EXPECT_EQ(xi::grad(x * xi::detach(x), x), 3.0);  // not 6
  EXPECT_EQ(xi::grad(x * x, x), 6.0);
  const Tensor t = xi::variable(Vector{{1.0, 2.0}});
  const Var L = xi::sum(t * xi::detach(t));
  EXPECT_EQ(xi::grad(L, t), (Matrix(1, 2) << 1.0, 2.0).finished());
  EXPECT_TRUE(xi::detach(t).is_constant());
}

TEST(Tape, BackwardOnAConstantIsATapeError) {
  Tape tape;
  Tape::Scope scope(tape);
  EXPECT_THROW(xi::backward(Var(3.0)), TapeError);
  EXPECT_THROW(xi::backward(xi::exp(Var(1.0))), TapeError);  // computed from constants only
  EXPECT_THROW((void)xi::grad(Var(1.0), xi::variable(1.0)), TapeError);
  // Reading adjoints before any backward pass.
  const Var x = xi::variable(1.0);
  EXPECT_THROW((void)x.adjoint(), TapeError);
}

TEST(Tape, ParameterGradientsAccumulateUntilZeroGrad) {
  Tape tape;
  Tape::Scope scope(tape);
  xi::Parameter w(Vector{{1.0, -2.0, 0.5}}, "w");
  auto record = [&] {
    const Tensor v = w.var();
    return xi::sum(xi::square(v)) + 3.0 * v[0];  // ∂/∂w = 2w + (3, 0, 0)
  };
  const Matrix once = (Matrix(1, 3) << 2.0 + 3.0, -4.0, 1.0).finished();
  Var L = record();
  xi::backward(L);
  EXPECT_EQ(w.grad(), once);
  xi::backward(L);  // again on the same recording: accumulates
  EXPECT_EQ(w.grad(), 2 * once);
  // xi::grad leaves parameters' gradients alone.
  (void)xi::grad(L, xi::variable(0.0));
  EXPECT_EQ(w.grad(), 2 * once);
  w.zero_grad();
  EXPECT_EQ(w.grad(), Matrix::Zero(1, 3));
  // Parameters persist across clear(): values, gradient and identity.
  xi::backward(L);
  tape.clear();
  EXPECT_EQ(w.value(), (Matrix(1, 3) << 1.0, -2.0, 0.5).finished());
  EXPECT_EQ(w.grad(), once);
  L = record();  // recorded as a leaf of the new recording
  xi::backward(L);
  EXPECT_EQ(w.grad(), 2 * once);
  // An update between recordings is seen by the next one.
  w.zero_grad();
  w.value() *= 2.0;
  tape.clear();
  xi::backward(record());
  EXPECT_EQ(w.grad(), (Matrix(1, 3) << 4.0 + 3.0, -8.0, 2.0).finished());
  // Copies share the parameter.
  const xi::Parameter alias = w;
  EXPECT_TRUE(alias.same_as(w));
  EXPECT_EQ(alias.grad(), w.grad());
}

TEST(Tape, ParameterIsRecordedOncePerRecording) {
  Tape tape;
  Tape::Scope scope(tape);
  xi::Parameter p(2.0, "p");
  const Tensor a = p.var();
  const std::size_t slots = tape.slot_count();
  const Tensor b = p.var();
  EXPECT_EQ(tape.slot_count(), slots);
  EXPECT_EQ(a.slot(), b.slot());
  xi::backward(a.item() * b.item());  // p² → 2p
  EXPECT_EQ(p.grad()(0, 0), 4.0);
  EXPECT_EQ(tape.parameters().size(), 1u);
}

TEST(Tape, ClearKeepsCapacity) {
  Tape tape;
  Tape::Scope scope(tape);
  auto record = [] {
    Var x = xi::variable(0.5);
    for (int i = 0; i < 5000; ++i) x = xi::sin(x) + 0.5;
    const Tensor t = xi::variable(Vector::LinSpaced(1000, -1, 1).eval());
    return xi::sum(xi::tanh(t) * x);
  };
  xi::backward(record());
  const auto reserved = tape.memory().reserved_bytes;
  EXPECT_GT(reserved, 0u);
  tape.clear();
  EXPECT_EQ(tape.memory().reserved_bytes, reserved);
  EXPECT_EQ(tape.slot_count(), 1u);
  EXPECT_EQ(tape.memory().operands, 0u);
  EXPECT_EQ(tape.memory().arena_bytes, 0u);
  xi::backward(record());
  EXPECT_EQ(tape.memory().reserved_bytes, reserved);
}

TEST(Tape, MemoryReportForAScalarChain) {
  constexpr int kNodes = 10000;
  for (const bool keep : {false, true}) {
    Tape tape;
    Tape::Scope scope(tape);
    tape.set_keep_values(keep);
    Var x = xi::variable(0.3);
    for (int i = 0; i < kNodes; ++i) x = i % 2 == 0 ? Var(xi::sin(x)) : Var(xi::tanh(x));
    const xi::TapeMemory m = tape.memory();
    EXPECT_EQ(m.scalar_nodes, static_cast<std::size_t>(kNodes) + 1);  // and the leaf
    EXPECT_EQ(m.operands, static_cast<std::size_t>(kNodes));
    EXPECT_EQ(m.tensor_nodes, 0u);
    EXPECT_EQ(m.slots, static_cast<std::size_t>(kNodes) + 2);  // and the constant sink
    const double per_operand = static_cast<double>(m.scalar_bytes) / kNodes;
    if (keep) {
      EXPECT_LE(per_operand, 24.0) << m.scalar_bytes;
    } else {
      EXPECT_LE(per_operand, 16.0) << m.scalar_bytes;  // partial, input index, op code
    }
    EXPECT_GE(m.reserved_bytes, m.scalar_bytes);
    // A chain of binary nodes: two operands per node.
    Var y = xi::variable(1.0);
    const Var z = xi::variable(0.5);
    const auto before = tape.memory();
    for (int i = 0; i < 1000; ++i) y = y * z;
    const auto after = tape.memory();
    EXPECT_EQ(after.operands - before.operands, 2000u);
    if (!keep) {
      EXPECT_LE(static_cast<double>(after.scalar_bytes - before.scalar_bytes) / 2000, 16.0);
      // Without values the tape cannot explain or differentiate twice: it says so.
      EXPECT_THROW((void)tape.value_at(y.slot()), TapeError);
    }
    EXPECT_NEAR(xi::grad(y, z), 1000 * std::pow(0.5, 999), 1e-300);
  }
}

TEST(Tape, TensorMemoryIsInTheArena) {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor t = xi::variable(Matrix::Ones(100, 50).eval());
  const auto before = tape.memory();
  const Tensor u = xi::exp(t);
  const auto after = tape.memory();
  EXPECT_EQ(after.tensor_nodes, before.tensor_nodes + 1);
  EXPECT_GE(after.arena_bytes - before.arena_bytes, 5000 * sizeof(double));
  EXPECT_EQ(after.slots - before.slots, 5000u);
  EXPECT_EQ(u.size(), 5000u);
}

TEST(Tape, MemoryCapIsATapeErrorBeforeTheAllocation) {
  Tape tape;
  Tape::Scope scope(tape);
  EXPECT_EQ(tape.max_bytes(), 0u);  // unlimited by default
  constexpr std::size_t kCap = std::size_t{1} << 20;
  tape.set_max_bytes(kCap);
  Var x = xi::variable(1.0);
  std::size_t nodes = 0;
  try {
    for (;; ++nodes) x = xi::sin(x);
  } catch (const TapeError& e) {
    EXPECT_NE(std::string(e.what()).find("the tape's memory limit of 1048576 bytes (1.0 MiB) is "
                                         "reached"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--max-memory"), std::string::npos);
  }
  EXPECT_GT(nodes, 10000u);                       // it filled most of the cap first
  EXPECT_LE(tape.memory().reserved_bytes, kCap);  // and never allocated past it
  // Tensor values (the arena) count too.
  tape.clear();
  EXPECT_THROW((void)xi::variable(Matrix::Zero(400, 400)), TapeError);
  EXPECT_LE(tape.memory().reserved_bytes, kCap);
  // After clear() the tape records again within the cap; lifting the cap lifts the error.
  tape.clear();
  const Var y = xi::variable(2.0);
  EXPECT_EQ(xi::grad(xi::exp(y), y), std::exp(2.0));
  tape.set_max_bytes(0);
  const Tensor big = xi::variable(Matrix::Zero(400, 400));
  EXPECT_EQ(big.size(), 160000u);
}

}  // namespace
