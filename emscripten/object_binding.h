// ObjectBinding: a C++ class exposed as embind *functions* on a handle, not as an embind class_:
// `_Name_new(args…) → handle`, `_Name_<method>(handle, args…)`, `_Name_delete(handle)`.
// web/src/runtime.ts `nativeObject` makes the handle an object with those methods again. embind's
// class machinery (ClassHandle, registered pointers, up/down casts, the smart-pointer paths) is
// 2.2 kB gzip of glue that these few plain objects never used (docs/size.md).
#pragma once

#include <emscripten/bind.h>

#include <cstdint>
#include <string>
#include <utility>

namespace realtime::web {

template <auto Method>
struct MethodThunk;
template <typename T, typename R, typename... A, R (T::*Method)(A...)>
struct MethodThunk<Method> {
  static R call(std::uintptr_t self, A... args) {
    return (reinterpret_cast<T*>(self)->*Method)(std::forward<A>(args)...);
  }
};
template <typename T, typename R, typename... A, R (T::*Method)(A...) const>
struct MethodThunk<Method> {
  static R call(std::uintptr_t self, A... args) {
    return (reinterpret_cast<const T*>(self)->*Method)(std::forward<A>(args)...);
  }
};

template <typename T>
class ObjectBinding {
 public:
  explicit ObjectBinding(const char* name) : name_(name) {
    emscripten::function((name_ + "_delete").c_str(),
                         +[](std::uintptr_t self) { delete reinterpret_cast<T*>(self); });
  }
  template <typename... A>
  ObjectBinding& constructor() {
    emscripten::function((name_ + "_new").c_str(), +[](A... args) -> std::uintptr_t {
      return reinterpret_cast<std::uintptr_t>(new T(std::forward<A>(args)...));
    });
    return *this;
  }
  template <auto Method>
  ObjectBinding& method(const char* js_name) {
    emscripten::function((name_ + "_" + js_name).c_str(), &MethodThunk<Method>::call);
    return *this;
  }

 private:
  std::string name_;
};

}  // namespace realtime::web
