// Size: embind registers converters for every builtin type at start-up; the bindings use neither
// std::wstring / std::u16string / std::u32string nor memory views of 16- and 32-bit integers,
// floats or doubles. These replacements register nothing for the wide strings (a binding that
// ever used one would fail with embind's "unbound types" error naming it), which lets Closure
// drop the UTF-16 / UTF-32 coders from the glue. Linked after library_realtime.js (module.cmake).
mergeInto(LibraryManager.library, {
  _embind_register_std_wstring__deps: [],
  _embind_register_std_wstring: function(rawType, charSize, name) {},
});
