// Included by the sampling sources whose float results must round exactly as the reference
// (torch's kernels, Python floats) rounds them: one operation at a time, so the compiler may not
// fuse a multiply and an add into an FMA (GCC does so by default where the target has FMA) nor
// reorder anything. Include it after the file's own header and before any other.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
