/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Sluice under
 * Wine 8.0 in CI only (never shipped). Go 1.24 and later fetch random bytes
 * with ProcessPrng from bcryptprimitives.dll, which Wine 8.0 lacks, so a Go
 * program dies before main. This DLL exports ProcessPrng and fills the
 * buffer with RtlGenRandom (advapi32's SystemFunction036), the system's
 * cryptographic generator, as Windows does.
 *
 * Built by packaging/check-windows.sh:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *     bcryptprimitives.c bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
