# cmake -DOUT=file.cpp -DTEMPLATES="a.mustache;b.mustache" -P embed_templates.cmake
# Writes a C++ file holding each template as a raw string, so the binary needs no files.
set(body "// Generated from admin-web/templates/ by embed_templates.cmake; do not edit.\n")
string(APPEND body "#include <string_view>\n\nnamespace commonroom::admin_web {\n\n")
string(APPEND body "std::string_view embedded_template(std::string_view name) {\n")
foreach(path ${TEMPLATES})
  get_filename_component(name ${path} NAME_WE)
  file(READ ${path} text)
  string(APPEND body "  if (name == \"${name}\") return R\"mustache(${text})mustache\";\n")
endforeach()
string(APPEND body "  return {};\n}\n\n}  // namespace commonroom::admin_web\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
