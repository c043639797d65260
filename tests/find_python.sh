# find_python VERSION: prints the path of an interpreter of that version (e.g. 3.13), or
# fails.  Looks on PATH first, then in pyenv's versions (its shims answer only for the
# versions a user selected, so they are tried by running them).
find_python() {
  local wanted="$1" candidate
  for candidate in "python$wanted" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$wanted".*/bin/"python$wanted" 2>/dev/null | sort -V -r); do
    if command -v "$candidate" >/dev/null 2>&1 &&
      [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$wanted" ]]; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}
