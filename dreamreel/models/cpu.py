"""What the CPU running this process can do, read from its flags at run time.

    cpu_flags(path="/proc/cpuinfo") -> frozenset[str]    the first "flags" line's words; empty if unreadable
    native_bf16(flags=None) -> bool                      bfloat16 dot products in hardware (AVX512-BF16 or AMX)

Why: XLA:CPU runs bfloat16 matrix products at about twice the float32 rate only where the cores have bf16
instructions; elsewhere bf16 is emulated and slower than float32, so the bf16 path must be chosen per machine.
"""

from __future__ import annotations

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):  # x86 / ARM spelling
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def native_bf16(flags: frozenset[str] | None = None) -> bool:
    return bool(BF16_FLAGS & (cpu_flags() if flags is None else flags))
