// The process's peak resident memory (Linux's VmHWM) and a way to start measuring it afresh, so a
// sequence of jobs in one process can report each job's own high-water mark.
#pragma once
#include <cstdint>
#include <optional>

namespace fluxgen {

// Resets the high-water mark to the current resident size (writes "5" to /proc/self/clear_refs,
// Linux >= 4.0). Returns false where the kernel does not offer it (then the peak is the process's).
bool reset_peak_rss();
// VmHWM from /proc/self/status in bytes; nullopt where /proc is not available.
std::optional<uint64_t> peak_rss_bytes();

}  // namespace fluxgen
