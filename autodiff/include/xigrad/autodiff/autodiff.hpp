#pragma once
// The whole public API of the engine in one include.

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/export.hpp>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/tape.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>
