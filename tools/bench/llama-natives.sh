# Sourced by the engine benchmarks: NATIVES is the llama.cpp CPU build the CPU worker would use here, the host build
# (tools/llama/build-llama-native.sh) when there is one for this processor, else the prebuilt. LLAMA_BUILD=prebuilt or
# LLAMA_BUILD=host picks one; NATIVES set by the caller wins.
version="$(sed -n 's/^version=//p' "$ROOT/tools/llama/llama-cpu.lock")"
prebuilt="$ROOT/.platform/native/llama-cpu/$version"
host="$ROOT/.platform/native/llama-cpu-native/$version"
host_key="$(grep -m1 '^flags' /proc/cpuinfo | sha256sum | cut -c1-16)"
if [[ -z "${NATIVES:-}" ]]; then
  case "${LLAMA_BUILD:-auto}" in
    prebuilt) NATIVES="$prebuilt" ;;
    host) NATIVES="$host" ;;
    *) if [[ -f "$host/.complete" && "$(cut -d' ' -f2 "$host/.complete")" == "$host_key" ]]; then NATIVES="$host"; else NATIVES="$prebuilt"; fi ;;
  esac
fi
echo "llama.cpp build: $NATIVES" >&2
