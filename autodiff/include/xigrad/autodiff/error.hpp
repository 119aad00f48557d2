#pragma once
// Errors reported by xigrad. Every library error derives from xi::Error so callers can catch one
// type; the subclasses let the command line map failures to exit codes.

#include <stdexcept>
#include <string>

namespace xi {

/// Base class of every error xigrad throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Operands whose shapes do not fit the operation; the message names the op and both shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the tape: a Var from a cleared tape or from another thread's tape, backward on a
/// constant, and similar.
class TapeError : public Error {
 public:
  using Error::Error;
};

/// A value or adjoint that is not finite; the message names the node (id, definition, inputs).
class NonFiniteError : public Error {
 public:
  using Error::Error;
};

/// Bad input from a user: an unparsable expression, a malformed file, an invalid option.
/// `where` is a location such as "file.csv:12:3" or a column in an expression.
class InputError : public Error {
 public:
  using Error::Error;
};

/// An operation asked of an op that does not define it (e.g. a custom op without a second-order
/// rule used in a Hessian). The message names the op.
class MissingRuleError : public Error {
 public:
  using Error::Error;
};

}  // namespace xi
